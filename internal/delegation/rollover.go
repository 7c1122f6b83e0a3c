package delegation

import (
	"context"
	"fmt"
	"strings"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updowncli"
)

// Key rolls. The CA's (RFC 6489) runs in internal/ca; here the parent is
// asked for the NEW key's certificate (RFC 6492 §3.4, same class) and to
// revoke the OLD key's (§3.5). The identity's is an RFC 8183 exchange done
// by people: the new <child_request/> and <publisher_request/> are sent to
// every parent and repository, and once they have imported them the
// operator activates the new identity (IdentityActivate); until then road
// signs with the current one.

// Roll is the CA key roll's state (internal/ca).
type Roll = ca.Roll

// StartRoll starts a CA key roll and asks the parent for the new key's
// certificate at once.
func (s *Service) StartRoll(ctx context.Context, actor string) (*Roll, error) {
	r, err := s.cfg.CA.StartRoll(ctx, actor)
	if err != nil {
		return nil, err
	}
	if err := s.changed(ctx); err != nil {
		return r, err
	}
	s.Kick()
	return r, nil
}

// ActivateRoll ends a pending roll's staging period now and brings the
// repository up to date before it returns. The parent is asked to revoke
// the old key at its next poll (or parent sync), as after an activation
// at the end of the staging period: relying parties first see the
// objects under the new key with the old CA still certified.
func (s *Service) ActivateRoll(ctx context.Context, actor string) (*Roll, error) {
	r, err := s.cfg.CA.ActivateRoll(ctx, actor)
	if err != nil {
		return nil, err
	}
	if err := s.changed(ctx); err != nil {
		return r, err
	}
	s.forget("repositories/")
	return r, s.SyncPeers(ctx, false)
}

// KeyRoll is the current or last CA key roll (nil: none).
func (s *Service) KeyRoll(ctx context.Context) (*Roll, error) { return s.cfg.CA.KeyRoll(ctx) }

func (s *Service) changed(ctx context.Context) error {
	if s.cfg.Changed == nil {
		return nil
	}
	return s.cfg.Changed(ctx)
}

// rollParent does the parent's part of a CA key roll with p, the parent
// the CA holds its certificate from: the issue request for the NEW key,
// then, after the activation, the revocation of the OLD key. A repeated
// request after a crash is harmless: the parent answers with the
// certificate it issued, and a revocation it already did is error 1302.
func (s *Service) rollParent(ctx context.Context, id *identity.Identity, p *store.Peer) (bool, error) {
	parent, class, ok := s.cfg.CA.Parent()
	if !ok || parent != p.Name {
		return false, nil
	}
	par, err := parentOf(p)
	if err != nil {
		return false, err
	}
	cli := &updowncli.Client{HTTP: s.cfg.HTTP, Signer: id.Signer(s.cfg.Clock), Clock: s.cfg.Clock}
	if csr, ok, err := s.cfg.CA.NextCertificateRequest(ctx); err != nil || ok {
		if err != nil {
			return false, err
		}
		s.log.Info("key roll: requesting a certificate for the new key", "parent", p.Name, "class", class)
		issued, at, err := cli.Issue(ctx, par, class, csr) // RFC 6489 §2 step 2
		if !at.IsZero() {
			p.LastSigning = at
		}
		if err != nil {
			return false, err
		}
		ic := issued.Certificates[0]
		return true, s.cfg.CA.InstallNextCert(ctx, p.Name, ic.DER, firstRsync(ic.CertURLs))
	}
	ski, ok, err := s.cfg.CA.OldKeyID(ctx)
	if err != nil || !ok {
		return false, err
	}
	s.log.Info("key roll: asking the parent to revoke the old key", "parent", p.Name, "class", class)
	at, err := cli.Revoke(ctx, par, class, ski) // RFC 6489 §2 step 6
	if !at.IsZero() {
		p.LastSigning = at
	}
	if err != nil && !alreadyRevoked(err) {
		return false, err
	}
	return true, s.cfg.CA.FinishRoll(ctx, "parent "+p.Name)
}

// alreadyRevoked: the parent has no certificate for the key (RFC 6492
// §3.6 error 1302), as after a revocation whose answer was lost.
func alreadyRevoked(err error) bool {
	fe, ok := fault.As(err)
	return ok && fe.Code == updowncli.ReasonRefused && strings.Contains(fe.Message, fmt.Sprintf("refused: %d ", 1302))
}

// IdentityRoll makes the next BPKI identity (or returns the one already
// made) and the RFC 8183 requests that carry it.
func (s *Service) IdentityRoll(ctx context.Context, actor string) (childReq, publisherReq []byte, err error) {
	cur, err := s.identity(ctx)
	if err != nil {
		return nil, nil, err
	}
	next, err := identity.RollIn(ctx, s.cfg.Store, s.cfg.Keys, s.cfg.Clock())
	if err != nil {
		return nil, nil, err
	}
	if childReq, err = oob.EmitChildRequest(oob.ChildRequest{ChildHandle: next.Handle, ChildBPKI: next.OOB()}); err != nil {
		return nil, nil, err
	}
	if publisherReq, err = oob.EmitPublisherRequest(oob.PublisherRequest{PublisherHandle: next.Handle, PublisherBPKI: next.OOB()}); err != nil {
		return nil, nil, err
	}
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(s.cfg.Clock(), actor, "identity-roll", fmt.Sprintf(
			"new BPKI identity %s made beside %s: send its child_request and publisher_request to every parent and repository, then activate it",
			identitySKI(next), identitySKI(cur)), map[string]any{"next": identitySKI(next), "active": identitySKI(cur)})
		return err
	})
	return childReq, publisherReq, err
}

// IdentityActivate makes the next identity the one road signs with.
func (s *Service) IdentityActivate(ctx context.Context, actor string) error {
	next, err := identity.LoadIn(ctx, s.cfg.Store, s.cfg.Keys, "next")
	if err != nil {
		return fault.New(fault.Conflict, "no new identity to activate: roactl identity roll makes one", nil)
	}
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PromoteIdentity(); err != nil {
			return err
		}
		_, err := tx.AppendHistory(s.cfg.Clock(), actor, "identity-activate",
			"the BPKI identity "+identitySKI(next)+" signs road's RFC 6492 and RFC 8181 messages", nil)
		return err
	})
	if err == nil {
		s.Kick()
	}
	return err
}

func identitySKI(id *identity.Identity) string { return fmt.Sprintf("%X", id.Cert.SubjectKeyId) }
