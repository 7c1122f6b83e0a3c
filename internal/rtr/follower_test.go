package rtr

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/vrp"
)

type recorder struct {
	mu    sync.Mutex
	calls []vrp.Set
}

func (r *recorder) Update(v vrp.Set, _ []vrp.ASPA) (uint32, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, v)
	return uint32(len(r.calls)), true
}

func doc(build string, roas ...string) string {
	return `{"metadata":{"buildtime":"` + build + `"},"roas":[` + strings.Join(roas, ",") + `]}`
}

func TestFollowerURL(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	body := doc("2026-11-23T11:00:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":1}`)
	var mu sync.Mutex
	var seenINM []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seenINM = append(seenINM, r.Header.Get("If-None-Match"))
		etag := `"` + strconv.Itoa(len(body)) + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	rec := &recorder{}
	f := &Follower{Source: srv.URL, MaxAge: 24 * time.Hour, Target: rec, Clock: func() time.Time { return now }}
	ctx := context.Background()
	if ch, err := f.Poll(ctx); err != nil || !ch {
		t.Fatalf("first poll: %v %v", ch, err)
	}
	if ch, err := f.Poll(ctx); err != nil || ch {
		t.Fatalf("second poll must be 304: %v %v", ch, err)
	}
	mu.Lock()
	body = doc("2026-11-23T11:30:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":1}`, `{"prefix":"198.51.100.0/24","maxLength":24,"asn":2}`)
	mu.Unlock()
	if ch, err := f.Poll(ctx); err != nil || !ch {
		t.Fatalf("third poll: %v %v", ch, err)
	}
	if len(rec.calls) != 2 || len(rec.calls[1]) != 2 {
		t.Fatalf("updates %v", rec.calls)
	}
	if seenINM[0] != "" || seenINM[1] == "" {
		t.Fatalf("If-None-Match not used: %q", seenINM)
	}
	// Too old: refused, previous data kept.
	mu.Lock()
	body = doc("2026-11-20T00:00:00Z")
	mu.Unlock()
	if _, err := f.Poll(ctx); !errors.Is(err, ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	if len(rec.calls) != 2 {
		t.Fatal("stale data reached the server")
	}
}

func TestFollowerFileAndFilter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vrps.json")
	os.WriteFile(p, []byte(doc("2026-11-23T11:00:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":1}`)), 0o644)
	rec := &recorder{}
	f := &Follower{Source: p, Target: rec, Filter: func(v vrp.Set, a []vrp.ASPA) (vrp.Set, []vrp.ASPA, error) {
		return append(v, vrp.VRP{Prefix: mustPrefix("203.0.113.0/24"), MaxLen: 24, ASN: 9}), a, nil
	}}
	if ch, err := f.Poll(context.Background()); err != nil || !ch || len(rec.calls[0]) != 2 {
		t.Fatalf("file poll: %v %v %v", ch, err, rec.calls)
	}
	if ch, _ := f.Poll(context.Background()); ch {
		t.Fatal("unchanged file re-read")
	}
	f.Filter = func(v vrp.Set, a []vrp.ASPA) (vrp.Set, []vrp.ASPA, error) {
		return nil, nil, errors.New("slurm broken")
	}
	os.WriteFile(p, []byte(doc("2026-11-23T11:00:00Z")), 0o644)
	os.Chtimes(p, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if _, err := f.Poll(context.Background()); err == nil || len(rec.calls) != 1 {
		t.Fatalf("filter error must keep old data: %v", err)
	}
	f.Source = filepath.Join(t.TempDir(), "missing.json")
	if _, err := f.Poll(context.Background()); !errors.Is(err, ErrSource) {
		t.Fatalf("missing: %v", err)
	}
}

// TestFollowerWithdrawsStaleData: when the source stops delivering fresh
// data, the server stops serving once the data exceeds MaxAge.
func TestFollowerWithdrawsStaleData(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := filepath.Join(t.TempDir(), "vrps.json")
	os.WriteFile(p, []byte(doc("2026-11-23T11:00:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":1}`)), 0o644)
	s, addr := testServer(t, Config{Clock: clock})
	f := &Follower{Source: p, MaxAge: 2 * time.Hour, Target: s, Clock: clock}
	if _, err := f.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	r := c.query(AppendResetQuery(nil, 1))
	if len(r.ann) != 1 {
		t.Fatalf("%+v", r)
	}
	mu.Lock()
	now = now.Add(30 * time.Minute)
	mu.Unlock()
	f.Poll(context.Background()) // unchanged file, data 1.5h old: still served
	if !s.Status().HasData {
		t.Fatal("withdrawn too early")
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	f.Poll(context.Background()) // 2.5h old: withdrawn, router disconnected
	if s.Status().HasData {
		t.Fatal("stale data still served")
	}
	if _, err := c.next(); err == nil {
		t.Fatal("router not disconnected")
	}
	if r := dial(t, addr).query(AppendResetQuery(nil, 1)); r.errPDU == nil || r.errPDU.Field != ErrNoData {
		t.Fatalf("want No Data after withdrawal: %+v", r)
	}
	// Fresh data again: a new serial; the old serial gets a Cache Reset.
	os.WriteFile(p, []byte(doc("2026-11-23T13:00:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":2}`)), 0o644)
	os.Chtimes(p, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if ch, err := f.Poll(context.Background()); err != nil || !ch {
		t.Fatalf("reload: %v %v", ch, err)
	}
	if st := s.Status(); st.Serial != r.serial+1 {
		t.Fatalf("serial %d after %d", st.Serial, r.serial)
	}
	if d := dial(t, addr).query(AppendSerialQuery(nil, 1, r.session, r.serial)); !d.reset {
		t.Fatalf("want Cache Reset: %+v", d)
	}
}

// TestFollowerReappliesChangedSLURM: editing the SLURM file (a Watch file)
// changes what is served at the next poll, though the VRP source did not
// change; a broken edit keeps the served data (RFC 8416 §4.1 atomicity).
func TestFollowerReappliesChangedSLURM(t *testing.T) {
	dir := t.TempDir()
	src, sl := filepath.Join(dir, "vrps.json"), filepath.Join(dir, "slurm.json")
	os.WriteFile(src, []byte(doc("2026-11-23T11:00:00Z", `{"prefix":"192.0.2.0/24","maxLength":24,"asn":1}`,
		`{"prefix":"198.51.100.0/24","maxLength":24,"asn":2}`)), 0o644)
	writeSLURM := func(filters, assertions string, age time.Duration) {
		os.WriteFile(sl, []byte(`{"slurmVersion":1,"validationOutputFilters":{"prefixFilters":[`+filters+`],"bgpsecFilters":[]},`+
			`"locallyAddedAssertions":{"prefixAssertions":[`+assertions+`],"bgpsecAssertions":[]}}`), 0o644)
		os.Chtimes(sl, time.Now().Add(age), time.Now().Add(age))
	}
	writeSLURM("", "", 0)
	rec := &recorder{}
	f := &Follower{Source: src, Target: rec, Watch: []string{sl}, Filter: func(v vrp.Set, a []vrp.ASPA) (vrp.Set, []vrp.ASPA, error) {
		s, err := slurm.LoadFile(sl)
		if err != nil {
			return nil, nil, err
		}
		v, a = s.Apply(v, a)
		return v, a, nil
	}}
	ctx := context.Background()
	want := func(step string, ss ...string) {
		t.Helper()
		last := rec.calls[len(rec.calls)-1]
		if got, w := normLines(last), normLines(set(t, ss...)); got != w {
			t.Fatalf("%s: served\n%s\nwant\n%s", step, got, w)
		}
	}
	if ch, err := f.Poll(ctx); err != nil || !ch {
		t.Fatalf("first poll: %v %v", ch, err)
	}
	want("initial", "192.0.2.0/24 => AS1", "198.51.100.0/24 => AS2")
	if ch, _ := f.Poll(ctx); ch || len(rec.calls) != 1 {
		t.Fatal("nothing changed, yet the target was updated")
	}
	writeSLURM(`{"asn":2}`, `{"prefix":"203.0.113.0/24","asn":3}`, time.Minute)
	if ch, err := f.Poll(ctx); err != nil || !ch {
		t.Fatalf("after the SLURM edit: %v %v", ch, err)
	}
	want("filtered", "192.0.2.0/24 => AS1", "203.0.113.0/24 => AS3")
	os.WriteFile(sl, []byte(`{"slurmVersion":2}`), 0o644)
	os.Chtimes(sl, time.Now().Add(2*time.Minute), time.Now().Add(2*time.Minute))
	if _, err := f.Poll(ctx); !errors.Is(err, slurm.ErrSLURM) || len(rec.calls) != 2 {
		t.Fatalf("broken SLURM: %v, %d updates", err, len(rec.calls))
	}
	writeSLURM("", "", 3*time.Minute)
	if ch, err := f.Poll(ctx); err != nil || !ch {
		t.Fatalf("after the fix: %v %v", ch, err)
	}
	want("unfiltered again", "192.0.2.0/24 => AS1", "198.51.100.0/24 => AS2")
}
