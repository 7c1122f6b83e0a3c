package publish

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLastPublish: LastPublish reports the end and the error of the last
// Publish, a failed one included, and a later success clears the error.
func TestLastPublish(t *testing.T) {
	clk := newClock()
	p := openTest(t, testOptions(t.TempDir(), clk))
	if at, err := p.LastPublish(); !at.IsZero() || err != nil {
		t.Fatalf("before any publish: %v %v", at, err)
	}
	mustPublish(t, p, obj("a.cer", "A", 1))
	if at, err := p.LastPublish(); !at.Equal(clk.Now()) || err != nil {
		t.Fatalf("after a publish: %v %v", at, err)
	}
	clk.Add(time.Minute)
	_, perr := p.Publish(context.Background(), []Object{{URI: "rsync://other.example/repo/a.cer", Data: []byte("x")}})
	if at, err := p.LastPublish(); !at.Equal(clk.Now()) || !errors.Is(err, ErrBadURI) || err != perr {
		t.Fatalf("after a refused publish: %v %v (Publish said %v)", at, err, perr)
	}
	clk.Add(time.Minute)
	mustPublish(t, p, obj("a.cer", "A", 1))
	if at, err := p.LastPublish(); !at.Equal(clk.Now()) || err != nil {
		t.Fatalf("after the next publish: %v %v", at, err)
	}
}
