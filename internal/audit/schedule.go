package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Run runs the scheduled audits until ctx ends. Cron fires on the
// wall clock; the audits themselves read the daemon's clock.
func (s *Service) Run(ctx context.Context) error {
	if err := s.met.seed(ctx, s); err != nil && ctx.Err() == nil {
		s.log.Error("audit metrics from the stored results", "err", err)
	}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	n := 0
	for _, j := range []struct{ kind, spec string }{
		{Expiry, s.opt.Schedule.Expiry},
		{Consistency, s.opt.Schedule.Consistency},
		{BGP, s.opt.Schedule.BGP},
	} {
		if j.spec == "" {
			continue
		}
		kind := j.kind
		if _, err := c.AddFunc(j.spec, func() {
			if _, err := s.RunAudit(ctx, kind); err != nil && ctx.Err() == nil {
				s.log.Error("scheduled audit", "kind", kind, "err", err)
				s.opt.Errors.WithLabelValues("audit").Inc()
			}
		}); err != nil {
			return fmt.Errorf("schedule of the %s audit %q: %w", kind, j.spec, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done() // wait for running audits
	return nil
}
