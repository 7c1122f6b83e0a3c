package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// parentCommands and repositoryCommands make road a delegated CA: the RFC
// 8183 exchanges with a parent (RFC 6492) and a repository (RFC 8181).
var parentCommands = map[string]*command{
	"request": {help: "print road's <child_request> (RFC 8183) to give to the parent",
		flags: noFlags, run: oobRequest("parents")},
	"add": {synopsis: "NAME FILE", help: "import the parent's <parent_response> (- reads stdin); road then asks it for a certificate",
		minArgs: 2, maxArgs: 2, flags: noFlags, run: peerAdd("parents")},
	"list": {help: "parents: service URI, handles, resource classes, last contact and error",
		flags: noFlags, run: peerList("parents")},
	"remove": {synopsis: "NAME", help: "forget a parent (the CA keeps the certificate it issued until it expires)",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: peerRemove("parents")},
	"sync": {help: "contact every parent and repository now; prints each one's last contact and error",
		flags: noFlags, run: runPeerSync},
}

var repositoryCommands = map[string]*command{
	"request": {help: "print road's <publisher_request> (RFC 8183) to give to the repository",
		flags: noFlags, run: oobRequest("repositories")},
	"add": {synopsis: "NAME FILE", help: "import the repository's <repository_response> (- reads stdin); the CA then publishes there",
		minArgs: 2, maxArgs: 2, flags: noFlags, run: peerAdd("repositories")},
	"list": {help: "repositories: service URI, sia_base, last contact and error",
		flags: noFlags, run: peerList("repositories")},
	"remove": {synopsis: "NAME", help: "forget a repository; the CA publishes locally again",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: peerRemove("repositories")},
}

func oobRequest(kind string) func(context.Context, *cli, any, []string) error {
	return func(ctx context.Context, c *cli, _ any, _ []string) error {
		cl, err := c.api()
		if err != nil {
			return err
		}
		m, err := cl.OOBRequest(ctx, kind)
		if err != nil {
			return err
		}
		if c.jsonOut() {
			return c.printRaw()
		}
		fmt.Fprint(c.stdout, m.XML)
		if !strings.HasSuffix(m.XML, "\n") {
			fmt.Fprintln(c.stdout)
		}
		return nil
	}
}

// maxOOBFile bounds an imported RFC 8183 file (the server's bound is 1 MiB).
const maxOOBFile = 2 << 20

func readOOBFile(name string) (string, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", usagef("%v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxOOBFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxOOBFile {
		return "", usagef("%s: over %d bytes", name, maxOOBFile)
	}
	return string(b), nil
}

func peerAdd(kind string) func(context.Context, *cli, any, []string) error {
	return func(ctx context.Context, c *cli, _ any, args []string) error {
		xml, err := readOOBFile(args[1])
		if err != nil {
			return err
		}
		cl, err := c.api()
		if err != nil {
			return err
		}
		p, err := cl.AddPeer(ctx, kind, args[0], xml)
		if err != nil {
			return err
		}
		if c.jsonOut() {
			return c.printRaw()
		}
		if kind == "parents" {
			fmt.Fprintf(c.stdout, "added parent %s: %s at %s (we are %s)\n", p.Name, safe(p.PeerHandle), safe(p.ServiceURI), safe(p.Handle))
		} else {
			fmt.Fprintf(c.stdout, "added repository %s: %s at %s (we are %s)\n", p.Name, safe(p.SIABase), safe(p.ServiceURI), safe(p.Handle))
		}
		return nil
	}
}

func peerList(kind string) func(context.Context, *cli, any, []string) error {
	return func(ctx context.Context, c *cli, _ any, _ []string) error {
		cl, err := c.api()
		if err != nil {
			return err
		}
		l, err := cl.Peers(ctx, kind)
		if err != nil {
			return err
		}
		if c.jsonOut() {
			return c.printRaw()
		}
		printPeers(c.stdout, kind, l.Peers)
		return nil
	}
}

func printPeers(w io.Writer, kind string, peers []api.Peer) {
	t := newTable(w)
	if kind == "parents" {
		fmt.Fprintln(t, "NAME\tPARENT\tSERVICE\tLAST-CONTACT\tLAST-ERROR")
	} else {
		fmt.Fprintln(t, "NAME\tSIA-BASE\tSERVICE\tLAST-CONTACT\tLAST-ERROR")
	}
	for _, p := range peers {
		who := p.PeerHandle
		if kind != "parents" {
			who = p.SIABase
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", p.Name, safe(orDash(who)), safe(p.ServiceURI), fmtTime(p.LastContact), safe(orDash(p.LastError)))
	}
	t.Flush()
	// The parents' resource classes, one line each, below the table.
	for _, p := range peers {
		for _, cl := range p.Classes {
			active := ""
			if cl.Active {
				active = " (the CA's certificate)"
			}
			fmt.Fprintf(w, "%s class %s: %s; certificate not after %s%s\n", p.Name, safe(cl.Name), safe(orDash(cl.Resources)),
				fmtTime(cl.CertNotAfter), active)
		}
	}
}

func peerRemove(kind string) func(context.Context, *cli, any, []string) error {
	return func(ctx context.Context, c *cli, _ any, args []string) error {
		cl, err := c.api()
		if err != nil {
			return err
		}
		if _, err := cl.RemovePeer(ctx, kind, args[0]); err != nil {
			return err
		}
		if c.jsonOut() {
			return c.printRaw()
		}
		what := "parent"
		if kind == "repositories" {
			what = "repository"
		}
		fmt.Fprintf(c.stdout, "removed %s %s\n", what, args[0])
		return nil
	}
}

func runPeerSync(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	s, err := cl.SyncPeers(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printPeers(c.stdout, "parents", s.Parents)
	printPeers(c.stdout, "repositories", s.Repositories)
	return nil
}

// printPeerStatus is status's lines for the parents and repositories.
func printPeerStatus(w io.Writer, s *api.Status) {
	for _, p := range s.Parents {
		fmt.Fprintf(w, "parent %s\t%s at %s, last contact %s, last error %s\n", p.Name, safe(p.PeerHandle), safe(p.ServiceURI),
			fmtTime(p.LastContact), safe(orDash(p.LastError)))
	}
	for _, r := range s.Repositories {
		fmt.Fprintf(w, "repository %s\t%s at %s, last contact %s, last error %s\n", r.Name, safe(r.SIABase), safe(r.ServiceURI),
			fmtTime(r.LastContact), safe(orDash(r.LastError)))
	}
}
