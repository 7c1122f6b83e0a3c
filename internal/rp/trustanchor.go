package rp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"slices"
	"strings"
)

func taLabel(t TAL) string {
	if t.TAL != nil && len(t.TAL.URIs) > 0 {
		return t.TAL.URIs[0]
	}
	return t.Name + ".tal"
}

// taCandidates are the cache paths where a TA certificate named by a TAL
// URI may be: the rsync mapping, an https mapping (host/path) and
// rpki-client's ta/NAME/FILE.
func (r *run) taCandidates(name, uri string) []string {
	var out []string
	if strings.HasPrefix(uri, "rsync://") {
		if p, err := r.c.path(uri); err == nil {
			out = append(out, p)
		}
		// A TA certificate also published over RRDP may be in any synced
		// repository's tree; it must still carry the TAL's key.
		if rel, err := splitRsyncURI(uri); err == nil {
			states, _ := filepath.Glob(filepath.Join(r.o.Cache, ".rrdp", "*.json"))
			slices.Sort(states)
			for i, st := range states {
				if i >= 1000 {
					break
				}
				out = append(out, filepath.Join(strings.TrimSuffix(st, ".json"), filepath.FromSlash(rel)))
			}
		}
	} else if rest, ok := strings.CutPrefix(uri, "https://"); ok {
		if _, err := splitRsyncURI("rsync://" + rest); err == nil {
			out = append(out, filepath.Join(r.c.root, filepath.FromSlash(rest)))
		}
	}
	base := uri[strings.LastIndexByte(uri, '/')+1:]
	if name != "" && base != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".." &&
		base != "." && base != ".." {
		out = append(out, filepath.Join(r.c.root, "ta", name, base))
	}
	return out
}

// trustAnchor validates the TA certificate of t (RFC 8630 §3) and walks
// its tree.
func (r *run) trustAnchor(ctx context.Context, t TAL) error {
	if t.TAL == nil {
		return reject(ReasonBadTAL, "no TAL")
	}
	r.fetchTA(ctx, t)
	var der []byte
	var uri string
	for _, u := range t.TAL.URIs {
		for _, p := range r.taCandidates(t.Name, u) {
			b, err := readCacheFile(p, r.o.MaxFileSize)
			if err == nil {
				der, uri = b, u
				break
			}
			if !errors.Is(err, errNotFound) {
				return asReject(ReasonTAMissing, err)
			}
		}
		if der != nil {
			break
		}
	}
	if der == nil {
		return reject(ReasonTAMissing, "no TA certificate in the cache for %s", strings.Join(t.TAL.URIs, ", "))
	}
	c, err := r.o.Memo.parseCertificate(der, sha256.Sum256(der))
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	// RFC 8630 §3: the public key must be the TAL's.
	if !bytes.Equal(c.RawSubjectPublicKeyInfo, t.TAL.SPKI) {
		return reject(ReasonTAKeyMismatch, "%s: subjectPublicKeyInfo differs from the TAL's (RFC 8630 §3)", uri)
	}
	if !c.SelfSigned() || !c.IsCA {
		return reject(ReasonProfile, "%s: TA certificate is not a self-signed CA certificate", uri)
	}
	if err := r.o.Memo.checkSignature(c, c); err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	if err := r.checkTime(c); err != nil {
		return err
	}
	// RFC 8630 §2.3 / RFC 6487 §7.1: a TA's resources are explicit.
	if (c.IP != nil && (inheritFam(c.IP.V4) || inheritFam(c.IP.V6))) || (c.AS != nil && c.AS.Inherit) {
		return reject(ReasonProfile, "TA certificate uses inherit (RFC 8630 §2.3)")
	}
	node := &caNode{cert: c, uri: uri, expires: c.NotAfter, ta: t.Name, keys: []string{hex.EncodeToString(c.SKI)}, as: c.AS}
	if c.IP != nil {
		node.ip = *c.IP
	}
	r.count(func(s *Stats) { s.Certificates++ })
	r.mu.Lock()
	r.cas++
	r.mu.Unlock()
	r.accepted(uri)
	r.walk.push(func() { r.publicationPoint(ctx, node) })
	return nil
}
