// Command roactl is the CLI of road: it talks to the daemon's REST API only
// (DESIGN.md "roactl"). Exit codes: 0 ok, 1 error (server unreachable, 5xx),
// 2 usage or bad input, 3 blocked by a safety check, 5 a check command
// (audit run, rp status) found problems; 4 is kept for "held for approval".
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
