// Package ca is ROAd's embedded certification authority: the testbed trust
// anchor, the resource holder's CA certificate under it, one-time EE keys,
// ROAs, manifests and CRLs. It writes what it issues into the store inside the
// caller's transaction; it knows nothing of how objects are published, nor
// where its parent is (today a local testbed TA; later an RFC 6492 parent).
package ca

import (
	"context"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
)

// Names of the two CA instances in the store.
const (
	TAName = "ta" // testbed trust anchor (self-signed)
	CAName = "ca" // the resource holder's CA, issued by the TA
)

// Reason codes of errors, stable for API and metrics.
var (
	ErrNotHeld   = errors.New("not-held")
	ErrNoROA     = errors.New("roa-not-configured")
	ErrBadConfig = errors.New("bad-config")
)

// Timing is the validity policy (DESIGN.md [timing]).
type Timing struct {
	ROAValidity           time.Duration // EE certificates of ROAs (default 52 weeks)
	ROAReissueBefore      time.Duration // reissue a ROA this long before its EE expires (4 weeks)
	ManifestValidity      time.Duration // manifest and CRL nextUpdate - now (24 h)
	ManifestReissueBefore time.Duration // reissue manifest and CRL this long before nextUpdate (8 h)
	CAValidity            time.Duration // the CA certificate under the TA (52 weeks)
	TAValidity            time.Duration // the testbed TA certificate (10 years)
	Backdate              time.Duration // notBefore/thisUpdate margin for RPs with slow clocks (5 min)
}

// DefaultTiming is DESIGN.md's default timing section.
func DefaultTiming() Timing {
	return Timing{
		ROAValidity:           8736 * time.Hour,
		ROAReissueBefore:      672 * time.Hour,
		ManifestValidity:      24 * time.Hour,
		ManifestReissueBefore: 8 * time.Hour,
		CAValidity:            8736 * time.Hour,
		TAValidity:            10 * 8766 * time.Hour,
		Backdate:              5 * time.Minute,
	}
}

// Config configures the CA.
type Config struct {
	RsyncBase string // rsync://host[:port]/module/ (ends with '/')
	RRDPBase  string // https://host[:port]/rrdp/ (ends with '/'); notification.xml below it
	TAURIs    []string
	IP        []netip.Prefix // resources held (testbed: given to the TA and the CA)
	AS        []rpki.ASRange // AS resources held
	Timing    Timing
	Clock     func() time.Time
	Logger    *slog.Logger
	Keys      *KeyPool
	// KeyStore holds the TA and CA keys: nil keeps them in software (PKCS#8
	// in the store, fresh ones from Keys); a PKCS#11 token generates and
	// signs with new ones there. Either way the store keeps each key's
	// handle (store.CA.KeyDER), and software keys made before stay usable.
	KeyStore signer.KeyStore
	// Jitter, when set, returns a random extra validity in [0, max) added to
	// each manifest/CRL nextUpdate, so that many publication points do not
	// come due at the same second (DESIGN.md [timing]). nil adds none (tests).
	Jitter func(max time.Duration) time.Duration
	// RollStaging is a key roll's staging period (0: DefaultRollStaging);
	// RollEvery starts a key roll when the key is that old (0: never).
	RollStaging, RollEvery time.Duration
}

// RandomJitter is a Config.Jitter drawing from math/rand/v2 (the jitter
// needs no secrecy).
func RandomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// CA issues and renews everything below the trust anchor.
type CA struct {
	cfg Config
	st  *store.Store
	log *slog.Logger
	// parented is set when the CA's certificate comes from a parent
	// (parented.go): its resources are then the held ones.
	parented atomic.Pointer[parentState]
	// classes are the certified CA instances of further resource classes
	// (classes.go).
	classes atomic.Pointer[classStates]
}

// New returns a CA over st. Call Init once before use.
func New(cfg Config, st *store.Store) (*CA, error) {
	if !strings.HasSuffix(cfg.RsyncBase, "/") || !strings.HasPrefix(cfg.RsyncBase, "rsync://") {
		return nil, fmt.Errorf("%w: rsync base %q must be rsync://.../", ErrBadConfig, cfg.RsyncBase)
	}
	if !strings.HasSuffix(cfg.RRDPBase, "/") || !strings.HasPrefix(cfg.RRDPBase, "https://") {
		return nil, fmt.Errorf("%w: RRDP base %q must be https://.../ (RFC 8182 §3.2)", ErrBadConfig, cfg.RRDPBase)
	}
	if len(cfg.IP) == 0 {
		return nil, fmt.Errorf("%w: no IP resources configured", ErrBadConfig)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keys == nil {
		cfg.Keys = NewKeyPool(0)
	}
	if cfg.KeyStore == nil {
		cfg.KeyStore = signer.Software{Gen: cfg.Keys.Get}
	}
	if cfg.Timing == (Timing{}) {
		cfg.Timing = DefaultTiming()
	}
	return &CA{cfg: cfg, st: st, log: cfg.Logger}, nil
}

// now is the injected clock truncated to seconds (DER times carry seconds).
func (c *CA) now() time.Time { return c.cfg.Clock().UTC().Truncate(time.Second) }

// HoldKeyGeneration pauses the key pool's background filler while a change
// is in flight (KeyPool.Hold); call release when it is done.
func (c *CA) HoldKeyGeneration() (release func()) { return c.cfg.Keys.Hold() }

// TACertURI is where the TA certificate is published (and the TAL points).
func (c *CA) TACertURI() string { return c.cfg.RsyncBase + "ta/ta.cer" }

func (c *CA) notifyURI() string { return c.cfg.RRDPBase + "notification.xml" }

// Resources returns the IP and AS resources the CA holds: the configured
// ones, or exactly those of the parent-issued certificates (parented.go,
// classes.go: the union over the resource classes).
func (c *CA) Resources() (rpki.IPResources, rpki.ASResources) {
	return c.union(c.firstResources())
}

// configured returns the configured resources (the testbed TA's).
func (c *CA) configured() (rpki.IPResources, rpki.ASResources) {
	return rpki.NewIPResources(c.cfg.IP...), rpki.ASResources{Ranges: c.cfg.AS}
}

// Holds reports whether p lies entirely inside the IP resources of one of
// the CA's instances (one resource class: a ROA has one issuer).
func (c *CA) Holds(p netip.Prefix) bool { return c.owner(p) != "" }

// instance is a CA loaded from the store with its key and certificate.
type instance struct {
	row  *store.CA
	key  *caKey
	cert *rpki.Certificate
}

// caKey is a CA's key in its KeyStore (software or HSM) with a copy of its
// public half.
type caKey struct {
	signer.Key
	PublicKey rsa.PublicKey
}

func newCAKey(k signer.Key) *caKey { return &caKey{Key: k, PublicKey: *k.RSAPublicKey()} }

func (c *CA) load(tx *store.Tx, name string) (*instance, error) {
	in, err := c.loadKey(tx, name)
	if err != nil {
		return nil, err
	}
	if in.cert, err = rpki.ParseCertificate(in.row.CertDER); err != nil {
		return nil, fmt.Errorf("ca %s: certificate: %w", name, err)
	}
	return in, nil
}

// subjectName is the CommonName used for a key: the hex SKI keeps subject
// names unique per issuer and new for every key (RFC 6487 §4.5).
func subjectName(pub *rsa.PublicKey) string {
	return strings.ToUpper(hex.EncodeToString(rpki.SubjectKeyID(pub)))
}

// nextSerial hands out the CA's next certificate serial (RFC 6487 §4.2).
func (in *instance) nextSerial() *big.Int {
	s := big.NewInt(in.row.NextSerial)
	in.row.NextSerial++
	return s
}

func (in *instance) crlURI() string {
	return in.row.RepoURI + rpki.KeyFileName(&in.key.PublicKey, ".crl")
}

func (in *instance) mftURI() string {
	return in.row.RepoURI + rpki.KeyFileName(&in.key.PublicKey, ".mft")
}

// fileName is the last path element of an rsync URI.
func fileName(uri string) string { return uri[strings.LastIndexByte(uri, '/')+1:] }

// Init creates the testbed trust anchor and the CA on first start, and makes
// sure both publication points have a current manifest and CRL.
func (c *CA) Init(ctx context.Context) error {
	return c.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.CA(TAName); errors.Is(err, store.ErrNotFound) {
			if err := c.createTA(ctx, tx); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if _, err := tx.CA(CAName); errors.Is(err, store.ErrNotFound) {
			if err := c.createCA(ctx, tx); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if err := c.loadParented(tx); err != nil {
			return err
		}
		if err := c.loadClasses(tx); err != nil {
			return err
		}
		_, err := c.renew(ctx, tx)
		return err
	})
}

// newKey makes a CA key in the KeyStore and returns it with the handle the
// store keeps (the PKCS#8 DER of a software key).
func (c *CA) newKey(ctx context.Context) (*caKey, []byte, error) {
	k, err := c.cfg.KeyStore.Generate(ctx)
	if err != nil {
		return nil, nil, err
	}
	return newCAKey(k), k.Handle(), nil
}

func (c *CA) createTA(ctx context.Context, tx *store.Tx) error {
	key, kder, err := c.newKey(ctx)
	if err != nil {
		return err
	}
	now := c.now()
	row := &store.CA{Name: TAName, KeyDER: kder, CertURI: c.TACertURI(), RepoURI: c.cfg.RsyncBase + "root/",
		NextSerial: 1, UpdatedAt: now}
	ta := &instance{row: row, key: key}
	if err := c.issueTACert(tx, ta, now); err != nil {
		return err
	}
	ip, _ := c.configured()
	_, err = tx.AppendHistory(now, "road", "init", "created the testbed trust anchor "+ta.cert.Subject, map[string]any{
		"ta_uri": c.TACertURI(), "resources": ipStrings(ip)})
	return err
}

// issueTACert (re)issues the self-signed testbed TA certificate with the
// configured resources, keeping its key (so the TAL stays valid, RFC 8630
// §2.3) and its URI, with a new serial. RFC 8630 §2.3: no inherit.
func (c *CA) issueTACert(tx *store.Tx, ta *instance, now time.Time) error {
	tmpl := c.caTemplate(ta.nextSerial(), &ta.key.PublicKey, ta.row.RepoURI, now, c.cfg.Timing.TAValidity)
	der, err := rpki.CreateCertificate(tmpl, tmpl.Subject, ta.key)
	if err != nil {
		return fmt.Errorf("ca: create TA certificate: %w", err)
	}
	cert, err := rpki.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("ca: TA certificate does not parse back: %w", err)
	}
	ta.cert = cert
	ta.row.CertDER, ta.row.UpdatedAt = der, now
	if err := tx.PutCA(ta.row); err != nil {
		return err
	}
	return tx.PutObject(&store.Object{URI: ta.row.CertURI, CA: TAName, Kind: "cer", DER: der,
		EESerial: tmpl.SerialNumber.String(), NotAfter: tmpl.NotAfter, SigningTime: now, UpdatedAt: now})
}

// caTemplate is a CA certificate for key holding the configured resources,
// with its publication point at repo (RFC 6487 §4.8.8.1; rpkiNotify per RFC
// 8182 §3.2). The TA leaves CRLDP and AIA empty (self-signed).
func (c *CA) caTemplate(serial *big.Int, key *rsa.PublicKey, repo string, now time.Time, validity time.Duration) *rpki.Certificate {
	ip, as := c.configured()
	tmpl := &rpki.Certificate{
		SerialNumber: serial,
		Subject:      subjectName(key),
		NotBefore:    now.Add(-c.cfg.Timing.Backdate),
		NotAfter:     now.Add(validity),
		PublicKey:    key,
		IsCA:         true,
		SIA: rpki.SIA{
			CARepository: repo,
			Manifest:     repo + rpki.KeyFileName(key, ".mft"),
			Notify:       c.notifyURI(),
		},
		IP: &ip,
	}
	if len(as.Ranges) > 0 {
		tmpl.AS = &as
	}
	return tmpl
}

func ipStrings(ip rpki.IPResources) []string {
	var out []string
	for _, p := range ip.Prefixes() {
		out = append(out, p.String())
	}
	return out
}

func (c *CA) createCA(ctx context.Context, tx *store.Tx) error {
	key, kder, err := c.newKey(ctx)
	if err != nil {
		return err
	}
	now := c.now()
	row := &store.CA{Name: CAName, KeyDER: kder, RepoURI: c.cfg.RsyncBase + "ca/", NextSerial: 1, UpdatedAt: now}
	ta, err := c.load(tx, TAName)
	if err != nil {
		return err
	}
	row.CertURI = ta.row.RepoURI + rpki.KeyFileName(&key.PublicKey, ".cer")
	if err := c.issueCACert(tx, ta, row, key, now); err != nil {
		return err
	}
	_, err = tx.AppendHistory(now, "road", "init", "created the CA "+subjectName(&key.PublicKey), map[string]any{
		"repository": row.RepoURI})
	return err
}

// issueCACert (re)issues the CA certificate under the TA, revoking the one it
// replaces, and stores it in the TA's publication point.
func (c *CA) issueCACert(tx *store.Tx, ta *instance, row *store.CA, key *caKey, now time.Time) error {
	tmpl := c.caTemplate(ta.nextSerial(), &key.PublicKey, row.RepoURI, now, c.cfg.Timing.CAValidity)
	tmpl.CRLDP, tmpl.AIA = ta.crlURI(), ta.row.CertURI // RFC 6487 §4.8.6, §4.8.7
	der, err := rpki.CreateCertificateUnder(tmpl, ta.cert, ta.key)
	if err != nil {
		return fmt.Errorf("ca: issue CA certificate: %w", err)
	}
	if len(row.CertDER) > 0 {
		if old, err := rpki.ParseCertificate(row.CertDER); err == nil {
			if err := tx.Revoke(TAName, old.SerialNumber.String(), now, old.NotAfter); err != nil {
				return err
			}
		}
	}
	row.CertDER, row.UpdatedAt = der, now
	if err := tx.PutCA(row); err != nil {
		return err
	}
	if err := tx.PutCA(ta.row); err != nil { // the TA's serial counter moved
		return err
	}
	return tx.PutObject(&store.Object{URI: row.CertURI, CA: TAName, Kind: "cer", DER: der,
		EESerial: tmpl.SerialNumber.String(), NotAfter: tmpl.NotAfter, SigningTime: now, UpdatedAt: now})
}

// HTTPSTAURIs derives the HTTPS URI of the TA certificate from the RRDP base:
// the same host serves /ta/ta.cer (RFC 8630 §2.2 allows HTTPS TAL URIs).
func HTTPSTAURIs(rrdpBase string) ([]string, error) {
	u, err := url.Parse(rrdpBase)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("rrdp base %q: must be an https:// URL", rrdpBase)
	}
	return []string{"https://" + u.Host + "/ta/ta.cer"}, nil
}
