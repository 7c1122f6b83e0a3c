package rp

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// TestCorruptionsAgainstRPKIClient damages road's publication the way
// TestCorruptions does and serves it over rsync: rpki-client 8.2 must drop
// the same VRPs this RP drops. Where the two differ by design, the case
// says so and pins both outcomes.
func TestCorruptionsAgainstRPKIClient(t *testing.T) {
	testpeers.Require(t, "rpki-client", "rsync")
	base := worldReadableDir(t)
	served := filepath.Join(base, "served")
	port := testpeers.StartRsyncd(t, served, "repo")
	r := buildRepo(t, base, time.Now, port, testROAs...)
	pristine := t.TempDir()
	copyTree(t, r.cacheRoot(), pristine)
	all := mustVRPs(t, testROAs...)
	victim := "198.51.100.0/24-25 => AS64497"
	without := slices.DeleteFunc(slices.Clone(all), func(x vrp.VRP) bool { return x == mustVRPs(t, victim)[0] })
	now := time.Now()
	cases := []struct {
		name     string
		damage   func(t *testing.T)
		want     vrp.Set // this RP
		wantRPKI vrp.Set // rpki-client, when it differs by design
	}{
		{"pristine", func(t *testing.T) {}, all, nil},
		{"ROA signature flipped, manifest re-signed", func(t *testing.T) {
			flipLastByte(t, r.file(r.roaURI(t, victim)))
			r.resignManifest(t, func(*rpki.Manifest) {})
		}, without, nil},
		{"ROA dropped from the manifest", func(t *testing.T) {
			name := filepath.Base(r.roaURI(t, victim))
			r.resignManifest(t, func(m *rpki.Manifest) {
				m.Files = slices.DeleteFunc(m.Files, func(f rpki.FileAndHash) bool { return f.Name == name })
			})
		}, without, nil},
		{"listed ROA deleted", func(t *testing.T) {
			os.Remove(r.file(r.roaURI(t, victim)))
		}, vrp.Set{}, nil},
		{"ROA byte flipped (hash mismatch)", func(t *testing.T) {
			flipLastByte(t, r.file(r.roaURI(t, victim)))
		}, vrp.Set{}, nil},
		{"manifest expired", func(t *testing.T) {
			r.resignManifest(t, func(m *rpki.Manifest) { m.NextUpdate = now.Add(-time.Minute) })
		}, vrp.Set{}, nil},
		{"CRL stale", func(t *testing.T) {
			r.resignCRL(t, now.Add(-time.Hour), now.Add(-time.Minute))
		}, vrp.Set{}, nil},
		{"ROA revoked", func(t *testing.T) {
			so, _, _ := rpki.ParseROAObject(r.objs[r.roaURI(t, victim)].DER)
			r.resignCRL(t, now.Add(-time.Minute), now.Add(time.Hour), so.EE.SerialNumber)
		}, without, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.RemoveAll(r.cacheRoot())
			copyTree(t, pristine, r.cacheRoot())
			c.damage(t)
			os.RemoveAll(served)
			copyTree(t, r.cacheRoot(), served)
			ours := r.validate(t, time.Now())
			if got := ours.Set(); !slices.Equal(got, c.want) {
				t.Errorf("road RP: %v\nwant %v (rejected %v)", got, c.want, r.rejections(ours))
			}
			rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: r.talPath, RsyncOnly: true,
				Hosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
			want := c.want
			if c.wantRPKI != nil {
				want = c.wantRPKI
			}
			if got := vrp.Set(rc.VRPs); !slices.Equal(got, want) {
				t.Errorf("rpki-client: %v\nwant %v\n%s", got, want, rc.Log)
			}
		})
	}
}
