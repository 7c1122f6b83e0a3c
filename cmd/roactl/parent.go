package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// childCommands manage the child CAs road's CA issues to (RFC 6492).
var childCommands = map[string]*command{
	"add": {synopsis: `NAME CHILD_REQUEST.xml --resources "PREFIX|ASN, ..."`,
		help: "make NAME a child of road's CA from its RFC 8183 <child_request> (- reads stdin), entitled to the resources " +
			"(prefixes, ASn, ASn-ASm); prints the <parent_response> to give it",
		minArgs: 2, maxArgs: 2, flags: resourcesFlags, run: runChildAdd},
	"list": {help: "the children: entitlement, last contact, certificates issued",
		flags: noFlags, run: runChildList},
	"resources": {synopsis: `NAME --resources "PREFIX|ASN, ..."`,
		help:    "change a child's entitlement (grow or shrink): its certificates are reissued at once, revoked when nothing is left",
		minArgs: 1, maxArgs: 1, flags: resourcesFlags, run: runChildResources},
	"remove": {synopsis: "NAME", help: "revoke every certificate of the child and forget it",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: runChildRemove},
}

// publisherCommands manage the clients of road's RFC 8181 publication server.
var publisherCommands = map[string]*command{
	"add": {synopsis: "NAME PUBLISHER_REQUEST.xml",
		help: "let NAME publish below road's rsync base + NAME/ from its RFC 8183 <publisher_request> (- reads stdin); " +
			"prints the <repository_response> to give it",
		minArgs: 2, maxArgs: 2, flags: noFlags, run: runPublisherAdd},
	"list": {help: "the publishers: space (sia_base), objects, last contact",
		flags: noFlags, run: runPublisherList},
	"remove": {synopsis: "NAME", help: "withdraw everything the publisher published and forget it",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: runPublisherRemove},
}

type resourcesOpts struct{ resources string }

func resourcesFlags(fs *flag.FlagSet) any {
	o := &resourcesOpts{}
	fs.StringVar(&o.resources, "resources", "", "the child's `entitlement`: prefixes, ASn and ASn-ASm, comma-separated")
	return o
}

// maxRequestFile bounds an RFC 8183 file read (the schema's largest field
// is a 512000-byte certificate).
const maxRequestFile = 1 << 20

func readRequestFile(c *cli, name string) (string, error) {
	var r io.Reader = c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", usagef("%v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxRequestFile+1))
	if err != nil {
		return "", usagef("%s: %v", name, err)
	}
	if len(b) > maxRequestFile {
		return "", usagef("%s: over %d bytes", name, maxRequestFile)
	}
	return string(b), nil
}

func runChildAdd(ctx context.Context, c *cli, opts any, args []string) error {
	res := opts.(*resourcesOpts).resources
	if strings.TrimSpace(res) == "" {
		return usagef(`child add needs --resources "PREFIX|ASN, ..."`)
	}
	req, err := readRequestFile(c, args[1])
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	a, err := cl.AddChild(ctx, api.ChildAdd{Name: args[0], Request: req, Resources: res})
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprint(c.stdout, a.ParentResponse) // the XML alone, to hand to the child
	return nil
}

func runChildList(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.Children(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	t := newTable(c.stdout)
	fmt.Fprintln(t, "NAME\tRESOURCES\tLAST-CONTACT\tCERTIFICATES")
	for _, ch := range l.Children {
		var certs []string
		for _, cc := range ch.Certificates {
			certs = append(certs, fmt.Sprintf("%s (%s, until %s)", safe(cc.URI), safe(strings.Join(cc.Resources, " ")), fmtTime(cc.NotAfter)))
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", safe(ch.Name), safe(strings.Join(ch.Resources, ", ")), fmtTimePtr(ch.LastContact),
			orDash(strings.Join(certs, "; ")))
	}
	t.Flush()
	return nil
}

func runChildResources(ctx context.Context, c *cli, opts any, args []string) error {
	res := opts.(*resourcesOpts).resources
	if strings.TrimSpace(res) == "" {
		return usagef(`child resources needs --resources "PREFIX|ASN, ..."`)
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	ch, err := cl.SetChildResources(ctx, args[0], res)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "child %s: resources %s; %d certificate(s) follow them\n", safe(ch.Name),
		safe(strings.Join(ch.Resources, ", ")), len(ch.Certificates))
	return nil
}

func runChildRemove(ctx context.Context, c *cli, _ any, args []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.RemoveChild(ctx, args[0]); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "removed child %s and revoked its certificates\n", safe(args[0]))
	return nil
}

func runPublisherAdd(ctx context.Context, c *cli, _ any, args []string) error {
	req, err := readRequestFile(c, args[1])
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	a, err := cl.AddPublisher(ctx, api.PublisherAdd{Name: args[0], Request: req})
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprint(c.stdout, a.RepositoryResponse)
	return nil
}

func runPublisherList(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.Publishers(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	t := newTable(c.stdout)
	fmt.Fprintln(t, "NAME\tSIA-BASE\tOBJECTS\tLAST-CONTACT")
	for _, p := range l.Publishers {
		fmt.Fprintf(t, "%s\t%s\t%d\t%s\n", safe(p.Name), safe(p.SIABase), p.Objects, fmtTimePtr(p.LastContact))
	}
	t.Flush()
	return nil
}

func runPublisherRemove(ctx context.Context, c *cli, _ any, args []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.RemovePublisher(ctx, args[0]); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "removed publisher %s and withdrew its objects\n", safe(args[0]))
	return nil
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}
