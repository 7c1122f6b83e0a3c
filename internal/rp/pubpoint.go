package rp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// listedFile is one manifest entry read from the cache.
type listedFile struct {
	name, uri string
	data      []byte
	sum       [32]byte // SHA-256 of data
}

// publicationPoint processes the manifest of ca and, if the publication
// point passes, every object on it.
func (r *run) publicationPoint(ctx context.Context, ca *caNode) {
	if ctx.Err() != nil {
		return
	}
	mftURI := ca.cert.SIA.Manifest
	// The same CA key and manifest reached through a second certificate
	// adds nothing; walking it again would let duplicates multiply work.
	// The key includes the resources: the same CA key certified twice with
	// different resources yields two paths, and an object is valid when one
	// of them holds it, whichever certificate is read first (RFC 6487 §7.2).
	key := hex.EncodeToString(ca.cert.SKI) + " " + mftURI + " " + ca.resourceKey()
	r.mu.Lock()
	_, dup := r.seen[key]
	r.seen[key] = true
	if dup {
		r.res.Stats.FailedManifests++
	}
	r.mu.Unlock()
	if dup {
		r.rejectErr(mftURI, reject(ReasonDuplicate, "publication point already processed for this CA key and resources"))
		return
	}
	pp, files, failedURI, err := r.fetchAndLoad(ctx, ca)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		r.count(func(s *Stats) { s.FailedManifests++ })
		r.rejectErr(failedURI, err)
		return
	}
	r.count(func(s *Stats) { s.Manifests++; s.CRLs++ })
	r.accepted(mftURI)
	r.accepted(pp.crlURI)
	for _, f := range files {
		if ctx.Err() != nil {
			return
		}
		switch filepath.Ext(f.name) {
		case ".crl":
			// the publication point's CRL, already checked
		case ".cer":
			if err := r.childCA(ctx, ca, pp, f); err != nil {
				r.count(func(s *Stats) { s.FailedCerts++ })
				r.rejectErr(f.uri, err)
			}
		case ".roa":
			if err := r.roa(ca, pp, f); err != nil {
				r.count(func(s *Stats) { s.FailedROAs++ })
				r.rejectErr(f.uri, err)
			}
		case ".asa":
			if err := r.aspa(ca, pp, f); err != nil {
				r.count(func(s *Stats) { s.FailedASPAs++ })
				r.rejectErr(f.uri, err)
			}
		default:
			r.count(func(s *Stats) { s.Ignored++ })
		}
	}
}

// viewFor is where ca's publication point is read: the tree of its
// rpkiNotify repository when the RRDP client has synced it (now or in an
// earlier run: RRDP first, as draft-ietf-sidrops-prefer-rrdp has it), else
// the rsync-style tree.
func (r *run) viewFor(ca *caNode) cache {
	if n := ca.cert.SIA.Notify; n != "" {
		if st, err := os.Stat(repoStatePath(r.o.Cache, n)); err == nil && st.Mode().IsRegular() {
			return cache{root: repoDir(r.o.Cache, n), maxSize: r.o.MaxFileSize}
		}
	}
	return r.c
}

// loadPublicationPoint applies RFC 9286 §6.1-§6.5 to ca's manifest. On
// failure it returns the URI the failure is about (the manifest, the CRL
// or the missing or altered file) and the error.
func (r *run) loadPublicationPoint(ca *caNode, view cache) (*pubPoint, []listedFile, string, error) {
	repo, data, so, m, err := r.loadManifest(ca, view)
	mftURI := ca.cert.SIA.Manifest
	if err != nil {
		return nil, nil, mftURI, err
	}
	ee := so.EE
	crlName, err := manifestCRL(m, ee, repo)
	if err != nil {
		return nil, nil, mftURI, err
	}
	crlURI := repo + crlName
	files, failedURI, err := listed(view, m, repo, mftURI)
	if err != nil {
		return nil, nil, failedURI, err
	}
	var crlData []byte
	for _, f := range files {
		if f.name == crlName {
			crlData = f.data
		}
	}
	crl, failedURI, err := r.checkCRL(ca, crlData, crlURI, ee, mftURI)
	if err != nil {
		return nil, nil, failedURI, err
	}
	if r.mstate != nil {
		r.mu.Lock()
		r.mstate.record(mftURI, m, sha256.Sum256(data))
		r.mu.Unlock()
	}
	pp := &pubPoint{crl: crl, crlURI: crlURI, expires: minTime(ca.expires, m.NextUpdate, ee.NotAfter, crl.NextUpdate)}
	return pp, files, "", nil
}

// loadManifest reads and checks ca's manifest (RFC 9286 §6.1-§6.3) and
// returns the caRepository as a directory URI and the manifest's bytes.
// Its errors are about the manifest URI.
func (r *run) loadManifest(ca *caNode, view cache) (string, []byte, *rpki.SignedObject, *rpki.Manifest, error) {
	mftURI, repo := ca.cert.SIA.Manifest, ca.cert.SIA.CARepository
	// RFC 6487 §4.8.8.1 names a directory but no trailing slash; NIC.br
	// writes none, and every relying party reads it as the directory.
	if !isDirURI(repo) {
		repo += "/"
	}
	if _, err := splitRsyncURI(repo); err != nil {
		return "", nil, nil, nil, reject(ReasonBadURI, "caRepository %q is not an rsync directory URI", repo)
	}
	// RFC 9286 §6.1: the manifest resides in the publication point.
	if name, ok := strings.CutPrefix(mftURI, repo); !ok || name == "" || strings.Contains(name, "/") {
		return "", nil, nil, nil, reject(ReasonManifestOutsidePP, "manifest %q is not in caRepository %q (RFC 9286 §6.1)", mftURI, repo)
	}
	data, err := view.read(mftURI)
	if err != nil {
		if errors.Is(err, errNotFound) {
			return "", nil, nil, nil, reject(ReasonManifestMissing, "no manifest in the cache (RFC 9286 §6.2)")
		}
		return "", nil, nil, nil, asReject(ReasonManifestMissing, err)
	}
	so, m, err := r.o.Memo.ParseManifest(data)
	if err != nil {
		return "", nil, nil, nil, &RejectError{Reason: ReasonManifestInvalid, Err: err}
	}
	r.noteLenient(so.Lenient)
	if err := r.checkManifest(ca, so, m, mftURI, data); err != nil {
		return "", nil, nil, nil, err
	}
	return repo, data, so, m, nil
}

// checkManifest applies the checks that need the issuer and the clock.
func (r *run) checkManifest(ca *caNode, so *rpki.SignedObject, m *rpki.Manifest, mftURI string, data []byte) error {
	ee := so.EE
	if err := r.o.Memo.checkSignature(ee, ca.cert); err != nil {
		return &RejectError{Reason: ReasonManifestInvalid, Err: fmt.Errorf("EE certificate: %w", err)}
	}
	if ee.SIA.SignedObject != mftURI {
		return reject(ReasonManifestInvalid, "EE signedObject %q is not the manifest URI (RFC 6487 §4.8.8.2)", ee.SIA.SignedObject)
	}
	// RFC 9286 §6.3.
	if r.now.Before(m.ThisUpdate) {
		return reject(ReasonManifestEarly, "thisUpdate %s is after %s (RFC 9286 §6.3)",
			m.ThisUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(m.NextUpdate) {
		return reject(ReasonManifestStale, "nextUpdate %s is before %s (RFC 9286 §6.3)",
			m.NextUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if err := r.checkTime(ee); err != nil {
		return err
	}
	if r.mstate != nil {
		r.mu.Lock()
		err := r.mstate.check(mftURI, m, sha256.Sum256(data))
		r.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if len(m.Files) > r.o.MaxFilesPerManifest {
		return reject(ReasonTooMany, "manifest lists %d files, bound %d", len(m.Files), r.o.MaxFilesPerManifest)
	}
	return nil
}

// manifestCRL finds the one CRL the manifest lists, which must be the one
// its EE certificate names (RFC 6481 §2, RFC 9286 §6).
func manifestCRL(m *rpki.Manifest, ee *rpki.Certificate, repo string) (string, error) {
	crlName := ""
	for _, f := range m.Files {
		if strings.HasSuffix(f.Name, ".crl") {
			if crlName != "" {
				return "", reject(ReasonManifestInvalid, "manifest lists two CRLs, %s and %s (RFC 6481 §2)", crlName, f.Name)
			}
			crlName = f.Name
		}
	}
	if crlName == "" {
		return "", reject(ReasonCRLMissing, "manifest lists no CRL (RFC 9286 §6)")
	}
	if ee.CRLDP != repo+crlName {
		return "", reject(ReasonCRLDPMismatch, "manifest EE CRLDP %q is not the listed CRL %q", ee.CRLDP, repo+crlName)
	}
	return crlName, nil
}

// readListed reads every file the manifest lists, each present with its
// hash (RFC 9286 §6.4, §6.5); on failure it names the file.
func readListed(view cache, m *rpki.Manifest, repo, mftURI string) ([]listedFile, string, error) {
	files := make([]listedFile, 0, len(m.Files))
	for _, f := range m.Files {
		uri := repo + f.Name
		b, sum, err := view.readSum(uri)
		if err != nil {
			if errors.Is(err, errNotFound) {
				return nil, uri, reject(ReasonFileMissing, "listed on %s but not in the cache: publication point failed (RFC 9286 §6.4)", mftURI)
			}
			return nil, uri, asReject(ReasonFileMissing, err)
		}
		if sum != f.Hash {
			return nil, uri, reject(ReasonHashMismatch, "SHA-256 differs from %s: publication point failed (RFC 9286 §6.5)", mftURI)
		}
		files = append(files, listedFile{name: f.Name, uri: uri, data: b, sum: sum})
	}
	return files, "", nil
}

// checkCRL parses and checks the publication point's CRL, and that it does
// not revoke the manifest's EE certificate (RFC 9286 §6).
func (r *run) checkCRL(ca *caNode, data []byte, crlURI string, ee *rpki.Certificate, mftURI string) (*rpki.CRL, string, error) {
	crl, err := r.o.Memo.ParseCRL(data)
	if err != nil {
		return nil, crlURI, &RejectError{Reason: ReasonCRLInvalid, Err: err}
	}
	r.noteLenient(crl.Lenient)
	if err := r.o.Memo.checkCRLSignature(crl, ca.cert); err != nil {
		return nil, crlURI, &RejectError{Reason: ReasonCRLInvalid, Err: err}
	}
	if r.now.Before(crl.ThisUpdate) {
		return nil, crlURI, reject(ReasonCRLEarly, "thisUpdate %s is after %s", crl.ThisUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(crl.NextUpdate) {
		return nil, crlURI, reject(ReasonCRLStale, "nextUpdate %s is before %s", crl.NextUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if crl.IsRevoked(ee.SerialNumber) {
		return nil, mftURI, reject(ReasonRevoked, "manifest EE certificate serial %s is on the CRL (RFC 9286 §6)", ee.SerialNumber)
	}
	return crl, "", nil
}
