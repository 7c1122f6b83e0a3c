package oob

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/xmltree"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func testIdentity(t testing.TB) Identity {
	t.Helper()
	der, err := os.ReadFile("testdata/identity.der")
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(der)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestIdentity: the test certificate (made by openssl with the RFC 5280
// SHA-1 key identifier) has SKI == KeyID, and it is self-signed.
func TestIdentity(t *testing.T) {
	id := testIdentity(t)
	if got := id.Cert.Subject.String(); got != "CN=road test BPKI identity" || !id.SelfSigned ||
		!bytes.Equal(id.SKI, id.KeyID) || len(id.KeyID) != 20 {
		t.Errorf("identity %q self %v SKI %x KeyID %x", got, id.SelfSigned, id.SKI, id.KeyID)
	}
	notCA, err := os.ReadFile("testdata/not-ca.der")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewIdentity(notCA); !errors.Is(err, ErrCertificate) {
		t.Errorf("a non-CA certificate: %v", err)
	}
	if _, err := NewIdentity([]byte{0x30, 0x00}); !errors.Is(err, ErrCertificate) {
		t.Errorf("garbage: %v", err)
	}
}

func TestEmitRoundTrip(t *testing.T) {
	id := testIdentity(t)
	token := []byte("\x30\x03\x02\x01\x01 a token, in fact any bytes")
	opt := Options{RFCOnly: true}
	t.Run("child_request", func(t *testing.T) {
		m := ChildRequest{Tag: "A0001", ChildHandle: "road-child/1", ChildBPKI: id}
		b, err := EmitChildRequest(m)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "child_request.xml", b)
		got, err := ParseChildRequest(b, opt)
		if err != nil || got.Tag != m.Tag || got.ChildHandle != m.ChildHandle || !bytes.Equal(got.ChildBPKI.DER, id.DER) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
	})
	t.Run("parent_response", func(t *testing.T) {
		m := ParentResponse{ServiceURI: "https://parent.example/up-down/road/child-1", ChildHandle: "child-1",
			ParentHandle: "road", ParentBPKI: id, Offer: true,
			Referrals: []Referral{{Referrer: "Alice/Bob-42", ContactURI: "https://alice.example/info?a=1&b=<2>", Token: token}}}
		b, err := EmitParentResponse(m)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "parent_response.xml", b)
		got, err := ParseParentResponse(b, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.ParentBPKI.DER, id.DER) || len(got.Referrals) != 1 || !bytes.Equal(got.Referrals[0].Token, token) {
			t.Fatalf("round trip: %+v", got)
		}
		got.ParentBPKI, got.Referrals[0].Token, m.ParentBPKI, m.Referrals[0].Token = Identity{}, nil, Identity{}, nil
		if !reflect.DeepEqual(got.Referrals[0], m.Referrals[0]) || got.ServiceURI != m.ServiceURI || got.ChildHandle != m.ChildHandle ||
			got.ParentHandle != m.ParentHandle || !got.Offer || got.Tag != "" {
			t.Fatalf("round trip: %+v", got)
		}
	})
	t.Run("publisher_request", func(t *testing.T) {
		m := PublisherRequest{PublisherHandle: "road", PublisherBPKI: id, Referrals: []Referral{{Referrer: "Alice", Token: token}}}
		b, err := EmitPublisherRequest(m)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "publisher_request.xml", b)
		got, err := ParsePublisherRequest(b, opt)
		if err != nil || got.PublisherHandle != "road" || got.Tag != "" || len(got.Referrals) != 1 ||
			got.Referrals[0].Referrer != "Alice" || !bytes.Equal(got.Referrals[0].Token, token) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		m.Referrals[0].ContactURI = "https://x.example/"
		if _, err := EmitPublisherRequest(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("contact_uri in a publisher request: %v", err)
		}
	})
	t.Run("repository_response", func(t *testing.T) {
		m := RepositoryResponse{Tag: "t 1", ServiceURI: "https://repo.example/rfc8181/road", PublisherHandle: "road",
			SIABase: "rsync://repo.example/repo/road/", RRDPNotificationURI: "https://repo.example/rrdp/notification.xml", RepositoryBPKI: id}
		b, err := EmitRepositoryResponse(m)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "repository_response.xml", b)
		got, err := ParseRepositoryResponse(b, opt)
		if err != nil || !bytes.Equal(got.RepositoryBPKI.DER, id.DER) {
			t.Fatalf("round trip: %v", err)
		}
		got.RepositoryBPKI, m.RepositoryBPKI = Identity{}, Identity{}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip: %+v", got)
		}
	})
}

func TestEmitRefuses(t *testing.T) {
	id := testIdentity(t)
	for name, f := range map[string]func() error{
		"bad handle":  func() error { _, err := EmitChildRequest(ChildRequest{ChildHandle: "a b", ChildBPKI: id}); return err },
		"no identity": func() error { _, err := EmitChildRequest(ChildRequest{ChildHandle: "a"}); return err },
		"untrimmed tag": func() error {
			_, err := EmitChildRequest(ChildRequest{Tag: " x", ChildHandle: "a", ChildBPKI: id})
			return err
		},
		"ftp service": func() error {
			_, err := EmitParentResponse(ParentResponse{ServiceURI: "ftp://x/", ChildHandle: "a", ParentHandle: "b", ParentBPKI: id})
			return err
		},
		"https sia_base": func() error {
			_, err := EmitRepositoryResponse(RepositoryResponse{ServiceURI: "https://x/", PublisherHandle: "a", SIABase: "https://x/", RepositoryBPKI: id})
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want %v", name, err, ErrInvalid)
		}
	}
}

const header = `<child_request xmlns="` + Namespace + `" version="1" child_handle="Bob"`

func childXML(t *testing.T, attrs, body string) []byte {
	t.Helper()
	der, err := os.ReadFile("testdata/identity.der")
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		body = "<child_bpki_ta>" + encodeBase64(der, "") + "</child_bpki_ta>"
	}
	return []byte(header + attrs + ">" + body + "</child_request>")
}

func TestParseRefuses(t *testing.T) {
	ok := childXML(t, "", "")
	if _, err := ParseChildRequest(ok, Options{RFCOnly: true}); err != nil {
		t.Fatalf("the base case: %v", err)
	}
	ta := strings.TrimSuffix(strings.TrimPrefix(string(ok), header+">"), "</child_request>")
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"doctype", append([]byte(`<!DOCTYPE child_request [<!ENTITY x "y">]>`), ok...), xmltree.ErrDoctype},
		{"unknown attribute", childXML(t, ` foo="1"`, ""), ErrMalformed},
		{"prefixed attribute", childXML(t, ` xmlns:x="urn:x" x:tag="1"`, ""), ErrMalformed},
		{"unknown element", childXML(t, "", ta+"<offer/>"), ErrMalformed},
		{"foreign namespace child", childXML(t, ` xmlns:x="urn:x"`, `<x:child_bpki_ta>`+ta[len("<child_bpki_ta>"):len(ta)-len("</child_bpki_ta>")]+`</x:child_bpki_ta>`), ErrNamespace},
		{"text", childXML(t, "", ta+"hello"), ErrMalformed},
		{"version 2", []byte(strings.Replace(string(ok), `version="1"`, `version="2"`, 1)), ErrVersion},
		{"no version", []byte(strings.Replace(string(ok), `version="1"`, ``, 1)), ErrMalformed},
		{"namespace", []byte(strings.Replace(string(ok), Namespace, "http://example.com/", 1)), ErrNamespace},
		{"no namespace", []byte(strings.Replace(string(ok), `xmlns="`+Namespace+`"`, ``, 1)), ErrNamespace},
		{"bad handle", []byte(strings.Replace(string(ok), `"Bob"`, `"Bob Smith"`, 1)), ErrMalformed},
		{"empty handle", []byte(strings.Replace(string(ok), `"Bob"`, `""`, 1)), ErrMalformed},
		{"long handle", []byte(strings.Replace(string(ok), `"Bob"`, `"`+strings.Repeat("b", 256)+`"`, 1)), ErrMalformed},
		{"not base64", childXML(t, "", "<child_bpki_ta>!!!!</child_bpki_ta>"), ErrMalformed},
		{"not a certificate", childXML(t, "", "<child_bpki_ta>MAA=</child_bpki_ta>"), ErrCertificate},
		{"two identities", childXML(t, "", ta+ta), ErrMalformed},
		{"wrong root", []byte(strings.ReplaceAll(string(ok), "child_request", "parent_response")), ErrMalformed},
		{"entity", childXML(t, ` tag="&x;"`, ""), xmltree.ErrMalformed},
		{"processing instruction", append([]byte("<?php x?>"), ok...), xmltree.ErrMalformed},
		{"latin-1", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), ok...), xmltree.ErrEncoding},
		{"two roots", append(ok, ok...), xmltree.ErrMalformed},
		{"truncated", ok[:len(ok)-3], xmltree.ErrMalformed},
	}
	for _, c := range cases {
		_, err := ParseChildRequest(c.data, Options{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := ParseChildRequest(ok, Options{MaxBytes: len(ok) - 1}); !errors.Is(err, ErrTooLarge) || !errors.Is(err, xmltree.ErrTooLarge) {
		t.Errorf("over MaxBytes: %v", err)
	}
}
