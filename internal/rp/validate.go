package rp

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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

	// Fetch, when set, fetches before validating as a real relying party
	// does: RRDP and rsync, many repositories at once, retries, the RRDP
	// snapshot again when a synced repository fails validation, and the
	// last valid copy of a failing publication point (RFC 9286 §6.6). It
	// supersedes RRDP (which alone means Fetch{RRDP: RRDP}).
	Fetch *Fetcher

	// ManifestState, when set, is a file that remembers the newest valid
	// manifest of each publication point across runs (number, thisUpdate,
	// hash). A different manifest that is not newer in both fails its
	// publication point (RFC 9286 §4.2.1: replayed or rolled-back data).
	ManifestState string

	// Observe, when set, is called once for every object decided: err nil
	// for an accepted certificate, manifest, CRL or ROA, else the
	// rejection (a *RejectError). Audits and tests use it.
	// Observe is called under a lock, never concurrently.
	Observe func(uri string, err error)

	// Memo, when set, keeps unchanged files, parsed objects and verified
	// signatures from one run to the next (memo.go; the caller rotates it).
	Memo *Memo

	// Reads, when set, shares file reads with other runs over the same
	// unchanging cache (reads.go); ignored with Fetch or RRDP.
	Reads *Reads

	// Workers is the number of publication points validated in parallel
	// (signature checks dominate); default: every CPU (GOMAXPROCS).
	Workers int
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
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
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
	Fetch   FetchStats // with Options.Fetch or RRDP
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
	o     Options
	c     cache
	now   time.Time
	log   *slog.Logger
	taIdx map[string]int
	walk  *walker

	mu     sync.Mutex // guards what follows; publication points run in parallel
	res    *Result
	cas    int
	vrps   map[vrp.VRP]*VRP
	aspas  map[uint32]*ASPA
	seen   map[string]bool // CA key + manifest URI + resources already processed (per TA)
	mstate *manifestState

	fetch *fetchRun // nil: no fetching; set before the walk starts
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
	if o.Fetch != nil || o.RRDP != nil {
		o.Reads = nil // fetching changes the cache
	}
	r := &run{o: o, c: cache{root: o.Cache, maxSize: o.MaxFileSize, memo: o.Memo, reads: o.Reads}, now: o.Clock().UTC(), log: o.Logger,
		res: &Result{}, vrps: map[vrp.VRP]*VRP{}, aspas: map[uint32]*ASPA{}, taIdx: map[string]int{},
		walk: newWalker(o.Workers)}
	defer r.walk.stop()
	r.res.Time = r.now
	if o.ManifestState != "" {
		r.mstate = loadManifestState(o.ManifestState, r.log)
	}
	r.startFetch(ctx)
	for i, t := range tals {
		r.res.TALs = append(r.res.TALs, t.Name)
		if _, dup := r.taIdx[t.Name]; !dup {
			r.taIdx[t.Name] = i
		}
		r.seen = map[string]bool{}
		err := r.trustAnchor(ctx, t)
		r.walk.wait()
		if err != nil {
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
	r.endFetch()
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
	slices.SortFunc(r.res.Rejected, func(a, b Rejection) int {
		return cmp.Or(strings.Compare(a.URI, b.URI), strings.Compare(string(a.Reason), string(b.Reason)), strings.Compare(a.Detail, b.Detail))
	})
	return r.res, nil
}

func (r *run) rejectErr(uri string, err error) {
	re := asReject(ReasonMalformed, err)
	detail := ""
	if re.Err != nil {
		detail = re.Err.Error()
	}
	r.log.Warn("rejected", "uri", uri, "reason", re.Reason, "detail", detail)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Rejected = append(r.res.Rejected, Rejection{URI: uri, Reason: re.Reason, Detail: detail})
	if r.o.Observe != nil {
		r.o.Observe(uri, re)
	}
}

// count updates the statistics under the run's lock.
func (r *run) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.res.Stats)
	r.mu.Unlock()
}

// noteLenient counts the leniencies of an object that was accepted.
func (r *run) noteLenient(ls []rpki.Leniency) {
	if len(ls) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
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
		r.mu.Lock()
		r.o.Observe(uri, nil)
		r.mu.Unlock()
	}
}

// resourceKey identifies the resolved resources of a CA node.
func (ca *caNode) resourceKey() string {
	ip, _ := ca.ip.Encode()
	var as []byte
	if ca.as != nil {
		as, _ = ca.as.Encode()
	}
	return hex.EncodeToString(ip) + "/" + hex.EncodeToString(as)
}
