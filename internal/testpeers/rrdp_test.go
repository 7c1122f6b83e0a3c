package testpeers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// publishRRDP serves pub on srv (HTTPS, 127.0.0.1) as an RRDP snapshot
// (RFC 8182 §3.5) plus the TA certificate at /ta/ta.cer, and writes the
// server's self-signed certificate to a PEM file for TLSCAFile.
func publishRRDP(t *testing.T, srv *httptest.Server, mux *http.ServeMux, pub, rsyncBase string) (caPEM string) {
	t.Helper()
	const session = "9df4b597-af9e-4dca-bdda-719cce2c4e28"
	var snap strings.Builder
	fmt.Fprintf(&snap, `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="1">`+"\n", session)
	err := filepath.WalkDir(pub, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pub, path)
		fmt.Fprintf(&snap, "<publish uri=\"%s/%s\">%s</publish>\n", rsyncBase, filepath.ToSlash(rel), base64.StdEncoding.EncodeToString(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	snap.WriteString("</snapshot>\n")
	h := sha256.Sum256([]byte(snap.String()))
	notification := fmt.Sprintf(`<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="1">
<snapshot uri="%s/rrdp/snapshot.xml" hash="%s"/>
</notification>
`, session, srv.URL, hex.EncodeToString(h[:]))
	mux.HandleFunc("/rrdp/notification.xml", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(notification)) })
	mux.HandleFunc("/rrdp/snapshot.xml", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(snap.String())) })
	mux.HandleFunc("/ta/ta.cer", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(pub, "ta", "ta.cer"))
	})
	caPEM = filepath.Join(t.TempDir(), "tls-ca.pem")
	writeFile(t, caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return caPEM
}

// RRDP over HTTPS only (no rsync daemon at all): the RPs must trust the test
// TLS CA through TLSCAFile (SSL_CERT_FILE for rpki-client, a rehashed
// --http.ca-path for FORT).
func TestRelyingPartiesOverRRDP(t *testing.T) {
	Require(t, "rpki-client", "fort", "openssl")
	pub := t.TempDir()
	deadRsync := FreePort(t) // nothing listens: RRDP must carry everything
	rsyncBase := fmt.Sprintf("rsync://127.0.0.1:%d/repo", deadRsync)
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)          // listens on 127.0.0.1
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the no-CA run aborts handshakes on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	repo := buildTestRepo(t, pub, deadRsync, srv.URL+"/rrdp/notification.xml")
	caPEM := publishRRDP(t, srv, mux, pub, rsyncBase)
	tal := filepath.Join(t.TempDir(), "rrdp.tal")
	b, err := os.ReadFile(repo.TAL)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(string(b), "\n\n")
	writeFile(t, tal, []byte(srv.URL+"/ta/ta.cer\n\n"+key))

	rc := RunRPKIClient(t, RPKIClientOptions{TAL: tal, TLSCAFile: caPEM})
	if !slices.Equal(rc.VRPs, repo.VRPs) || !strings.Contains(rc.Log, "/rrdp/notification.xml: loaded from network") {
		t.Fatalf("rpki-client over RRDP: VRPs %v, want %v\n%s", rc.VRPs, repo.VRPs, rc.Log)
	}
	fort := RunFort(t, FortOptions{TAL: tal, TLSCAFile: caPEM})
	if !slices.Equal(fort.VRPs, repo.VRPs) || fort.ExitCode != 0 {
		t.Fatalf("fort over RRDP: exit %d VRPs %v, want %v\n%s", fort.ExitCode, fort.VRPs, repo.VRPs, fort.Log)
	}

	// Without the CA the TLS handshake fails and nothing validates.
	rc = RunRPKIClient(t, RPKIClientOptions{TAL: tal})
	if len(rc.VRPs) != 0 || !strings.Contains(rc.Log, "certificate verification failed") {
		t.Errorf("rpki-client without TLS CA: VRPs %v\n%s", rc.VRPs, rc.Log)
	}
}
