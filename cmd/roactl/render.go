package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/vrp"
)

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// orDash shows a server-provided string as a table field: escaped (safe.go),
// "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return safe(s)
}

// roaText shows a ROA in the Krill syntax operators type.
func roaText(r api.ROA) string {
	p, err := netip.ParsePrefix(r.Prefix)
	if err != nil {
		return fmt.Sprintf("%s-%d => AS%d", safe(r.Prefix), r.MaxLength, r.ASN)
	}
	ml := r.MaxLength
	if ml == 0 {
		ml = p.Bits()
	}
	return vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: r.ASN}.String()
}

// keysText notes keys kept in an HSM on the CA line.
func keysText(kind string) string {
	if kind == "pkcs11" {
		return ", keys in a PKCS#11 token"
	}
	return ""
}

func printStatus(w io.Writer, s *api.Status) {
	t := newTable(w)
	fmt.Fprintf(t, "version\t%s\n", orDash(s.Version))
	fmt.Fprintf(t, "started\t%s\n", fmtTime(s.StartedAt))
	printReady(t, s.Ready)
	fmt.Fprintf(t, "CA\t%s %s, %d ROAs, certificate not after %s%s\n", orDash(s.CA.Mode), orDash(s.CA.Name), s.CA.ROAs,
		fmtTime(s.CA.CertNotAfter), keysText(s.CA.Keys))
	fmt.Fprintf(t, "resources\t%s\n", orDash(strings.Join(s.CA.Resources, ", ")))
	fmt.Fprintf(t, "manifest next update\t%s\n", fmtTime(s.CA.ManifestNext))
	fmt.Fprintf(t, "TAL\t%s\n", orDash(s.CA.TAL))
	printKeyRoll(t, s.CA.KeyRoll) // keyroll.go
	p := s.Publication
	fmt.Fprintf(t, "publication\tserial %d, session %s, %d objects, last change %s\n", p.Serial, orDash(p.Session), p.Objects, fmtTime(p.LastChange))
	fmt.Fprintf(t, "RRDP notification\t%s\n", orDash(p.Notification))
	fmt.Fprintf(t, "rsync base\t%s\n", orDash(p.RsyncBase))
	printPeerStatus(t, s)
	if rp := s.RP; rp != nil {
		state := "ok"
		if !rp.OK {
			state = "NOT OK"
		}
		fmt.Fprintf(t, "RP\t%s, %d VRPs, %d rejected, last run %s\n", state, rp.VRPs, rp.Rejected, fmtTime(rp.LastRun))
	} else {
		fmt.Fprintf(t, "RP\tnot running\n")
	}
	if r := s.RTR; r != nil {
		data := "has data"
		if !r.HasData {
			data = "no data yet"
		}
		fmt.Fprintf(t, "RTR\t%s, serial %d, %s, %d clients\n", orDash(r.Listen), r.Serial, data, len(r.Clients))
		// One line per router: negotiated version (RFC 8210 §7), the serial
		// it was last answered at, and its queries (§5.3 Serial, §5.4 Reset).
		for _, cl := range r.Clients {
			ver, serial := fmt.Sprintf("v%d", cl.Version), fmt.Sprintf("serial %d", cl.Serial)
			if cl.Version < 0 {
				ver = "negotiating"
			}
			if cl.LastQuery.IsZero() {
				serial = "serial -"
			}
			fmt.Fprintf(t, "\t  %s\t%s\t%s\tconnected %s\tlast query %s\t%d reset, %d serial queries\n",
				cl.Remote, ver, serial, fmtTime(cl.Connected), fmtTime(cl.LastQuery), cl.ResetQueries, cl.SerialQueries)
		}
	} else {
		fmt.Fprintf(t, "RTR\tnot running\n")
	}
	t.Flush()
}

// printReady shows what /readyz answers: the verdict, then each part, ok
// or its reason and what fails (nothing from a server without it).
func printReady(w io.Writer, r health.Report) {
	if r.Status == "" {
		return
	}
	verdict := "yes"
	if !r.Ready() {
		var parts []string
		for _, c := range r.Failing() {
			parts = append(parts, safe(c.Part))
		}
		verdict = "NO: " + strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "ready\t%s\n", verdict)
	for _, c := range r.Checks {
		state := "ok"
		if !c.OK {
			state = "NOT OK (" + orDash(c.Reason) + ")"
		}
		fmt.Fprintf(w, "  %s\t%s: %s\n", safe(c.Part), state, safe(c.Message))
	}
}

func printIntents(w io.Writer, l []api.Intent) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no intents")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "PREFIX\tORIGIN\tNOTE\tCREATED")
	for _, in := range l {
		fmt.Fprintf(t, "%s\tAS%d\t%s\t%s\n", safe(in.Prefix), in.Origin, orDash(in.Note), fmtTime(in.CreatedAt))
	}
	t.Flush()
}

func printROAs(w io.Writer, l []api.ROAEntry) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no ROAs")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "ROA\tSTATE\tNOT AFTER\tOBJECT\tCOMMENT")
	for _, r := range l {
		comment := r.Comment
		if r.Exception != "" {
			comment = strings.TrimSpace(comment + " [exception: " + r.Exception + "]")
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", roaText(r.ROA), orDash(r.State), fmtTime(r.NotAfter), orDash(r.Object), orDash(comment))
	}
	t.Flush()
}

// printProposal prints every finding, then one result line.
// The counts are the server's: ROAs listed twice are merged into one.
func printProposal(w io.Writer, r *api.ProposalResult) {
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "no findings")
	} else {
		t := newTable(w)
		fmt.Fprintln(t, "SEVERITY\tKIND\tMESSAGE")
		for _, f := range r.Findings {
			fmt.Fprintf(t, "%s\t%s\t%s\n", orDash(f.Severity), orDash(f.Kind), orDash(f.Message))
		}
		t.Flush()
	}
	printImpact(w, r.Impact)
	switch {
	case r.Blocked:
		blocking, fixed := 0, 0
		for _, f := range r.Findings {
			if f.Severity == "block" {
				blocking++
				if !f.Overridable {
					fixed++
				}
			}
		}
		msg := fmt.Sprintf("result: blocked by %d finding(s); nothing changed", blocking)
		if fixed > 0 {
			msg += fmt.Sprintf(" (%d cannot be overridden)", fixed)
		} else {
			msg += " (override with --force --reason T)"
		}
		fmt.Fprintln(w, msg)
	case r.Pending:
		fmt.Fprintf(w, "result: pending approval as change %d (needs a second token: %s); nothing changed yet\n",
			r.ChangeID, strings.Join(r.Approval, ", "))
		fmt.Fprintf(w, "another token with the approver or admin role: roactl change approve %d\n", r.ChangeID)
	case r.DryRun:
		msg := fmt.Sprintf("result: dry run, would add %d and remove %d ROA(s); nothing changed", len(r.Added), len(r.Removed))
		if len(r.Approval) > 0 {
			msg += " (would need approval: " + strings.Join(r.Approval, ", ") + ")"
		}
		fmt.Fprintln(w, msg)
	case r.Applied:
		msg := fmt.Sprintf("result: applied, added %d and removed %d ROA(s)", len(r.Added), len(r.Removed))
		if r.Serial != 0 {
			msg += fmt.Sprintf(", RRDP serial %d", r.Serial)
		}
		if r.ChangeID != 0 {
			msg += fmt.Sprintf(", change %d", r.ChangeID)
		}
		if r.Overridden {
			msg += " (safety checks overridden)"
		}
		fmt.Fprintln(w, msg)
	default:
		fmt.Fprintln(w, "result: not applied")
	}
}

func printHistory(w io.Writer, l []api.HistoryEntry) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no history")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "ID\tAT\tACTOR\tACTION\tSUMMARY")
	for _, e := range l {
		sum := e.Summary
		if e.Forced {
			sum += " [forced: " + e.Reason + "]"
		}
		actor := e.Actor
		if e.ActorRemark != "" {
			actor += " (says: " + e.ActorRemark + ")"
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\n", e.ID, fmtTime(e.At), orDash(actor), orDash(e.Action), orDash(sum))
	}
	t.Flush()
}

func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return string(bytes.TrimSpace(raw))
	}
	return b.String()
}
