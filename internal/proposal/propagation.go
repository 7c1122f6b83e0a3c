package proposal

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// StageLate marks a change whose propagation alarm fired (once per change).
const StageLate = "late"

// Propagation bounds: only changes applied within the window are followed,
// at most followLimit of them per look.
const (
	propagationWindow = 7 * 24 * time.Hour
	followLimit       = 100
	// DefaultPropagationAlarm is Config.PropagationAlarm when it is unset.
	DefaultPropagationAlarm = 15 * time.Minute
)

// propagation holds the metrics and the alarm of the change timeline.
type propagation struct {
	alarmAfter time.Duration
	alarm      func(ctx context.Context, v any) // nil: log only
	toRTR      prometheus.Histogram
	late       prometheus.Counter
}

func newPropagation(c Config) *propagation {
	p := &propagation{alarmAfter: c.PropagationAlarm, alarm: c.Alarm,
		toRTR: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "road_change_approval_to_rtr_seconds",
			Help:    "Time from a ROA change's approval (or signing, when it needed none) to the RTR server serving it.",
			Buckets: []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}}),
		late: prometheus.NewCounter(prometheus.CounterOpts{Name: "road_change_propagation_late_total",
			Help: "ROA changes not served over RTR within the propagation alarm time."})}
	if p.alarmAfter <= 0 {
		p.alarmAfter = DefaultPropagationAlarm
	}
	c.Registry.MustRegister(p.toRTR, p.late)
	return p
}

// Observed is what one part of the pipeline shows now.
type Observed struct {
	Stage   string    // StageValidated (road's own relying party), StageRTR (the RTR server) or StageExternal
	VRPs    vrp.Set   // the VRPs it validated or serves
	Serial  uint64    // StageRTR: the RTR serial
	Routers int       // StageRTR: routers connected
	At      time.Time // when it showed them (zero: now)
	Note    string    // shown in the stage's detail
}

// shows reports whether view holds every VRP the change added and none it removed.
func shows(d changeDetail, view vrp.Set) bool {
	for _, r := range d.Add {
		if v, ok := vrpOf(r); !ok || !view.Contains(v) {
			return false
		}
	}
	for _, r := range d.Remove {
		if v, ok := vrpOf(r); ok && view.Contains(v) {
			return false
		}
	}
	return true
}

// Observe records o.Stage for each recently signed change that o.VRPs
// shows. Errors are logged: following a change never holds up RTR.
func (s *Service) Observe(ctx context.Context, o Observed) {
	now := s.clock()
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		cs, err := tx.ChangesWithout(StageSigned, o.Stage, now.Add(-propagationWindow), followLimit)
		if err != nil {
			return err
		}
		for _, c := range cs {
			var d changeDetail
			if !o.At.IsZero() && o.At.Before(c.DecidedAt) {
				continue // a view built before the change cannot show it
			}
			if json.Unmarshal(c.Detail, &d) != nil || !shows(d, o.VRPs) {
				continue
			}
			if o.Stage == StageValidated { // fetched, so published (by a later publication if Propose's failed)
				if err := addEvent(tx, c.ID, StagePublished, now, "", eventDetail{Note: "seen by the relying party"}); err != nil {
					return err
				}
			}
			ev, at := eventDetail{Serial: o.Serial, Routers: o.Routers, Note: o.Note}, now
			if !o.At.IsZero() {
				at = o.At
			}
			if err := addEvent(tx, c.ID, o.Stage, at, "", ev); err != nil {
				return err
			}
			if o.Stage == StageRTR {
				s.prop.toRTR.Observe(max(now.Sub(c.DecidedAt), 0).Seconds())
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("change propagation", "stage", o.Stage, "err", err)
	}
}

// CheckLate raises the alarm for each applied change that the RTR server
// does not serve yet, longer than the alarm time after its approval (or
// signing): an error log line, the counter, a "late" stage in its timeline
// naming the stages it misses, and the alarm callback (the webhook).
func (s *Service) CheckLate(ctx context.Context) {
	now := s.clock()
	type lateChange struct {
		ID      int64     `json:"change"`
		Since   time.Time `json:"since"`
		Missing []string  `json:"missing"`
	}
	var late []lateChange
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		cs, err := tx.ChangesWithout(StageSigned, StageLate, now.Add(-propagationWindow), followLimit)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.State != StateApplied || now.Sub(c.DecidedAt) < s.prop.alarmAfter {
				continue
			}
			missing, err := missingStages(tx, c.ID)
			if err != nil || !slices.Contains(missing, StageRTR) {
				continue // served: a publication retried later may have left "published" unrecorded
			}
			note := "not " + strings.Join(missing, ", not ") + fmt.Sprintf(" within %s", s.prop.alarmAfter)
			if err := addEvent(tx, c.ID, StageLate, now, "", eventDetail{Note: note}); err != nil {
				return err
			}
			late = append(late, lateChange{ID: c.ID, Since: c.DecidedAt, Missing: missing})
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("change propagation alarm", "err", err)
	}
	for _, l := range late {
		s.prop.late.Inc()
		s.log.Error("change propagation late", "change", l.ID, "since", l.Since, "missing", strings.Join(l.Missing, ","))
		if s.prop.alarm != nil {
			s.prop.alarm(ctx, map[string]any{"alarm": "change-propagation-late", "change": l.ID, "since": l.Since,
				"missing": l.Missing, "after": s.prop.alarmAfter.String()})
		}
	}
}

// missingStages lists the propagation stages change id has not reached.
func missingStages(tx *store.Tx, id int64) ([]string, error) {
	es, err := tx.ChangeEvents(id)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.Stage] = true
	}
	var out []string
	for _, st := range []string{StagePublished, StageValidated, StageRTR} {
		if !seen[st] {
			out = append(out, st)
		}
	}
	return out, nil
}

// Follow records what road's own relying party validated (own) and what the
// RTR server now serves (served, at serial, to routers connected routers).
func (s *Service) Follow(ctx context.Context, own, served vrp.Set, serial uint64, routers int) {
	s.Observe(ctx, Observed{Stage: StageValidated, VRPs: own})
	s.Observe(ctx, Observed{Stage: StageRTR, VRPs: served, Serial: serial, Routers: routers})
}
