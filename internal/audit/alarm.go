package audit

import "context"

// Alarm posts v, an alarm of another part (a ROA change that did not reach
// the routers in time), to the alert webhook when one is configured.
func (s *Service) Alarm(ctx context.Context, v any) {
	if s.hook == nil {
		return
	}
	if err := s.hook.Send(ctx, v); err != nil {
		s.log.Error("alarm webhook", "err", err)
		s.opt.Errors.WithLabelValues("webhook").Inc()
	}
}
