package proposal

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rtr"
)

// jsonServer serves an rpki-client style VRP JSON that the test replaces,
// with an ETag per version.
type jsonServer struct {
	mu      sync.Mutex
	body    string
	version int
	gets    int
}

func (j *jsonServer) set(body string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.body, j.version = body, j.version+1
}

func (j *jsonServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.gets++
	etag := fmt.Sprintf(`"v%d"`, j.version)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	fmt.Fprint(w, j.body)
}

// TestExternalStage: the external relying party's JSON records the stage
// "external" once, at its build time (else the fetch time), only when it
// holds every VRP the change added and none it removed, and only from a
// document built after the change.
func TestExternalStage(t *testing.T) {
	s, _ := newService(t)
	now := svcT0
	s.clock = func() time.Time { return now }
	ctx := context.Background()
	for _, r := range []*Request{
		{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}},
		{Add: []ROA{{Prefix: "2001:db8::/32", ASN: 64497}}},
	} {
		if res, err := s.Propose(ctx, "alice", r); err != nil || !res.Applied {
			t.Fatalf("%v %+v", err, res)
		}
	}
	js := &jsonServer{}
	srv := httptest.NewServer(js) // 127.0.0.1
	defer srv.Close()
	f := &rtr.Follower{Source: srv.URL + "/vrps.json", Target: s.External(ctx), Clock: s.clock}
	doc := func(built, roas string) string {
		meta := ""
		if built != "" {
			meta = `"metadata":{"buildtime":"` + built + `"},`
		}
		return `{` + meta + `"roas":[` + roas + `]}`
	}
	const v4 = `{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496"}`
	const v6 = `{"prefix":"2001:db8::/32","maxLength":32,"asn":"AS64497"}`
	poll := func(body string) {
		t.Helper()
		js.set(body)
		if _, err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	timeline := func(id int64) []string {
		t.Helper()
		c, err := s.Change(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range c.Timeline {
			out = append(out, e.Stage+"@"+e.At.Sub(svcT0).String())
			if e.Stage == StageExternal {
				out = append(out, e.Note)
			}
		}
		return out
	}
	now = svcT0.Add(time.Minute)
	poll(doc("2026-03-04T05:05:00Z", v4+","+v6)) // built before the changes: it cannot show them
	poll(doc("2026-03-04T05:06:37Z", v4))        // built 30s after: shows change 1, not change 2
	now = svcT0.Add(2 * time.Minute)
	poll(doc("2026-03-04T05:07:37Z", v4)) // again: once
	if got, want := timeline(1), []string{"proposed@0s", "signed@0s", "published@0s", "external@30s", "in the external VRP JSON built then"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("change 1 timeline %v, want %v", got, want)
	}
	if got, want := timeline(2), []string{"proposed@0s", "signed@0s", "published@0s"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("change 2 timeline %v, want %v", got, want)
	}
	now = svcT0.Add(3 * time.Minute)
	if _, err := f.Poll(ctx); err != nil { // unchanged (304): nothing new
		t.Fatal(err)
	}
	poll(doc("", v4+","+v6)) // no build time: the fetch time
	if got, want := timeline(2), []string{"proposed@0s", "signed@0s", "published@0s", "external@3m0s", "in the external VRP JSON fetched then (it has no metadata.buildtime)"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("change 2 timeline %v, want %v", got, want)
	}
	if js.gets != 5 {
		t.Fatalf("%d GETs, want 5", js.gets)
	}
}
