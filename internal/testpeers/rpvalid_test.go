package testpeers

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// Both RPs validate the openssl-built repository over rsync and must output
// exactly its 3 VRPs; a flipped byte in the ROA must drop them.
func TestRelyingPartiesOnValidRepository(t *testing.T) {
	Require(t, "rpki-client", "fort", "rsync", "openssl")
	pub := t.TempDir()
	port := StartRsyncd(t, pub, "repo")
	repo := buildTestRepo(t, pub, port)
	hosts := []string{fmt.Sprintf("127.0.0.1:%d", port)}

	cache := RPKIClientDir(t)
	rc := RunRPKIClient(t, RPKIClientOptions{TAL: repo.TAL, RsyncOnly: true, Hosts: hosts, CacheDir: cache})
	if !slices.Equal(rc.VRPs, repo.VRPs) || rc.ExitCode != 0 {
		t.Fatalf("rpki-client: exit %d VRPs %v, want %v\n%s", rc.ExitCode, rc.VRPs, repo.VRPs, rc.Log)
	}
	t.Logf("rpki-client: %v", rc.Duration)

	fort := RunFort(t, FortOptions{TAL: repo.TAL, RsyncOnly: true})
	if !slices.Equal(fort.VRPs, repo.VRPs) || fort.ExitCode != 0 {
		t.Fatalf("fort: exit %d VRPs %v, want %v\n%s", fort.ExitCode, fort.VRPs, repo.VRPs, fort.Log)
	}
	t.Logf("fort: %v", fort.Duration)

	// File mode against the cache the first run filled.
	out, err := RPKIClientFile(t, repo.TAL, cache, repo.ROAURI)
	if err != nil || !strings.Contains(out, "Validation: OK") || !strings.Contains(out, "192.0.2.0/24") {
		t.Errorf("rpki-client -f: %v\n%s", err, out)
	}

	out, err = RPKIClientFile(t, repo.TAL, cache, repo.ROAPath) // local path
	if err != nil || !strings.Contains(out, "Validation: OK") {
		t.Errorf("rpki-client -f local file: %v\n%s", err, out)
	}

	// Corrupt the ROA: its manifest hash no longer matches. (Fresh caches:
	// rsync's size+mtime quick check could skip a same-size file rewritten
	// within the same second.)
	b, err := os.ReadFile(repo.ROAPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	writeFile(t, repo.ROAPath, b)
	rc = RunRPKIClient(t, RPKIClientOptions{TAL: repo.TAL, RsyncOnly: true, Hosts: hosts})
	if rc.VRPs == nil || len(rc.VRPs) != 0 || !strings.Contains(rc.Log, "bad message digest for roa1.roa") {
		t.Errorf("rpki-client on corrupted ROA: VRPs %v\n%s", rc.VRPs, rc.Log)
	}
	fort = RunFort(t, FortOptions{TAL: repo.TAL, RsyncOnly: true})
	if fort.ExitCode != 22 || fort.VRPs != nil || !strings.Contains(fort.Log, "does not match its manifest hash") {
		t.Errorf("fort on corrupted ROA: exit %d VRPs %v\n%s", fort.ExitCode, fort.VRPs, fort.Log)
	}
	if out, err := RPKIClientFile(t, repo.TAL, cache, repo.ROAPath); !errors.Is(err, ErrFailed) || !strings.Contains(out, "CMS verification error") {
		t.Errorf("rpki-client -f on the corrupted ROA: %v\n%s", err, out)
	}
}
