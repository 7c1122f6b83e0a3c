package publish

import (
	"context"
	"crypto/rand"
	"fmt"
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
// 1,000 objects: delta + new snapshot + notification, 999 hard links.
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
