package ca

import (
	"context"
	"crypto/rsa"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// NewROA is a ROA to configure and issue.
type NewROA struct {
	VRP       vrp.VRP
	Comment   string
	Exception string // recorded reason for a deliberate loose maxLength
}

// Change is what ApplyChange did.
type Change struct {
	Issued  []vrp.VRP
	Revoked []vrp.VRP
}

// ApplyChange configures and issues the added ROAs and revokes and withdraws
// the removed ones, then reissues the CA's manifest and CRL, all inside tx.
// The caller has run the safety checks; ApplyChange still refuses a prefix
// outside the CA's resources (a ROA no RP would accept) and removing a ROA
// that is not configured.
func (c *CA) ApplyChange(ctx context.Context, tx *store.Tx, add []NewROA, remove []vrp.VRP) (Change, error) {
	var ch Change
	ins, err := c.issuing(tx) // "ca" and the further classes' CAs (classes.go)
	if err != nil {
		return ch, err
	}
	now := c.now()
	objs := make([]map[string]*store.Object, len(ins))
	dirty := make([]bool, len(ins))
	for i, in := range ins {
		if objs[i], err = objectsByURI(tx, in.row.Name); err != nil {
			return ch, err
		}
	}
	for _, v := range remove {
		if err := tx.RemoveROA(v); err != nil {
			return ch, fmt.Errorf("%w: %s", ErrNoROA, v)
		}
		for i, in := range ins {
			uri := in.row.RepoURI + ROAFileName(v)
			if o, ok := objs[i][uri]; ok {
				if err := c.withdraw(tx, o, now); err != nil {
					return ch, err
				}
				delete(objs[i], uri)
				dirty[i] = true
			}
		}
		ch.Revoked = append(ch.Revoked, v)
	}
	jobs := make([][]roaJob, len(ins))
	for _, a := range add {
		if err := a.VRP.Validate(); err != nil {
			return ch, err
		}
		i := slices.IndexFunc(ins, func(in *instance) bool { return in.row.Name == c.owner(a.VRP.Prefix) })
		if i < 0 {
			return ch, fmt.Errorf("%w: %s is outside the CA's resources (or spans two resource classes)", ErrNotHeld, a.VRP.Prefix)
		}
		id, err := tx.AddROA(a.VRP, a.Comment, a.Exception, now)
		if err != nil {
			return ch, err
		}
		if _, ok := objs[i][ins[i].row.RepoURI+ROAFileName(a.VRP)]; ok {
			continue // already issued: a repeated add changes only the comment
		}
		jobs[i] = append(jobs[i], roaJob{v: a.VRP, roaID: id})
	}
	for i, in := range ins {
		if err := c.issueROAs(ctx, tx, in, jobs[i], objs[i], now); err != nil {
			return ch, err
		}
		for _, j := range jobs[i] {
			ch.Issued = append(ch.Issued, j.v)
		}
		if len(jobs[i]) == 0 && !dirty[i] {
			if err := tx.PutCA(in.row); err != nil {
				return ch, err
			}
		} else if err := c.refreshPublicationPoint(ctx, tx, in, now); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// objectsByURI indexes a CA's objects by URI, without their DER (Hash is
// set): the issuing paths need serials, times and hashes, and reading every
// DER of a large publication point was much of a change's time.
func objectsByURI(tx *store.Tx, ca string) (map[string]*store.Object, error) {
	list, err := tx.ObjectsMeta(ca)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*store.Object, len(list))
	for i := range list {
		m[list[i].URI] = &list[i]
	}
	return m, nil
}

// withdraw revokes an object's EE certificate and removes the object.
func (c *CA) withdraw(tx *store.Tx, o *store.Object, now time.Time) error {
	if o.EESerial != "" {
		if err := tx.Revoke(o.CA, o.EESerial, now, o.NotAfter); err != nil {
			return err
		}
	}
	return tx.DeleteObject(o.URI)
}

type roaJob struct {
	v      vrp.VRP
	roaID  int64
	serial *big.Int
	// results
	der      []byte
	notAfter time.Time
	err      error
}

// issueROAs signs one ROA per job, each with its own one-time EE key
// (RFC 6487 §3), in parallel on every core: key generation and the two
// signatures dominate, and they are independent per ROA. Serials are handed
// out before the workers start so they stay unique and deterministic.
func (c *CA) issueROAs(ctx context.Context, tx *store.Tx, in *instance, jobs []roaJob, objs map[string]*store.Object, now time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	for i := range jobs {
		jobs[i].serial = in.nextSerial()
	}
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := &jobs[i]
				j.der, j.notAfter, j.err = c.signROA(ctx, in, j.v, j.serial, now)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return fmt.Errorf("ca: issue ROA %s: %w", j.v, j.err)
		}
		uri := in.row.RepoURI + ROAFileName(j.v)
		if old, ok := objs[uri]; ok && old.EESerial != "" { // a reissue replaces the file in place
			if err := tx.Revoke(in.row.Name, old.EESerial, now, old.NotAfter); err != nil {
				return err
			}
		}
		o := &store.Object{URI: uri, CA: in.row.Name, Kind: "roa", DER: j.der, EESerial: j.serial.String(),
			NotAfter: j.notAfter, SigningTime: now, ROAID: j.roaID, UpdatedAt: now}
		if err := tx.PutObject(o); err != nil {
			return err
		}
		objs[uri] = o
	}
	return nil
}

// signROA issues the EE certificate for one ROA and signs the ROA with it.
func (c *CA) signROA(ctx context.Context, in *instance, v vrp.VRP, serial *big.Int, now time.Time) ([]byte, time.Time, error) {
	key, err := c.cfg.Keys.Get(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	roa := &rpki.ROA{ASID: v.ASN, Prefixes: []rpki.ROAPrefix{{Prefix: v.Prefix, MaxLength: int(v.MaxLen)}}}
	econtent, err := roa.Encode()
	if err != nil {
		return nil, time.Time{}, err
	}
	// RFC 9582 §5: the EE's IP resources are exactly the ROA's prefixes, no
	// inherit, and no AS extension.
	ip := rpki.NewIPResources(v.Prefix)
	uri := in.row.RepoURI + ROAFileName(v)
	notAfter := now.Add(c.cfg.Timing.ROAValidity)
	ee, err := c.issueEE(in, key, serial, now.Add(-c.cfg.Timing.Backdate), notAfter, uri, &ip, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	der, err := rpki.SignObject(rpki.OIDROA, econtent, ee, key, now)
	return der, notAfter, err
}

// issueEE issues a one-time-use EE certificate for a signed object at uri.
func (c *CA) issueEE(in *instance, key *rsa.PrivateKey, serial *big.Int, notBefore, notAfter time.Time, uri string,
	ip *rpki.IPResources, as *rpki.ASResources) ([]byte, error) {
	tmpl := &rpki.Certificate{
		SerialNumber: serial,
		Subject:      subjectName(&key.PublicKey),
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		PublicKey:    &key.PublicKey,
		CRLDP:        in.crlURI(),
		AIA:          in.row.CertURI,
		SIA:          rpki.SIA{SignedObject: uri},
		IP:           ip,
		AS:           as,
	}
	return rpki.CreateCertificateUnder(tmpl, in.cert, in.key)
}

// refreshPublicationPoint issues a new CRL and a new manifest for the
// instance's publication point (RFC 9286 §5.1, RFC 6487 §5), revoking the
// previous manifest's EE certificate (RFC 9286 §4.2.1 one-time-use EE).
func (c *CA) refreshPublicationPoint(ctx context.Context, tx *store.Tx, in *instance, now time.Time) error {
	objs, err := objectsByURI(tx, in.row.Name)
	if err != nil {
		return err
	}
	mftURI, crlURI := in.mftURI(), in.crlURI()
	if old, ok := objs[mftURI]; ok && old.EESerial != "" {
		if err := tx.Revoke(in.row.Name, old.EESerial, now, old.NotAfter); err != nil {
			return err
		}
	}
	// RFC 9286 §4.2.1: thisUpdate strictly increases; backdated for RPs whose
	// clocks run slow (the manifest EE validity equals thisUpdate..nextUpdate).
	thisUpdate := now.Add(-c.cfg.Timing.Backdate)
	if !in.row.LastThisUpdate.IsZero() && !thisUpdate.After(in.row.LastThisUpdate) {
		thisUpdate = in.row.LastThisUpdate.Add(time.Second)
	}
	nextUpdate := now.Add(c.cfg.Timing.ManifestValidity)
	if c.cfg.Jitter != nil {
		// At most 1% of the validity, capped at 5 minutes: never enough to
		// matter for the reissue margin, enough to spread publication points.
		nextUpdate = nextUpdate.Add(c.cfg.Jitter(min(c.cfg.Timing.ManifestValidity/100, 5*time.Minute)).Truncate(time.Second))
	}

	crlObj, err := c.issueCRL(tx, in, crlURI, thisUpdate, nextUpdate, now)
	if err != nil {
		return err
	}
	objs[crlURI] = crlObj

	// RFC 9286 §4.2.2/RFC 6481 §2.1: every file of the publication point but
	// the manifest itself, with the SHA-256 of the whole file.
	var files []rpki.FileAndHash
	for uri, o := range objs {
		if uri == mftURI || !strings.HasPrefix(uri, in.row.RepoURI) || strings.Contains(uri[len(in.row.RepoURI):], "/") {
			continue
		}
		files = append(files, rpki.FileAndHash{Name: fileName(uri), Hash: o.Hash})
	}
	slices.SortFunc(files, func(a, b rpki.FileAndHash) int { return strings.Compare(a.Name, b.Name) })
	mft := &rpki.Manifest{Number: big.NewInt(in.row.ManifestNumber + 1), ThisUpdate: thisUpdate,
		NextUpdate: nextUpdate, Files: files}
	econtent, err := mft.Encode()
	if err != nil {
		return fmt.Errorf("ca: manifest: %w", err)
	}
	key, err := c.cfg.Keys.Get(ctx)
	if err != nil {
		return err
	}
	// RFC 9286 §5.1: the manifest EE uses inherit for its resources and is
	// valid exactly from thisUpdate to nextUpdate.
	ip, as := inheritFor(in.cert)
	serial := in.nextSerial()
	ee, err := c.issueEE(in, key, serial, thisUpdate, nextUpdate, mftURI, ip, as)
	if err != nil {
		return fmt.Errorf("ca: manifest EE: %w", err)
	}
	mftDER, err := rpki.SignObject(rpki.OIDManifest, econtent, ee, key, now)
	if err != nil {
		return fmt.Errorf("ca: sign manifest: %w", err)
	}
	if err := tx.PutObject(&store.Object{URI: mftURI, CA: in.row.Name, Kind: "mft", DER: mftDER,
		EESerial: serial.String(), NotAfter: nextUpdate, SigningTime: now, UpdatedAt: now}); err != nil {
		return err
	}
	in.row.ManifestNumber++
	in.row.CRLNumber++
	in.row.LastThisUpdate = thisUpdate
	in.row.MftNextUpdate = nextUpdate
	in.row.UpdatedAt = now
	return tx.PutCA(in.row)
}

// inheritFor gives a manifest EE "inherit" for each IP family its issuer
// holds, and for AS numbers.
func inheritFor(issuer *rpki.Certificate) (*rpki.IPResources, *rpki.ASResources) {
	var ip *rpki.IPResources
	if issuer.IP != nil && (issuer.IP.V4 != nil || issuer.IP.V6 != nil) {
		ip = &rpki.IPResources{}
		if issuer.IP.V4 != nil {
			ip.V4 = &rpki.IPFamily{Inherit: true}
		}
		if issuer.IP.V6 != nil {
			ip.V6 = &rpki.IPFamily{Inherit: true}
		}
	}
	// AS inherit even when the issuer holds no AS numbers (a child CA that a
	// parent gave only prefixes): rpki-client 9.5 rejects a manifest whose
	// EE lacks it ("RFC 3779 extension not set to inherit"), as Krill writes it.
	return ip, &rpki.ASResources{Inherit: true}
}

// issueCRL signs and stores the publication point's next CRL with every
// certificate revoked and not yet expired.
func (c *CA) issueCRL(tx *store.Tx, in *instance, crlURI string, thisUpdate, nextUpdate, now time.Time) (*store.Object, error) {
	revoked, err := tx.RevokedList(in.row.Name, now)
	if err != nil {
		return nil, err
	}
	crl := &rpki.CRL{Issuer: in.cert.Subject, RawIssuer: in.cert.RawSubject, ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
		Number: big.NewInt(in.row.CRLNumber + 1)}
	for _, r := range revoked {
		s, ok := new(big.Int).SetString(r.Serial, 10)
		if !ok {
			return nil, fmt.Errorf("ca: bad revoked serial %q", r.Serial)
		}
		crl.Revoked = append(crl.Revoked, rpki.RevokedCert{Serial: s, RevocationTime: r.RevokedAt})
	}
	crlDER, err := rpki.CreateCRL(crl, in.key)
	if err != nil {
		return nil, fmt.Errorf("ca: CRL: %w", err)
	}
	crlObj := &store.Object{URI: crlURI, CA: in.row.Name, Kind: "crl", DER: crlDER, NotAfter: nextUpdate,
		SigningTime: now, UpdatedAt: now}
	return crlObj, tx.PutObject(crlObj)
}
