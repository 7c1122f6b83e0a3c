package ca

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Further resource classes. The first class the CA is certified in is the
// "ca" instance (parented.go). A key is certified in one class only (RFC
// 6492 §3.4), so every further (parent, class) with resources gets a CA
// instance of its own: its own key, certificate, publication point (a
// directory below the first CA's), manifest and CRL (RFC 6487 §4.8.8.1).
// The held resources are the union of the instances'; a ROA is issued by
// the one instance whose resources cover its prefix.

// classPrefix starts the store name of a further class's CA instance.
const classPrefix = "ca:"

// ClassCAName is the store name of the CA instance of class at parent.
func ClassCAName(parent, class string) string { return classPrefix + parent + ":" + class }

// IssuesROAs reports whether the CA instance name signs the configured
// ROAs: "ca" or a further class's CA (not the TA, nor a key roll's NEW or
// OLD CA).
func IssuesROAs(name string) bool { return name == CAName || strings.HasPrefix(name, classPrefix) }

// ClassOf splits a class CA name (ClassCAName) into its parent and class.
func ClassOf(name string) (parent, class string) {
	rest := strings.TrimPrefix(name, classPrefix)
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return rest, ""
	}
	return rest[:i], rest[i+1:]
}

// classStates is the certified class CAs' resources by instance name.
type classStates map[string]*parentState

func (c *CA) classStates() classStates {
	if m := c.classes.Load(); m != nil {
		return *m
	}
	return nil
}

// setClass replaces (st nil: drops) the state of the class CA name.
func (c *CA) setClass(name string, st *parentState) {
	next := classStates{}
	for k, v := range c.classStates() {
		next[k] = v
	}
	if st == nil {
		delete(next, name)
	} else {
		next[name] = st
	}
	c.classes.Store(&next)
}

// loadClasses reads the certified class CAs at start.
func (c *CA) loadClasses(tx *store.Tx) error {
	names, err := tx.CANames(classPrefix)
	if err != nil {
		return err
	}
	m := classStates{}
	for _, n := range names {
		row, err := tx.CA(n)
		if err != nil {
			return err
		}
		if len(row.CertDER) == 0 {
			continue
		}
		cert, err := rpki.ParseCertificate(row.CertDER)
		if err != nil {
			return fmt.Errorf("ca %s: certificate: %w", n, err)
		}
		parent, class := ClassOf(n)
		m[n] = stateOf(parent, class, cert)
	}
	c.classes.Store(&m)
	return nil
}

// ClassCAs lists the certified class CAs' names in order.
func (c *CA) ClassCAs() []string {
	var out []string
	for n := range c.classStates() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// owner is the CA instance whose resources cover p: the first class's
// ("ca") before the further ones in name order; "" when none covers all of
// p (not held, or spanning two classes: such a ROA cannot be issued).
func (c *CA) owner(p netip.Prefix) string {
	ip, _ := c.firstResources()
	if ip.ContainsPrefix(p) {
		return CAName
	}
	m := c.classStates()
	for _, n := range c.ClassCAs() {
		if m[n].ip.ContainsPrefix(p) {
			return n
		}
	}
	return ""
}

// firstResources are the "ca" instance's resources.
func (c *CA) firstResources() (rpki.IPResources, rpki.ASResources) {
	if p := c.parented.Load(); p != nil {
		return p.ip, p.as
	}
	return c.configured()
}

// union adds the class CAs' resources to ip and as.
func (c *CA) union(ip rpki.IPResources, as rpki.ASResources) (rpki.IPResources, rpki.ASResources) {
	m := c.classStates()
	if len(m) == 0 {
		return ip, as
	}
	ps := ip.Prefixes()
	ranges := append([]rpki.ASRange(nil), as.Ranges...)
	for _, n := range c.ClassCAs() {
		ps = append(ps, m[n].ip.Prefixes()...)
		ranges = append(ranges, m[n].as.Ranges...)
	}
	out := rpki.ASResources{Ranges: ranges}
	out.Canonicalize()
	return rpki.NewIPResources(ps...), out
}

// EnsureClassCA makes the CA instance of class at parent, with a new key
// and a publication point of its own below the first CA's, unless it
// exists; it returns its name.
func (c *CA) EnsureClassCA(ctx context.Context, parent, class string) (string, error) {
	name := ClassCAName(parent, class)
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.CA(name); err == nil || !errors.Is(err, store.ErrNotFound) {
			return err
		}
		first, err := tx.CA(CAName)
		if err != nil {
			return err
		}
		repo, err := c.freeClassDir(tx, first.RepoURI)
		if err != nil {
			return err
		}
		_, kder, err := c.newKey(ctx)
		if err != nil {
			return err
		}
		now := c.now()
		if err := tx.PutCA(&store.CA{Name: name, KeyDER: kder, CertDER: []byte{}, RepoURI: repo, NextSerial: 1, UpdatedAt: now}); err != nil {
			return err
		}
		_, err = tx.AppendHistory(now, "road", "class-ca", fmt.Sprintf("created a CA for class %s of parent %s, publishing at %s",
			class, parent, repo), map[string]any{"parent": parent, "class": class, "repository": repo})
		return err
	})
	return name, err
}

// freeClassDir is base + "<n>/" for the lowest n no class CA uses.
func (c *CA) freeClassDir(tx *store.Tx, base string) (string, error) {
	names, err := tx.CANames(classPrefix)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, n := range names {
		row, err := tx.CA(n)
		if err != nil {
			return "", err
		}
		used[strings.TrimPrefix(row.RepoURI, base)] = true
	}
	for n := 1; ; n++ {
		if d := strconv.Itoa(n) + "/"; !used[d] {
			return base + d, nil
		}
	}
}

// ClassKeyID is the SKI of the class CA's key (RFC 6492 §3.5).
func (c *CA) ClassKeyID(ctx context.Context, name string) ([]byte, error) {
	var ski []byte
	err := c.st.View(ctx, func(tx *store.Tx) error {
		in, err := c.loadKey(tx, name)
		if err == nil {
			ski = rpki.SubjectKeyID(&in.key.PublicKey)
		}
		return err
	})
	return ski, err
}

// ClassCertificateRequest is the PKCS#10 request for the class CA's key
// (as CertificateRequest for the first class).
func (c *CA) ClassCertificateRequest(ctx context.Context, name string) ([]byte, error) {
	var csr []byte
	err := c.st.View(ctx, func(tx *store.Tx) error {
		var err error
		csr, err = c.requestFor(tx, name)
		return err
	})
	return csr, err
}

// ClassRepository is the class CA's caRepository URI and its certificate
// (nil when not certified yet).
func (c *CA) ClassRepository(ctx context.Context, name string) (repo string, certDER []byte, err error) {
	err = c.st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(name)
		if err == nil {
			repo, certDER = row.RepoURI, row.CertDER
		}
		return err
	})
	return repo, certDER, err
}

// InstallClassCert makes der, issued by parent in class and published by
// it at certURI, the certificate of the class CA name (EnsureClassCA). As
// for the first class (InstallIssuedCert), the configured ROAs no longer
// covered by any instance are withdrawn and listed, and the instance's
// ROAs are reissued when the certificate's name or location changed.
func (c *CA) InstallClassCert(ctx context.Context, actor, name string, der []byte, certURI string) (*Installed, error) {
	parent, class := ClassOf(name)
	cert, err := rpki.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: certificate from parent %s: %w", parent, err)
	}
	if !cert.IsCA || cert.IP == nil && cert.AS == nil {
		return nil, fmt.Errorf("%w: the certificate from parent %s is not a resource CA certificate", ErrWrongKey, parent)
	}
	res := &Installed{}
	prev := c.classStates()[name]
	next := stateOf(parent, class, cert)
	err = c.st.Update(ctx, func(tx *store.Tx) error {
		in, err := c.loadKey(tx, name)
		if err != nil {
			return err
		}
		if !in.key.PublicKey.Equal(cert.PublicKey) {
			return fmt.Errorf("%w: parent %s certified another key in class %s", ErrWrongKey, parent, class)
		}
		res.Previous = []string{}
		if prev != nil {
			res.Previous = resourceStrings(prev.ip, prev.as)
		}
		res.Resources = resourceStrings(next.ip, next.as)
		if bytes.Equal(in.row.CertDER, der) && in.row.CertURI == certURI {
			return nil
		}
		res.Changed = true
		if old, err := rpki.ParseCertificate(in.row.CertDER); err == nil && (old.Subject != cert.Subject || in.row.CertURI != certURI) {
			if err := c.withdrawAllOf(tx, name, "roa"); err != nil {
				return err
			}
		}
		in.row.CertDER, in.row.CertURI, in.row.UpdatedAt, in.row.MftNextUpdate = der, certURI, c.now(), time.Time{}
		if err := tx.PutCA(in.row); err != nil {
			return err
		}
		c.setClass(name, next)
		return c.afterClassChange(ctx, tx, actor, res, "parent-cert", fmt.Sprintf("parent %s (class %s) issued a CA certificate: %s",
			parent, class, strings.Join(res.Resources, ", ")), map[string]any{"parent": parent, "class": class, "cert_uri": certURI})
	})
	if err != nil {
		c.setClass(name, prev)
		return nil, err
	}
	return res, nil
}

// DropClassCA ends the class CA name when its class is gone or empty at
// the parent: everything it published is withdrawn (its ROAs, manifest and
// CRL), its certificate forgotten; its row and key stay for a class that
// comes back.
func (c *CA) DropClassCA(ctx context.Context, actor, name string) (*Installed, error) {
	prev := c.classStates()[name]
	if prev == nil {
		return &Installed{}, nil
	}
	res := &Installed{Changed: true, Previous: resourceStrings(prev.ip, prev.as), Resources: []string{}}
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		if err := c.withdrawAllOf(tx, name, ""); err != nil {
			return err
		}
		row, err := tx.CA(name)
		if err != nil {
			return err
		}
		row.CertDER, row.CertURI, row.MftNextUpdate, row.UpdatedAt = []byte{}, "", time.Time{}, c.now()
		if err := tx.PutCA(row); err != nil {
			return err
		}
		c.setClass(name, nil)
		return c.afterClassChange(ctx, tx, actor, res, "parent-class-gone", fmt.Sprintf("parent %s no longer gives class %s: its CA's objects are withdrawn",
			prev.parent, prev.class), map[string]any{"parent": prev.parent, "class": prev.class})
	})
	if err != nil {
		c.setClass(name, prev)
		return nil, err
	}
	return res, nil
}

// afterClassChange lists the ROAs no instance covers any more, renews
// and records the change in the history.
func (c *CA) afterClassChange(ctx context.Context, tx *store.Tx, actor string, res *Installed, kind, summary string, detail map[string]any) error {
	var err error
	if res.Withdrawn, err = c.notOwned(tx); err != nil {
		return err
	}
	if _, err := c.renew(ctx, tx); err != nil {
		return err
	}
	detail["resources"], detail["previous"], detail["withdrawn"] = res.Resources, res.Previous, vrpStrings(res.Withdrawn)
	_, err = tx.AppendHistory(c.now(), actor, kind, summary, detail)
	return err
}

// notOwned lists the configured ROAs no CA instance can issue.
func (c *CA) notOwned(tx *store.Tx) ([]vrp.VRP, error) {
	roas, err := tx.ROAs()
	if err != nil {
		return nil, err
	}
	var out []vrp.VRP
	for _, r := range roas {
		if c.owner(r.VRP.Prefix) == "" {
			out = append(out, r.VRP)
		}
	}
	return out, nil
}

// issuing loads the CA instances that issue ROAs: "ca", then the
// certified class CAs in name order.
func (c *CA) issuing(tx *store.Tx) ([]*instance, error) {
	first, err := c.load(tx, CAName)
	if err != nil {
		return nil, err
	}
	out := []*instance{first}
	for _, n := range c.ClassCAs() {
		in, err := c.load(tx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// renewClasses renews the class CAs' ROAs, manifests and CRLs as renew
// does the first CA's.
func (c *CA) renewClasses(ctx context.Context, tx *store.Tx, roas []store.ROA, now time.Time) (bool, error) {
	changed := false
	for _, n := range c.ClassCAs() {
		in, err := c.load(tx, n)
		if err != nil {
			return false, err
		}
		dirty, err := c.renewROAs(ctx, tx, in, roas, now)
		if err != nil {
			return false, err
		}
		if dirty || c.manifestDue(in, now) {
			changed = true
			if err := c.refreshPublicationPoint(ctx, tx, in, now); err != nil {
				return false, err
			}
		} else if err := tx.PutCA(in.row); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// moveClasses moves the class CAs' publication points below the first
// CA's new one (SetRepository): their objects are withdrawn and, once the
// parent certifies the new SIA, issued again there.
func (c *CA) moveClasses(tx *store.Tx, from, to string) error {
	names, err := tx.CANames(classPrefix)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := c.withdrawAllOf(tx, n, ""); err != nil {
			return err
		}
		row, err := tx.CA(n)
		if err != nil {
			return err
		}
		row.RepoURI, row.MftNextUpdate = to+strings.TrimPrefix(row.RepoURI, from), time.Time{}
		if err := tx.PutCA(row); err != nil {
			return err
		}
	}
	return nil
}
