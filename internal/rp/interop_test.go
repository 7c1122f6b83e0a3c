package rp

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// TestSameVRPsAsRPKIClientAndFORT: over the same road publication, served
// by an rsync daemon on loopback, rpki-client 8.2 and FORT 1.5 must output
// exactly the VRP set this RP outputs from the rsync tree — and this RP
// must output the same again from rpki-client's own cache directory.
func TestSameVRPsAsRPKIClientAndFORT(t *testing.T) {
	testpeers.Require(t, "rpki-client", "fort", "rsync")
	base := worldReadableDir(t)
	port := testpeers.StartRsyncd(t, filepath.Join(base, "road-data", "rsync", "current"), "repo")
	roas := append(slices.Clone(testROAs), "2001:db8:300::/48-128 => AS64501", "198.51.100.128/25 => AS64497",
		"203.0.113.0/24-24 => AS64510")
	r := buildRepo(t, base, time.Now, port, roas...)
	ours := r.validate(t, time.Now())
	want := mustVRPs(t, roas...)
	if got := ours.Set(); !slices.Equal(got, want) || len(ours.Rejected) != 0 {
		t.Fatalf("road RP: %v (rejected %v)\nwant %v", got, r.rejections(ours), want)
	}

	cache := testpeers.RPKIClientDir(t)
	rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: r.talPath, RsyncOnly: true, CacheDir: cache,
		Hosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if !slices.Equal(vrp.Set(rc.VRPs), ours.Set()) {
		t.Errorf("rpki-client: %v\nroad RP: %v\n%s", rc.VRPs, ours.Set(), rc.Log)
	}
	fort := testpeers.RunFort(t, testpeers.FortOptions{TAL: r.talPath, RsyncOnly: true})
	if !slices.Equal(vrp.Set(fort.VRPs), ours.Set()) {
		t.Errorf("FORT: %v\nroad RP: %v\n%s", fort.VRPs, ours.Set(), fort.Log)
	}
	t.Logf("%d VRPs: road RP, rpki-client and FORT agree", len(ours.VRPs))

	// rpki-client keeps the rsync data below its cache directory as
	// host:port/module/path; this RP reads that layout directly.
	var dirs []string
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		dirs = append(dirs, e.Name())
	}
	res, err := Validate(t.Context(), Options{Cache: cache}, []TAL{r.tal})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Set(); !slices.Equal(got, want) {
		t.Errorf("road RP over rpki-client's cache (%s): %v (rejected %v)", strings.Join(dirs, " "), got, r.rejections(res))
	}
}
