package rp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// HTTPS for the RRDP client: the bounded GET and TA certificates.

// NewHTTPClient returns an HTTPS client trusting the PEM certificates in
// caFile (empty: the system roots), with an overall timeout per request.
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := readBounded(caFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	tr := &http.Transport{TLSClientConfig: cfg, Proxy: nil, MaxIdleConnsPerHost: 4, ResponseHeaderTimeout: timeout}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) >= 3 {
				return errors.New("redirect refused")
			}
			return nil
		}}, nil
}

// boundedReader fails once more than max bytes are read.
type boundedReader struct {
	r    io.Reader
	left int64
	uri  string
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, reject(ReasonTooLarge, "%s: above the size bound", b.uri)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

type readCloser struct {
	io.Reader
	io.Closer
}

// get fetches uri (HTTP 200 only; 304 when ims is set and unchanged).
func (c *RRDPClient) get(ctx context.Context, uri string, max int64, ims string) (io.ReadCloser, string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, "", false, reject(ReasonBadURI, "%q: %v", uri, err)
	}
	req.Header.Set("User-Agent", c.UserAgent)
	if ims != "" {
		req.Header.Set("If-Modified-Since", ims) // RFC 8182 §3.4.4
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", false, ctx.Err()
		}
		return nil, "", false, &RejectError{Reason: ReasonRRDPFetch, Err: err}
	}
	if resp.StatusCode == http.StatusNotModified && ims != "" {
		resp.Body.Close()
		return nil, "", true, nil
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", false, reject(ReasonRRDPFetch, "%s: HTTP %s", uri, resp.Status)
	}
	if resp.ContentLength > max {
		resp.Body.Close()
		return nil, "", false, reject(ReasonTooLarge, "%s: %d bytes, bound %d", uri, resp.ContentLength, max)
	}
	return readCloser{&boundedReader{r: resp.Body, left: max, uri: uri}, resp.Body}, resp.Header.Get("Last-Modified"), false, nil
}

// FetchTA downloads a TA certificate named by an https TAL URI to where
// Validate looks for it (CACHE/host/path), bounded by max bytes. The copy
// in the cache is replaced only by a certificate that parses and carries
// the TAL's key spki (RFC 8630 §3), so a bad answer cannot destroy a good
// cached TA.
func (c *RRDPClient) FetchTA(ctx context.Context, uri string, max int64, spki []byte) error {
	c.defaults()
	rest, ok := strings.CutPrefix(uri, "https://")
	if !ok {
		return reject(ReasonBadURI, "%q is not https", uri)
	}
	rel, err := splitRsyncURI("rsync://" + rest)
	if err != nil {
		return err
	}
	body, _, _, err := c.get(ctx, uri, max, "")
	if err != nil {
		return err
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return asReject(ReasonRRDPFetch, err)
	}
	cert, err := rpki.ParseCertificate(b)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: fmt.Errorf("%s: %w", uri, err)}
	}
	if !bytes.Equal(cert.RawSubjectPublicKeyInfo, spki) {
		return reject(ReasonTAKeyMismatch, "%s: subjectPublicKeyInfo differs from the TAL's (RFC 8630 §3)", uri)
	}
	return writeAtomic(filepath.Join(c.Cache, filepath.FromSlash(rel)), b)
}
