package rp

import (
	"context"
	"encoding/hex"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/vrp"
)

func inheritFam(f *rpki.IPFamily) bool { return f != nil && f.Inherit }

// checkTime applies the validity period at the validation time (RFC 6487 §7.2).
func (r *run) checkTime(c *rpki.Certificate) error {
	if r.now.Before(c.NotBefore) {
		return reject(ReasonNotYetValid, "notBefore %s is after %s", c.NotBefore.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	if r.now.After(c.NotAfter) {
		return reject(ReasonExpired, "notAfter %s is before %s", c.NotAfter.Format(time.RFC3339), r.now.Format(time.RFC3339))
	}
	return nil
}

func minTime(a time.Time, bs ...time.Time) time.Time {
	for _, b := range bs {
		if b.Before(a) {
			a = b
		}
	}
	return a
}

// checkIssued applies the RFC 6487 §7.2 checks shared by CA and EE
// certificates issued by ca on pp.
func (r *run) checkIssued(ca *caNode, pp *pubPoint, c *rpki.Certificate) error {
	if err := r.o.Memo.checkSignature(c, ca.cert); err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	if c.CRLDP != pp.crlURI {
		return reject(ReasonCRLDPMismatch, "CRLDP %q is not the publication point's CRL %q", c.CRLDP, pp.crlURI)
	}
	if err := r.checkTime(c); err != nil {
		return err
	}
	if pp.crl.IsRevoked(c.SerialNumber) {
		return reject(ReasonRevoked, "serial %s is on %s", c.SerialNumber, pp.crlURI)
	}
	return nil
}

// resolveResources checks that ca encompasses c's resources (RFC 6487
// §7.1, RFC 3779 §2.3/§3.3) and resolves c's inherit against ca.
func resolveResources(ca *caNode, c *rpki.Certificate) (rpki.IPResources, *rpki.ASResources, error) {
	var ip rpki.IPResources
	if c.IP != nil {
		if !ca.ip.Covers(*c.IP) {
			return ip, nil, reject(ReasonResources, "IP resources %v not encompassed by the issuer's %v (RFC 6487 §7.2)",
				c.IP.Prefixes(), ca.ip.Prefixes())
		}
		ip = c.IP.ResolveInherit(ca.ip)
	}
	var as *rpki.ASResources
	if c.AS != nil {
		switch {
		case ca.as == nil && c.AS.Inherit:
			// inherits nothing
		case ca.as == nil || !ca.as.Covers(*c.AS):
			return ip, nil, reject(ReasonResources, "AS resources %v not encompassed by the issuer's (RFC 6487 §7.2)", c.AS.Ranges)
		default:
			a := c.AS.ResolveInherit(*ca.as)
			as = &a
		}
	}
	return ip, as, nil
}

// childCA validates a .cer listed on ca's manifest and walks its tree.
func (r *run) childCA(ctx context.Context, ca *caNode, pp *pubPoint, f listedFile) error {
	c, err := r.o.Memo.parseCertificate(f.data, f.sum)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	if !c.IsCA {
		return reject(ReasonNotCA, "not a CA certificate (BGPsec router certificates are not supported)")
	}
	if err := r.checkIssued(ca, pp, c); err != nil {
		return err
	}
	ip, as, err := resolveResources(ca, c)
	if err != nil {
		return err
	}
	ski := hex.EncodeToString(c.SKI)
	if slices.Contains(ca.keys, ski) {
		return reject(ReasonLoop, "key %s already on this chain (RFC 6487 §7.2)", ski)
	}
	if ca.depth+1 > r.o.MaxDepth {
		return reject(ReasonTooDeep, "chain deeper than %d CA certificates (RFC 6487 §7.2)", r.o.MaxDepth)
	}
	r.mu.Lock()
	full := r.cas >= r.o.MaxCAs
	if !full {
		r.cas++
		r.res.Stats.Certificates++
	}
	r.mu.Unlock()
	if full {
		return reject(ReasonTooMany, "more than %d CA certificates", r.o.MaxCAs)
	}
	r.accepted(f.uri)
	child := &caNode{cert: c, uri: f.uri, ip: ip, as: as, expires: minTime(pp.expires, c.NotAfter),
		depth: ca.depth + 1, keys: append(slices.Clip(ca.keys), ski), ta: ca.ta}
	// Queued once its repository is fetched: no worker waits on the network.
	r.walk.pushWhen(r.prefetch(child), func() { r.publicationPoint(ctx, child) })
	return nil
}

// checkSignedObjectEE checks the EE certificate of a signed object listed on
// ca's manifest: issued by ca (signature, CRL, validity, RFC 6488 §3) and
// holding resources inside ca's (RFC 6487 §7.2).
func (r *run) checkSignedObjectEE(ca *caNode, pp *pubPoint, ee *rpki.Certificate) error {
	if err := r.checkIssued(ca, pp, ee); err != nil {
		return err
	}
	_, _, err := resolveResources(ca, ee)
	return err
}

// roa validates a .roa listed on ca's manifest (RFC 6488 §3, RFC 9582 §5)
// and adds its VRPs.
func (r *run) roa(ca *caNode, pp *pubPoint, f listedFile) error {
	so, roa, err := r.o.Memo.parseROA(f.data, f.sum)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	ee := so.EE
	if err := r.checkSignedObjectEE(ca, pp, ee); err != nil {
		return err
	}
	vs := roa.VRPs()
	for _, v := range vs {
		if err := v.Validate(); err != nil {
			return reject(ReasonProfile, "%v (RFC 9582 §4.3.2.2)", err)
		}
	}
	r.accepted(f.uri)
	r.noteLenient(so.Lenient)
	exp := minTime(pp.expires, ee.NotAfter)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Stats.ROAs++
	for _, v := range vs {
		r.res.Stats.VRPs++
		if old, ok := r.vrps[v]; ok {
			// Keep the latest expiry and the first TAL's name.
			if exp.After(old.Expires) {
				old.Expires = exp
			}
			if r.taIdx[ca.ta] < r.taIdx[old.TA] {
				old.TA = ca.ta
			}
			continue
		}
		r.vrps[v] = &VRP{VRP: v, TA: ca.ta, Expires: exp}
	}
	return nil
}

// aspa validates an .asa listed on ca's manifest (RFC 6488 §3 and
// draft-ietf-sidrops-aspa-profile: the EE holds exactly the customer AS)
// and merges its providers into the customer's set.
func (r *run) aspa(ca *caNode, pp *pubPoint, f listedFile) error {
	so, a, err := rpki.ParseASPAObject(f.data)
	if err != nil {
		return &RejectError{Reason: parseReason(err), Err: err}
	}
	ee := so.EE
	if err := r.checkSignedObjectEE(ca, pp, ee); err != nil {
		return err
	}
	p := a.Payload()
	if err := p.Validate(); err != nil {
		return reject(ReasonProfile, "%v", err)
	}
	r.accepted(f.uri)
	r.noteLenient(so.Lenient)
	exp := minTime(pp.expires, ee.NotAfter)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Stats.ASPAs++
	if old, ok := r.aspas[p.Customer]; ok {
		// One customer, several objects: the union, valid while all are.
		old.ASPA = vrp.NewASPA(p.Customer, append(slices.Clone(old.Providers), p.Providers...))
		old.Expires = minTime(old.Expires, exp)
		if r.taIdx[ca.ta] < r.taIdx[old.TA] {
			old.TA = ca.ta
		}
		return nil
	}
	r.aspas[p.Customer] = &ASPA{ASPA: p, TA: ca.ta, Expires: exp}
	return nil
}
