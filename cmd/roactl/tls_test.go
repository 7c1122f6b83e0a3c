package main

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/tlsca"
)

// TestHTTPSServer: an https:// server is trusted through --cacert,
// $ROAD_CACERT, or road's testbed CA in the data directory; without them
// roactl refuses the certificate and says how to give the CA.
func TestHTTPSServer(t *testing.T) {
	data := t.TempDir()
	cert, key, ca, err := tlsca.Ensure(filepath.Join(data, "tls"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/api/v1/intents" || r.TLS == nil {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"intents":[]}`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	server := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // a name in the certificate, not only the IP
	env := func(kv ...string) func(string) string {
		m := map[string]string{"ROAD_SERVER": server, "ROAD_TOKEN": "tok", "ROAD_DATA_DIR": t.TempDir()}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	expect(t, runCLI(env("ROAD_DATA_DIR", data), "intent", "list"), 0, "no intents\n")
	expect(t, runCLI(env(), "intent", "list", "--cacert", ca), 0, "no intents\n")
	expect(t, runCLI(env("ROAD_CACERT", ca), "intent", "list"), 0, "no intents\n")

	r := runCLI(env(), "intent", "list")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "roactl: cannot talk to the server: ") ||
		!strings.HasSuffix(r.stderr, "certificate signed by unknown authority (give the server's CA with --cacert FILE or ROAD_CACERT; road's testbed CA is road-data/tls/ca.pem)\n") {
		t.Fatalf("untrusted certificate: %+v", r)
	}
	r = runCLI(env(), "--cacert", filepath.Join(data, "missing.pem"), "intent", "list")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "roactl: CA file: open ") {
		t.Fatalf("missing CA file: %+v", r)
	}
	junk := filepath.Join(data, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate\n"), 0o600)
	r = runCLI(env(), "--cacert", junk, "intent", "list")
	if r.code != 2 || r.stderr != "roactl: CA file "+junk+" holds no PEM certificate\n" {
		t.Fatalf("junk CA file: %+v", r)
	}
	// --cacert alone is trusted: the testbed CA in the data directory is not added.
	_, _, other, err := tlsca.Ensure(filepath.Join(t.TempDir(), "tls"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(env("ROAD_DATA_DIR", data), "--cacert", other, "intent", "list"); r.code != 1 {
		t.Fatalf("a CA that did not sign the server: %+v", r)
	}
}
