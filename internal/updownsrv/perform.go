package updownsrv

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

// perform answers an authenticated query inside one transaction that also
// records its signing time (RFC 6492 §3.1.2 (5)); changed reports whether
// the CA's objects changed.
func (s *Server) perform(ctx context.Context, child string, m *verified) (resp *updown.Message, changed bool, err error) {
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.Child(child)
		if err != nil {
			return err
		}
		row.LastSigningTime = m.signingTime
		if err := tx.PutChild(row); err != nil {
			return err
		}
		switch m.Type {
		case updown.TypeList:
			resp, err = s.list(tx, row)
		case updown.TypeIssue:
			resp, changed, err = s.issue(ctx, tx, row, m.Request)
		case updown.TypeRevoke:
			resp, changed, err = s.revoke(ctx, tx, row, m.Key)
		}
		return err
	})
	return resp, changed, err
}

// entitled is the child's entitlement ∩ what the CA holds, with the issuer.
func (s *Server) entitled(tx *store.Tx, row *store.Child) (Resources, *ca.Issuer, error) {
	ent, err := ParseResources(row.Resources)
	if err != nil {
		return Resources{}, nil, fmt.Errorf("child %s: stored resources: %w", row.Name, err)
	}
	iss, err := s.cfg.CA.ChildIssuer(tx)
	if err != nil {
		return Resources{}, nil, err
	}
	return Resources{IP: ca.IntersectIP(iss.IP, ent.IP), AS: ca.IntersectAS(iss.AS, ent.AS)}, iss, nil
}

// class is the child's one resource class (RFC 6492 §3.3.2), with the
// certificates issued to it when withCerts.
func (s *Server) class(tx *store.Tx, row *store.Child, withCerts bool) (updown.Class, error) {
	res, iss, err := s.entitled(tx, row)
	if err != nil {
		return updown.Class{}, err
	}
	c := updown.Class{Name: ClassName, CertURLs: []string{iss.URI}, Resources: res.set(), NotAfter: iss.NotAfter, Issuer: iss.DER}
	if !withCerts {
		return c, nil
	}
	certs, err := tx.ChildCerts(row.Name)
	if err != nil {
		return c, err
	}
	objs, err := tx.Objects(ca.CAName)
	if err != nil {
		return c, err
	}
	byURI := map[string][]byte{}
	for _, o := range objs {
		byURI[o.URI] = o.DER
	}
	for _, cc := range certs {
		if der, ok := byURI[cc.URI]; ok {
			c.Certificates = append(c.Certificates, updown.IssuedCert{CertURLs: []string{cc.URI}, DER: der})
		}
	}
	return c, nil
}

func (s *Server) list(tx *store.Tx, row *store.Child) (*updown.Message, error) {
	c, err := s.class(tx, row, true)
	if err != nil {
		return nil, err
	}
	return &updown.Message{Type: updown.TypeListResponse, Classes: []updown.Class{c}}, nil
}

// issue certifies the key of the request (RFC 6492 §3.4).
func (s *Server) issue(ctx context.Context, tx *store.Tx, row *store.Child, req *updown.IssueRequest) (*updown.Message, bool, error) {
	if req.ClassName != ClassName {
		return errorMessage(1201, fmt.Sprintf("no resource class %q (this parent has %q)", req.ClassName, ClassName)), false, nil
	}
	key, sia, err := ca.ParseCSR(req.CSR)
	if err != nil {
		return errorMessage(1203, err.Error()), false, nil
	}
	ski := hex.EncodeToString(rpki.SubjectKeyID(key))
	all, err := tx.ChildCerts("")
	if err != nil {
		return nil, false, err
	}
	for _, cc := range all {
		if cc.SKI == ski && cc.Child != row.Name {
			return errorMessage(1204, "this key is certified for another child"), false, nil
		}
	}
	res, _, err := s.entitled(tx, row)
	if err != nil {
		return nil, false, err
	}
	if r := req.Requested; r != nil && !r.IsEmpty() { // §3.4.1: a subset of the class
		res = Resources{IP: ca.IntersectIP(res.IP, r.IPResources()), AS: ca.IntersectAS(res.AS, r.ASResources())}
	}
	cc, err := s.cfg.CA.IssueChildCert(ctx, tx, ca.ChildRequest{Key: key, SIA: sia, IP: res.IP, AS: res.AS})
	if errors.Is(err, ca.ErrNoResources) {
		return errorMessage(1202, "no resources allocated to this child in the class"), false, nil
	}
	if errors.Is(err, ca.ErrBadCSR) {
		return errorMessage(1203, err.Error()), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := tx.PutChildCert(&store.ChildCert{URI: cc.URI, Child: row.Name, Class: ClassName, SKI: ski,
		IssuedAt: s.cfg.Clock()}); err != nil {
		return nil, false, err
	}
	if cc.Reissued {
		if _, err := tx.AppendHistory(s.cfg.Clock(), "child:"+row.Name, "child-issue",
			fmt.Sprintf("issued a CA certificate to child %s for %s", row.Name, certResources(cc.Cert)),
			map[string]any{"child": row.Name, "uri": cc.URI, "serial": cc.Cert.SerialNumber.String(), "ski": ski}); err != nil {
			return nil, false, err
		}
	}
	c, err := s.class(tx, row, false)
	if err != nil {
		return nil, false, err
	}
	c.Certificates = []updown.IssuedCert{{CertURLs: []string{cc.URI}, DER: cc.DER, Requested: req.Requested}}
	return &updown.Message{Type: updown.TypeIssueResponse, Classes: []updown.Class{c}}, cc.Reissued, nil
}

// revoke revokes and withdraws the certificate of a key (RFC 6492 §3.5).
func (s *Server) revoke(ctx context.Context, tx *store.Tx, row *store.Child, key *updown.Key) (*updown.Message, bool, error) {
	if key.ClassName != ClassName {
		return errorMessage(1301, fmt.Sprintf("no resource class %q (this parent has %q)", key.ClassName, ClassName)), false, nil
	}
	ski := hex.EncodeToString(key.SKI)
	certs, err := tx.ChildCerts(row.Name)
	if err != nil {
		return nil, false, err
	}
	var found []string
	for _, cc := range certs {
		if cc.SKI == ski {
			found = append(found, cc.URI)
		}
	}
	if len(found) == 0 {
		return errorMessage(1302, "no certificate of this child for that key"), false, nil
	}
	for _, uri := range found {
		if err := s.revokeCert(ctx, tx, uri); err != nil {
			return nil, false, err
		}
	}
	if _, err := tx.AppendHistory(s.cfg.Clock(), "child:"+row.Name, "child-revoke",
		fmt.Sprintf("revoked the certificate of child %s for key %s", row.Name, ski),
		map[string]any{"child": row.Name, "uris": found, "ski": ski}); err != nil {
		return nil, false, err
	}
	return &updown.Message{Type: updown.TypeRevokeResponse, Key: key}, true, nil
}

// revokeCert revokes a child certificate and forgets its record (a record
// whose object is already gone is only forgotten).
func (s *Server) revokeCert(ctx context.Context, tx *store.Tx, uri string) error {
	if err := s.cfg.CA.RevokeChildCert(ctx, tx, uri); err != nil && !errors.Is(err, ca.ErrNoChildCert) {
		return err
	}
	return tx.DeleteChildCert(uri)
}

func certResources(c *rpki.Certificate) string {
	var r Resources
	if c.IP != nil {
		r.IP = *c.IP
	}
	if c.AS != nil {
		r.AS = *c.AS
	}
	return r.String()
}
