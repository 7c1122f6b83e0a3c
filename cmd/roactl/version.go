package main

import (
	"context"
	"encoding/json"

	"github.com/roadrpki/road/internal/buildinfo"
)

// runVersion prints roactl's own build (it asks no server: `roactl status`
// shows the daemon's version): version, VCS revision and time, Go version;
// -o json as one object.
func runVersion(_ context.Context, c *cli, _ any, _ []string) error {
	bi := buildinfo.Read("roactl")
	if !c.jsonOut() {
		bi.WriteText(c.stdout)
		return nil
	}
	b, err := json.MarshalIndent(bi, "", "  ")
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(append(b, '\n'))
	return err
}
