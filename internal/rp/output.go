package rp

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/vrpjson"
)

// WriteJSON writes the result in rpki-client's JSON format
// ({"metadata":{...},"roas":[{"asn","prefix","maxLength","ta","expires"}]})
// plus "aspas" ({"customer_asid","expires","providers"}) and a "rejected" list of {"uri","reason","detail"}, tab-indented.
func (r *Result) WriteJSON(w io.Writer) error {
	d := vrpjson.Document{
		Metadata: vrpjson.Metadata{
			BuildTime: r.Time.UTC().Format(time.RFC3339), ROAs: r.Stats.ROAs, FailedROAs: r.Stats.FailedROAs,
			Certificates: r.Stats.Certificates, FailedCerts: r.Stats.FailedCerts, TALs: r.Stats.TALs,
			FailedTALs: r.Stats.FailedTALs, TALFiles: r.TALs, Manifests: r.Stats.Manifests,
			FailedManifests: r.Stats.FailedManifests, CRLs: r.Stats.CRLs, VRPs: r.Stats.VRPs,
			UniqueVRPs: len(r.VRPs), Rejected: len(r.Rejected), ASPAs: r.Stats.ASPAs, Lenient: r.Lenient,
			Fetch:       r.Fetch.counts(),
			FailedASPAs: r.Stats.FailedASPAs, VAPs: len(r.ASPAs),
		},
		ASPAs:    make([]vrpjson.ASPA, 0, len(r.ASPAs)),
		ROAs:     make([]vrpjson.ROA, 0, len(r.VRPs)),
		Rejected: make([]vrpjson.Rejection, 0, len(r.Rejected)),
	}
	for _, v := range r.VRPs {
		d.ROAs = append(d.ROAs, vrpjson.ROA{ASN: v.ASN, Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), TA: v.TA, Expires: v.Expires.Unix()})
	}
	for _, a := range r.ASPAs {
		d.ASPAs = append(d.ASPAs, vrpjson.ASPA{Customer: a.Customer, Expires: a.Expires.Unix(), Providers: a.Providers})
	}
	for _, x := range r.Rejected {
		d.Rejected = append(d.Rejected, vrpjson.Rejection{URI: x.URI, Reason: string(x.Reason), Detail: x.Detail})
	}
	return vrpjson.Encode(w, d)
}

// WriteCSV writes rpki-client's CSV: "ASN,IP Prefix,Max Length,Trust Anchor,Expires".
func (r *Result) WriteCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("ASN,IP Prefix,Max Length,Trust Anchor,Expires\n")
	for _, v := range r.VRPs {
		buf.WriteString("AS" + strconv.FormatUint(uint64(v.ASN), 10) + "," + v.Prefix.String() + "," +
			strconv.Itoa(int(v.MaxLen)) + "," + csvField(v.TA) + "," + strconv.FormatInt(v.Expires.Unix(), 10) + "\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func csvField(s string) string {
	for _, c := range []byte(s) {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}

// WriteSummary writes the human summary of rejected objects: a count line,
// the count per reason, then one line per rejection ("rejected REASON URI: DETAIL").
func (r *Result) WriteSummary(w io.Writer) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d VRPs (%d unique) from %d ROAs, %d CA certificates, %d publication points; %d rejected\n",
		r.Stats.VRPs, len(r.VRPs), r.Stats.ROAs, r.Stats.Certificates, r.Stats.Manifests, len(r.Rejected))
	if len(r.Rejected) > 0 {
		count := map[Reason]int{}
		for _, x := range r.Rejected {
			count[x.Reason]++
		}
		buf.WriteString("by reason:")
		for _, k := range slices.Sorted(maps.Keys(count)) {
			fmt.Fprintf(&buf, " %s=%d", k, count[k])
		}
		buf.WriteString("\n")
	}
	if len(r.Lenient) > 0 {
		buf.WriteString("accepted despite (lenient):")
		for _, k := range slices.Sorted(maps.Keys(r.Lenient)) {
			fmt.Fprintf(&buf, " %s=%d", k, r.Lenient[k])
		}
		buf.WriteString("\n")
	}
	if f := r.Fetch; f != (FetchStats{}) {
		fmt.Fprintf(&buf, "fetched: rrdp %d ok (%d snapshots, %d snapshots again after a failed validation), %d failed; rsync %d ok (%d again comparing checksums), %d failed; %d retries; %d publication points from their last valid copy\n",
			f.RRDPSynced, f.RRDPSnapshots, f.RRDPResyncs, f.RRDPFailed, f.RsyncSynced, f.RsyncRepairs, f.RsyncFailed, f.Retries, f.KeptPPs)
	}
	for _, x := range r.Rejected {
		if x.Detail != "" {
			fmt.Fprintf(&buf, "rejected %s %s: %s\n", x.Reason, x.URI, x.Detail)
		} else {
			fmt.Fprintf(&buf, "rejected %s %s\n", x.Reason, x.URI)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
