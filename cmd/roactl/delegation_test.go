package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// TestPrintPeers: parent list shows each parent with its classes (the
// CA's marked), repository list the sia_base; status has one line per
// parent and repository with last contact and error.
func TestPrintPeers(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	parents := []api.Peer{{Name: "A", PeerHandle: "ripe", ServiceURI: "https://rpki.example/updown", LastContact: t0,
		Classes: []api.ParentClass{{Name: "default", Resources: "AS64500, 192.0.2.0/24", CertNotAfter: t0.AddDate(1, 0, 0), Active: true}}},
		{Name: "B", PeerHandle: "nic", ServiceURI: "http://127.0.0.1:1/rfc6492/x", LastError: "parent-unreachable: refused"}}
	repos := []api.Peer{{Name: "R", SIABase: "rsync://repo.example/B/", ServiceURI: "https://repo.example/rfc8181/B", LastContact: t0}}
	var b bytes.Buffer
	printPeers(&b, "parents", parents)
	printPeers(&b, "repositories", repos)
	want := "" +
		"NAME  PARENT  SERVICE                       LAST-CONTACT          LAST-ERROR\n" +
		"A     ripe    https://rpki.example/updown   2026-12-03T12:00:00Z  -\n" +
		"B     nic     http://127.0.0.1:1/rfc6492/x  -                     parent-unreachable: refused\n" +
		"A class default: AS64500, 192.0.2.0/24; certificate not after 2027-12-03T12:00:00Z (the CA's certificate)\n" +
		"NAME  SIA-BASE                 SERVICE                         LAST-CONTACT          LAST-ERROR\n" +
		"R     rsync://repo.example/B/  https://repo.example/rfc8181/B  2026-12-03T12:00:00Z  -\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	b.Reset()
	printStatus(&b, &api.Status{Parents: parents, Repositories: repos})
	got := b.String()
	got = got[strings.Index(got, "parent A"):strings.Index(got, "RP ")]
	want = "" +
		"parent A              ripe at https://rpki.example/updown, last contact 2026-12-03T12:00:00Z, last error -\n" +
		"parent B              nic at http://127.0.0.1:1/rfc6492/x, last contact -, last error parent-unreachable: refused\n" +
		"repository R          rsync://repo.example/B/ at https://repo.example/rfc8181/B, last contact 2026-12-03T12:00:00Z, last error -\n"
	if got != want {
		t.Errorf("status got\n%q\nwant\n%q", got, want)
	}
}
