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
		c, st, adds := coldCA(b, benchROAs)
		b.StartTimer()
		issueAll(b, c, st, adds)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/benchROAs, "us/roa")
}

const benchROAs = 1000

// coldCA is a fresh CA with an empty key pool and n ROAs to add.
func coldCA(b *testing.B, n int) (*CA, *store.Store, []NewROA) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(b, clk)
	var adds []NewROA
	for i := range n {
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), 48)
		adds = append(adds, NewROA{VRP: mustVRP(b, fmt.Sprintf("%s => AS64496", p))})
	}
	return c, st, adds
}

func issueAll(b *testing.B, c *CA, st *store.Store, adds []NewROA) {
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := c.ApplyChange(context.Background(), tx, adds, nil)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIssueVsBound measures, in the same run and alternating so that
// the noisy machine affects both alike, issuing 1,000 ROAs from cold and the
// bound of 1,000 × (key generation + two signatures) on every core, and
// reports bound/issue (the efficiency; goal >= 0.8).
func BenchmarkIssueVsBound(b *testing.B) {
	var issue, bound time.Duration
	signer := benchSigner(b)
	for range b.N {
		c, st, adds := coldCA(b, benchROAs)
		start := time.Now()
		issueAll(b, c, st, adds)
		issue += time.Since(start)
		start = time.Now()
		boundWork(signer, benchROAs)
		bound += time.Since(start)
	}
	b.ReportMetric(float64(issue.Microseconds())/float64(b.N)/benchROAs, "issue-us/roa")
	b.ReportMetric(float64(bound.Microseconds())/float64(b.N)/benchROAs, "bound-us/roa")
	b.ReportMetric(float64(bound)/float64(issue), "efficiency")
}

// BenchmarkBoundKeygenTwoSigs is the anchor: 1,000 × (RSA-2048 key
// generation + two PKCS#1 v1.5 SHA-256 signatures) on every core.
func BenchmarkBoundKeygenTwoSigs(b *testing.B) {
	signer := benchSigner(b)
	b.ResetTimer()
	for range b.N {
		boundWork(signer, benchROAs)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/benchROAs, "us/roa")
}

// boundWork does n × (RSA-2048 key generation + two signatures, one with
// signer as the CA's signature on the EE, one with the new key as the EE's
// signature on the object) on every core.
func boundWork(signer *rsa.PrivateKey, n int) {
	digest := sha256.Sum256([]byte("tbs"))
	work := make(chan struct{}, n)
	for range n {
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

func benchSigner(b *testing.B) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	return k
}
