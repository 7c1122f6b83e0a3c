package ca

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// A CA whose certificate comes from a parent (RFC 6492) instead of the
// testbed TA. Where the parent is and how its certificate is fetched is
// the caller's business (internal/updowncli, internal/child); here the CA
// makes the certificate request, installs what the parent issued and moves
// its publication point.

// Store meta keys of the parented state.
const (
	metaParent = "ca.parent" // "PARENT CLASS" whose certificate the CA holds; absent under the testbed TA
	metaNotify = "ca.notify" // RRDP notification URI of the CA's repository when it is not road's own
)

// ErrWrongKey: an issued certificate is not for the CA's key.
var ErrWrongKey = errors.New("issued-cert-wrong-key")

// parentState is the parented CA's held resources and parent.
type parentState struct {
	parent, class string
	ip            rpki.IPResources
	as            rpki.ASResources
}

// Parent names the parent and resource class whose certificate the CA
// holds; ok is false under the testbed TA.
func (c *CA) Parent() (parent, class string, ok bool) {
	p := c.parented.Load()
	if p == nil {
		return "", "", false
	}
	return p.parent, p.class, true
}

func stateOf(parent, class string, cert *rpki.Certificate) *parentState {
	p := &parentState{parent: parent, class: class}
	if cert.IP != nil {
		p.ip = rpki.NewIPResources(cert.IP.Prefixes()...)
	}
	if cert.AS != nil {
		p.as = rpki.ASResources{Ranges: cert.AS.Ranges}
	}
	return p
}

// loadParented reads the parented state at start.
func (c *CA) loadParented(tx *store.Tx) error {
	v, err := tx.Meta(metaParent)
	if err != nil || v == "" {
		return err
	}
	in, err := c.load(tx, CAName)
	if err != nil {
		return err
	}
	parent, class, _ := strings.Cut(v, " ")
	c.parented.Store(stateOf(parent, class, in.cert))
	return nil
}

// repoNotify is the RRDP notification URI of the CA's publication point.
func (c *CA) repoNotify(tx *store.Tx) (string, error) {
	v, err := tx.Meta(metaNotify)
	if err != nil || v == "" {
		return c.notifyURI(), err
	}
	return v, nil
}

// KeyID is the SKI of the CA's current key (RFC 6492 §3.5 names keys by it).
func (c *CA) KeyID(ctx context.Context) ([]byte, error) { return c.ClassKeyID(ctx, CAName) }

// Object identifiers of the certificate request's extensions.
var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSIA              = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidCARepository     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
	oidRPKIManifest     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
	oidRPKINotify       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
)

type accessDescription struct {
	Method   asn1.ObjectIdentifier
	Location asn1.RawValue
}

// CertificateRequest is the PKCS#10 request for the CA's key that an
// RFC 6492 issue message carries (§3.4.1): RFC 6487 §6.1.1 profile,
// basicConstraints cA and keyUsage keyCertSign|cRLSign, both critical, and
// the SIA of where the CA publishes (RFC 6487 §4.8.8.1: caRepository,
// rpkiManifest; RFC 8182 §3.2: rpkiNotify).
func (c *CA) CertificateRequest(ctx context.Context) ([]byte, error) {
	return c.ClassCertificateRequest(ctx, CAName)
}

// requestFor is the PKCS#10 request for the key of the CA instance name,
// certified or not yet, with the SIA of the CA's publication point.
func (c *CA) requestFor(tx *store.Tx, name string) ([]byte, error) {
	in, err := c.loadKey(tx, name)
	if err != nil {
		return nil, err
	}
	notify, err := c.repoNotify(tx)
	if err != nil {
		return nil, err
	}
	return certificateRequest(in, notify)
}

func certificateRequest(in *instance, notify string) ([]byte, error) {
	uri := func(s string) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(s)}
	}
	sia := []accessDescription{{oidCARepository, uri(in.row.RepoURI)}, {oidRPKIManifest, uri(in.mftURI())}}
	if notify != "" {
		sia = append(sia, accessDescription{oidRPKINotify, uri(notify)})
	}
	siaDER, err := asn1.Marshal(sia)
	if err != nil {
		return nil, err
	}
	bc, _ := asn1.Marshal(struct{ CA bool }{true})
	// keyCertSign (5) and cRLSign (6): BIT STRING 0000011.
	ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x06}, BitLength: 7})
	tmpl := &x509.CertificateRequest{
		SignatureAlgorithm: x509.SHA256WithRSA,
		Subject:            pkix.Name{CommonName: subjectName(&in.key.PublicKey)},
		ExtraExtensions: []pkix.Extension{
			{Id: oidBasicConstraints, Critical: true, Value: bc},
			{Id: oidKeyUsage, Critical: true, Value: ku},
			{Id: oidSIA, Value: siaDER},
		},
	}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, in.key)
}

// Installed is what InstallIssuedCert did.
type Installed struct {
	Changed   bool      // the certificate differs from the one held
	Resources []string  // the resources now held
	Previous  []string  // the resources held before
	Withdrawn []vrp.VRP // configured ROAs no longer covered: not signed, not published
}

// InstallIssuedCert makes der, issued by parent in class and published by
// it at certURI, the CA's certificate. It must certify the CA's key. The
// held resources become exactly the certificate's; configured ROAs it no
// longer covers are withdrawn (and listed in the result and the history),
// and everything the CA signs is reissued when the certificate's name or
// location changed (the EE certificates' issuer name and AIA, RFC 6487
// §4.4, §4.8.7).
func (c *CA) InstallIssuedCert(ctx context.Context, actor, parent, class string, der []byte, certURI string) (*Installed, error) {
	cert, err := rpki.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: certificate from parent %s: %w", parent, err)
	}
	if !cert.IsCA || cert.IP == nil && cert.AS == nil {
		return nil, fmt.Errorf("%w: the certificate from parent %s is not a resource CA certificate", ErrWrongKey, parent)
	}
	res := &Installed{}
	prev := c.parented.Load()
	next := stateOf(parent, class, cert)
	err = c.st.Update(ctx, func(tx *store.Tx) error {
		in, err := c.load(tx, CAName)
		if err != nil {
			return err
		}
		if !in.key.PublicKey.Equal(cert.PublicKey) {
			return fmt.Errorf("%w: parent %s certified another key", ErrWrongKey, parent)
		}
		res.Previous = resourceStrings(c.firstResources()) // this class's (classes.go)
		res.Resources = resourceStrings(next.ip, next.as)
		if bytes.Equal(in.row.CertDER, der) && in.row.CertURI == certURI && prev != nil {
			return nil
		}
		res.Changed = true
		if err := c.endTestbedRoll(ctx, tx, prev == nil); err != nil { // rollover.go
			return err
		}
		if err := c.switchCert(ctx, tx, in, cert, der, certURI, prev == nil); err != nil {
			return err
		}
		if err := tx.SetMeta(metaParent, parent+" "+class); err != nil {
			return err
		}
		c.parented.Store(next)
		if res.Withdrawn, err = c.notOwned(tx); err != nil { // classes.go
			return err
		}
		if _, err := c.renew(ctx, tx); err != nil {
			return err
		}
		_, err = tx.AppendHistory(c.now(), actor, "parent-cert", fmt.Sprintf("parent %s (class %s) issued the CA certificate: %s",
			parent, class, strings.Join(res.Resources, ", ")), map[string]any{"parent": parent, "class": class,
			"resources": res.Resources, "previous": res.Previous, "withdrawn": vrpStrings(res.Withdrawn), "cert_uri": certURI})
		return err
	})
	if err != nil {
		c.parented.Store(prev)
		return nil, err
	}
	return res, nil
}

// switchCert stores the new certificate in the CA's row. The first time
// (from the testbed TA) the TA's certificate for the CA is revoked and
// withdrawn. When the name or the location changed, every object of the
// CA is reissued (renew issues what is missing).
func (c *CA) switchCert(ctx context.Context, tx *store.Tx, in *instance, cert *rpki.Certificate, der []byte, certURI string, first bool) error {
	now := c.now()
	if first {
		if o, err := tx.Objects(TAName); err != nil {
			return err
		} else if err := c.withdrawTACopy(ctx, tx, o, in.row.CertURI, now); err != nil {
			return err
		}
	}
	reissue := in.cert.Subject != cert.Subject || in.row.CertURI != certURI
	in.row.CertDER, in.row.CertURI, in.row.UpdatedAt = der, certURI, now
	if reissue {
		if err := c.withdrawAll(tx, "roa"); err != nil {
			return err
		}
		in.row.MftNextUpdate = time.Time{} // due now: renew reissues
	}
	return tx.PutCA(in.row)
}

// withdrawTACopy revokes and removes the TA-issued certificate of the CA
// at uri and refreshes the TA's manifest and CRL.
func (c *CA) withdrawTACopy(ctx context.Context, tx *store.Tx, objs []store.Object, uri string, now time.Time) error {
	for i := range objs {
		if objs[i].URI != uri {
			continue
		}
		if err := c.withdraw(tx, &objs[i], now); err != nil {
			return err
		}
		ta, err := c.load(tx, TAName)
		if err != nil {
			return err
		}
		return c.refreshPublicationPoint(ctx, tx, ta, now)
	}
	return nil
}

// withdrawAll revokes and removes the CA's objects of kind ("" all).
func (c *CA) withdrawAll(tx *store.Tx, kind string) error { return c.withdrawAllOf(tx, CAName, kind) }

// withdrawAllOf revokes and removes the objects of kind of the CA
// instance name.
func (c *CA) withdrawAllOf(tx *store.Tx, name, kind string) error {
	objs, err := tx.Objects(name)
	if err != nil {
		return err
	}
	now := c.now()
	for i := range objs {
		if kind == "" || objs[i].Kind == kind {
			if err := c.withdraw(tx, &objs[i], now); err != nil {
				return err
			}
		}
	}
	return nil
}

// NotHeld lists the configured ROAs outside the held resources (those a
// parent no longer covers, or spanning two resource classes: neither
// signed nor published).
func (c *CA) NotHeld(ctx context.Context) ([]vrp.VRP, error) {
	var out []vrp.VRP
	err := c.st.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = c.notOwned(tx)
		return err
	})
	return out, err
}

// SetRepository moves the CA's publication point to siaBase (an rsync URI
// ending in '/') with notify as its RRDP notification URI: every object is
// withdrawn from the old place and reissued in the new one. Under a
// parent, the caller then requests a certificate with the new SIA
// (CertificateRequest); under the testbed TA the CA certificate is
// reissued here.
func (c *CA) SetRepository(ctx context.Context, actor, siaBase, notify string) (bool, error) {
	if !strings.HasPrefix(siaBase, "rsync://") || !strings.HasSuffix(siaBase, "/") {
		return false, fmt.Errorf("%w: sia_base %q must be rsync://.../", ErrBadConfig, siaBase)
	}
	changed := false
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		in, err := c.load(tx, CAName)
		if err != nil {
			return err
		}
		old, err := c.repoNotify(tx)
		if err != nil || in.row.RepoURI == siaBase && old == notify {
			return err
		}
		if busy, err := c.rollBusy(tx, siaBase); err != nil || busy { // rollover.go
			return err
		}
		changed = true
		if err := c.withdrawAll(tx, ""); err != nil {
			return err
		}
		if notify == c.notifyURI() {
			notify = ""
		}
		if err := tx.SetMeta(metaNotify, notify); err != nil {
			return err
		}
		from := in.row.RepoURI
		in.row.RepoURI, in.row.MftNextUpdate = siaBase, time.Time{}
		if err := tx.PutCA(in.row); err != nil {
			return err
		}
		if err := c.moveClasses(tx, from, siaBase); err != nil { // classes.go
			return err
		}
		if c.parented.Load() == nil {
			ta, err := c.load(tx, TAName)
			if err != nil {
				return err
			}
			if err := c.issueCACert(tx, ta, in.row, in.key, c.now()); err != nil {
				return err
			}
		}
		if _, err := c.renew(ctx, tx); err != nil {
			return err
		}
		_, err = tx.AppendHistory(c.now(), actor, "repository", "moved the CA's publication point to "+siaBase,
			map[string]any{"from": from, "to": siaBase, "notify": notify})
		return err
	})
	return changed, err
}

// LocalRepository is road's own publication point for the CA.
func (c *CA) LocalRepository() (siaBase, notify string) {
	return c.cfg.RsyncBase + "ca/", c.notifyURI()
}

func resourceStrings(ip rpki.IPResources, as rpki.ASResources) []string {
	out := ipStrings(ip)
	for _, r := range as.Ranges {
		if r.Min == r.Max {
			out = append(out, fmt.Sprintf("AS%d", r.Min))
		} else {
			out = append(out, fmt.Sprintf("AS%d-AS%d", r.Min, r.Max))
		}
	}
	return out
}

func vrpStrings(vs []vrp.VRP) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

// Repository is the CA's publication point: its caRepository URI and RRDP
// notification URI.
func (c *CA) Repository(ctx context.Context) (siaBase, notify string, err error) {
	err = c.st.View(ctx, func(tx *store.Tx) error {
		in, err := c.load(tx, CAName)
		if err != nil {
			return err
		}
		siaBase = in.row.RepoURI
		notify, err = c.repoNotify(tx)
		return err
	})
	return siaBase, notify, err
}

// CertDER is the CA's current certificate.
func (c *CA) CertDER(ctx context.Context) ([]byte, error) {
	var der []byte
	err := c.st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(CAName)
		if err == nil {
			der = row.CertDER
		}
		return err
	})
	return der, err
}
