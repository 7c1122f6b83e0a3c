package delegation

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
	"github.com/roadrpki/road/internal/updowncli"
)

// syncParent lists the parent's classes (RFC 6492 §3.3), stores them, and
// for the class the CA holds its certificate in (or, the first time, the
// first class with resources) asks for a certificate when there is none
// for the CA's key, when it does not carry the class's resources or the
// CA's current SIA, or when it nears expiry (§3.4); a certificate the
// parent lists that differs from the one held is installed. It reports
// whether the CA changed.
func (s *Service) syncParent(ctx context.Context, id *identity.Identity, p *store.Peer) (bool, error) {
	par, err := parentOf(p)
	if err != nil {
		return false, err
	}
	cli := &updowncli.Client{HTTP: s.cfg.HTTP, Signer: id.Signer(s.cfg.Clock), Clock: s.cfg.Clock}
	classes, at, err := cli.List(ctx, par)
	if !at.IsZero() {
		p.LastSigning, par.LastSigning = at, at
	}
	if err != nil {
		return false, err
	}
	if err := s.storeClasses(ctx, p.Name, classes); err != nil {
		return false, err
	}
	cl := s.pick(p.Name, classes)
	if cl == nil {
		return s.syncClasses(ctx, cli, par, p, classes, nil) // classes.go
	}
	changed, err := s.syncFirst(ctx, cli, par, p, cl)
	if err != nil {
		return changed, err
	}
	more, err := s.syncClasses(ctx, cli, par, p, classes, cl)
	return changed || more, err
}

// issue sends an RFC 6492 issue request for class and returns the issued
// certificate and its rsync URI; p keeps the response's signing-time.
func issue(ctx context.Context, cli *updowncli.Client, par updowncli.Parent, p *store.Peer, class string, csr []byte) ([]byte, string, error) {
	issued, at, err := cli.Issue(ctx, par, class, csr)
	if !at.IsZero() {
		p.LastSigning = at
	}
	if err != nil {
		return nil, "", err
	}
	ic := issued.Certificates[0]
	return ic.DER, firstRsync(ic.CertURLs), nil
}

// syncFirst keeps the certificate of the "ca" instance in class cl.
func (s *Service) syncFirst(ctx context.Context, cli *updowncli.Client, par updowncli.Parent, p *store.Peer, cl *updown.Class) (bool, error) {
	ski, err := s.cfg.CA.KeyID(ctx)
	if err != nil {
		return false, err
	}
	cert, der, uri := ourCert(cl, ski)
	need, why, err := s.needIssue(ctx, cl, cert)
	if err != nil {
		return false, err
	}
	if need {
		s.log.Info("requesting a certificate", "parent", p.Name, "class", cl.Name, "why", why)
		csr, err := s.cfg.CA.CertificateRequest(ctx)
		if err != nil {
			return false, err
		}
		if der, uri, err = issue(ctx, cli, par, p, cl.Name, csr); err != nil {
			return false, err
		}
	}
	held, err := s.cfg.CA.CertDER(ctx)
	if err != nil || bytes.Equal(held, der) {
		return false, err
	}
	res, err := s.cfg.CA.InstallIssuedCert(ctx, "parent:"+p.Name, p.Name, cl.Name, der, uri)
	if err != nil {
		return false, err
	}
	s.noteWithdrawn(p.Name, res)
	if err := s.storeCert(ctx, p.Name, cl, der, uri); err != nil {
		return res.Changed, err
	}
	return res.Changed, nil
}

// pick is the class the CA takes its certificate from at this parent: the
// one it holds one in, else (not yet parented) the first with resources.
func (s *Service) pick(parent string, classes []updown.Class) *updown.Class {
	held, class, ok := s.cfg.CA.Parent()
	if ok && held != parent {
		return nil
	}
	for i := range classes {
		if ok && classes[i].Name == class || !ok && !classes[i].Resources.IsEmpty() {
			return &classes[i]
		}
	}
	return nil
}

// ourCert is the certificate the class lists for the key ski.
func ourCert(cl *updown.Class, ski []byte) (*rpki.Certificate, []byte, string) {
	for _, ic := range cl.Certificates {
		c, err := rpki.ParseCertificate(ic.DER)
		if err == nil && bytes.Equal(c.SKI, ski) {
			return c, ic.DER, firstRsync(ic.CertURLs)
		}
	}
	return nil, nil, ""
}

func firstRsync(uris []string) string {
	for _, u := range uris {
		if strings.HasPrefix(u, "rsync://") {
			return u
		}
	}
	if len(uris) > 0 {
		return uris[0]
	}
	return ""
}

// needIssue says whether to ask for a new certificate, and why.
func (s *Service) needIssue(ctx context.Context, cl *updown.Class, cert *rpki.Certificate) (bool, string, error) {
	if cert == nil {
		return true, "no certificate for the CA's key", nil
	}
	repo, notify, err := s.cfg.CA.Repository(ctx)
	if err != nil {
		return false, "", err
	}
	need, why := s.needIssueAt(cl, cert, repo, notify) // classes.go
	return need, why, nil
}

// resourceKey is a canonical text of resources, for comparison.
func resourceKey(ip *rpki.IPResources, as *rpki.ASResources) string {
	var parts []string
	if ip != nil {
		for _, p := range ip.Prefixes() {
			parts = append(parts, p.String())
		}
	}
	if as != nil {
		a := rpki.ASResources{Ranges: slices.Clone(as.Ranges)}
		a.Canonicalize()
		for _, r := range a.Ranges {
			parts = append(parts, fmt.Sprintf("AS%d-%d", r.Min, r.Max))
		}
	}
	return strings.Join(parts, ",")
}

// storeClasses records the parent's classes, keeping each one's
// certificate, and forgets the classes it no longer lists.
func (s *Service) storeClasses(ctx context.Context, parent string, classes []updown.Class) error {
	now := s.cfg.Clock()
	return s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		old, err := tx.ParentClasses(parent)
		if err != nil {
			return err
		}
		listed := map[string]bool{}
		for _, cl := range classes {
			listed[cl.Name] = true
			row := store.ParentClass{Parent: parent, Class: cl.Name, Resources: classResources(&cl), NotAfter: cl.NotAfter, UpdatedAt: now}
			for _, o := range old {
				if o.Class == cl.Name {
					row.CertDER, row.CertURI = o.CertDER, o.CertURI
				}
			}
			if err := tx.PutParentClass(&row); err != nil {
				return err
			}
		}
		for _, o := range old {
			if !listed[o.Class] {
				if err := tx.DeleteParentClass(parent, o.Class); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func classResources(cl *updown.Class) string {
	ip, as := cl.Resources.IPResources(), cl.Resources.ASResources()
	var parts []string
	for _, r := range as.Ranges {
		if r.Min == r.Max {
			parts = append(parts, fmt.Sprintf("AS%d", r.Min))
		} else {
			parts = append(parts, fmt.Sprintf("AS%d-AS%d", r.Min, r.Max))
		}
	}
	for _, p := range ip.Prefixes() {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ", ")
}

// storeCert records the certificate installed from a class.
func (s *Service) storeCert(ctx context.Context, parent string, cl *updown.Class, der []byte, uri string) error {
	return s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.PutParentClass(&store.ParentClass{Parent: parent, Class: cl.Name, Resources: classResources(cl),
			NotAfter: cl.NotAfter, CertDER: der, CertURI: uri, UpdatedAt: s.cfg.Clock()})
	})
}
