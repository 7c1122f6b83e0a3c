package ca

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	encasn1 "encoding/asn1"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// Reason codes of the parent side (issuing to child CAs).
var (
	ErrBadCSR      = errors.New("bad-csr")            // the PKCS#10 request is not RFC 6487 §6's
	ErrNoResources = errors.New("no-resources")       // entitlement ∩ held (∩ requested) is empty
	ErrNoChildCert = errors.New("no-such-child-cert") // no child certificate at that URI
)

// ChildRequest is what a child CA is certified for: its key and SIA (from
// its PKCS#10 request) and its entitlement.
type ChildRequest struct {
	Key *rsa.PublicKey
	SIA rpki.SIA
	IP  rpki.IPResources
	AS  rpki.ASResources
}

// ChildCert is a certificate issued to a child CA.
type ChildCert struct {
	URI      string
	DER      []byte
	Cert     *rpki.Certificate
	Reissued bool // false when the current certificate was kept as it was
}

var (
	oidExtSIA         = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidADCARepository = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
	oidADManifest     = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
	oidADNotify       = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
)

// ParseCSR verifies a child's PKCS#10 request (RFC 6487 §6: signed with
// the key it certifies, sha256WithRSA, an RSA 2048 key per RFC 7935 §3)
// and returns the key and the SIA it asks for. RFC 6492 §3.4.1 and RFC 6487
// §4.8.8.1: the issuer takes caRepository, rpkiManifest and rpkiNotify from
// the request; the subject name the issuer chooses itself (§6).
func ParseCSR(der []byte) (*rsa.PublicKey, rpki.SIA, error) {
	var sia rpki.SIA
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, sia, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, sia, fmt.Errorf("%w: signature: %v", ErrBadCSR, err)
	}
	if csr.SignatureAlgorithm != x509.SHA256WithRSA {
		return nil, sia, fmt.Errorf("%w: signature algorithm %s, want SHA256-RSA (RFC 7935 §2)", ErrBadCSR, csr.SignatureAlgorithm)
	}
	key, ok := csr.PublicKey.(*rsa.PublicKey)
	if !ok || key.N.BitLen() != 2048 || key.E != 65537 {
		return nil, sia, fmt.Errorf("%w: the key must be RSA 2048 with exponent 65537 (RFC 7935 §3)", ErrBadCSR)
	}
	for _, e := range csr.Extensions {
		if e.Id.Equal(oidExtSIA) {
			if sia, err = parseSIA(e.Value); err != nil {
				return nil, sia, err
			}
		}
	}
	if sia.CARepository == "" || sia.Manifest == "" {
		return nil, sia, fmt.Errorf("%w: the SIA needs an rsync caRepository and rpkiManifest (RFC 6487 §4.8.8.1)", ErrBadCSR)
	}
	if !strings.HasSuffix(sia.CARepository, "/") || !strings.HasPrefix(sia.Manifest, sia.CARepository) {
		return nil, sia, fmt.Errorf("%w: rpkiManifest %q is not in caRepository %q", ErrBadCSR, sia.Manifest, sia.CARepository)
	}
	return key, sia, nil
}

// parseSIA reads the first rsync caRepository and rpkiManifest and the
// first https rpkiNotify of an SIA extension value.
func parseSIA(v []byte) (rpki.SIA, error) {
	var sia rpki.SIA
	var ads []struct {
		Method   encasn1.ObjectIdentifier
		Location encasn1.RawValue
	}
	if rest, err := encasn1.Unmarshal(v, &ads); err != nil || len(rest) > 0 {
		return sia, fmt.Errorf("%w: SIA extension unreadable", ErrBadCSR)
	}
	for _, ad := range ads {
		if ad.Location.Class != encasn1.ClassContextSpecific || ad.Location.Tag != 6 { // uniformResourceIdentifier
			continue
		}
		uri := string(ad.Location.Bytes)
		switch {
		case ad.Method.Equal(oidADCARepository) && sia.CARepository == "" && strings.HasPrefix(uri, "rsync://"):
			sia.CARepository = uri
		case ad.Method.Equal(oidADManifest) && sia.Manifest == "" && strings.HasPrefix(uri, "rsync://"):
			sia.Manifest = uri
		case ad.Method.Equal(oidADNotify) && sia.Notify == "" && strings.HasPrefix(uri, "https://"):
			sia.Notify = uri
		}
	}
	return sia, nil
}

// Issuer is the CA certificate children are issued under: its DER, where it
// is published, and the resources it holds.
type Issuer struct {
	DER      []byte
	URI      string
	NotAfter time.Time
	IP       rpki.IPResources
	AS       rpki.ASResources
}

// ChildIssuer reads the issuing CA's current certificate.
func (c *CA) ChildIssuer(tx *store.Tx) (*Issuer, error) {
	in, err := c.load(tx, CAName)
	if err != nil {
		return nil, err
	}
	out := &Issuer{DER: in.row.CertDER, URI: in.row.CertURI, NotAfter: in.cert.NotAfter}
	if in.cert.IP != nil {
		out.IP = *in.cert.IP
	}
	if in.cert.AS != nil {
		out.AS = *in.cert.AS
	}
	return out, nil
}

// ChildCertURI is where the certificate for a child's key is published:
// in the issuer's publication point, named after the key (RFC 6481 §2.2).
func (c *CA) ChildCertURI(tx *store.Tx, key *rsa.PublicKey) (string, error) {
	row, err := tx.CA(CAName)
	if err != nil {
		return "", err
	}
	return row.RepoURI + rpki.KeyFileName(key, ".cer"), nil
}

// IssueChildCert certifies a child CA's key under the CA (RFC 6492 §3.4)
// with the child's entitlement intersected with what the CA holds, valid
// at most as long as the CA certificate itself, and publishes it in the
// CA's publication point with a new manifest and CRL, inside tx. A current
// certificate for the same key with the same SIA and resources that is not
// due for renewal is kept (Reissued false); otherwise the one it replaces
// is revoked.
func (c *CA) IssueChildCert(ctx context.Context, tx *store.Tx, req ChildRequest) (*ChildCert, error) {
	if req.Key == nil {
		return nil, fmt.Errorf("%w: no key", ErrBadCSR)
	}
	in, err := c.load(tx, CAName)
	if err != nil {
		return nil, err
	}
	ip, as := intersectHeld(in.cert, req.IP, req.AS)
	if isEmptyIP(ip) && len(as.Ranges) == 0 {
		return nil, fmt.Errorf("%w: the CA holds none of the child's resources", ErrNoResources)
	}
	now := c.now()
	uri := in.row.RepoURI + rpki.KeyFileName(req.Key, ".cer")
	objs, err := objectsByURI(tx, CAName)
	if err != nil {
		return nil, err
	}
	old := objs[uri]
	if old != nil {
		der, derr := tx.ObjectDER(uri)
		if cur, err := rpki.ParseCertificate(der); derr == nil && err == nil && cur.PublicKey.Equal(req.Key) && cur.SIA == req.SIA &&
			sameResources(cur, &ip, &as) && cur.NotAfter.Sub(now) >= c.effectiveROAReissue() && !cur.NotAfter.After(in.cert.NotAfter) {
			return &ChildCert{URI: uri, DER: der, Cert: cur}, nil
		}
	}
	notAfter := now.Add(c.cfg.Timing.CAValidity)
	if notAfter.After(in.cert.NotAfter) { // RFC 6492 §3.4.2: within the issuer's validity
		notAfter = in.cert.NotAfter
	}
	tmpl := &rpki.Certificate{
		SerialNumber: in.nextSerial(),
		Subject:      subjectName(req.Key),
		NotBefore:    now.Add(-c.cfg.Timing.Backdate),
		NotAfter:     notAfter,
		PublicKey:    req.Key,
		IsCA:         true,
		CRLDP:        in.crlURI(),    // RFC 6487 §4.8.6
		AIA:          in.row.CertURI, // RFC 6487 §4.8.7
		SIA:          req.SIA,        // RFC 6487 §4.8.8.1, from the request
	}
	if !isEmptyIP(ip) {
		tmpl.IP = &ip
	}
	if len(as.Ranges) > 0 {
		tmpl.AS = &as
	}
	der, err := rpki.CreateCertificateUnder(tmpl, in.cert, in.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	cert, err := rpki.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: child certificate does not parse back: %w", err)
	}
	if old != nil && old.EESerial != "" {
		if err := tx.Revoke(CAName, old.EESerial, now, old.NotAfter); err != nil {
			return nil, err
		}
	}
	if err := tx.PutObject(&store.Object{URI: uri, CA: CAName, Kind: "cer", DER: der,
		EESerial: tmpl.SerialNumber.String(), NotAfter: notAfter, SigningTime: now, UpdatedAt: now}); err != nil {
		return nil, err
	}
	if err := c.refreshPublicationPoint(ctx, tx, in, now); err != nil {
		return nil, err
	}
	return &ChildCert{URI: uri, DER: der, Cert: cert, Reissued: true}, nil
}

// RevokeChildCert revokes the child certificate published at uri (it stays
// on the CRL until it expires, RFC 6487 §5), withdraws it and reissues the
// manifest and CRL, inside tx.
func (c *CA) RevokeChildCert(ctx context.Context, tx *store.Tx, uri string) error {
	in, err := c.load(tx, CAName)
	if err != nil {
		return err
	}
	objs, err := objectsByURI(tx, CAName)
	if err != nil {
		return err
	}
	o, ok := objs[uri]
	if !ok || o.Kind != "cer" {
		return fmt.Errorf("%w: %s", ErrNoChildCert, uri)
	}
	now := c.now()
	if err := c.withdraw(tx, o, now); err != nil {
		return err
	}
	return c.refreshPublicationPoint(ctx, tx, in, now)
}

// intersectHeld is the entitlement restricted to what the issuer's
// certificate holds (RFC 6492 §3.3.2: a class's resources are those the
// parent can certify).
func intersectHeld(issuer *rpki.Certificate, ip rpki.IPResources, as rpki.ASResources) (rpki.IPResources, rpki.ASResources) {
	var held rpki.IPResources
	if issuer.IP != nil {
		held = *issuer.IP
	}
	var heldAS rpki.ASResources
	if issuer.AS != nil {
		heldAS = *issuer.AS
	}
	return IntersectIP(held, ip), IntersectAS(heldAS, as)
}

// IntersectIP is the canonical intersection of two IP resource sets;
// inherit counts as nothing. An empty family is absent.
func IntersectIP(a, b rpki.IPResources) rpki.IPResources {
	return rpki.IPResources{V4: intersectFamily(a.V4, b.V4), V6: intersectFamily(a.V6, b.V6)}
}

func intersectFamily(a, b *rpki.IPFamily) *rpki.IPFamily {
	if a == nil || b == nil || a.Inherit || b.Inherit {
		return nil
	}
	var out []rpki.IPRange
	for _, x := range a.Ranges {
		for _, y := range b.Ranges {
			lo, hi := maxAddr(x.Min, y.Min), minAddr(x.Max, y.Max)
			if lo.Compare(hi) <= 0 {
				out = append(out, rpki.IPRange{Min: lo, Max: hi})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	f := &rpki.IPFamily{Ranges: out}
	f.Canonicalize()
	return f
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

func minAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) <= 0 {
		return a
	}
	return b
}

// IntersectAS is the canonical intersection of two AS resource sets;
// inherit counts as nothing.
func IntersectAS(a, b rpki.ASResources) rpki.ASResources {
	var out rpki.ASResources
	if a.Inherit || b.Inherit {
		return out
	}
	for _, x := range a.Ranges {
		for _, y := range b.Ranges {
			if lo, hi := max(x.Min, y.Min), min(x.Max, y.Max); lo <= hi {
				out.Ranges = append(out.Ranges, rpki.ASRange{Min: lo, Max: hi})
			}
		}
	}
	out.Canonicalize()
	return out
}

func isEmptyIP(r rpki.IPResources) bool {
	return (r.V4 == nil || len(r.V4.Ranges) == 0) && (r.V6 == nil || len(r.V6.Ranges) == 0)
}
