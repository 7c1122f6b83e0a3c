package oob

import (
	"encoding/xml"
	"strings"

	"github.com/roadrpki/road/internal/xmltree"
)

// Emit functions write RFC 8183 XML in the layout of the RFC's examples:
// the namespace as the default, the attributes in schema order, Base64 in
// lines of 64 characters. They check the values first, as Parse would with
// RFCOnly, so that road never sends what it would refuse.

type writer struct {
	b strings.Builder
}

func (w *writer) open(name string, attrs ...string) {
	w.b.WriteString("<" + name + ` xmlns="` + Namespace + `" version="` + Version + `"`)
	w.attrs(attrs...)
	w.b.WriteString(">\n")
}

// attrs writes name/value pairs, skipping empty values.
func (w *writer) attrs(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		w.b.WriteString(" " + kv[i] + `="`)
		_ = xml.EscapeText(&w.b, []byte(kv[i+1])) // a strings.Builder never fails
		w.b.WriteString(`"`)
	}
}

func (w *writer) base64(name string, b []byte, attrs ...string) {
	w.b.WriteString("  <" + name)
	w.attrs(attrs...)
	w.b.WriteString(">" + encodeBase64(b, "    ") + "\n  </" + name + ">\n")
}

func (w *writer) close(name string) []byte {
	w.b.WriteString("</" + name + ">\n")
	return []byte(w.b.String())
}

func checkIdentity(field string, id Identity) error {
	if len(id.DER) == 0 {
		return fail(ErrInvalid, "%s: no certificate", field)
	}
	got, err := NewIdentity(id.DER)
	if err != nil {
		return err
	}
	if !got.SelfSigned {
		return fail(ErrInvalid, "%s: not self-signed (RFC 8183 §5.1)", field)
	}
	return nil
}

func checkTag(t string) error {
	if t != strings.Join(strings.Fields(t), " ") || len(t) > maxTag {
		return fail(ErrInvalid, "tag %q: not an xsd:token of at most %d bytes", t, maxTag)
	}
	return nil
}

// firstErr returns the first error, coded ErrInvalid (the checks it runs
// are those of Parse, which code their failures ErrMalformed).
func firstErr(errs ...error) error { return xmltree.FirstErr(ErrMalformed, ErrInvalid, errs...) }

// EmitChildRequest writes m as a <child_request/> (RFC 8183 §5.2.1).
func EmitChildRequest(m ChildRequest) ([]byte, error) {
	if err := firstErr(checkTag(m.Tag), handle("child_handle", m.ChildHandle),
		checkIdentity("child_bpki_ta", m.ChildBPKI)); err != nil {
		return nil, err
	}
	var w writer
	w.open("child_request", "child_handle", m.ChildHandle, "tag", m.Tag)
	w.base64("child_bpki_ta", m.ChildBPKI.DER)
	return w.close("child_request"), nil
}

func checkReferrals(refs []Referral, contact bool) error {
	for _, r := range refs {
		errs := []error{handle("referrer", r.Referrer)}
		if r.ContactURI != "" {
			if !contact {
				return fail(ErrInvalid, "contact_uri in a publisher request")
			}
			errs = append(errs, uri("contact_uri", r.ContactURI))
		}
		if len(r.Token) == 0 || len(r.Token) > maxBase64 {
			errs = append(errs, fail(ErrInvalid, "referral token of %d bytes", len(r.Token)))
		}
		if err := firstErr(errs...); err != nil {
			return err
		}
	}
	return nil
}

// EmitParentResponse writes m as a <parent_response/> (RFC 8183 §5.2.2).
func EmitParentResponse(m ParentResponse) ([]byte, error) {
	if err := firstErr(checkTag(m.Tag), uri("service_uri", m.ServiceURI, "http", "https"),
		handle("child_handle", m.ChildHandle), handle("parent_handle", m.ParentHandle),
		checkIdentity("parent_bpki_ta", m.ParentBPKI), checkReferrals(m.Referrals, true)); err != nil {
		return nil, err
	}
	var w writer
	w.open("parent_response", "service_uri", m.ServiceURI, "child_handle", m.ChildHandle,
		"parent_handle", m.ParentHandle, "tag", m.Tag)
	w.base64("parent_bpki_ta", m.ParentBPKI.DER)
	if m.Offer {
		w.b.WriteString("  <offer/>\n")
	}
	for _, r := range m.Referrals {
		w.base64("referral", r.Token, "referrer", r.Referrer, "contact_uri", r.ContactURI)
	}
	return w.close("parent_response"), nil
}

// EmitPublisherRequest writes m as a <publisher_request/> (RFC 8183 §5.2.3).
func EmitPublisherRequest(m PublisherRequest) ([]byte, error) {
	if err := firstErr(checkTag(m.Tag), handle("publisher_handle", m.PublisherHandle),
		checkIdentity("publisher_bpki_ta", m.PublisherBPKI), checkReferrals(m.Referrals, false)); err != nil {
		return nil, err
	}
	var w writer
	w.open("publisher_request", "publisher_handle", m.PublisherHandle, "tag", m.Tag)
	w.base64("publisher_bpki_ta", m.PublisherBPKI.DER)
	for _, r := range m.Referrals {
		w.base64("referral", r.Token, "referrer", r.Referrer)
	}
	return w.close("publisher_request"), nil
}

// EmitRepositoryResponse writes m as a <repository_response/> (RFC 8183
// §5.2.4).
func EmitRepositoryResponse(m RepositoryResponse) ([]byte, error) {
	errs := []error{checkTag(m.Tag), uri("service_uri", m.ServiceURI, "http", "https"),
		handle("publisher_handle", m.PublisherHandle), uri("sia_base", m.SIABase, "rsync"),
		checkIdentity("repository_bpki_ta", m.RepositoryBPKI)}
	if m.RRDPNotificationURI != "" {
		errs = append(errs, uri("rrdp_notification_uri", m.RRDPNotificationURI, "https", "http"))
	}
	if err := firstErr(errs...); err != nil {
		return nil, err
	}
	var w writer
	w.open("repository_response", "service_uri", m.ServiceURI, "publisher_handle", m.PublisherHandle,
		"sia_base", m.SIABase, "rrdp_notification_uri", m.RRDPNotificationURI, "tag", m.Tag)
	w.base64("repository_bpki_ta", m.RepositoryBPKI.DER)
	return w.close("repository_response"), nil
}
