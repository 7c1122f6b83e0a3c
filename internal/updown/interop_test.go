package updown

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testshared"
)

// TestWrapIsDER: what Wrap writes is DER (§3.1.2 (1l)) with the signed
// attributes in SET OF order, so a strict receiver accepts it.
func TestWrapIsDER(t *testing.T) {
	s := newIdentity(t, "child", t0)
	der, err := Wrap([]byte("<x/>"), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := rpki.DERFromBER(der); err != nil || changed {
		t.Fatalf("not DER: changed %v, %v", changed, err)
	}
	attrs, err := rpki.SignedAttrs(OIDContentXML, []byte("<x/>"), t0)
	if err != nil {
		t.Fatal(err)
	}
	// content-type (0x30 0x1a) < signing-time (0x30 0x1c) < message-digest (0x30 0x2f)
	if i, j, k := bytes.Index(attrs, []byte{0x30, 0x1a}), bytes.Index(attrs, []byte{0x30, 0x1c}), bytes.Index(attrs, []byte{0x30, 0x2f}); !(i >= 0 && i < j && j < k) {
		t.Fatalf("signed attributes not in DER order: %x", attrs)
	}
	if _, err := Wrap([]byte("<x/>"), &Signer{ID: s.ID, Key: newIdentity(t, "other", t0).Key, Now: s.Now}); Reason(err) != ReasonCMSWrongIdentity {
		t.Fatalf("a key that is not the identity's: %v", err)
	}
	if _, err := Wrap([]byte("<x/>"), &Signer{}); Reason(err) != ReasonCMSWrongIdentity {
		t.Fatalf("an empty signer: %v", err)
	}
}

// TestWrapVerifiesInOpenSSL: OpenSSL's CMS verifier, with the identity as
// its only trust anchor and the CRL from the message checked, accepts what
// Wrap writes and returns the XML.
func TestWrapVerifiesInOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		testshared.Missing(t, "openssl not installed")
	}
	now := time.Now().UTC()
	s := &Signer{Now: func() time.Time { return now }}
	s.ID, s.Key = selfSigned(t, now)
	xml, _ := Marshal(&Message{Sender: "child", Recipient: "parent", Type: TypeList})
	der, err := Wrap(xml, s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "id.pem")
	msg := filepath.Join(dir, "msg.der")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ID.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(msg, der, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", msg, "-CAfile", ca,
		"-crl_check", "-binary").Output()
	if err != nil {
		t.Fatalf("openssl cms -verify: %v", err)
	}
	if !bytes.Equal(out, xml) {
		t.Fatalf("openssl returned %q", out)
	}
}
