package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/roadrpki/road/internal/migrate"
	"github.com/roadrpki/road/internal/vrp"
)

// caCommands are about road's CA as a whole.
var caCommands = map[string]*command{
	"migrate-check": {synopsis: "EXPORT",
		help: "compare the VRPs a hosted CA publishes today (rpki-client JSON or CSV export; - reads stdin) with road's configured ROAs, " +
			"within road's resources; exit 5 when routes would lose their VRP",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: runMigrateCheck},
}

// runMigrateCheck reads the export, then road's resources (GET /status) and
// configured ROAs (GET /roas), and prints what would change if road's
// ROAs replaced the hosted CA's (make before break: run it before revoking
// the hosted CA).
func runMigrateCheck(ctx context.Context, c *cli, _ any, args []string) error {
	exp, err := readExportArg(c, args[0])
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	held, err := heldPrefixes(st.CA.Resources)
	if err != nil {
		return err
	}
	l, err := cl.ROAs(ctx)
	if err != nil {
		return err
	}
	var configured []vrp.VRP
	for _, r := range l.ROAs {
		v, err := vrp.Parse(roaText(r.ROA))
		if err != nil {
			return fmt.Errorf("server sent a ROA roactl cannot read: %q: %w", roaText(r.ROA), err)
		}
		configured = append(configured, v)
	}
	rep := migrate.Compare(exp.VRPs, configured, held)
	if c.jsonOut() {
		err = printMigrateJSON(c.stdout, exp, rep)
	} else {
		printMigrate(c.stdout, exp, rep)
	}
	if err != nil {
		return err
	}
	if rep.Lost > 0 {
		return &problemsFound{fmt.Sprintf("%d VRP(s) published today would disappear or narrow: their routes would lose "+
			"their VRP once the hosted CA is revoked; add them to road first", rep.Lost)}
	}
	return nil
}

func readExportArg(c *cli, name string) (migrate.Export, error) {
	var r io.Reader = c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return migrate.Export{}, usagef("export: %v", err)
		}
		defer f.Close()
		r = f
	}
	exp, err := migrate.ReadExport(r)
	if err != nil {
		return exp, usagef("export %s: %v", name, err)
	}
	return exp, nil
}

// heldPrefixes keeps the prefixes of GET /status's resources (AS numbers
// and ranges are left out: VRPs are filtered by prefix).
func heldPrefixes(res []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, r := range res {
		if strings.HasPrefix(strings.ToUpper(r), "AS") {
			continue
		}
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("server sent a resource roactl cannot read: %q", r)
		}
		out = append(out, p)
	}
	return out, nil
}

func vrpStrings(vs []vrp.VRP) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

func printMigrate(w io.Writer, exp migrate.Export, r migrate.Report) {
	fmt.Fprintf(w, "export: %d VRPs (%s), %d outside road's resources, %d compared\n", r.Read, exp.Format, r.Outside, r.Compared)
	if exp.Dropped > 0 {
		fmt.Fprintf(w, "export: %d entries were not valid VRPs and were skipped\n", exp.Dropped)
	}
	fmt.Fprintf(w, "road: %d configured ROAs; %d VRPs in both\n", r.Configured, r.Unchanged)
	if len(r.Changes) == 0 {
		fmt.Fprintln(w, "no changes: road publishes exactly the VRPs the export has within road's resources")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "CHANGE\tPREFIX\tTODAY\tROAD\tROUTES LOSE VRP")
	for _, c := range r.Changes {
		lost := "no"
		if c.Lost {
			lost = "YES"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", c.Kind, c.Prefix, orDash(strings.Join(vrpStrings(c.Today), ", ")),
			orDash(strings.Join(vrpStrings(c.Road), ", ")), lost)
	}
	t.Flush()
}

type migrateJSON struct {
	Held   []string `json:"held"`
	Export struct {
		Format   string `json:"format"`
		VRPs     int    `json:"vrps"`
		Dropped  int    `json:"dropped"`
		Outside  int    `json:"outside"`
		Compared int    `json:"compared"`
	} `json:"export"`
	Configured int                 `json:"configured"`
	Unchanged  int                 `json:"unchanged"`
	Lost       int                 `json:"lost"`
	Changes    []migrateChangeJSON `json:"changes"`
}

type migrateChangeJSON struct {
	Kind   string   `json:"kind"`
	Prefix string   `json:"prefix"`
	Today  []string `json:"today"`
	Road   []string `json:"road"`
	Lost   bool     `json:"lost"`
}

func printMigrateJSON(w io.Writer, exp migrate.Export, r migrate.Report) error {
	var out migrateJSON
	out.Held = []string{}
	for _, p := range r.Held {
		out.Held = append(out.Held, p.String())
	}
	out.Export.Format, out.Export.VRPs, out.Export.Dropped = exp.Format, r.Read, exp.Dropped
	out.Export.Outside, out.Export.Compared = r.Outside, r.Compared
	out.Configured, out.Unchanged, out.Lost = r.Configured, r.Unchanged, r.Lost
	out.Changes = []migrateChangeJSON{}
	for _, c := range r.Changes {
		out.Changes = append(out.Changes, migrateChangeJSON{Kind: c.Kind, Prefix: c.Prefix.String(),
			Today: vrpStrings(c.Today), Road: vrpStrings(c.Road), Lost: c.Lost})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "=>" stays readable
	return enc.Encode(out)
}
