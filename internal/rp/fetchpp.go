package rp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/roadrpki/road/internal/rpki"
)

// LenientLastValid counts publication points whose fresh copy failed
// (fetch or validation) and whose last valid copy was used instead (RFC
// 9286 §6.6), until it expires like any other.
const LenientLastValid = "pp-last-valid"

// source is where a publication point's files came from in this run.
type source int

const (
	srcNone  source = iota // not fetched in this run (or every fetch failed)
	srcRRDP                // its rpkiNotify repository synced
	srcRsync               // its caRepository module fetched over rsync
)

func (r *run) startFetch(ctx context.Context) {
	f := r.o.Fetch
	if f == nil && r.o.RRDP != nil {
		f = &Fetcher{RRDP: r.o.RRDP}
	}
	if f != nil {
		r.fetch = newFetchRun(ctx, f)
	}
}

// endFetch stops what is still being fetched and records the counts.
func (r *run) endFetch() {
	if r.fetch == nil {
		return
	}
	st := r.fetch.close()
	r.res.Fetch = st
	r.res.Stats.RRDPSynced, r.res.Stats.RRDPFailed, r.res.Stats.RRDPSnapshots = st.RRDPSynced, st.RRDPFailed, st.RRDPSnapshots
}

// prefetch starts fetching the repository of c, so repositories download
// at once while the walk goes on; the channel is closed when that first
// fetch ended (at once without fetching).
func (r *run) prefetch(c *caNode) <-chan struct{} {
	switch {
	case r.fetch == nil:
	case c.cert.SIA.Notify != "" && r.fetch.f.RRDP != nil:
		return r.fetch.rrdpTask(c.cert.SIA.Notify, false).done
	case r.fetch.f.Rsync != nil:
		return r.fetch.rsyncTask(c.cert.SIA.CARepository, false).done
	}
	ready := make(chan struct{})
	close(ready)
	return ready
}

// awaitRRDP waits for the RRDP sync of notify and records its outcome
// once per run.
func (r *run) awaitRRDP(ctx context.Context, notify string, resync bool) error {
	t := r.fetch.rrdpTask(notify, resync)
	err := r.fetch.wait(ctx, t)
	if ctx.Err() != nil || !r.fetch.firstSeen(t) {
		return err
	}
	r.fetch.count(func(s *FetchStats) {
		switch {
		case err != nil:
			s.RRDPFailed++
		case resync:
			s.RRDPResyncs++
		default:
			s.RRDPSynced++
			if t.snap {
				s.RRDPSnapshots++
			}
		}
	})
	if err != nil {
		r.rejectErr(notify, asReject(ReasonRRDPFetch, err))
	}
	return err
}

// awaitRsync waits for the rsync fetch of uri's module.
func (r *run) awaitRsync(ctx context.Context, uri string, checksum bool) error {
	t := r.fetch.rsyncTask(uri, checksum)
	err := r.fetch.wait(ctx, t)
	if ctx.Err() != nil || !r.fetch.firstSeen(t) {
		return err
	}
	r.fetch.count(func(s *FetchStats) {
		switch {
		case err != nil:
			s.RsyncFailed++
		case checksum:
			s.RsyncRepairs++
		default:
			s.RsyncSynced++
		}
	})
	if err != nil {
		mod, _, _ := rsyncModule(uri)
		r.rejectErr(cmpOr(mod, uri), asReject(ReasonRsyncFetch, err))
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// awaitFetch fetches ca's repository: RRDP first, rsync when there is no
// rpkiNotify or RRDP failed (RFC 8182 §3.4.5 leaves the fallback to the RP).
func (r *run) awaitFetch(ctx context.Context, ca *caNode) source {
	if r.fetch == nil {
		return srcNone
	}
	if n := ca.cert.SIA.Notify; n != "" && r.fetch.f.RRDP != nil {
		if r.awaitRRDP(ctx, n, false) == nil {
			return srcRRDP
		}
	}
	if r.fetch.f.Rsync != nil && ctx.Err() == nil {
		if r.awaitRsync(ctx, ca.cert.SIA.CARepository, false) == nil {
			return srcRsync
		}
	}
	return srcNone
}

func (r *run) viewOf(ca *caNode, src source) cache {
	switch src {
	case srcRRDP:
		return cache{root: repoDir(r.o.Cache, ca.cert.SIA.Notify), maxSize: r.o.MaxFileSize}
	case srcRsync:
		return r.c
	}
	return r.viewFor(ca)
}

func (r *run) validView() cache {
	return cache{root: filepath.Join(r.o.Cache, ".valid"), maxSize: r.o.MaxFileSize}
}

// fetchAndLoad fetches ca's repository and applies RFC 9286 §6 to its
// publication point. When the fresh copy fails it tries, in order: the
// RRDP snapshot again (the cached state may be damaged or a delta wrong),
// rsync, and the last valid copy (RFC 9286 §6.6).
func (r *run) fetchAndLoad(ctx context.Context, ca *caNode) (*pubPoint, []listedFile, string, error) {
	src := r.awaitFetch(ctx, ca)
	view := r.viewOf(ca, src)
	pp, files, uri, err := r.loadPublicationPoint(ca, view)
	if err == nil || r.fetch == nil || ctx.Err() != nil {
		if err == nil {
			r.keepValid(ca, view, files)
		}
		return pp, files, uri, err
	}
	if n := ca.cert.SIA.Notify; src == srcRRDP && ctx.Err() == nil {
		r.log.Warn("publication point failed; fetching the RRDP snapshot again", "manifest", ca.cert.SIA.Manifest, "uri", uri, "err", err)
		if r.awaitRRDP(ctx, n, true) == nil {
			if pp, files, _, err2 := r.loadPublicationPoint(ca, view); err2 == nil {
				r.keepValid(ca, view, files)
				return pp, files, "", nil
			}
		}
	}
	// rsync: the fallback when RRDP's copy fails; the same module again
	// comparing contents when rsync's own copy fails (a file changed in
	// place keeps its size and time).
	if r.fetch.f.Rsync != nil && ctx.Err() == nil && r.awaitRsync(ctx, ca.cert.SIA.CARepository, src == srcRsync) == nil {
		if pp, files, _, err2 := r.loadPublicationPoint(ca, r.c); err2 == nil {
			r.keepValid(ca, r.c, files)
			return pp, files, "", nil
		}
	}
	if kpp, kfiles, _, err2 := r.loadPublicationPoint(ca, r.validView()); err2 == nil {
		// RFC 9286 §6.6: keep using the last valid objects; the fresh
		// failure is still reported with its reason and URI.
		r.rejectErr(uri, err)
		r.noteLenient([]rpki.Leniency{LenientLastValid})
		r.fetch.count(func(s *FetchStats) { s.KeptPPs++ })
		return kpp, kfiles, "", nil
	}
	return pp, files, uri, err
}

// keepValid keeps a copy (hard links where possible) of a publication
// point's manifest and listed files that just validated, below
// CACHE/.valid, and drops files of that directory no longer listed.
func (r *run) keepValid(ca *caNode, view cache, files []listedFile) {
	if r.fetch == nil || view.root == r.validView().root {
		return
	}
	vc := r.validView()
	mft := ca.cert.SIA.Manifest
	keep := map[string]bool{mft[strings.LastIndexByte(mft, '/')+1:]: true}
	if err := keepFile(view, vc, mft, nil); err != nil {
		r.log.Warn("last valid copy not kept", "uri", mft, "err", err)
		return
	}
	for _, f := range files {
		keep[f.name] = true
		if err := keepFile(view, vc, f.uri, f.data); err != nil {
			r.log.Warn("last valid copy not kept", "uri", f.uri, "err", err)
			return
		}
	}
	dir, err := vc.path(mft)
	if err != nil {
		return
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range ents {
		if e.Type().IsRegular() && !keep[e.Name()] {
			os.Remove(filepath.Join(filepath.Dir(dir), e.Name()))
		}
	}
}

// keepFile links uri's file of view into vc (or writes data when linking
// fails); nothing happens when both already are the same file.
func keepFile(view, vc cache, uri string, data []byte) error {
	src, err := view.path(uri)
	if err != nil {
		return err
	}
	dst, err := vc.path(uri)
	if err != nil {
		return err
	}
	si, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if di, err := os.Lstat(dst); err == nil && os.SameFile(si, di) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := dst + ".tmp-" + hex.EncodeToString(rnd[:]) // two CAs may share a publication point
	if err := os.Link(src, tmp); err != nil {
		if data == nil {
			return err
		}
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dst)
}

// fetchTA fetches the TA certificate from the TAL's URIs in order, https
// or rsync, until one gives a certificate with the TAL's key (RFC 8630
// §2.2, §3); on failure the cache's copy is used.
func (r *run) fetchTA(ctx context.Context, t TAL) {
	if r.fetch == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.fetch.timeout)
	defer cancel()
	for _, u := range t.TAL.URIs {
		var err error
		switch {
		case strings.HasPrefix(u, "https://") && r.fetch.f.RRDP != nil:
			err = r.fetch.f.RRDP.FetchTA(ctx, u, r.o.MaxFileSize, t.TAL.SPKI)
		case strings.HasPrefix(u, "rsync://") && r.fetch.f.Rsync != nil:
			err = r.rsyncTA(ctx, t, u)
		default:
			continue
		}
		if err == nil {
			return
		}
		r.log.Warn("TA certificate fetch failed", "uri", u, "err", err)
	}
}

// rsyncTA fetches a TA certificate over rsync to CACHE/ta/NAME/FILE (as
// rpki-client keeps it), only when it parses and carries the TAL's key.
func (r *run) rsyncTA(ctx context.Context, t TAL, uri string) error {
	base := uri[strings.LastIndexByte(uri, '/')+1:]
	if t.Name == "" || strings.ContainsAny(t.Name, `/\`) || t.Name == "." || t.Name == ".." || base == "" || base == "." || base == ".." {
		return reject(ReasonBadURI, "no cache path for TA %q at %q", t.Name, uri)
	}
	b, err := r.fetch.f.Rsync.FetchFile(ctx, uri, r.o.MaxFileSize)
	if err != nil {
		return err
	}
	cert, err := rpki.ParseCertificate(b)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: fmt.Errorf("%s: %w", uri, err)}
	}
	if !bytes.Equal(cert.RawSubjectPublicKeyInfo, t.TAL.SPKI) {
		return reject(ReasonTAKeyMismatch, "%s: subjectPublicKeyInfo differs from the TAL's (RFC 8630 §3)", uri)
	}
	return writeAtomic(filepath.Join(r.o.Cache, "ta", t.Name, base), b)
}
