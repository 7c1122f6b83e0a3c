package publish

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func benchObjects(n int) []Object {
	objs := make([]Object, n)
	for i := range objs {
		data := make([]byte, 2000) // a typical ROA is ~2 KB
		rand.Read(data)
		objs[i] = Object{URI: fmt.Sprintf("%sca/roa-%05d.roa", testRsync, i), Data: data,
			Time: time.Unix(1795000000, 0)}
	}
	return objs
}

// BenchmarkPublish1000 measures the first publication of 1,000 objects
// (snapshot only, every rsync file written and fsynced).
func BenchmarkPublish1000(b *testing.B) {
	objs := benchObjects(1000)
	for b.Loop() {
		b.StopTimer()
		p := openTest(b, testOptions(b.TempDir(), newClock()))
		b.StartTimer()
		mustPublish(b, p, objs...)
	}
}

// BenchmarkPublishOneChangeOf1000 measures a 1-object change on top of
// 1,000 objects: delta + new snapshot + notification; the spare tree gets
// the changed file (and the one changed in the previous serial).
func BenchmarkPublishOneChangeOf1000(b *testing.B) {
	objs := benchObjects(1000)
	c := newClock()
	p := openTest(b, testOptions(b.TempDir(), c))
	mustPublish(b, p, objs...)
	i := 0
	for b.Loop() {
		i++
		objs[0].Data = []byte(fmt.Sprintf("change %d", i))
		c.Add(time.Second)
		if _, err := p.Publish(context.Background(), objs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen1000 measures recovery: parse notification and snapshot,
// verify the rsync tree of 1,000 objects.
func BenchmarkOpen1000(b *testing.B) {
	dir := b.TempDir()
	c := newClock()
	mustPublish(b, openTest(b, testOptions(dir, c)), benchObjects(1000)...)
	for b.Loop() {
		openTest(b, testOptions(dir, c))
	}
}

// BenchmarkROAChange1000 is one change as road makes it (a new ROA, a
// new manifest, a new CRL) on top of 1,000 objects, with a check between
// Stage and Commit that reads every staged file as the gate does. It
// reports the p50 of Stage, of Commit and of both (the publisher's share
// of a change's latency; issue 12); "nogate" commits right after Stage.
func BenchmarkROAChange1000(b *testing.B) {
	b.Run("gate", func(b *testing.B) { benchROAChange(b, true) })
	b.Run("nogate", func(b *testing.B) { benchROAChange(b, false) })
}

func benchROAChange(b *testing.B, gate bool) {
	objs := append(benchObjects(1000), Object{URI: testRsync + "ca/ca.mft"}, Object{URI: testRsync + "ca/ca.crl"})
	c := newClock()
	opts := testOptions(b.TempDir(), c)
	opts.Check = func(_ context.Context, s *Staged) error {
		for _, o := range s.Objects() {
			rel, _ := objectPath(testRsync, o.URI)
			if sha256Hex(readFile(b, filepath.Join(s.RsyncDir(), rel))) != sha256Hex(o.Data) {
				return fmt.Errorf("staged %s differs", rel)
			}
		}
		return nil
	}
	p := openTest(b, opts)
	mustPublish(b, p, objs...)
	var stage, commit, both []time.Duration
	for i := 0; b.Loop(); i++ {
		c.Add(time.Second)
		objs = append(objs, Object{URI: fmt.Sprintf("%sca/new-%05d.roa", testRsync, i), Data: make([]byte, 2000)})
		objs[1000].Data = []byte(fmt.Sprintf("manifest %d", i))
		objs[1001].Data = []byte(fmt.Sprintf("crl %d", i))
		t0 := time.Now()
		s, err := p.Stage(context.Background(), objs)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if gate {
			if err := p.opts.Check(context.Background(), s); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		if err := s.Commit(); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		stage, commit, both = append(stage, t1.Sub(t0)), append(commit, t3.Sub(t2)), append(both, t1.Sub(t0)+t3.Sub(t2))
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"stage", stage}, {"commit", commit}, {"stage+commit", both}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds())/1000, m.name+"-p50-ms")
	}
}
