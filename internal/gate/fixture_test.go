package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

const (
	rsyncBase = "rsync://127.0.0.1:8873/repo/"
	rrdpBase  = "https://127.0.0.1:8443/rrdp/"
)

// fixture is road's publication path without the daemon: the real CA on
// SQLite, the real publisher, and a Guard between stage and commit. inject,
// when set, damages the staged tree before the guard sees it.
type fixture struct {
	t     testing.TB
	dir   string
	st    *store.Store
	ca    *ca.CA
	pub   *publish.Publisher
	guard *Guard

	mu     sync.Mutex
	now    time.Time
	inject func(stagedDir string)
	alarms chan any // what the guard posted to the alert webhook
}

func (f *fixture) alert(_ context.Context, v any) error {
	f.alarms <- v
	return nil
}

var testStart = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// newFixture opens the CA and the publication in dir (a fresh one when
// ""), with the gate configured by p.
func newFixture(t testing.TB, dir string, p config.Publish) *fixture {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx := context.Background()
	f := &fixture{t: t, dir: dir, now: testStart, alarms: make(chan any, 16)}
	var err error
	if f.st, err = store.Open(ctx, filepath.Join(dir, "road.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	pool := ca.NewKeyPool(0)
	f.ca, err = ca.New(ca.Config{RsyncBase: rsyncBase, RRDPBase: rrdpBase, TAURIs: []string{"https://127.0.0.1:8443/ta/ta.cer"},
		IP: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("192.0.2.0/24")},
		AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Clock: f.clock, Keys: pool}, f.st)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ca.Init(ctx); err != nil {
		t.Fatal(err)
	}
	tal, err := f.ca.TAL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "road.tal"), tal.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	var floor publish.State
	if err := f.st.View(ctx, func(tx *store.Tx) error {
		floor.Session, floor.Serial, err = tx.Publication()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.Publish, c.DataDir, c.RsyncBase = p, dir, rsyncBase
	f.guard = NewGuard(Setup(c, GuardConfig{TAL: f.ca.TAL, Want: f.configured, Store: f.st, Clock: f.clock, Publish: f.publish, Alert: f.alert}))
	check := func(ctx context.Context, s *publish.Staged) error {
		if f.inject != nil {
			f.inject(s.RsyncDir())
		}
		return f.guard.Check(ctx, s)
	}
	if f.pub, err = publish.Open(publish.Options{Dir: dir, RRDPBase: rrdpBase, RsyncBase: rsyncBase, Clock: f.clock,
		Floor: floor, Check: check}); err != nil {
		t.Fatal(err)
	}
	f.guard.Start(floor, f.pub)
	return f
}

func defaults() config.Publish { return config.Default().Publish }

func (f *fixture) configured(ctx context.Context) (vrp.Set, error) {
	var want []vrp.VRP
	err := f.st.View(ctx, func(tx *store.Tx) error {
		roas, err := tx.ROAs()
		for _, r := range roas {
			want = append(want, r.VRP)
		}
		return err
	})
	return vrp.NewSet(want), err
}

// publish publishes what the database holds and records the serial, as
// the daemon does.
func (f *fixture) publish(ctx context.Context) error {
	var objs []store.Object
	if err := f.st.View(ctx, func(tx *store.Tx) error {
		var err error
		objs, err = tx.Objects("")
		return err
	}); err != nil {
		return err
	}
	var pobjs []publish.Object
	for _, o := range objs {
		pobjs = append(pobjs, publish.Object{URI: o.URI, Data: o.DER, Time: o.SigningTime})
	}
	res, err := f.pub.Publish(ctx, pobjs)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error { return tx.SetPublication(res.Session, res.Serial) })
}

// change configures and signs ROAs in the database (no publication).
func (f *fixture) change(add, remove []string) {
	f.t.Helper()
	var adds []ca.NewROA
	var rems []vrp.VRP
	for _, s := range add {
		adds = append(adds, ca.NewROA{VRP: mustVRP(f.t, s)})
	}
	for _, s := range remove {
		rems = append(rems, mustVRP(f.t, s))
	}
	if err := f.st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := f.ca.ApplyChange(context.Background(), tx, adds, rems)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
}

func mustVRP(t testing.TB, s string) vrp.VRP {
	t.Helper()
	v, err := vrp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// roas are n ROAs in 2001:db8::/32, from the first'th on.
func roas(first, n int) []string {
	var out []string
	for i := first; i < first+n; i++ {
		out = append(out, fmt.Sprintf("2001:db8:%x::/48 => AS64496", i))
	}
	return out
}

// liveFiles hashes every file relying parties can see: Dir/rrdp and the
// live rsync tree, by path.
func liveFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{"rrdp", filepath.Join("rsync", "current")} {
		root := filepath.Join(dir, sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return nil // nothing published yet
			}
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			st, _ := d.Info()
			h := sha256.Sum256(b)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = hex.EncodeToString(h[:]) + " " + st.ModTime().UTC().Format(time.RFC3339Nano)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sameFiles(a, b map[string]string) string {
	for k, v := range a {
		if b[k] != v {
			return fmt.Sprintf("%s: %q became %q", k, v, b[k])
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return k + " appeared"
		}
	}
	return ""
}
