package delegation

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
	"github.com/roadrpki/road/internal/updowncli"
)

// syncClasses certifies a CA instance of its own (internal/ca, classes.go)
// for every class of the parent with resources other than first (the one
// the "ca" instance holds its certificate in): a key is certified in one
// class only (RFC 6492 §3.4). The class CAs of this parent whose class is
// gone or empty are dropped (their objects withdrawn). It reports whether
// the CA changed.
func (s *Service) syncClasses(ctx context.Context, cli *updowncli.Client, par updowncli.Parent, p *store.Peer,
	classes []updown.Class, first *updown.Class) (bool, error) {
	changed := false
	keep := map[string]bool{}
	for i := range classes {
		cl := &classes[i]
		if cl.Resources.IsEmpty() || first != nil && cl.Name == first.Name || s.firstElsewhere(p.Name, cl.Name) {
			continue
		}
		name := ca.ClassCAName(p.Name, cl.Name)
		keep[name] = true
		c, err := s.syncClass(ctx, cli, par, p, cl, name)
		changed = changed || c
		if err != nil {
			return changed, err
		}
	}
	for _, name := range s.cfg.CA.ClassCAs() {
		if parent, _ := ca.ClassOf(name); parent != p.Name || keep[name] {
			continue
		}
		res, err := s.cfg.CA.DropClassCA(ctx, "parent:"+p.Name, name)
		if err != nil {
			return changed, err
		}
		changed = true
		s.noteWithdrawn(p.Name, res)
	}
	return changed, nil
}

// classHeld: a further class CA holds its certificate from class at parent.
func (s *Service) classHeld(parent, class string) bool {
	return slices.Contains(s.cfg.CA.ClassCAs(), ca.ClassCAName(parent, class))
}

// firstElsewhere: the "ca" instance holds its certificate in class at
// parent (then it is not a further class).
func (s *Service) firstElsewhere(parent, class string) bool {
	held, c, ok := s.cfg.CA.Parent()
	return ok && held == parent && c == class
}

// syncClass asks for a certificate for the class CA name when it has none
// for its key, when it does not carry the class's resources or the CA's
// SIA, or when it nears expiry, and installs what the parent lists or
// issued when it differs from the one held.
func (s *Service) syncClass(ctx context.Context, cli *updowncli.Client, par updowncli.Parent, p *store.Peer,
	cl *updown.Class, name string) (bool, error) {
	if _, err := s.cfg.CA.EnsureClassCA(ctx, p.Name, cl.Name); err != nil {
		return false, err
	}
	ski, err := s.cfg.CA.ClassKeyID(ctx, name)
	if err != nil {
		return false, err
	}
	repo, held, err := s.cfg.CA.ClassRepository(ctx, name)
	if err != nil {
		return false, err
	}
	_, notify, err := s.cfg.CA.Repository(ctx)
	if err != nil {
		return false, err
	}
	cert, der, uri := ourCert(cl, ski)
	if need, why := s.needIssueAt(cl, cert, repo, notify); need {
		s.log.Info("requesting a certificate", "parent", p.Name, "class", cl.Name, "ca", name, "why", why)
		csr, err := s.cfg.CA.ClassCertificateRequest(ctx, name)
		if err != nil {
			return false, err
		}
		par.LastSigning = p.LastSigning
		if der, uri, err = issue(ctx, cli, par, p, cl.Name, csr); err != nil {
			return false, err
		}
	}
	if bytes.Equal(held, der) {
		return false, nil
	}
	res, err := s.cfg.CA.InstallClassCert(ctx, "parent:"+p.Name, name, der, uri)
	if err != nil {
		return false, err
	}
	s.noteWithdrawn(p.Name, res)
	return res.Changed, s.storeCert(ctx, p.Name, cl, der, uri)
}

// noteWithdrawn logs and flags (the alarm after the pass) configured ROAs
// a parent's change left uncovered.
func (s *Service) noteWithdrawn(parent string, res *ca.Installed) {
	if len(res.Withdrawn) == 0 {
		return
	}
	s.lost = true
	s.log.Error("the parent no longer covers configured ROAs: they are withdrawn", "parent", parent,
		"roas", fmt.Sprint(res.Withdrawn), "resources", strings.Join(res.Resources, ", "))
}

// needIssueAt says whether to ask for a new certificate for a CA
// publishing at repo and notify, and why.
func (s *Service) needIssueAt(cl *updown.Class, cert *rpki.Certificate, repo, notify string) (bool, string) {
	if cert == nil {
		return true, "no certificate for the CA's key"
	}
	ip, as := cl.Resources.IPResources(), cl.Resources.ASResources()
	switch {
	case resourceKey(cert.IP, cert.AS) != resourceKey(&ip, &as):
		return true, "the class's resources changed"
	case cert.SIA.CARepository != repo || cert.SIA.Notify != notify:
		return true, "the CA's publication point moved"
	case cert.NotAfter.Sub(s.cfg.Clock()) < s.cfg.ReissueBefore:
		return true, "the certificate nears expiry"
	}
	return false, ""
}
