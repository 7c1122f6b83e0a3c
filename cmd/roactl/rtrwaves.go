package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/roadrpki/road/internal/api"
)

// rtrCommands follow and steer the staged RTR rollout (rtr.waves).
var rtrCommands = map[string]*command{
	"waves": {help: "where each VRP set is in the staged RTR rollout: per wave its serial, set, state and hold",
		flags: noFlags, run: runRTRWaves},
	"promote": {synopsis: "[--force]",
		help:  "hand the sets under way on to the next wave now, without waiting for the hold time (health must pass unless --force); a rolled back set starts again in the first wave",
		flags: promoteFlags, run: runRTRPromote},
	"rollback": {help: "every wave that got a newer set goes back to the set all routers had, under a new serial; the newest set is held until promoted",
		flags: noFlags, run: runRTRRollback},
}

type promoteOpts struct{ force bool }

func promoteFlags(fs *flag.FlagSet) any {
	o := &promoteOpts{}
	fs.BoolVar(&o.force, "force", false, "skip the health checks")
	return o
}

func runRTRWaves(ctx context.Context, c *cli, _ any, _ []string) error {
	return rtrWaveCall(c, func(cl *api.Client) (*api.RTRWaves, error) { return cl.RTRWaves(ctx) })
}

func runRTRPromote(ctx context.Context, c *cli, opts any, _ []string) error {
	force := opts.(*promoteOpts).force
	return rtrWaveCall(c, func(cl *api.Client) (*api.RTRWaves, error) { return cl.RTRPromote(ctx, force) })
}

func runRTRRollback(ctx context.Context, c *cli, _ any, _ []string) error {
	return rtrWaveCall(c, func(cl *api.Client) (*api.RTRWaves, error) { return cl.RTRRollback(ctx) })
}

func rtrWaveCall(c *cli, call func(*api.Client) (*api.RTRWaves, error)) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	st, err := call(cl)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printWaves(c.stdout, st)
	return nil
}

func setLabel(s *api.RTRWavesSet) string {
	if s == nil {
		return "-"
	}
	return s.ID + " (" + strconv.Itoa(s.VRPs) + " VRPs)"
}

// printWaves is the text of roactl rtr waves|promote|rollback.
func printWaves(w io.Writer, st *api.RTRWaves) {
	if !st.Enabled {
		fmt.Fprintln(w, "no RTR waves configured: every router gets every set at once")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "WAVE\tSERIAL\tSET\tSTATE\tSINCE\tHOLD\tHOLD-UNTIL")
	for _, wv := range st.Waves {
		until := "-"
		if !wv.HoldUntil.IsZero() {
			until = fmtTime(wv.HoldUntil)
		}
		fmt.Fprintf(t, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", orDash(wv.Name), wv.Serial, setLabel(wv.Set), orDash(wv.State), fmtTime(wv.Since), wv.Hold, until)
	}
	t.Flush()
	held := ""
	if st.Held {
		held = ", held after a rollback (roactl rtr promote starts it again)"
	}
	fmt.Fprintf(w, "base %s; newest %s%s\n", setLabel(st.Base), setLabel(st.Newest), held)
	if h := st.Health; h != nil {
		if h.OK {
			fmt.Fprintf(w, "last health check %s: ok, %d routes turn Invalid\n", fmtTime(h.At), h.Harmed)
		} else {
			fmt.Fprintf(w, "last health check %s: FAILED (%s): %s\n", fmtTime(h.At), orDash(h.Failed), orDash(h.Reason))
		}
	}
}
