package oob

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/xmltree"
)

// Field bounds of the schema (RFC 8183 Appendix A).
const (
	maxHandle = 255
	maxURI    = 4096
	maxTag    = 1024
)

// krillNamespace is RFC 8183's namespace without its trailing slash, as
// Krill 0.9 wrote it (variant V1).
const krillNamespace = "http://www.hactrn.net/uris/rpki/rpki-setup"

// reader checks one parsed document against the schema.
type reader struct {
	opt Options
}

// root parses data and checks the root element's namespace, name and
// version; names lists the accepted root names.
func (r reader) root(data []byte, names ...string) (*xmltree.Node, error) {
	max := r.opt.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	n, err := xmltree.Parse(data, xmltree.Limits{MaxBytes: max, MaxDepth: 4, MaxElements: 10_000})
	if err != nil {
		code := ErrMalformed
		if errors.Is(err, xmltree.ErrTooLarge) {
			code = ErrTooLarge
		}
		return nil, &Error{Code: code, Detail: "XML", Err: err}
	}
	if err := r.namespace(n); err != nil {
		return nil, err
	}
	found := false
	for _, name := range names {
		found = found || n.Local == name
	}
	if !found {
		return nil, fail(ErrMalformed, "root element <%s>, want <%s>", n.Local, names[0])
	}
	v, ok := n.Attr("version")
	if !ok {
		return nil, fail(ErrMalformed, "<%s> without version", n.Local)
	}
	if v != Version {
		return nil, fail(ErrVersion, "version %q, only %q is defined (RFC 8183 §5)", v, Version)
	}
	return n, nil
}

func (r reader) namespace(n *xmltree.Node) error {
	if n.Space == Namespace || (n.Space == krillNamespace && !r.opt.RFCOnly) {
		return nil
	}
	return fail(ErrNamespace, "<%s> in namespace %q, want %q", n.Local, n.Space, Namespace)
}

// attrs refuses an attribute outside allowed and returns the values of the
// allowed ones, "" for those absent.
func attrs(n *xmltree.Node, allowed ...string) (map[string]string, error) {
	if a, bad := n.CheckAttrs(allowed...); bad {
		return nil, fail(ErrMalformed, "attribute %q on <%s>", a.Local, n.Local)
	}
	m := make(map[string]string, len(allowed))
	for _, a := range n.Attrs {
		m[a.Local] = a.Value
	}
	return m, nil
}

// children checks that n holds only elements (no text) and that each is in
// the namespace.
func (r reader) children(n *xmltree.Node) error {
	if !xmltree.Blank(n.Text) {
		return fail(ErrMalformed, "text in <%s>", n.Local)
	}
	for _, c := range n.Children {
		if err := r.namespace(c); err != nil {
			return err
		}
	}
	return nil
}

// leaf checks that n has no children and no attributes but allowed.
func leaf(n *xmltree.Node, allowed ...string) (map[string]string, error) {
	if len(n.Children) != 0 {
		return nil, fail(ErrMalformed, "<%s> has child elements", n.Local)
	}
	return attrs(n, allowed...)
}

// handle checks a handle (RFC 8183 §5.1, Appendix A): letters, digits,
// "-", "_" and "/", at most 255. The schema allows the empty handle; road
// refuses it, as it names nobody.
func handle(name, v string) error {
	if v == "" || len(v) > maxHandle {
		return fail(ErrMalformed, "%s %q: empty or longer than %d", name, v, maxHandle)
	}
	for _, c := range v {
		ok := c == '-' || c == '_' || c == '/' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return fail(ErrMalformed, "%s %q: character %q outside [-_A-Za-z0-9/]", name, v, c)
		}
	}
	return nil
}

// uri checks an absolute URI with one of schemes (none: any), at most 4096
// bytes (RFC 8183 Appendix A).
func uri(name, v string, schemes ...string) error {
	if v == "" || len(v) > maxURI {
		return fail(ErrMalformed, "%s: empty or longer than %d", name, maxURI)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(v, " \t\r\n") {
		return fail(ErrMalformed, "%s %q is not an absolute URI", name, v)
	}
	if len(schemes) == 0 {
		return nil
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fail(ErrMalformed, "%s %q: scheme not %s", name, v, strings.Join(schemes, " or "))
}

// tag checks the optional tag (xsd:token, at most 1024): its whitespace is
// collapsed, as xsd:token's value is.
func tag(m map[string]string) (string, error) {
	t := strings.Join(strings.Fields(m["tag"]), " ")
	if len(t) > maxTag {
		return "", fail(ErrMalformed, "tag longer than %d", maxTag)
	}
	return t, nil
}

// identity reads a BPKI TA element: no attributes, Base64 DER text.
func (r reader) identity(n *xmltree.Node) (Identity, error) {
	if _, err := leaf(n); err != nil {
		return Identity{}, err
	}
	der, err := decodeBase64(n.Local, n.Text)
	if err != nil {
		return Identity{}, err
	}
	id, err := NewIdentity(der)
	if err != nil {
		return Identity{}, err
	}
	if r.opt.RFCOnly && !id.SelfSigned {
		return Identity{}, fail(ErrCertificate, "<%s> %q is not self-signed (RFC 8183 §5.1)", n.Local, id.Cert.Subject)
	}
	return id, nil
}

// referral reads a <referral/>; contact is whether contact_uri may occur.
func referral(n *xmltree.Node, contact bool) (Referral, error) {
	allowed := []string{"referrer"}
	if contact {
		allowed = append(allowed, "contact_uri")
	}
	m, err := leaf(n, allowed...)
	if err != nil {
		return Referral{}, err
	}
	ref := Referral{Referrer: m["referrer"], ContactURI: m["contact_uri"]}
	if err := handle("referrer", ref.Referrer); err != nil {
		return Referral{}, err
	}
	if _, ok := n.Attr("contact_uri"); ok {
		if err := uri("contact_uri", ref.ContactURI); err != nil {
			return Referral{}, err
		}
	}
	if ref.Token, err = decodeBase64("referral", n.Text); err != nil {
		return Referral{}, err
	}
	return ref, nil
}

// only checks that n has exactly one child, named name, and returns it.
func only(n *xmltree.Node, name string) (*xmltree.Node, error) {
	if len(n.Children) != 1 || n.Children[0].Local != name {
		return nil, fail(ErrMalformed, "<%s> must hold exactly one <%s>", n.Local, name)
	}
	return n.Children[0], nil
}

// ParseChildRequest decodes a <child_request/> (RFC 8183 §5.2.1); it also
// accepts rpkid's older <identity/> root (variant V3).
func ParseChildRequest(data []byte, opt Options) (ChildRequest, error) {
	r := reader{opt}
	names := []string{"child_request"}
	if !opt.RFCOnly {
		names = append(names, "identity")
	}
	n, err := r.root(data, names...)
	if err != nil {
		return ChildRequest{}, err
	}
	m, err := attrs(n, "version", "child_handle", "tag")
	if err != nil {
		return ChildRequest{}, err
	}
	var out ChildRequest
	if out.Tag, err = tag(m); err != nil {
		return ChildRequest{}, err
	}
	out.ChildHandle = m["child_handle"]
	if err := handle("child_handle", out.ChildHandle); err != nil {
		return ChildRequest{}, err
	}
	if err := r.children(n); err != nil {
		return ChildRequest{}, err
	}
	ta, err := only(n, "child_bpki_ta")
	if err != nil {
		return ChildRequest{}, err
	}
	out.ChildBPKI, err = r.identity(ta)
	return out, err
}

// ParseParentResponse decodes a <parent_response/> (RFC 8183 §5.2.2); it
// also accepts rpkid's valid_until attribute, which it ignores (variant V2).
func ParseParentResponse(data []byte, opt Options) (ParentResponse, error) {
	r := reader{opt}
	n, err := r.root(data, "parent_response")
	if err != nil {
		return ParentResponse{}, err
	}
	allowed := []string{"version", "service_uri", "child_handle", "parent_handle", "tag"}
	if !opt.RFCOnly {
		allowed = append(allowed, "valid_until")
	}
	m, err := attrs(n, allowed...)
	if err != nil {
		return ParentResponse{}, err
	}
	if v, ok := m["valid_until"]; ok {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return ParentResponse{}, fail(ErrMalformed, "valid_until %q is not a date-time", v)
		}
	}
	out := ParentResponse{ServiceURI: m["service_uri"], ChildHandle: m["child_handle"], ParentHandle: m["parent_handle"]}
	if out.Tag, err = tag(m); err != nil {
		return ParentResponse{}, err
	}
	for _, err := range []error{
		uri("service_uri", out.ServiceURI, "http", "https"), // §5.2.2
		handle("child_handle", out.ChildHandle), handle("parent_handle", out.ParentHandle), r.children(n),
	} {
		if err != nil {
			return ParentResponse{}, err
		}
	}
	// Appendix A: parent_bpki_ta, then offer?, then referral*, in order.
	kids := n.Children
	if len(kids) == 0 || kids[0].Local != "parent_bpki_ta" {
		return ParentResponse{}, fail(ErrMalformed, "<parent_response> must begin with <parent_bpki_ta>")
	}
	if out.ParentBPKI, err = r.identity(kids[0]); err != nil {
		return ParentResponse{}, err
	}
	kids = kids[1:]
	if len(kids) > 0 && kids[0].Local == "offer" {
		if _, err := leaf(kids[0]); err != nil || !xmltree.Blank(kids[0].Text) {
			return ParentResponse{}, fail(ErrMalformed, "<offer> must be empty")
		}
		out.Offer, kids = true, kids[1:]
	}
	for _, k := range kids {
		if k.Local != "referral" {
			return ParentResponse{}, fail(ErrMalformed, "unexpected <%s> in <parent_response>", k.Local)
		}
		ref, err := referral(k, true)
		if err != nil {
			return ParentResponse{}, err
		}
		out.Referrals = append(out.Referrals, ref)
	}
	return out, nil
}

// ParsePublisherRequest decodes a <publisher_request/> (RFC 8183 §5.2.3).
func ParsePublisherRequest(data []byte, opt Options) (PublisherRequest, error) {
	r := reader{opt}
	n, err := r.root(data, "publisher_request")
	if err != nil {
		return PublisherRequest{}, err
	}
	m, err := attrs(n, "version", "publisher_handle", "tag")
	if err != nil {
		return PublisherRequest{}, err
	}
	out := PublisherRequest{PublisherHandle: m["publisher_handle"]}
	if out.Tag, err = tag(m); err != nil {
		return PublisherRequest{}, err
	}
	if err := handle("publisher_handle", out.PublisherHandle); err != nil {
		return PublisherRequest{}, err
	}
	if err := r.children(n); err != nil {
		return PublisherRequest{}, err
	}
	kids := n.Children
	if len(kids) == 0 || kids[0].Local != "publisher_bpki_ta" {
		return PublisherRequest{}, fail(ErrMalformed, "<publisher_request> must begin with <publisher_bpki_ta>")
	}
	if out.PublisherBPKI, err = r.identity(kids[0]); err != nil {
		return PublisherRequest{}, err
	}
	for _, k := range kids[1:] {
		if k.Local != "referral" {
			return PublisherRequest{}, fail(ErrMalformed, "unexpected <%s> in <publisher_request>", k.Local)
		}
		ref, err := referral(k, false)
		if err != nil {
			return PublisherRequest{}, err
		}
		out.Referrals = append(out.Referrals, ref)
	}
	return out, nil
}

// ParseRepositoryResponse decodes a <repository_response/> (RFC 8183
// §5.2.4).
func ParseRepositoryResponse(data []byte, opt Options) (RepositoryResponse, error) {
	r := reader{opt}
	n, err := r.root(data, "repository_response")
	if err != nil {
		return RepositoryResponse{}, err
	}
	m, err := attrs(n, "version", "service_uri", "publisher_handle", "sia_base", "rrdp_notification_uri", "tag")
	if err != nil {
		return RepositoryResponse{}, err
	}
	out := RepositoryResponse{ServiceURI: m["service_uri"], PublisherHandle: m["publisher_handle"],
		SIABase: m["sia_base"], RRDPNotificationURI: m["rrdp_notification_uri"]}
	if out.Tag, err = tag(m); err != nil {
		return RepositoryResponse{}, err
	}
	checks := []error{
		uri("service_uri", out.ServiceURI, "http", "https"), // §5.2.4
		handle("publisher_handle", out.PublisherHandle),
		uri("sia_base", out.SIABase, "rsync"), // §5.2.4: an rsync:// URI
		r.children(n),
	}
	if _, ok := n.Attr("rrdp_notification_uri"); ok {
		checks = append(checks, uri("rrdp_notification_uri", out.RRDPNotificationURI, "https", "http"))
	}
	for _, err := range checks {
		if err != nil {
			return RepositoryResponse{}, err
		}
	}
	ta, err := only(n, "repository_bpki_ta")
	if err != nil {
		return RepositoryResponse{}, err
	}
	out.RepositoryBPKI, err = r.identity(ta)
	return out, err
}
