package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// printImpact shows what a change does to the live routes: the counts per
// state transition, then the harmed and helped routes summed up; nothing
// when no route changes state.
func printImpact(w io.Writer, m *api.Impact) {
	if m == nil || m.ChangedRoutes == 0 {
		return
	}
	fmt.Fprintf(w, "impact: %d route(s) change state: %d turn Invalid, %d lose protection (Valid to not-found), %d helped\n",
		m.ChangedRoutes, m.HarmedRoutes, m.UnprotectedRoutes, m.HelpedRoutes)
	t := newTable(w)
	for _, tr := range m.Transitions {
		fmt.Fprintf(t, "  %s -> %s\t%d\n", orDash(tr.From), orDash(tr.To), tr.Count)
	}
	t.Flush()
	printEffect(w, "harmed", m.Harmed)
	printEffect(w, "helped", m.Helped)
}

func printEffect(w io.Writer, name string, e api.ImpactEffect) {
	if e.Routes == 0 {
		return
	}
	fmt.Fprintf(w, "  %s: %d route(s) (%d in the holder's space), %s IPv4 /24 and %s IPv6 /48 equivalents, %.2f%% of the holder's announced IPv4 space and %.2f%% of its IPv6 space\n",
		name, e.Routes, e.OwnRoutes, num(e.IPv4Slash24), num(e.IPv6Slash48), 100*e.OwnIPv4Share, 100*e.OwnIPv6Share)
	origins := make([]string, 0, len(e.Origins))
	for _, o := range e.Origins {
		origins = append(origins, fmt.Sprintf("AS%d", o))
	}
	if e.OriginCount > len(e.Origins) {
		origins = append(origins, fmt.Sprintf("and %d more", e.OriginCount-len(e.Origins)))
	}
	fmt.Fprintf(w, "    origins: %s\n", orDash(strings.Join(origins, ", ")))
	fmt.Fprintf(w, "    peers: %s\n", orDash(strings.Join(e.Peers, ", ")))
	largest := make([]string, 0, len(e.Largest))
	for _, r := range e.Largest {
		largest = append(largest, routeText(api.RouteRef{Prefix: r.Prefix, Origin: r.Origin, NoOrigin: r.NoOrigin}))
	}
	fmt.Fprintf(w, "    largest: %s\n", orDash(strings.Join(largest, ", ")))
}

// num shows a /24 or /48 count: whole numbers without decimals.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func routeText(r api.RouteRef) string {
	if r.NoOrigin {
		return safe(r.Prefix) + " AS_SET"
	}
	return fmt.Sprintf("%s AS%d", safe(r.Prefix), r.Origin)
}

// runBGPResilience lists the holder's routes without a fallback.
func runBGPResilience(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	r, err := cl.BGPResilience(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printResilience(c.stdout, r)
	return nil
}

func printResilience(w io.Writer, r *api.Resilience) {
	fmt.Fprintf(w, "%d route(s) in the holder's space, %d with a Valid covering route to fall back on, %d without\n",
		r.Routes, r.WithFallback, len(r.WithoutFallback))
	if len(r.WithoutFallback) == 0 {
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "ROUTE\tSTATE\tCOVERING\tSUGGESTION")
	for _, e := range r.WithoutFallback {
		cover := "-"
		if e.Covering != nil {
			cover = routeText(*e.Covering) + " (" + orDash(e.CoveringState) + ")"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", routeText(e.Route), orDash(e.State), cover, orDash(e.Suggestion.Message))
	}
	t.Flush()
}
