package rp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/vrp"
)

// Options configure one validation run.
type Options struct {
	Cache  string           // repository cache root: rsync://host/module/path is Cache/host/module/path
	Clock  func() time.Time // validation time (default time.Now); `road validate --at` pins it
	Logger *slog.Logger     // default: discard

	// Bounds (defaults in brackets). RFC 6487 §7.2 and RFC 6481 §5 let an
	// RP limit chain length; the rest keep a hostile repository from
	// exhausting memory or time.
	MaxDepth            int   // CA certificates below the TA on one chain [32]
	MaxCAs              int   // CA certificates in one run [100000]
	MaxFilesPerManifest int   // entries of one manifest [200000]
	MaxFileSize         int64 // bytes of any one file [64 MiB]

	// RRDP, when set, fetches before validating: each TAL's https TA
	// certificate, and each CA's repository named by its SIA rpkiNotify
	// (RFC 8182 §3.2), once per run. A failed fetch is recorded as a
	// rejection of the notification URI and validation goes on with what
	// the cache holds (RFC 9286 §6.6).
	RRDP *RRDPClient

	// ManifestState, when set, is a file that remembers the newest valid
	// manifest of each publication point across runs (number, thisUpdate,
	// hash). A different manifest that is not newer in both fails its
	// publication point (RFC 9286 §4.2.1: replayed or rolled-back data).
	ManifestState string

	// Observe, when set, is called once for every object decided: err nil
	// for an accepted certificate, manifest, CRL or ROA, else the
	// rejection (a *RejectError). Audits and tests use it.
	Observe func(uri string, err error)
}

func (o *Options) setDefaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 32
	}
	if o.MaxCAs <= 0 {
		o.MaxCAs = 100_000
	}
	if o.MaxFilesPerManifest <= 0 {
		o.MaxFilesPerManifest = 200_000
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 64 << 20
	}
}

// TAL is a trust anchor locator with the name VRPs carry as "ta".
type TAL struct {
	Name string // e.g. "road" for road.tal
	TAL  *rpki.TAL
}

// LoadTAL reads and parses a TAL file (RFC 8630 §2.2); its name is the
// file's base name without ".tal", as rpki-client names it.
func LoadTAL(path string) (TAL, error) {
	b, err := readBounded(path, 64<<10)
	if err != nil {
		return TAL{}, asReject(ReasonBadTAL, err)
	}
	t, err := rpki.ParseTAL(b)
	if err != nil {
		return TAL{}, &RejectError{Reason: ReasonBadTAL, Err: fmt.Errorf("%s: %w", path, err)}
	}
	return TAL{Name: strings.TrimSuffix(filepath.Base(path), ".tal"), TAL: t}, nil
}

// VRP is a validated ROA payload with its trust anchor and effective expiry.
type VRP struct {
	vrp.VRP
	TA      string
	Expires time.Time
}

// ASPA is a validated AS provider authorization (the union of every valid
// ASPA object of one customer) with its trust anchor and effective expiry.
type ASPA struct {
	vrp.ASPA
	TA      string
	Expires time.Time
}

// Rejection is one object (or publication point) that was not used.
type Rejection struct {
	URI    string
	Reason Reason
	Detail string
}

// Stats counts what one run saw. Valid and rejected counts are disjoint.
type Stats struct {
	TALs, FailedTALs           int
	Certificates, FailedCerts  int // CA certificates, TAs included
	Manifests, FailedManifests int // publication points
	CRLs                       int
	ROAs, FailedROAs           int
	ASPAs, FailedASPAs         int // ASPA objects (draft-ietf-sidrops-aspa-profile)
	Ignored                    int // listed files of other types (ASPA, GBR, ...)
	RRDPSynced, RRDPFailed     int // repositories fetched over RRDP (Options.RRDP)
	RRDPSnapshots              int // of the synced ones, those that loaded a snapshot
	VRPs                       int // before de-duplication
}

// Result is the outcome of Validate.
type Result struct {
	Time     time.Time // the validation time
	TALs     []string  // names, in the order given
	VRPs     []VRP     // sorted by vrp.Compare, unique (prefix, maxLength, ASN)
	ASPAs    []ASPA    // sorted by customer, one per customer
	Rejected []Rejection
	Stats    Stats
	// Lenient counts objects accepted despite a departure from the letter
	// of an RFC that every deployed relying party accepts (rpki.Leniency
	// codes, plus this package's), so operators see sloppy issuers.
	Lenient map[string]int
}

// Set returns the VRPs without trust anchor and expiry.
func (r *Result) Set() vrp.Set {
	out := make([]vrp.VRP, len(r.VRPs))
	for i, v := range r.VRPs {
		out[i] = v.VRP
	}
	return vrp.NewSet(out)
}

// run is the state of one Validate call.
type run struct {
	o      Options
	c      cache
	now    time.Time
	log    *slog.Logger
	res    *Result
	cas    int
	vrps   map[vrp.VRP]*VRP
	aspas  map[uint32]*ASPA
	seen   map[string]error // CA key + manifest URI already processed (per TA), with its failure
	synced map[string]bool  // notification URIs fetched in this run
	mstate *manifestState
	taIdx  map[string]int
}

// caNode is a validated CA certificate with its resolved resources.
type caNode struct {
	cert    *rpki.Certificate
	uri     string
	ip      rpki.IPResources  // inherit resolved
	as      *rpki.ASResources // inherit resolved; nil: none
	expires time.Time         // min notAfter/nextUpdate from the TA down to this certificate
	depth   int               // 0 for the TA
	keys    []string          // SKIs from the TA to this certificate (loop check)
	ta      string
}

// pubPoint is a publication point that passed RFC 9286 §6.
type pubPoint struct {
	crl     *rpki.CRL
	crlURI  string
	expires time.Time
}

// Validate runs top-down validation from every TAL over the cache.
// Rejections are collected in the result; the error is only for a
// cancelled context.
func Validate(ctx context.Context, o Options, tals []TAL) (*Result, error) {
	o.setDefaults()
	r := &run{o: o, c: cache{root: o.Cache, maxSize: o.MaxFileSize}, now: o.Clock().UTC(), log: o.Logger,
		res: &Result{}, vrps: map[vrp.VRP]*VRP{}, aspas: map[uint32]*ASPA{}, taIdx: map[string]int{}, synced: map[string]bool{}}
	r.res.Time = r.now
	if o.ManifestState != "" {
		r.mstate = loadManifestState(o.ManifestState, r.log)
	}
	for i, t := range tals {
		r.res.TALs = append(r.res.TALs, t.Name)
		if _, dup := r.taIdx[t.Name]; !dup {
			r.taIdx[t.Name] = i
		}
		r.seen = map[string]error{}
		if err := r.trustAnchor(ctx, t); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.res.Stats.FailedTALs++
			r.res.Stats.FailedCerts++
			r.rejectErr(taLabel(t), err)
			continue
		}
		r.res.Stats.TALs++
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.mstate != nil {
		if err := r.mstate.save(); err != nil {
			r.log.Error("manifest state not saved", "file", o.ManifestState, "err", err)
		}
	}
	for _, v := range r.vrps {
		r.res.VRPs = append(r.res.VRPs, *v)
	}
	slices.SortFunc(r.res.VRPs, func(a, b VRP) int { return vrp.Compare(a.VRP, b.VRP) })
	for _, a := range r.aspas {
		r.res.ASPAs = append(r.res.ASPAs, *a)
	}
	slices.SortFunc(r.res.ASPAs, func(a, b ASPA) int { return vrp.CompareASPA(a.ASPA, b.ASPA) })
	slices.SortStableFunc(r.res.Rejected, func(a, b Rejection) int { return strings.Compare(a.URI, b.URI) })
	return r.res, nil
}

func taLabel(t TAL) string {
	if t.TAL != nil && len(t.TAL.URIs) > 0 {
		return t.TAL.URIs[0]
	}
	return t.Name + ".tal"
}

func (r *run) rejectErr(uri string, err error) {
	re := asReject(ReasonMalformed, err)
	detail := ""
	if re.Err != nil {
		detail = re.Err.Error()
	}
	r.res.Rejected = append(r.res.Rejected, Rejection{URI: uri, Reason: re.Reason, Detail: detail})
	r.log.Warn("rejected", "uri", uri, "reason", re.Reason, "detail", detail)
	if r.o.Observe != nil {
		r.o.Observe(uri, re)
	}
}

// noteLenient counts the leniencies of an object that was accepted.
func (r *run) noteLenient(ls []rpki.Leniency) {
	for _, l := range ls {
		if r.res.Lenient == nil {
			r.res.Lenient = map[string]int{}
		}
		r.res.Lenient[string(l)]++
	}
}

func (r *run) accepted(uri string) {
	r.log.Debug("accepted", "uri", uri)
	if r.o.Observe != nil {
		r.o.Observe(uri, nil)
	}
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
	if r.o.RRDP != nil {
		r.fetchTA(ctx, t)
	}
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
	c, err := rpki.ParseCertificate(der)
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
	if err := c.CheckSignatureFrom(c); err != nil {
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
	r.res.Stats.Certificates++
	r.cas++
	r.accepted(uri)
	r.publicationPoint(ctx, node)
	return nil
}

// fetchTA downloads the TA certificate from the TAL's first https URI
// that answers (RFC 8630 §2.2); on failure the cache's copy is used.
func (r *run) fetchTA(ctx context.Context, t TAL) {
	for _, u := range t.TAL.URIs {
		if !strings.HasPrefix(u, "https://") {
			continue
		}
		err := r.o.RRDP.FetchTA(ctx, u, r.o.MaxFileSize, t.TAL.SPKI)
		if err == nil {
			return
		}
		r.log.Warn("TA certificate fetch failed", "uri", u, "err", err)
	}
}

func inheritFam(f *rpki.IPFamily) bool { return f != nil && f.Inherit }

// checkTime applies the validity period at the validation time (RFC 6487 §7.2).
func (r *run) checkTime(c *rpki.Certificate) error {
	if r.now.Before(c.NotBefore) {
		return reject(ReasonNotYetValid, "notBefore %s is after %s", c.NotBefore.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(c.NotAfter) {
		return reject(ReasonExpired, "notAfter %s is before %s", c.NotAfter.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	return nil
}

func minTime(a time.Time, bs ...time.Time) time.Time {
	for _, b := range bs {
		if b.Before(a) {
			a = b
		}
	}
	return a
}

// listedFile is one manifest entry read from the cache.
type listedFile struct {
	name, uri string
	data      []byte
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
	key := hex.EncodeToString(ca.cert.SKI) + " " + mftURI
	if err, ok := r.seen[key]; ok {
		if err == nil {
			err = reject(ReasonDuplicate, "publication point already processed for this CA key")
		}
		r.res.Stats.FailedManifests++
		r.rejectErr(mftURI, err)
		return
	}
	if n := ca.cert.SIA.Notify; r.o.RRDP != nil && n != "" && !r.synced[n] {
		r.synced[n] = true
		if sr, err := r.o.RRDP.Sync(ctx, n); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.res.Stats.RRDPFailed++
			r.rejectErr(n, asReject(ReasonRRDPFetch, err))
		} else {
			r.res.Stats.RRDPSynced++
			if sr.Snapshot {
				r.res.Stats.RRDPSnapshots++
			}
		}
	}
	pp, files, failedURI, err := r.loadPublicationPoint(ca, r.viewFor(ca))
	r.seen[key] = err
	if err != nil {
		r.res.Stats.FailedManifests++
		r.rejectErr(failedURI, err)
		return
	}
	r.res.Stats.Manifests++
	r.res.Stats.CRLs++
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
				r.res.Stats.FailedCerts++
				r.rejectErr(f.uri, err)
			}
		case ".roa":
			if err := r.roa(ca, pp, f); err != nil {
				r.res.Stats.FailedROAs++
				r.rejectErr(f.uri, err)
			}
		case ".asa":
			if err := r.aspa(ca, pp, f); err != nil {
				r.res.Stats.FailedASPAs++
				r.rejectErr(f.uri, err)
			}
		default:
			r.res.Stats.Ignored++
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
	mftURI, repo := ca.cert.SIA.Manifest, ca.cert.SIA.CARepository
	// RFC 6487 §4.8.8.1 names a directory but no trailing slash; NIC.br
	// writes none, and every relying party reads it as the directory.
	if !isDirURI(repo) {
		repo += "/"
	}
	if _, err := splitRsyncURI(repo); err != nil {
		return nil, nil, mftURI, reject(ReasonBadURI, "caRepository %q is not an rsync directory URI", repo)
	}
	// RFC 9286 §6.1: the manifest resides in the publication point.
	if name, ok := strings.CutPrefix(mftURI, repo); !ok || name == "" || strings.Contains(name, "/") {
		return nil, nil, mftURI, reject(ReasonManifestOutsidePP, "manifest %q is not in caRepository %q (RFC 9286 §6.1)", mftURI, repo)
	}
	data, err := view.read(mftURI)
	if err != nil {
		if errors.Is(err, errNotFound) {
			return nil, nil, mftURI, reject(ReasonManifestMissing, "no manifest in the cache (RFC 9286 §6.2)")
		}
		return nil, nil, mftURI, asReject(ReasonManifestMissing, err)
	}
	so, m, err := rpki.ParseManifestObject(data)
	if err != nil {
		return nil, nil, mftURI, &RejectError{Reason: ReasonManifestInvalid, Err: err}
	}
	r.noteLenient(so.Lenient)
	ee := so.EE
	if err := ee.CheckSignatureFrom(ca.cert); err != nil {
		return nil, nil, mftURI, &RejectError{Reason: ReasonManifestInvalid, Err: fmt.Errorf("EE certificate: %w", err)}
	}
	if ee.SIA.SignedObject != mftURI {
		return nil, nil, mftURI, reject(ReasonManifestInvalid, "EE signedObject %q is not the manifest URI (RFC 6487 §4.8.8.2)", ee.SIA.SignedObject)
	}
	// RFC 9286 §6.3.
	if r.now.Before(m.ThisUpdate) {
		return nil, nil, mftURI, reject(ReasonManifestEarly, "thisUpdate %s is after %s (RFC 9286 §6.3)",
			m.ThisUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(m.NextUpdate) {
		return nil, nil, mftURI, reject(ReasonManifestStale, "nextUpdate %s is before %s (RFC 9286 §6.3)",
			m.NextUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if err := r.checkTime(ee); err != nil {
		return nil, nil, mftURI, err
	}
	if r.mstate != nil {
		if err := r.mstate.check(mftURI, m, sha256.Sum256(data)); err != nil {
			return nil, nil, mftURI, err
		}
	}
	if len(m.Files) > r.o.MaxFilesPerManifest {
		return nil, nil, mftURI, reject(ReasonTooMany, "manifest lists %d files, bound %d", len(m.Files), r.o.MaxFilesPerManifest)
	}
	crlName := ""
	for _, f := range m.Files {
		if strings.HasSuffix(f.Name, ".crl") {
			if crlName != "" {
				return nil, nil, mftURI, reject(ReasonManifestInvalid, "manifest lists two CRLs, %s and %s (RFC 6481 §2)", crlName, f.Name)
			}
			crlName = f.Name
		}
	}
	if crlName == "" {
		return nil, nil, mftURI, reject(ReasonCRLMissing, "manifest lists no CRL (RFC 9286 §6)")
	}
	crlURI := repo + crlName
	if ee.CRLDP != crlURI {
		return nil, nil, mftURI, reject(ReasonCRLDPMismatch, "manifest EE CRLDP %q is not the listed CRL %q", ee.CRLDP, crlURI)
	}
	// RFC 9286 §6.4, §6.5: every listed file present with its hash.
	files := make([]listedFile, 0, len(m.Files))
	for _, f := range m.Files {
		uri := repo + f.Name
		b, err := view.read(uri)
		if err != nil {
			if errors.Is(err, errNotFound) {
				return nil, nil, uri, reject(ReasonFileMissing, "listed on %s but not in the cache: publication point failed (RFC 9286 §6.4)", mftURI)
			}
			return nil, nil, uri, asReject(ReasonFileMissing, err)
		}
		if sha256.Sum256(b) != f.Hash {
			return nil, nil, uri, reject(ReasonHashMismatch, "SHA-256 differs from %s: publication point failed (RFC 9286 §6.5)", mftURI)
		}
		files = append(files, listedFile{name: f.Name, uri: uri, data: b})
	}
	var crlData []byte
	for _, f := range files {
		if f.name == crlName {
			crlData = f.data
		}
	}
	crl, err := rpki.ParseCRL(crlData)
	if err != nil {
		return nil, nil, crlURI, &RejectError{Reason: ReasonCRLInvalid, Err: err}
	}
	r.noteLenient(crl.Lenient)
	if err := crl.CheckSignatureFrom(ca.cert); err != nil {
		return nil, nil, crlURI, &RejectError{Reason: ReasonCRLInvalid, Err: err}
	}
	if r.now.Before(crl.ThisUpdate) {
		return nil, nil, crlURI, reject(ReasonCRLEarly, "thisUpdate %s is after %s", crl.ThisUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(crl.NextUpdate) {
		return nil, nil, crlURI, reject(ReasonCRLStale, "nextUpdate %s is before %s", crl.NextUpdate.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	// RFC 9286 §6: a revoked manifest EE fails the fetch.
	if crl.IsRevoked(ee.SerialNumber) {
		return nil, nil, mftURI, reject(ReasonRevoked, "manifest EE certificate serial %s is on the CRL (RFC 9286 §6)", ee.SerialNumber)
	}
	if r.mstate != nil {
		r.mstate.record(mftURI, m, sha256.Sum256(data))
	}
	pp := &pubPoint{crl: crl, crlURI: crlURI, expires: minTime(ca.expires, m.NextUpdate, ee.NotAfter, crl.NextUpdate)}
	return pp, files, "", nil
}

// checkIssued applies the RFC 6487 §7.2 checks shared by CA and EE
// certificates issued by ca on pp.
func (r *run) checkIssued(ca *caNode, pp *pubPoint, c *rpki.Certificate) error {
	if err := c.CheckSignatureFrom(ca.cert); err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	if c.CRLDP != pp.crlURI {
		return reject(ReasonCRLDPMismatch, "CRLDP %q is not the publication point's CRL %q", c.CRLDP, pp.crlURI)
	}
	if err := r.checkTime(c); err != nil {
		return err
	}
	if pp.crl.IsRevoked(c.SerialNumber) {
		return reject(ReasonRevoked, "serial %s is on %s", c.SerialNumber, pp.crlURI)
	}
	return nil
}

// resolveResources checks that ca encompasses c's resources (RFC 6487
// §7.1, RFC 3779 §2.3/§3.3) and resolves c's inherit against ca.
func resolveResources(ca *caNode, c *rpki.Certificate) (rpki.IPResources, *rpki.ASResources, error) {
	var ip rpki.IPResources
	if c.IP != nil {
		if !ca.ip.Covers(*c.IP) {
			return ip, nil, reject(ReasonResources, "IP resources %v not encompassed by the issuer's %v (RFC 6487 §7.2)",
				c.IP.Prefixes(), ca.ip.Prefixes())
		}
		ip = c.IP.ResolveInherit(ca.ip)
	}
	var as *rpki.ASResources
	if c.AS != nil {
		switch {
		case ca.as == nil && c.AS.Inherit:
			// inherits nothing
		case ca.as == nil || !ca.as.Covers(*c.AS):
			return ip, nil, reject(ReasonResources, "AS resources %v not encompassed by the issuer's (RFC 6487 §7.2)", c.AS.Ranges)
		default:
			a := c.AS.ResolveInherit(*ca.as)
			as = &a
		}
	}
	return ip, as, nil
}

// childCA validates a .cer listed on ca's manifest and walks its tree.
func (r *run) childCA(ctx context.Context, ca *caNode, pp *pubPoint, f listedFile) error {
	c, err := rpki.ParseCertificate(f.data)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	if !c.IsCA {
		return reject(ReasonNotCA, "not a CA certificate (BGPsec router certificates are not supported)")
	}
	if err := r.checkIssued(ca, pp, c); err != nil {
		return err
	}
	ip, as, err := resolveResources(ca, c)
	if err != nil {
		return err
	}
	ski := hex.EncodeToString(c.SKI)
	if slices.Contains(ca.keys, ski) {
		return reject(ReasonLoop, "key %s already on this chain (RFC 6487 §7.2)", ski)
	}
	if ca.depth+1 > r.o.MaxDepth {
		return reject(ReasonTooDeep, "chain deeper than %d CA certificates (RFC 6487 §7.2)", r.o.MaxDepth)
	}
	if r.cas >= r.o.MaxCAs {
		return reject(ReasonTooMany, "more than %d CA certificates", r.o.MaxCAs)
	}
	r.cas++
	r.res.Stats.Certificates++
	r.accepted(f.uri)
	child := &caNode{cert: c, uri: f.uri, ip: ip, as: as, expires: minTime(pp.expires, c.NotAfter),
		depth: ca.depth + 1, keys: append(slices.Clip(ca.keys), ski), ta: ca.ta}
	r.publicationPoint(ctx, child)
	return nil
}

// checkSignedObjectEE checks the EE certificate of a signed object listed on
// ca's manifest: issued by ca (signature, CRL, validity, RFC 6488 §3) and
// holding resources inside ca's (RFC 6487 §7.2).
func (r *run) checkSignedObjectEE(ca *caNode, pp *pubPoint, ee *rpki.Certificate) error {
	if err := r.checkIssued(ca, pp, ee); err != nil {
		return err
	}
	_, _, err := resolveResources(ca, ee)
	return err
}

// roa validates a .roa listed on ca's manifest (RFC 6488 §3, RFC 9582 §5)
// and adds its VRPs.
func (r *run) roa(ca *caNode, pp *pubPoint, f listedFile) error {
	so, roa, err := rpki.ParseROAObject(f.data)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	ee := so.EE
	if err := r.checkSignedObjectEE(ca, pp, ee); err != nil {
		return err
	}
	vs := roa.VRPs()
	for _, v := range vs {
		if err := v.Validate(); err != nil {
			return reject(ReasonProfile, "%v (RFC 9582 §4.3.2.2)", err)
		}
	}
	r.res.Stats.ROAs++
	r.accepted(f.uri)
	r.noteLenient(so.Lenient)
	exp := minTime(pp.expires, ee.NotAfter)
	for _, v := range vs {
		r.res.Stats.VRPs++
		if old, ok := r.vrps[v]; ok {
			// Keep the latest expiry and the first TAL's name.
			if exp.After(old.Expires) {
				old.Expires = exp
			}
			if r.taIdx[ca.ta] < r.taIdx[old.TA] {
				old.TA = ca.ta
			}
			continue
		}
		r.vrps[v] = &VRP{VRP: v, TA: ca.ta, Expires: exp}
	}
	return nil
}

// aspa validates an .asa listed on ca's manifest (RFC 6488 §3 and
// draft-ietf-sidrops-aspa-profile: the EE holds exactly the customer AS)
// and merges its providers into the customer's set.
func (r *run) aspa(ca *caNode, pp *pubPoint, f listedFile) error {
	so, a, err := rpki.ParseASPAObject(f.data)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	ee := so.EE
	if err := r.checkSignedObjectEE(ca, pp, ee); err != nil {
		return err
	}
	p := a.Payload()
	if err := p.Validate(); err != nil {
		return reject(ReasonProfile, "%v", err)
	}
	r.res.Stats.ASPAs++
	r.accepted(f.uri)
	r.noteLenient(so.Lenient)
	exp := minTime(pp.expires, ee.NotAfter)
	if old, ok := r.aspas[p.Customer]; ok {
		// One customer, several objects: the union, valid while all are.
		old.ASPA = vrp.NewASPA(p.Customer, append(slices.Clone(old.Providers), p.Providers...))
		old.Expires = minTime(old.Expires, exp)
		if r.taIdx[ca.ta] < r.taIdx[old.TA] {
			old.TA = ca.ta
		}
		return nil
	}
	r.aspas[p.Customer] = &ASPA{ASPA: p, TA: ca.ta, Expires: exp}
	return nil
}
