package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// seen is one request as the fake server received it.
type seen struct {
	Method, Path, Query, Body       string
	Auth, ContentType, Import, Actr string
}

func fakeServer(t *testing.T, status int, answer string) (*Client, *[]seen) {
	t.Helper()
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b),
			r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("X-Import-Name"), r.Header.Get("X-Road-Actor")})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL + "/", Token: "s3cret", HTTP: srv.Client(), Actor: "alice"}, &got
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		call func(c *Client) error
		want seen
	}{
		{"status", func(c *Client) error { _, err := c.Status(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/status"}},
		{"roas", func(c *Client) error { _, err := c.ROAs(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/roas"}},
		{"propose", func(c *Client) error {
			_, _, err := c.Propose(ctx, &ProposalRequest{Add: []ROA{{Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496}}, DryRun: true})
			return err
		}, seen{Method: "POST", Path: "/api/v1/roas/proposals", ContentType: "application/json",
			Body: `{"add":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"remove":[],"dry_run":true,"force":false,"reason":""}`}},
		{"intents", func(c *Client) error { _, err := c.Intents(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/intents"}},
		{"intent add", func(c *Client) error {
			_, err := c.AddIntent(ctx, Intent{Prefix: "192.0.2.0/24", Origin: 64496, Note: "core", CreatedAt: time.Unix(1, 0)})
			return err
		}, seen{Method: "POST", Path: "/api/v1/intents", ContentType: "application/json",
			Body: `{"prefix":"192.0.2.0/24","origin":64496,"note":"core"}`}},
		{"intent remove", func(c *Client) error {
			_, err := c.RemoveIntent(ctx, Intent{Prefix: "2001:db8::/32", Origin: 64497})
			return err
		}, seen{Method: "DELETE", Path: "/api/v1/intents", ContentType: "application/json",
			Body: `{"prefix":"2001:db8::/32","origin":64497}`}},
		{"history", func(c *Client) error { _, err := c.History(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/history"}},
		{"bgp routes", func(c *Client) error { _, err := c.BGPRoutes(ctx, ""); return err },
			seen{Method: "GET", Path: "/api/v1/bgp/routes"}},
		{"bgp routes prefix", func(c *Client) error { _, err := c.BGPRoutes(ctx, "2001:db8::/32"); return err },
			seen{Method: "GET", Path: "/api/v1/bgp/routes", Query: "prefix=2001%3Adb8%3A%3A%2F32"}},
		{"bgp import", func(c *Client) error {
			_, err := c.BGPImport(ctx, "rib.txt", strings.NewReader("192.0.2.0/24 64496\n"))
			return err
		}, seen{Method: "POST", Path: "/api/v1/bgp/import", ContentType: "application/octet-stream", Import: "rib.txt",
			Body: "192.0.2.0/24 64496\n"}},
		{"bgp analysis", func(c *Client) error { _, err := c.BGPAnalysis(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/bgp/analysis"}},
		{"bgp suggestions", func(c *Client) error { _, err := c.BGPSuggestions(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/bgp/suggestions"}},
		{"bgp resilience", func(c *Client) error { _, err := c.BGPResilience(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/bgp/resilience"}},
		{"expiry", func(c *Client) error { _, err := c.Expiry(ctx, 0); return err },
			seen{Method: "GET", Path: "/api/v1/expiry"}},
		{"expiry within", func(c *Client) error { _, err := c.Expiry(ctx, 30*24*time.Hour); return err },
			seen{Method: "GET", Path: "/api/v1/expiry", Query: "within=720h"}},
		{"audit run", func(c *Client) error { _, err := c.RunAudit(ctx, "consistency"); return err },
			seen{Method: "POST", Path: "/api/v1/audits/consistency"}},
		{"audits", func(c *Client) error { _, err := c.Audits(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/audits"}},
		{"rp vrps", func(c *Client) error { _, err := c.RPVRPs(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/rp/vrps"}},
		{"rp status", func(c *Client) error { _, err := c.RPStatus(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/rp/status"}},
		{"tokens", func(c *Client) error { _, err := c.Tokens(ctx); return err },
			seen{Method: "GET", Path: "/api/v1/tokens"}},
		{"token add", func(c *Client) error { _, err := c.AddToken(ctx, "monitor", "read-only"); return err },
			seen{Method: "POST", Path: "/api/v1/tokens", ContentType: "application/json", Body: `{"name":"monitor","role":"read-only"}`}},
		{"token revoke", func(c *Client) error { _, err := c.RevokeToken(ctx, "monitor"); return err },
			seen{Method: "DELETE", Path: "/api/v1/tokens/monitor"}},
	}
	for _, tc := range cases {
		c, got := fakeServer(t, http.StatusOK, "{}")
		if err := tc.call(c); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		tc.want.Auth, tc.want.Actr = "Bearer s3cret", "alice"
		if len(*got) != 1 || !reflect.DeepEqual((*got)[0], tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, *got, tc.want)
		}
	}
}

func TestClientDecodes(t *testing.T) {
	c, _ := fakeServer(t, http.StatusOK, `{"roas":[{"prefix":"192.0.2.0/24","asn":64496,"state":"published","not_after":"2027-01-01T00:00:00Z"}]}`)
	l, err := c.ROAs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []ROAEntry{{ROA: ROA{Prefix: "192.0.2.0/24", ASN: 64496}, State: "published", NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if !reflect.DeepEqual(l.ROAs, want) {
		t.Fatalf("got %+v", l.ROAs)
	}
	var raw []byte // what a caller printing the answer as-is sees
	c.Observe = func(_, _ string, _ int, b []byte) { raw = b }
	doc, err := c.RPVRPs(context.Background())
	if err != nil || !strings.HasPrefix(string(raw), `{"roas":[`) || len(doc.ROAs) != 1 || doc.ROAs[0].ASN != 64496 {
		t.Fatalf("raw %s %v %+v", raw, err, doc)
	}
}

func TestProposeBlocked(t *testing.T) {
	body := `{"applied":false,"dry_run":false,"blocked":true,"findings":[{"kind":"invalidates-route","severity":"block","overridable":true,"route":{"prefix":"192.0.2.0/25","origin":64500},"message":"route 192.0.2.0/25 AS64500 would become Invalid"}]}`
	c, _ := fakeServer(t, http.StatusConflict, body)
	var observed []byte
	c.Observe = func(m, p string, status int, b []byte) { observed = b }
	res, status, err := c.Propose(context.Background(), &ProposalRequest{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}})
	if err != nil {
		t.Fatal(err)
	}
	if status != 409 || !res.Blocked || len(res.Findings) != 1 || res.Findings[0].Kind != "invalidates-route" ||
		res.Findings[0].Route.Origin != 64500 {
		t.Fatalf("status %d result %+v", status, res)
	}
	if string(observed) != body {
		t.Fatalf("observed %q", observed)
	}
}

func TestProposeConflictError(t *testing.T) {
	c, _ := fakeServer(t, http.StatusConflict, `{"error":{"code":"conflict","message":"another change is in progress"}}`)
	res, status, err := c.Propose(context.Background(), &ProposalRequest{})
	var ae *APIError
	if res != nil || status != 409 || !errors.As(err, &ae) || ae.Code != "conflict" || ae.Message != "another change is in progress" {
		t.Fatalf("res %+v status %d err %v", res, status, err)
	}
}

func TestAPIError(t *testing.T) {
	c, _ := fakeServer(t, http.StatusBadRequest, `{"error":{"code":"bad-request","message":"prefix \"x\" is bad","details":{"field":"prefix"}}}`)
	_, err := c.Status(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err %T %v", err, err)
	}
	want := &APIError{Status: 400, Code: "bad-request", Message: `prefix "x" is bad`, Details: map[string]any{"field": "prefix"}}
	if !reflect.DeepEqual(ae, want) {
		t.Fatalf("got %+v", ae)
	}
	if ae.Error() != `server said 400 bad-request: prefix "x" is bad` {
		t.Fatalf("message %q", ae.Error())
	}
	// A 409 that is an error body (not a proposal) on another endpoint stays an error.
	c, _ = fakeServer(t, http.StatusBadGateway, "<html>bad gateway</html>")
	_, err = c.Audits(context.Background())
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "http-502" || ae.Message != "<html>bad gateway</html>" {
		t.Fatalf("non-JSON error: %v", err)
	}
}

func TestTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := &Client{BaseURL: url, Token: "t"}
	_, err := c.Status(context.Background())
	if !errors.Is(err, ErrTransport) {
		t.Fatalf("closed server: %v", err)
	}
	var ae *APIError
	if errors.As(err, &ae) {
		t.Fatal("transport error reported as APIError")
	}
	c = &Client{BaseURL: "ftp://x"}
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrServerURL) {
		t.Fatalf("bad base URL: %v", err)
	}
	// A 200 whose body is not JSON is a transport-level failure, not silence.
	c2, _ := fakeServer(t, http.StatusOK, "not json")
	if _, err := c2.Status(context.Background()); !errors.Is(err, ErrTransport) {
		t.Fatalf("garbage body: %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{720 * time.Hour: "720h", 90 * time.Minute: "90m", 1500 * time.Millisecond: "1.5s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("%v: %q", d, got)
		}
	}
}
