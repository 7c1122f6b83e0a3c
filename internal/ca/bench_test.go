package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/store"
)

// BenchmarkIssue1000ROAsCold issues 1,000 ROAs in one change from an empty
// key pool. Compare with BenchmarkBoundKeygenTwoSigs (the cost per ROA of one
// RSA-2048 key generation and two signatures, spread over every core): the
// ratio bound/issue is the efficiency (goal >= 0.8).
func BenchmarkIssue1000ROAsCold(b *testing.B) {
	for range b.N {
		b.StopTimer()
		clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
		c, st := newTestCA(b, clk)
		var adds []NewROA
		for i := range 1000 {
			p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), 48)
			adds = append(adds, NewROA{VRP: mustVRP(b, fmt.Sprintf("%s => AS64496", p))})
		}
		b.StartTimer()
		err := st.Update(context.Background(), func(tx *store.Tx) error {
			_, err := c.ApplyChange(context.Background(), tx, adds, nil)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "us/roa")
}

// BenchmarkBoundKeygenTwoSigs is the anchor: 1,000 × (RSA-2048 key
// generation + two PKCS#1 v1.5 SHA-256 signatures) on every core.
func BenchmarkBoundKeygenTwoSigs(b *testing.B) {
	signer, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("tbs"))
	for range b.N {
		work := make(chan struct{}, 1000)
		for range 1000 {
			work <- struct{}{}
		}
		close(work)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					k, err := rsa.GenerateKey(rand.Reader, 2048)
					if err != nil {
						panic(err)
					}
					if _, err := rsa.SignPKCS1v15(nil, signer, crypto.SHA256, digest[:]); err != nil {
						panic(err)
					}
					if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "us/roa")
}
