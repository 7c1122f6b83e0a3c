// Package proposal is the path of one ROA change: parse the request, snapshot
// the inputs (configured ROAs and their exceptions, intents, live routes,
// held resources), run conflict.Analyze, decide block or override (recording
// a forced loose maxLength as the ROA's exception, RFC 9319 §5.1), apply it
// through ca and store in one transaction with its history record, and
// publish. It also owns the other changes the checks read: intents.
package proposal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Routes is the live route table as the checks read it.
type Routes interface {
	// Ready waits until the table holds what it should (kept imports loaded).
	Ready(ctx context.Context) error
	// Snapshot is an immutable view of the routes now: one proposal is
	// checked against one consistent table.
	Snapshot() route.Source
	// Incomplete names the configured BGP peers whose routes are missing.
	Incomplete() []string
}

// Config is what a Service works with.
type Config struct {
	// Approval says which changes wait for a second token (approval.go).
	Approval Policy
	// PropagationAlarm: Alarm (and the log) fires for an applied change the
	// RTR server does not serve this long after its approval (propagation.go).
	PropagationAlarm time.Duration
	Alarm            func(ctx context.Context, v any)

	Store  *store.Store
	CA     *ca.CA
	Routes Routes
	// Publish makes the publication equal to the store after a change;
	// Serial is the RRDP serial then live.
	Publish  func(ctx context.Context) error
	Serial   func() uint64
	Clock    func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Impact are the policy limits on a change's impact (impact.go).
	Impact Thresholds
}

// Service runs proposals and intent changes.
type Service struct {
	policy    Policy
	prop      *propagation
	st        *store.Store
	ca        *ca.CA
	routes    Routes
	publish   func(ctx context.Context) error
	serial    func() uint64
	clock     func() time.Time
	log       *slog.Logger
	proposals *prometheus.CounterVec
	limits    Thresholds
	own       ownCache // the holder's announced space, per table version (impact.go)

	propose sync.Mutex // held from check to commit of one proposal

	cacheMu  sync.Mutex
	cache    *checkState // nil: read the store (inputs.go)
	cacheGen uint64
}

// New returns a Service and registers its metrics.
func New(c Config) *Service {
	s := &Service{st: c.Store, ca: c.CA, routes: c.Routes, publish: c.Publish, serial: c.Serial,
		clock: c.Clock, log: c.Logger, limits: c.Impact,
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_proposals_total",
			Help: "ROA proposals by outcome."}, []string{"outcome"})}
	s.policy, s.prop = c.Approval, newPropagation(c)
	c.Registry.MustRegister(s.proposals)
	return s
}

// parseROA turns a requested ROA into a VRP. Syntax errors are the caller's
// mistake (fault.Invalid); a maxLength out of bounds is returned as a finding
// instead so the answer lists it with every other problem (bad-maxlength).
func parseROA(r ROA, field string) (vrp.VRP, *Finding, error) {
	p, err := vrp.ParsePrefix(r.Prefix)
	if err != nil {
		return vrp.VRP{}, nil, fault.Invalidf("%s: %v", field, err)
	}
	ml := r.MaxLength
	if ml == 0 {
		ml = p.Bits()
	}
	v := vrp.VRP{Prefix: p, ASN: r.ASN}
	if ml < p.Bits() || ml > p.Addr().BitLen() {
		v.MaxLen = uint8(min(max(ml, 0), 255))
		ref := r
		rule := conflict.RuleOf(conflict.KindBadMaxLength)
		return v, &Finding{Kind: conflict.KindBadMaxLength, Severity: rule.Severity, Overridable: rule.Overridable, ROA: &ref,
			Message: fmt.Sprintf("%s: maxLength %d is outside %d..%d for %s", field, ml, p.Bits(), p.Addr().BitLen(), p)}, nil
	}
	v.MaxLen = uint8(ml)
	return v, nil, nil
}

func roaOf(v vrp.VRP) ROA {
	return ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN}
}

// parsed is a request turned into VRPs, with the findings about ROAs that
// do not make one.
type parsed struct {
	adds     []ca.NewROA
	removes  []vrp.VRP
	findings []Finding
}

// parse checks a request's form: something to do, a reason for force, ROAs
// that parse. A ROA listed twice is merged into one (merge).
func parse(req *Request) (*parsed, error) {
	if len(req.Add)+len(req.Remove) == 0 {
		return nil, fault.Invalidf("empty proposal: nothing to add or remove")
	}
	if req.Force && strings.TrimSpace(req.Reason) == "" {
		return nil, fault.Invalidf("force needs a reason (--reason): it is written to the history")
	}
	out := &parsed{findings: []Finding{}}
	firstAdd := map[vrp.VRP]int{} // VRP -> request index of its first addition
	for i, r := range req.Add {
		v, f, err := parseROA(r, fmt.Sprintf("add[%d] %q", i, r.Prefix))
		if err != nil {
			return nil, err
		}
		if f != nil {
			out.findings = append(out.findings, *f)
			continue
		}
		exc := strings.TrimSpace(r.Exception)
		if len(exc) > maxReasonLen || strings.ContainsAny(exc, "\r\n") {
			return nil, fault.Invalidf("add[%d] %q: exception reason must be one line of at most %d bytes", i, r.Prefix, maxReasonLen)
		}
		a := ca.NewROA{VRP: v, Comment: r.Comment, Exception: exc}
		j, dup := firstAdd[v]
		if !dup {
			firstAdd[v] = i
			out.adds = append(out.adds, a)
			continue
		}
		if err := merge(out.adds, a, j, i); err != nil {
			return nil, err
		}
		out.findings = append(out.findings, duplicateFinding(v, "add", j, i))
	}
	firstRemove := map[vrp.VRP]int{}
	for i, r := range req.Remove {
		v, f, err := parseROA(r, fmt.Sprintf("remove[%d] %q", i, r.Prefix))
		if err != nil {
			return nil, err
		}
		if f != nil {
			out.findings = append(out.findings, *f)
			continue
		}
		if j, dup := firstRemove[v]; dup {
			out.findings = append(out.findings, duplicateFinding(v, "remove", j, i))
			continue
		}
		firstRemove[v] = i
		out.removes = append(out.removes, v)
	}
	return out, nil
}

// merge folds the repeated addition a (request index i) into the earlier
// one of the same ROA (request index j). What makes two additions the same
// ROA is the authorization they sign: prefix, origin AS and maxLength, an
// absent maxLength meaning the prefix length (RFC 9582 §4.3.2.2), so
// "192.0.2.0/24 => AS64496" and "192.0.2.0/24-24 => 64496" are one ROA with
// one EE certificate. Their comments and exceptions must agree; an empty one
// takes the other's.
func merge(adds []ca.NewROA, a ca.NewROA, j, i int) error {
	k := slices.IndexFunc(adds, func(x ca.NewROA) bool { return x.VRP == a.VRP })
	m := &adds[k]
	for _, f := range []struct {
		name      string
		have, add string
		dst       *string
	}{{"comment", m.Comment, a.Comment, &m.Comment}, {"exception", m.Exception, a.Exception, &m.Exception}} {
		switch {
		case f.add == "" || f.add == f.have:
		case f.have == "":
			*f.dst = f.add
		default:
			return fault.Invalidf("add[%d] repeats add[%d] (%s) with a different %s", i, j, a.VRP, f.name)
		}
	}
	return nil
}

// duplicateFinding reports a ROA listed twice, merged into one.
func duplicateFinding(v vrp.VRP, list string, j, i int) Finding {
	rule := conflict.RuleOf(conflict.KindDuplicate)
	r := roaOf(v)
	return Finding{Kind: conflict.KindDuplicate, Severity: rule.Severity, Overridable: rule.Overridable, ROA: &r,
		Message: fmt.Sprintf("%s is listed twice (%s[%d] and %s[%d]); merged into one", v, list, j, list, i)}
}

// Propose runs a ROA change through the safety checks and, unless blocked or
// a dry run, applies it: configure, sign, commit with its history record, then
// publish.
func (s *Service) Propose(ctx context.Context, actor string, req *Request) (*Result, error) {
	in, err := parse(req)
	if err != nil {
		return nil, err
	}
	res := &Result{DryRun: req.DryRun, Findings: in.findings}
	// Check and apply under one lock: no other proposal may change the ROAs
	// between the analysis and the commit.
	s.propose.Lock()
	defer s.propose.Unlock()
	checked, rep, err := s.check(ctx, in.adds, in.removes)
	if err != nil {
		return nil, err
	}
	res.Impact = &rep
	res.Findings = append(res.Findings, s.limits.overLimit(&rep)...)
	for _, f := range checked.Findings {
		res.Findings = append(res.Findings, findingOf(f))
	}
	if !decide(req, res, checked.Findings, in.adds) {
		s.proposals.WithLabelValues("blocked").Inc()
		return res, nil
	}
	for _, a := range in.adds {
		r := roaOf(a.VRP)
		r.Comment, r.Exception = a.Comment, a.Exception
		res.Added = append(res.Added, r)
	}
	for _, v := range in.removes {
		res.Removed = append(res.Removed, roaOf(v))
	}
	if held, err := s.hold(ctx, actor, req, res, in); held || err != nil {
		return res, err // pending: a second token approves it (changes.go)
	}
	if req.DryRun {
		s.proposals.WithLabelValues("dry-run").Inc()
		return res, nil
	}
	defer s.dropCheckCache()         // after the commit, before the unlock (deferred: last in, first out)
	defer s.ca.HoldKeyGeneration()() // signing and the gate get every core until the change is live
	if err := s.apply(ctx, actor, req, res, in); err != nil {
		return nil, err
	}
	res.Applied = true
	s.proposals.WithLabelValues("applied").Inc()
	perr := s.publish(ctx)
	if perr != nil {
		// The change is committed; the renewal loop republishes it.
		s.log.Error("publish after change", "err", perr)
	}
	res.Serial = s.serial()
	s.published(ctx, res, perr)
	if _, refused := fault.As(perr); refused {
		// The gate or the publication invariants refused it (internal/gate):
		// the change fails with their findings; nothing live changed.
		return nil, perr
	}
	return res, nil
}

// decide blocks the proposal or lets it through: a block stands unless the
// request forces it and every blocking finding may be overridden. A forced
// loose maxLength becomes the ROA's recorded exception (RFC 9319 §5.1), so
// later checks and audits do not flag it again. It reports whether the
// change goes ahead.
func decide(req *Request, res *Result, checked []conflict.Finding, adds []ca.NewROA) bool {
	blocked, overridable := false, true
	for _, f := range res.Findings {
		if f.Severity == conflict.SeverityBlock {
			blocked = true
			overridable = overridable && f.Overridable
		}
	}
	if blocked && !(req.Force && overridable) {
		res.Blocked = true
		return false
	}
	res.Overridden = blocked
	if !blocked {
		return true
	}
	for _, f := range checked {
		if f.Kind != conflict.KindLooseMaxLength || f.ROA == nil {
			continue
		}
		for i := range adds {
			if adds[i].VRP == *f.ROA && adds[i].Exception == "" {
				adds[i].Exception = strings.TrimSpace(req.Reason)
			}
		}
	}
	return true
}

// apply signs and commits the change with its history record in one
// transaction.
func (s *Service) apply(ctx context.Context, actor string, req *Request, res *Result, in *parsed) error {
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		ch, err := s.ca.ApplyChange(ctx, tx, in.adds, in.removes)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("%d ROA(s) added, %d removed", len(ch.Issued), len(ch.Revoked))
		if res.Overridden {
			summary += " (safety checks overridden: " + req.Reason + ")"
		}
		return s.record(tx, actor, req, res, summary) // the change's ID and history record (changes.go)
	})
	switch {
	case errors.Is(err, ca.ErrNoROA), errors.Is(err, ca.ErrNotHeld), errors.Is(err, vrp.ErrMaxLength):
		return fault.Invalidf("%v", err)
	}
	return err
}

// check runs the safety checks of a proposal: conflict.Analyze over the
// configured ROAs and their exceptions, the live routes, the intents and the
// CA's resources; and measures the impact of its net change on the same routes.
func (s *Service) check(ctx context.Context, adds []ca.NewROA, removes []vrp.VRP) (conflict.Result, impact.Report, error) {
	if err := s.routes.Ready(ctx); err != nil {
		return conflict.Result{}, impact.Report{}, err
	}
	cs, err := s.checkInputs(ctx)
	if err != nil {
		return conflict.Result{}, impact.Report{}, err
	}
	snap, ver := s.snapshot()
	in := conflict.Input{Current: cs.current, Remove: removes, Routes: snap, Intents: cs.intents,
		HeldFunc: s.ca.Holds, Exceptions: cs.exceptions}
	cloned := false
	for _, a := range adds {
		in.Add = append(in.Add, a.VRP)
		if a.Exception != "" {
			if !cloned {
				in.Exceptions, cloned = maps.Clone(cs.exceptions), true // the cached map is shared
			}
			in.Exceptions[a.VRP] = a.Exception
		}
	}
	res := conflict.Analyze(in)
	if missing := s.routes.Incomplete(); len(missing) > 0 {
		// The checks are only as good as the routes they see.
		f := conflict.NewFinding(conflict.KindRoutesIncomplete,
			fmt.Sprintf("routes missing from BGP peer(s) %s: the checks cannot see what they announce", strings.Join(missing, ", ")))
		res.Findings = append([]conflict.Finding{f}, res.Findings...)
		res.Blocked = true
	}
	return res, s.measure(snap, ver, cs.current, res.Added, res.Removed), nil
}

// intents reads the intents as the analysis takes them.
func (s *Service) intents(tx *store.Tx) ([]conflict.Intent, error) {
	ins, err := tx.Intents()
	out := make([]conflict.Intent, 0, len(ins))
	for _, in := range ins {
		out = append(out, conflict.Intent{Prefix: in.Prefix, Origin: in.Origin, Note: in.Note})
	}
	return out, err
}

// findingOf is a conflict finding as results and history carry it.
func findingOf(f conflict.Finding) Finding {
	out := Finding{Kind: f.Kind, Severity: f.Severity, Overridable: f.Overridable, Message: f.Message}
	if f.ROA != nil {
		r := roaOf(*f.ROA)
		out.ROA = &r
	}
	if f.Route != nil {
		out.Route = &RouteRef{Prefix: f.Route.Prefix.String(), Origin: f.Route.Origin, NoOrigin: f.Route.NoOrigin}
	}
	if f.Intent != nil {
		out.Intent = &IntentRef{Prefix: f.Intent.Prefix.String(), Origin: f.Intent.Origin, Note: f.Intent.Note}
	}
	return out
}

// maxReasonLen bounds free-text reasons (force, exceptions) kept in history.
const maxReasonLen = 500
