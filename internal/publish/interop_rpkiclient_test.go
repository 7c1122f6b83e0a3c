package publish

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

// TestRPKIClientSnapshotThenDelta publishes an openssl-built repository
// (mkrepo.sh) through the Publisher, serves Handler over HTTPS on loopback
// and runs Debian's rpki-client 8.2 against it twice with one cache: serial
// 1 must arrive as a snapshot, serial 2 (new CRL, manifest and ROA) as one
// delta, and the VRPs must follow.
func TestRPKIClientSnapshotThenDelta(t *testing.T) {
	rpkiClient := lookTool(t, "rpki-client")
	for _, tool := range []string{"openssl", "python3", "bash"} {
		lookTool(t, tool)
	}
	mkrepo := testshared.Peers(t, "mkrepo.sh")
	// rpki-client started as root drops to _rpki-client: its directories
	// must be reachable by that user, so they live in a 0755 temp dir.
	work, err := os.MkdirTemp("", "publish-rpki-client-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	os.Chmod(work, 0o755)

	cfg, _, caDER := testTLS(t)
	var pub *Publisher
	mux := http.NewServeMux()
	mux.HandleFunc("/rrdp/", func(w http.ResponseWriter, r *http.Request) { pub.Handler().ServeHTTP(w, r) })
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = cfg
	hostport := srv.Listener.Addr().String()
	rsyncBase := "rsync://127.0.0.1:1/repo/" // never contacted: RRDP succeeds first
	rrdpBase := "https://" + hostport + "/rrdp/"
	mux.HandleFunc("/ta/ta.cer", func(w http.ResponseWriter, r *http.Request) {
		data, ok := pub.Lookup(rsyncBase + "ta/ta.cer")
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	})
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(filepath.Join(work, "ca.pem"), caPEM, 0o644); err != nil {
		t.Fatal(err)
	}

	repo := filepath.Join(work, "repo")
	runMkrepo := func(env ...string) {
		cmd := exec.Command("bash", mkrepo, repo, strings.TrimSuffix(rsyncBase, "/"), rrdpBase+notificationName)
		cmd.Env = append(os.Environ(), append([]string{"TAL_URIS=https://" + hostport + "/ta/ta.cer"}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkrepo: %v\n%s", err, out)
		}
	}
	publishRepo := func() Result {
		var objs []Object
		pubDir := filepath.Join(repo, "pub")
		filepath.WalkDir(pubDir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(pubDir, path)
			info, _ := d.Info()
			objs = append(objs, Object{URI: rsyncBase + filepath.ToSlash(rel), Data: readFile(t, path), Time: info.ModTime()})
			return nil
		})
		return mustPublish(t, pub, objs...)
	}
	cache, out := filepath.Join(work, "cache"), filepath.Join(work, "out")
	os.Mkdir(cache, 0o755)
	os.Mkdir(out, 0o755)
	if u, err := user.Lookup("_rpki-client"); err == nil && os.Getuid() == 0 {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chown(cache, uid, gid)
		os.Chown(out, uid, gid)
	}
	runRP := func() (log, csv string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		os.Chmod(filepath.Join(repo, "test.tal"), 0o644)
		cmd := exec.CommandContext(ctx, rpkiClient, "-t", filepath.Join(repo, "test.tal"), "-d", cache,
			"-H", hostport, "-H", "127.0.0.1:1", "-c", "-vv", "-s", "60", out)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+filepath.Join(work, "ca.pem"))
		b, _ := cmd.CombinedOutput()
		c, err := os.ReadFile(filepath.Join(out, "csv"))
		if err != nil {
			t.Fatalf("rpki-client wrote no csv: %v\n%s", err, b)
		}
		return string(b), string(c)
	}

	runMkrepo()
	os.Chmod(repo, 0o755)
	opts := testOptions(filepath.Join(work, "road"), newClock())
	opts.RRDPBase, opts.RsyncBase, opts.Clock, opts.Rand = rrdpBase, rsyncBase, time.Now, nil
	pub = openTest(t, opts)
	if r := publishRepo(); r.Serial != 1 {
		t.Fatalf("first publish %+v", r)
	}
	log, csv := runRP()
	if !strings.Contains(log, "downloading snapshot") || !strings.Contains(csv, "AS64496,192.0.2.0/24,24,") {
		t.Fatalf("serial 1 not loaded from the snapshot:\n%s\ncsv:\n%s", log, csv)
	}

	runMkrepo("KEEP_TA=1", "MFT_NUMBER=2", "ROA_ASN=64497")
	r := publishRepo()
	if r.Serial != 2 || r.Replaced != 3 {
		t.Fatalf("second publish %+v", r)
	}
	log, csv = runRP()
	if !strings.Contains(log, "downloading 1 deltas") {
		t.Fatalf("serial 2 not loaded as a delta:\n%s", log)
	}
	if !strings.Contains(csv, "AS64497,192.0.2.0/24,24,") || strings.Contains(csv, "AS64496,") {
		t.Fatalf("VRPs after the delta:\n%s\nlog:\n%s", csv, log)
	}
	t.Logf("rpki-client followed serial 1 (snapshot) and serial 2 (delta):\n%s", grepLines(log, "rrdp", "delta", "snapshot"))
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
