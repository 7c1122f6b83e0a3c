package ca

import (
	"context"
	"testing"
)

// A held pool's filler starts no key until every Hold is released; Get
// still hands out keys; Close does not wait for a release.
func TestKeyPoolHold(t *testing.T) {
	p := NewKeyPool(1)
	r1, r2 := p.Hold(), p.Hold()
	resumed := make(chan bool, 1)
	go func() { resumed <- p.waitUnheld() }()
	r1()
	r1() // a second call of the same release is a no-op
	select {
	case <-resumed:
		t.Fatal("the filler resumed with one Hold still in force")
	default:
	}
	r2()
	if !<-resumed {
		t.Fatal("waitUnheld reported a closed pool")
	}
	if k, err := p.Get(context.Background()); err != nil || k.N.BitLen() != KeyBits {
		t.Fatalf("Get while empty: %v", err)
	}
	release := p.Hold()
	p.Start()
	p.Close() // the filler waits on the Hold: Close must still stop it
	release()
	if p.Ready() != 0 {
		t.Errorf("a held filler generated %d key(s)", p.Ready())
	}
}
