package gate

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/vrp"
)

// Config configures a Gate.
type Config struct {
	TALPath string // road's own TAL (DataDir/road.tal), unless TAL is set
	// TAL, when set, is road's own TAL from where road keeps its trust
	// anchor (the CA's database), so the gate does not depend on the file.
	TAL       func(ctx context.Context) (*rpki.TAL, error)
	RsyncBase string // the staged tree's root is this URI
	// Command is an external relying party run on the staged tree (nil:
	// none); see external.go for its placeholders.
	Command []string
	Timeout time.Duration // bounds one whole check (default 30s)
	WorkDir string        // where the scratch caches live (created; default os.TempDir())
	Memo    *rp.Memo      // parsed objects by hash across checks (nil: none)
	Logger  *slog.Logger
}

// Gate validates staged trees.
type Gate struct {
	cfg Config
	log *slog.Logger

	keptMu sync.Mutex   // held by the check using kept
	kept   *keptScratch // the scratch cache kept between checks (scratch.go)
}

// New returns a Gate.
func New(cfg Config) *Gate {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gate{cfg: cfg, log: cfg.Logger}
}

// Input is one staged publication to check.
type Input struct {
	Dir  string  // the staged rsync tree (its root is Config.RsyncBase)
	Want vrp.Set // the configured ROAs after the change
	// Delegated is what the tree carries for road's child CAs and
	// publishers (delegated.go).
	Delegated Delegated
	Now       time.Time // the current time
}

// Check validates in.Dir from the TAL at in.Now and at the earliest
// nextUpdate of its manifests and CRLs. It returns nil, or a *Refusal.
func (g *Gate) Check(ctx context.Context, in Input) error {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	// Both runs share the Memo's generation: what this check does not use
	// is forgotten at the next. The earliest nextUpdate is read while the
	// TAL and the scratch cache are prepared.
	g.cfg.Memo.Rotate()
	var next time.Time
	var nextErr error
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { next, nextErr = earliestNextUpdate(in.Dir, g.cfg.Memo) })
	tal, cache, talPath, cleanup, r := g.prepare(ctx, in.Dir)
	if r != nil {
		return r
	}
	defer cleanup()
	// The run at the current time starts at once; the run at the earliest
	// nextUpdate beside it, once that is known. The staged tree does not
	// change during the check: both runs share its reads.
	reads := &rp.Reads{}
	defer reads.Close()
	first := make(chan []Finding, 1)
	go func() { first <- g.validate(ctx, cache, reads, tal, in, in.Now) }()
	clocks := []time.Time{in.Now}
	var later []Finding
	wg.Wait()
	if nextErr != nil {
		later = []Finding{{Code: CodeRPError, Detail: nextErr.Error()}}
	} else if !next.IsZero() && next.After(in.Now) {
		clocks = append(clocks, next)
		later = g.validate(ctx, cache, reads, tal, in, next)
	}
	fs := <-first
	if len(fs) == 0 {
		fs = later // the first clock's findings name the difference
	}
	if len(fs) == 0 && len(g.cfg.Command) > 0 {
		fs = g.external(ctx, cache, talPath, in, clocks)
	}
	if len(fs) > 0 {
		return refuse("gate", fs...)
	}
	return nil
}

// prepare loads the TAL and lays out the scratch cache for dir; talPath is
// the TAL file the external command reads ({tal}).
func (g *Gate) prepare(ctx context.Context, dir string) (tal rp.TAL, cache, talPath string, cleanup func(), r *Refusal) {
	tal, err := g.loadTAL(ctx)
	if err != nil {
		return tal, "", "", nil, refuse("gate", Finding{Code: CodeRPError, Subject: "road.tal", Detail: err.Error()})
	}
	cache, cleanup, err = g.scratchFor(dir, tal)
	if err != nil {
		return tal, "", "", nil, refuse("gate", Finding{Code: CodeRPError, Detail: "preparing the offline cache: " + err.Error()})
	}
	talPath = g.cfg.TALPath
	if g.cfg.TAL != nil && len(g.cfg.Command) > 0 { // {tal} of the external command
		talPath = filepath.Join(cache, "road.tal")
		if err := os.WriteFile(talPath, tal.TAL.Encode(), 0o600); err != nil {
			cleanup()
			return tal, "", "", nil, refuse("gate", Finding{Code: CodeRPError, Detail: "preparing the offline cache: " + err.Error()})
		}
	}
	return tal, cache, talPath, cleanup, nil
}

// loadTAL reads road's TAL (Config.TAL, else Config.TALPath).
func (g *Gate) loadTAL(ctx context.Context) (rp.TAL, error) {
	if g.cfg.TAL == nil {
		return rp.LoadTAL(g.cfg.TALPath)
	}
	t, err := g.cfg.TAL(ctx)
	if err != nil {
		return rp.TAL{}, err
	}
	return rp.TAL{Name: "road", TAL: t}, nil
}

func refuse(stage string, fs ...Finding) *Refusal { return &Refusal{Stage: stage, Findings: fs} }

// validate runs the bundled relying party at one clock and compares.
func (g *Gate) validate(ctx context.Context, cache string, reads *rp.Reads, tal rp.TAL, in Input, at time.Time) []Finding {
	res, err := rp.Validate(ctx, rp.Options{Cache: cache, Clock: func() time.Time { return at }, Memo: g.cfg.Memo, Reads: reads,
		Logger: g.log.With("pkg", "gate")}, []rp.TAL{tal})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return []Finding{{Code: CodeRPError, Detail: fmt.Sprintf("validating at %s: %v", stamp(at), err)}}
	}
	var fs []Finding
	for _, x := range res.Rejected {
		if in.Delegated.theirs(x.URI) {
			continue
		}
		fs = append(fs, Finding{Code: CodeRejected, Subject: x.URI,
			Detail: fmt.Sprintf("at %s: %s %s", stamp(at), x.Reason, x.Detail)})
	}
	fs = append(fs, compare(in.Want, in.Delegated.own(res.Set(), in.Want), CodeVRPMissing, CodeVRPExtra, "the bundled relying party", at)...)
	return fs
}

// compare names every difference between the configured and the validated VRPs.
func compare(want, got vrp.Set, missing, extra, who string, at time.Time) []Finding {
	added, removed := got.Diff(want)
	var fs []Finding
	for _, v := range removed {
		fs = append(fs, Finding{Code: missing, Subject: v.String(),
			Detail: fmt.Sprintf("configured, but %s does not validate it from the staged tree at %s", who, stamp(at))})
	}
	for _, v := range added {
		fs = append(fs, Finding{Code: extra, Subject: v.String(),
			Detail: fmt.Sprintf("%s validates it from the staged tree at %s, but it is not configured", who, stamp(at))})
	}
	return fs
}

// earliestNextUpdate is the soonest nextUpdate of the staged manifests and
// CRLs (RFC 9286 §4.2.1, RFC 5280 §5.1.2.5): the state must stay valid
// until then, when road renews it. Zero when there is none. The parses
// are the Memo's, which the relying party's runs use too.
func earliestNextUpdate(dir string, memo *rp.Memo) (time.Time, error) {
	var next time.Time
	note := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := filepath.Ext(p)
		if ext != ".mft" && ext != ".crl" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if ext == ".crl" {
			if c, err := memo.ParseCRL(b); err == nil {
				note(c.NextUpdate)
			}
			return nil // a bad one is the relying party's finding
		}
		if _, m, err := memo.ParseManifest(b); err == nil {
			note(m.NextUpdate)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the staged tree: %w", err)
	}
	return next, nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
