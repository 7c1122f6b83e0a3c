package proposal

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Intents lists the intended announcements.
func (s *Service) Intents(ctx context.Context) ([]Intent, error) {
	out := []Intent{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		ins, err := tx.Intents()
		for _, in := range ins {
			out = append(out, Intent{Prefix: in.Prefix.String(), Origin: in.Origin, Note: in.Note, CreatedAt: in.CreatedAt})
		}
		return err
	})
	return out, err
}

func parseIntent(in *Intent) (netip.Prefix, error) {
	p, err := vrp.ParsePrefix(in.Prefix)
	if err != nil {
		return p, fault.Invalidf("intent: %v", err)
	}
	return p, nil
}

// AddIntent records an intended announcement and sets *in to what is
// stored. It must lie in the CA's resources (road could never sign a ROA
// making it Valid otherwise) and have a real origin (AS0 originates nothing,
// RFC 7607). Recording an intent again keeps its note unless a new one is
// given.
func (s *Service) AddIntent(ctx context.Context, actor string, in *Intent) error {
	p, err := parseIntent(in)
	if err != nil {
		return err
	}
	if in.Origin == 0 {
		return fault.Invalidf("intent %s: origin AS0 cannot announce anything (RFC 7607)", p)
	}
	if len(in.Note) > maxReasonLen {
		return fault.Invalidf("intent %s: note longer than %d bytes", p, maxReasonLen)
	}
	if !s.ca.Holds(p) {
		ip, _ := s.ca.Resources()
		held := []string{}
		for _, h := range ip.Prefixes() {
			held = append(held, h.String())
		}
		return fault.New(fault.Invalid, fmt.Sprintf("intent %s is outside the CA's IP resources", p), map[string]any{"held": held})
	}
	defer s.dropCheckCache()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		stored, err := tx.AddIntent(p, in.Origin, in.Note, s.clock())
		if err != nil {
			return err
		}
		if _, err := tx.AppendHistory(s.clock(), actor, "intent-add", fmt.Sprintf("intent %s AS%d", p, in.Origin), in); err != nil {
			return err
		}
		*in = Intent{Prefix: p.String(), Origin: stored.Origin, Note: stored.Note, CreatedAt: stored.CreatedAt}
		return nil
	})
}

// RemoveIntent deletes an intended announcement.
func (s *Service) RemoveIntent(ctx context.Context, actor string, in *Intent) error {
	p, err := parseIntent(in)
	if err != nil {
		return err
	}
	defer s.dropCheckCache()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RemoveIntent(p, in.Origin); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fault.NotFoundf("no intent %s AS%d", p, in.Origin)
			}
			return err
		}
		_, err := tx.AppendHistory(s.clock(), actor, "intent-remove", fmt.Sprintf("intent %s AS%d", p, in.Origin), in)
		return err
	})
}
