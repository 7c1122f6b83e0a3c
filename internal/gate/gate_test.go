package gate

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// damage replaces a staged file with data without touching the live tree
// (the staged tree hard-links unchanged files to it).
func damage(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if data != nil {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGateRefusesDamagedStagedTree: a fault injected between stage and
// commit is caught, the change fails naming it, and the live repository
// stays byte-identical: a missing ROA file, a file whose hash is not the
// manifest's, a CA certificate signed with the wrong key.
func TestGateRefusesDamagedStagedTree(t *testing.T) {
	roaFile := "ca/2001-db8-3--_48-48_AS64496.roa"
	caFile := ""
	cases := []struct {
		name   string
		inject func(t *testing.T, dir string)
		first  Finding // the first finding, Detail a prefix
		codes  []string
	}{
		{"missing ROA", func(t *testing.T, dir string) { damage(t, filepath.Join(dir, roaFile), nil) },
			Finding{Code: CodeRejected, Subject: rsyncBase + roaFile, Detail: "at 2026-11-22T12:00:00Z: file-missing listed on"},
			[]string{CodeRejected, CodeVRPMissing}},
		{"wrong manifest hash", func(t *testing.T, dir string) {
			b, err := os.ReadFile(filepath.Join(dir, roaFile))
			if err != nil {
				t.Fatal(err)
			}
			b = slices.Clone(b)
			b[len(b)-1] ^= 1
			damage(t, filepath.Join(dir, roaFile), b)
		}, Finding{Code: CodeRejected, Subject: rsyncBase + roaFile, Detail: "at 2026-11-22T12:00:00Z: hash-mismatch SHA-256 differs from"},
			[]string{CodeRejected, CodeVRPMissing}},
		{"CA certificate signed with the wrong key", func(t *testing.T, dir string) {
			p := filepath.Join(dir, filepath.FromSlash(caFile))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			c, err := rpki.ParseCertificate(b)
			if err != nil {
				t.Fatal(err)
			}
			wrong, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			damage(t, p, resign(t, c, wrong))
		}, Finding{Code: CodeRejected, Detail: "at 2026-11-22T12:00:00Z: hash-mismatch SHA-256 differs from"},
			[]string{CodeRejected, CodeVRPMissing}}, // the manifest lists the right one; see also TestGateRefusesWrongIssuerKey
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "", defaults())
			f.change(roas(0, 4), nil)
			if err := f.publish(context.Background()); err != nil {
				t.Fatalf("first publication: %v", err)
			}
			for u := range f.pub.Objects() {
				if strings.HasSuffix(u, ".cer") && !strings.HasSuffix(u, "ta/ta.cer") {
					caFile = strings.TrimPrefix(u, rsyncBase)
				}
			}
			before := liveFiles(t, f.dir)
			session, serial := f.pub.State()
			f.change(roas(4, 1), nil)
			f.inject = func(dir string) { tc.inject(t, dir) }
			err := f.publish(context.Background())
			var r *Refusal
			if !errors.As(err, &r) || !errors.Is(err, ErrRefused) {
				t.Fatalf("publish: %v, want a refusal", err)
			}
			if fe, ok := fault.As(err); !ok || fe.Code != fault.Conflict {
				t.Errorf("fault: %+v, want code %s", fe, fault.Conflict)
			}
			got := r.Findings[0]
			if tc.first.Subject == "" {
				tc.first.Subject = rsyncBase + caFile
			}
			if r.Stage != "gate" || got.Code != tc.first.Code || got.Subject != tc.first.Subject || !strings.HasPrefix(got.Detail, tc.first.Detail) {
				t.Errorf("first finding %+v (stage %s), want %+v", got, r.Stage, tc.first)
			}
			if !slices.Equal(r.Codes(), tc.codes) {
				t.Errorf("codes %v, want %v (%v)", r.Codes(), tc.codes, r.Findings)
			}
			if d := sameFiles(before, liveFiles(t, f.dir)); d != "" {
				t.Errorf("live repository changed: %s", d)
			}
			if s2, n2 := f.pub.State(); s2 != session || n2 != serial {
				t.Errorf("state %s/%d, want %s/%d", s2, n2, session, serial)
			}
			if f.guard.Refused() == nil {
				t.Error("the guard does not report the refusal")
			}
			// The fault gone, the same change passes.
			f.inject = nil
			if err := f.publish(context.Background()); err != nil {
				t.Fatalf("publish after the fault: %v", err)
			}
			if _, n := f.pub.State(); n != serial+1 || f.guard.Refused() != nil {
				t.Errorf("serial %d, refused %v; want %d, none", n, f.guard.Refused(), serial+1)
			}
		})
	}
}

// resign signs c's TBSCertificate with key instead of its issuer's key
// (the AKI still names the issuer): the RSA-2048 signature is the DER's
// last 256 bytes.
func resign(t *testing.T, c *rpki.Certificate, key *rsa.PrivateKey) []byte {
	t.Helper()
	h := sha256.Sum256(c.RawTBS)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil || len(sig) != 256 {
		t.Fatalf("signing: %v", err)
	}
	der := slices.Clone(c.Raw)
	copy(der[len(der)-256:], sig)
	if _, err := rpki.ParseCertificate(der); err != nil {
		t.Fatalf("re-signed certificate: %v", err)
	}
	return der
}

// TestGateRefusesWrongIssuerKey: a CA certificate signed with the wrong key
// by the issuing side itself (the manifest lists it with its hash) is
// refused with the relying party's bad-signature, and every ROA below it
// is missing; the renewal that would publish it fails and the live
// repository stays as it was.
func TestGateRefusesWrongIssuerKey(t *testing.T) {
	f := newFixture(t, "", defaults())
	f.change(roas(0, 2), nil)
	ctx := context.Background()
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	before := liveFiles(t, f.dir)
	wrong, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	caURI := ""
	if err := f.st.Update(ctx, func(tx *store.Tx) error {
		objs, err := tx.Objects("ta")
		for _, o := range objs {
			if o.Kind == "cer" {
				c, err := rpki.ParseCertificate(o.DER)
				if err != nil {
					return err
				}
				o.DER, caURI = resign(t, c, wrong), o.URI
				return tx.PutObject(&o)
			}
		}
		return err
	}); err != nil || caURI == "" {
		t.Fatalf("replacing the CA certificate: %v %q", err, caURI)
	}
	f.advance(17 * time.Hour) // the manifests are due: the renewal lists the bad certificate
	if changed, err := f.ca.Renew(ctx); err != nil || !changed {
		t.Fatalf("renew: %v %v", changed, err)
	}
	err = f.publish(ctx)
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("publish: %v, want a refusal", err)
	}
	want := []Finding{{Code: CodeRejected, Subject: caURI, Detail: "at 2026-11-23T05:00:00Z: bad-signature "},
		{Code: CodeVRPMissing, Subject: "2001:db8::/48 => AS64496"}, {Code: CodeVRPMissing, Subject: "2001:db8:1::/48 => AS64496"}}
	if len(r.Findings) != len(want) {
		t.Fatalf("findings %v, want %v", r.Findings, want)
	}
	for i, w := range want {
		if g := r.Findings[i]; g.Code != w.Code || g.Subject != w.Subject || !strings.HasPrefix(g.Detail, w.Detail) {
			t.Errorf("finding %d: %+v, want %+v", i, g, w)
		}
	}
	if d := sameFiles(before, liveFiles(t, f.dir)); d != "" {
		t.Errorf("live repository changed: %s", d)
	}
}
