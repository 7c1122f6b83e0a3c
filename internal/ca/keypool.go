package ca

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

// KeyBits is the RSA modulus size (RFC 7935 §3: 2048 bits, e = 65537).
const KeyBits = 2048

// KeyPool hands out fresh RSA-2048 keys. A background goroutine keeps up to
// Size keys ready so that a ROA change does not wait for key generation
// (about 100 ms each here); when the pool is empty Get generates inline, so
// callers working in parallel use every core.
type KeyPool struct {
	keys chan *rsa.PrivateKey
	once sync.Once
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	held   int           // Holds not yet released
	resume chan struct{} // closed when held drops to 0
}

// NewKeyPool returns a pool that keeps up to size keys ready. Call Start to
// begin filling it in the background and Close to stop.
func NewKeyPool(size int) *KeyPool {
	if size < 0 {
		size = 0
	}
	return &KeyPool{keys: make(chan *rsa.PrivateKey, size), stop: make(chan struct{}), done: make(chan struct{})}
}

// Start fills the pool in the background with one goroutine (so it never
// takes more than one core from the daemon's real work).
func (p *KeyPool) Start() {
	p.once.Do(func() {
		go func() {
			defer close(p.done)
			for {
				select {
				case <-p.stop:
					return
				default:
				}
				if !p.waitUnheld() {
					return
				}
				k, err := rsa.GenerateKey(rand.Reader, KeyBits)
				if err != nil {
					continue
				}
				select {
				case p.keys <- k:
				case <-p.stop:
					return
				}
			}
		}()
	})
}

// Hold keeps the background filler from starting another key until release
// is called (each Hold its own release; safe to call twice). A change in
// flight holds it: generating a key takes a core for about 100 ms, which a
// change on a small machine needs for signing and its gate's two relying
// party runs. Get still works meanwhile (inline when the pool is empty).
func (p *KeyPool) Hold() (release func()) {
	p.mu.Lock()
	if p.held == 0 {
		p.resume = make(chan struct{})
	}
	p.held++
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.held--; p.held == 0 {
				close(p.resume)
			}
			p.mu.Unlock()
		})
	}
}

// waitUnheld waits until no Hold is in force; false when the pool closes.
func (p *KeyPool) waitUnheld() bool {
	for {
		p.mu.Lock()
		held, resume := p.held, p.resume
		p.mu.Unlock()
		if held == 0 {
			return true
		}
		select {
		case <-resume:
		case <-p.stop:
			return false
		}
	}
}

// Close stops the background filler and waits for it.
func (p *KeyPool) Close() {
	select {
	case <-p.stop:
		return
	default:
		close(p.stop)
	}
	p.once.Do(func() { close(p.done) })
	<-p.done
}

// Ready is the number of keys waiting in the pool.
func (p *KeyPool) Ready() int { return len(p.keys) }

// Get returns a key that was never handed out before: a pooled one when
// available, else a freshly generated one.
func (p *KeyPool) Get(ctx context.Context) (*rsa.PrivateKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case k := <-p.keys:
		return k, nil
	default:
	}
	return rsa.GenerateKey(rand.Reader, KeyBits)
}
