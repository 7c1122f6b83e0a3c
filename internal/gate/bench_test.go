package gate

import (
	"context"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rp"
)

// BenchmarkCheck1000 is Gate.Check alone on a staged tree of 1,000 ROAs
// where each change adds one ROA (a new ROA, manifest and CRL), as the
// daemon's BenchmarkROAChangeGate does it: the real CA and publisher, the
// gate called between stage and commit with a Memo kept across checks.
// Signing and staging are not timed; the p50/p90 of Check are reported.
func BenchmarkCheck1000(b *testing.B) {
	const nROAs = 1000
	p := defaults()
	p.Gate = false // the guard keeps the invariants; the timed gate runs below
	f := newFixture(b, "", p)
	f.change(roas(0, nROAs), nil)
	ctx := context.Background()
	if err := f.publish(ctx); err != nil {
		b.Fatal(err)
	}
	g := New(Config{RsyncBase: rsyncBase, TAL: f.ca.TAL, WorkDir: filepath.Join(f.dir, "gate"), Memo: &rp.Memo{}})
	var lat, cpu []time.Duration
	phase := "warming"
	var checkErr error
	f.inject = func(dir string) {
		want, err := f.configured(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime(b)
		// Labelled for -cpuprofile (pprof -tagfocus=check=timed): the
		// warming check is not.
		pprof.Do(ctx, pprof.Labels("check", phase), func(ctx context.Context) {
			checkErr = g.Check(ctx, Input{Dir: dir, Want: want, Now: f.clock()})
		})
		lat = append(lat, time.Since(start))
		cpu = append(cpu, cpuTime(b)-cpu0)
		b.StopTimer()
	}
	step := func(i int) {
		f.change(roas(nROAs+i, 1), nil)
		f.advance(time.Second)
		if err := f.publish(ctx); err != nil || checkErr != nil {
			b.Fatalf("change %d: %v / gate: %v", i, err, checkErr)
		}
	}
	step(0) // an untimed check warms the Memo, as a running daemon's is
	lat, cpu, phase = nil, nil, "timed"
	b.StartTimer()
	for i := 1; b.Loop(); i++ {
		b.StopTimer()
		step(i)
		b.StartTimer()
	}
	slices.Sort(lat)
	slices.Sort(cpu)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds())/1000, "cpu-p50-ms")
}

// cpuTime is the process's user and system time: with nothing else
// running in the benchmark, what Check costs on a loaded machine.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
