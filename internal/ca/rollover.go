package ca

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// CA key rollover (RFC 6489 §2). The NEW CA is a second instance in the
// store (NextName) with a fresh key from the KeyStore and the CURRENT CA's
// publication point; once certified by the issuer (the parent through
// RFC 6492, or the testbed TA) it publishes a manifest and CRL of its own
// ("pending"). After the staging period it becomes the CURRENT CA in one
// transaction: every ROA and child certificate is reissued under its key,
// and the OLD CA (OldName) keeps only its CRL on its manifest ("active").
// When the issuer has revoked the OLD CA certificate, the OLD CA's CRL and
// manifest are withdrawn and its key destroyed ("done"). Each step is one
// transaction recording the phase in the store, so a restart resumes where
// it stopped and never makes a second new key.

// Names of the two extra CA instances of a key roll.
const (
	NextName = "ca.next" // the NEW CA, from the start of a roll to its activation
	OldName  = "ca.old"  // the OLD CA, from the activation until its certificate is revoked
)

// Store meta keys of the key roll.
const (
	metaRoll     = "ca.roll"      // JSON Roll
	metaKeySince = "ca.key_since" // RFC 3339 time the current key became active (schedule)
)

// DefaultRollStaging is RFC 6489 §2 step 4's staging period: "SHOULD be no
// less than 24 hours".
const DefaultRollStaging = 24 * time.Hour

// RollPhase is where a key roll stands.
type RollPhase string

// Phases of a key roll.
const (
	RollRequested RollPhase = "requested" // NEW key made, its certificate asked of the issuer (steps 1-2)
	RollPending   RollPhase = "pending"   // NEW CA certified, its empty manifest and CRL published: staging (steps 3-4)
	RollActive    RollPhase = "active"    // NEW key signs everything; the OLD CA's certificate is being revoked (step 5)
	RollDone      RollPhase = "done"      // OLD certificate revoked, its CRL and manifest withdrawn, key destroyed (step 6)
	RollCancelled RollPhase = "cancelled" // a parent certified the CA before the testbed TA's roll was activated
)

// ErrRollInProgress: a roll was asked for while one runs.
var ErrRollInProgress = errors.New("key-roll-in-progress")

// Roll is the state of the last (or current) key roll.
type Roll struct {
	Phase       RollPhase `json:"phase"`
	Actor       string    `json:"actor"`
	NewKey      string    `json:"new_key"` // hex SKI of the NEW key
	OldKey      string    `json:"old_key"` // hex SKI of the key it replaces
	StartedAt   time.Time `json:"started_at"`
	PendingAt   time.Time `json:"pending_at,omitzero"`
	ActivateAt  time.Time `json:"activate_at,omitzero"` // end of the staging period
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	DoneAt      time.Time `json:"done_at,omitzero"`
}

// Running reports whether the roll is between start and done.
func (r *Roll) Running() bool {
	return r != nil && r.Phase != "" && r.Phase != RollDone && r.Phase != RollCancelled
}

func (c *CA) rollStaging() time.Duration {
	if c.cfg.RollStaging > 0 {
		return c.cfg.RollStaging
	}
	return DefaultRollStaging
}

func readRoll(tx *store.Tx) (*Roll, error) {
	v, err := tx.Meta(metaRoll)
	if err != nil || v == "" {
		return nil, err
	}
	var r Roll
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return nil, fmt.Errorf("ca: stored key roll state: %w", err)
	}
	return &r, nil
}

// writeRoll stores the roll's state with a history record of the phase.
func (c *CA) writeRoll(tx *store.Tx, r *Roll, actor, summary string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.SetMeta(metaRoll, string(b)); err != nil {
		return err
	}
	_, err = tx.AppendHistory(c.now(), actor, "key-roll-"+string(r.Phase), summary, r)
	return err
}

// KeyRoll returns the state of the current or last key roll (nil: never).
func (c *CA) KeyRoll(ctx context.Context) (*Roll, error) {
	var r *Roll
	err := c.st.View(ctx, func(tx *store.Tx) error {
		var err error
		r, err = readRoll(tx)
		return err
	})
	return r, err
}

func skiHex(in *instance) string { return hex.EncodeToString(rpki.SubjectKeyID(&in.key.PublicKey)) }

// StartRoll makes the NEW key and, under the testbed TA, certifies it at
// once (a parent is asked by internal/delegation: NextCertificateRequest,
// InstallNextCert). It refuses while a roll runs.
func (c *CA) StartRoll(ctx context.Context, actor string) (*Roll, error) {
	var out *Roll
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		out, err = c.startRoll(ctx, tx, actor)
		return err
	})
	return out, err
}

func (c *CA) startRoll(ctx context.Context, tx *store.Tx, actor string) (*Roll, error) {
	r, err := readRoll(tx)
	if err != nil {
		return nil, err
	}
	if r.Running() {
		return nil, fault.New(fault.Conflict, fmt.Sprintf("%s: a key roll is %s since %s", ErrRollInProgress, r.Phase,
			r.StartedAt.Format(time.RFC3339)), r)
	}
	cur, err := c.load(tx, CAName)
	if err != nil {
		return nil, err
	}
	key, kder, err := c.newKey(ctx) // RFC 6489 §2 step 1
	if err != nil {
		return nil, err
	}
	now := c.now()
	row := &store.CA{Name: NextName, KeyDER: kder, CertDER: []byte{}, RepoURI: cur.row.RepoURI, NextSerial: 1, UpdatedAt: now}
	if err := tx.PutCA(row); err != nil {
		return nil, err
	}
	next := &instance{row: row, key: key}
	r = &Roll{Phase: RollRequested, Actor: actor, NewKey: skiHex(next), OldKey: skiHex(cur), StartedAt: now}
	issuer := "the testbed TA"
	if p := c.parented.Load(); p != nil {
		issuer = fmt.Sprintf("parent %s (class %s)", p.parent, p.class)
	}
	if err := c.writeRoll(tx, r, actor, fmt.Sprintf("key roll started: new key %s requested from %s", r.NewKey, issuer)); err != nil {
		return nil, err
	}
	if c.parented.Load() == nil {
		return r, c.certifyNextUnderTA(ctx, tx, next, r)
	}
	return r, nil
}

// certifyNextUnderTA is step 2 under the testbed TA: the TA issues the NEW
// CA certificate beside the CURRENT one (its name comes from the key).
func (c *CA) certifyNextUnderTA(ctx context.Context, tx *store.Tx, next *instance, r *Roll) error {
	ta, err := c.load(tx, TAName)
	if err != nil {
		return err
	}
	now := c.now()
	next.row.CertURI = ta.row.RepoURI + rpki.KeyFileName(&next.key.PublicKey, ".cer")
	if err := c.issueCACert(tx, ta, next.row, next.key, now); err != nil {
		return err
	}
	if err := c.refreshPublicationPoint(ctx, tx, ta, now); err != nil {
		return err
	}
	return c.publishNext(ctx, tx, r, "the testbed TA")
}

// publishNext is step 3: the NEW CA's CRL and a manifest listing only it;
// the staging period starts.
func (c *CA) publishNext(ctx context.Context, tx *store.Tx, r *Roll, issuer string) error {
	next, err := c.load(tx, NextName)
	if err != nil {
		return err
	}
	now := c.now()
	if err := c.refreshPublicationPoint(ctx, tx, next, now); err != nil {
		return err
	}
	r.Phase, r.PendingAt, r.ActivateAt = RollPending, now, now.Add(c.rollStaging())
	return c.writeRoll(tx, r, "road", fmt.Sprintf("key roll pending: %s certified new key %s; it is activated after %s",
		issuer, r.NewKey, r.ActivateAt.Format(time.RFC3339)))
}

// NextCertificateRequest is the PKCS#10 request for the NEW key, with the
// CURRENT CA's SIA (RFC 6489 §2 step 2); ok is false when no roll awaits
// its certificate.
func (c *CA) NextCertificateRequest(ctx context.Context) (csr []byte, ok bool, err error) {
	err = c.st.View(ctx, func(tx *store.Tx) error {
		r, err := readRoll(tx)
		if err != nil || r == nil || r.Phase != RollRequested {
			return err
		}
		csr, err = c.requestFor(tx, NextName)
		ok = err == nil
		return err
	})
	return csr, ok, err
}

// loadKey loads an instance whose certificate may not exist yet.
func (c *CA) loadKey(tx *store.Tx, name string) (*instance, error) {
	row, err := tx.CA(name)
	if err != nil {
		return nil, err
	}
	k, err := c.cfg.KeyStore.Load(tx.Context(), row.KeyDER)
	if err != nil {
		return nil, fmt.Errorf("ca %s: key: %w", name, err)
	}
	return &instance{row: row, key: newCAKey(k)}, nil
}

// InstallNextCert stores the certificate the parent issued to the NEW key
// (published by it at certURI) and publishes the NEW CA's CRL and
// manifest. A repeated call changes nothing.
func (c *CA) InstallNextCert(ctx context.Context, parent string, der []byte, certURI string) error {
	cert, err := rpki.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("ca: certificate from parent %s for the new key: %w", parent, err)
	}
	return c.st.Update(ctx, func(tx *store.Tx) error {
		r, err := readRoll(tx)
		if err != nil || r == nil || r.Phase != RollRequested {
			return err
		}
		next, err := c.loadKey(tx, NextName)
		if err != nil {
			return err
		}
		if !next.key.PublicKey.Equal(cert.PublicKey) || !cert.IsCA {
			return fmt.Errorf("%w: parent %s certified another key than the new one", ErrWrongKey, parent)
		}
		next.row.CertDER, next.row.CertURI, next.row.UpdatedAt = der, certURI, c.now()
		if err := tx.PutCA(next.row); err != nil {
			return err
		}
		return c.publishNext(ctx, tx, r, "parent "+parent)
	})
}

// ActivateRoll ends the staging period now (the operator's choice, e.g. an
// emergency roll, RFC 6489 §2 step 4); the roll must be pending.
func (c *CA) ActivateRoll(ctx context.Context, actor string) (*Roll, error) {
	var out *Roll
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		r, err := readRoll(tx)
		if err != nil {
			return err
		}
		if r == nil || r.Phase != RollPending {
			return fault.New(fault.Conflict, "no key roll is pending activation", r)
		}
		out = r
		return c.activate(ctx, tx, r, actor)
	})
	if err != nil {
		c.reloadParented(ctx)
	}
	return out, err
}

// activate is step 5, in one transaction: the NEW CA reissues every child
// certificate, the OLD one's ROAs are revoked and its manifest lists only
// its CRL, the instances are renamed (OLD CA, CURRENT CA) and renew
// issues every ROA under the new key.
func (c *CA) activate(ctx context.Context, tx *store.Tx, r *Roll, actor string) error {
	cur, err := c.load(tx, CAName)
	if err != nil {
		return err
	}
	next, err := c.load(tx, NextName)
	if err != nil {
		return err
	}
	now := c.now()
	if err := c.moveChildCerts(tx, cur, next, now); err != nil {
		return err
	}
	if err := c.withdrawAll(tx, "roa"); err != nil {
		return err
	}
	if err := c.refreshPublicationPoint(ctx, tx, cur, now); err != nil {
		return err
	}
	if err := tx.RenameCA(CAName, OldName); err != nil {
		return err
	}
	if err := tx.RenameCA(NextName, CAName); err != nil {
		return err
	}
	if p := c.parented.Load(); p != nil {
		c.parented.Store(stateOf(p.parent, p.class, next.cert))
	}
	next.row.Name, next.row.MftNextUpdate = CAName, time.Time{}
	if err := tx.PutCA(next.row); err != nil {
		return err
	}
	if _, err := c.renew(ctx, tx); err != nil {
		return err
	}
	if err := tx.SetMeta(metaKeySince, now.Format(time.RFC3339)); err != nil {
		return err
	}
	r.Phase, r.ActivatedAt = RollActive, now
	return c.writeRoll(tx, r, actor, fmt.Sprintf("key roll active: key %s signs the CA's objects; the certificate of key %s is to be revoked",
		r.NewKey, r.OldKey))
}

// moveChildCerts reissues the CURRENT CA's child certificates under the
// NEW CA with the same subject key, SIA, resources and URI (RFC 6489 §4),
// and revokes the old ones on the OLD CA's CRL.
func (c *CA) moveChildCerts(tx *store.Tx, cur, next *instance, now time.Time) error {
	objs, err := tx.Objects(CAName)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.Kind != "cer" {
			continue
		}
		old, err := rpki.ParseCertificate(o.DER)
		if err != nil {
			return fmt.Errorf("ca: child certificate %s: %w", o.URI, err)
		}
		tmpl := *old
		tmpl.SerialNumber, tmpl.CRLDP, tmpl.AIA = next.nextSerial(), next.crlURI(), next.row.CertURI
		tmpl.NotBefore = now.Add(-c.cfg.Timing.Backdate)
		if tmpl.NotAfter.After(next.cert.NotAfter) { // RFC 6492 §3.4.2: within the issuer's validity
			tmpl.NotAfter = next.cert.NotAfter
		}
		der, err := rpki.CreateCertificateUnder(&tmpl, next.cert, next.key)
		if err != nil {
			return fmt.Errorf("ca: reissue child certificate %s: %w", o.URI, err)
		}
		if o.EESerial != "" {
			if err := tx.Revoke(CAName, o.EESerial, now, o.NotAfter); err != nil {
				return err
			}
		}
		if err := tx.PutObject(&store.Object{URI: o.URI, CA: NextName, Kind: "cer", DER: der,
			EESerial: tmpl.SerialNumber.String(), NotAfter: tmpl.NotAfter, SigningTime: now, UpdatedAt: now}); err != nil {
			return err
		}
	}
	return tx.PutCA(next.row)
}

// OldKeyID is the SKI of the OLD key whose certificate the parent is to
// revoke (RFC 6492 §3.5); ok is false unless a roll is active.
func (c *CA) OldKeyID(ctx context.Context) (ski []byte, ok bool, err error) {
	err = c.st.View(ctx, func(tx *store.Tx) error {
		r, err := readRoll(tx)
		if err != nil || r == nil || r.Phase != RollActive {
			return err
		}
		ski, err = hex.DecodeString(r.OldKey)
		ok = err == nil
		return err
	})
	return ski, ok, err
}

// FinishRoll is step 6 once the issuer revoked the OLD CA certificate:
// the OLD CA's CRL and manifest are withdrawn and its key destroyed. A
// call with no active roll changes nothing.
func (c *CA) FinishRoll(ctx context.Context, issuer string) error {
	var handle []byte
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		r, err := readRoll(tx)
		if err != nil || r == nil || r.Phase != RollActive {
			return err
		}
		handle, err = c.finish(tx, r, issuer)
		return err
	})
	if err == nil && handle != nil {
		// After the commit: a crash before it leaves the key usable for
		// the retry. A key left behind in a token is only unused.
		if err := c.cfg.KeyStore.Delete(ctx, handle); err != nil {
			c.log.Warn("key roll: the old key could not be destroyed", "err", err)
		}
	}
	return err
}

func (c *CA) finish(tx *store.Tx, r *Roll, issuer string) ([]byte, error) {
	old, err := tx.CA(OldName)
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteCA(OldName); err != nil {
		return nil, err
	}
	now := c.now()
	r.Phase, r.DoneAt = RollDone, now
	return old.KeyDER, c.writeRoll(tx, r, "road", fmt.Sprintf("key roll done: %s revoked the certificate of key %s; its CRL and manifest are withdrawn",
		issuer, r.OldKey))
}

// revokeOldUnderTA is step 6 under the testbed TA: the TA revokes and
// withdraws the OLD CA certificate.
func (c *CA) revokeOldUnderTA(ctx context.Context, tx *store.Tx, r *Roll) error {
	old, err := tx.CA(OldName)
	if err != nil {
		return err
	}
	objs, err := tx.Objects(TAName)
	if err != nil {
		return err
	}
	if err := c.withdrawTACopy(ctx, tx, objs, old.CertURI, c.now()); err != nil {
		return err
	}
	handle, err := c.finish(tx, r, "the testbed TA")
	if err != nil {
		return err
	}
	// The OLD key signs nothing more (a failed commit retries this step,
	// which needs no key).
	if err := c.cfg.KeyStore.Delete(ctx, handle); err != nil {
		c.log.Warn("key roll: the old key could not be destroyed", "err", err)
	}
	return nil
}

// endTestbedRoll settles a roll under the testbed TA when a parent issues
// the CA's first certificate (first): an active roll is finished (the TA
// revokes the old key's certificate), an earlier one is cancelled (the
// NEW CA and its TA certificate are withdrawn; its key, unused, is left
// in a token). A roll can be started again under the parent.
func (c *CA) endTestbedRoll(ctx context.Context, tx *store.Tx, first bool) error {
	r, err := readRoll(tx)
	if err != nil || !first || !r.Running() {
		return err
	}
	if r.Phase == RollActive {
		return c.revokeOldUnderTA(ctx, tx, r)
	}
	next, err := tx.CA(NextName)
	if err != nil {
		return err
	}
	if next.CertURI != "" {
		objs, err := tx.Objects(TAName)
		if err != nil {
			return err
		}
		if err := c.withdrawTACopy(ctx, tx, objs, next.CertURI, c.now()); err != nil {
			return err
		}
	}
	if err := tx.DeleteCA(NextName); err != nil {
		return err
	}
	r.Phase = RollCancelled
	return c.writeRoll(tx, r, "road", "key roll cancelled: a parent now certifies the CA; a new roll asks the parent")
}

// Config is the CA's configuration (to open another CA over the same
// store, as a restart does).
func (c *CA) Config() Config { return c.cfg }
