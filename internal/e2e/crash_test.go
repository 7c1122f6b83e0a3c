package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// The crash test kills road with SIGKILL at least midChangeKills times with
// a ROA change in flight and startKills times while it starts.
const (
	midChangeKills = 20
	startKills     = 4
)

// TestCrashRecovery kills the real road binary with SIGKILL at random
// points, while ROA changes are in flight and while it is starting, then
// restarts it on the same data directory and checks after every restart:
// no accepted change is lost (the configured ROAs equal the model of every
// HTTP 200 answer, plus whatever the change in flight did), the RRDP session
// is the same and its serial never went backwards (not on disk, not in the
// status), and rpki-client, keeping its cache across restarts, validates
// exactly the configured ROAs.
func TestCrashRecovery(t *testing.T) {
	testpeers.Require(t, "rpki-client")
	bin := buildRoad(t)
	dir := filepath.Join(worldReadableDir(t), "road-data")
	httpAddr := freeAddr(t)
	httpsAddr := freeAddr(t)
	args := []string{"serve", "--data-dir", dir, "--http", httpAddr, "--https", httpsAddr, "--rtr", "",
		"--rrdp-base", "https://" + httpsAddr + "/rrdp/", "--rsync-base", "rsync://127.0.0.1:1/repo/", "--log-level", "debug"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	seed := rng.Uint64()
	rng = rand.New(rand.NewPCG(seed, 2))
	t.Logf("seed %d", seed)
	cache := testpeers.RPKIClientDir(t)

	model := map[vrp.VRP]bool{} // the configured ROAs every accepted answer implies
	var session string
	var lastSerial uint64
	next := 0 // the next ROA to add: 198.51.100.0/24 => AS(65000+next)
	kills, midChange, atStart := 0, 0, 0
	for iter := 0; midChange < midChangeKills || atStart < startKills; iter++ {
		if iter >= 80 {
			t.Fatalf("after %d iterations only %d kills with a change in flight", iter, midChange)
		}
		p := startRoadProcess(t, bin, args, filepath.Join(dir, "..", fmt.Sprintf("road-%02d.log", iter)))
		if iter%6 == 5 {
			// A crash while starting (recovery, first publication).
			time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
			p.kill(t)
			kills++
			atStart++
			continue
		}
		waitHTTP(t, "http://"+httpAddr+"/healthz")
		token := readToken(t, dir)

		// After a restart: nothing accepted is lost, the serial did not go
		// back, and rpki-client agrees with the configured set.
		sess, serial := notificationState(t, dir)
		if session == "" {
			session = sess
		}
		if sess != session || serial < lastSerial {
			t.Fatalf("iteration %d: RRDP went from session %s serial %d to session %s serial %d",
				iter, session, lastSerial, sess, serial)
		}
		lastSerial = serial
		var st api.Status
		if code := call(t, httpAddr, token, "GET", "/status", nil, &st); code != 200 ||
			st.Publication.Session != session || st.Publication.Serial < lastSerial {
			t.Fatalf("iteration %d: status HTTP %d publication %+v, want session %s serial >= %d", iter, code, st.Publication, session, lastSerial)
		}
		got := configured(t, httpAddr, token)
		if !sameVRPs(got, modelSet(model)) {
			t.Fatalf("iteration %d: configured ROAs %v\nwant %v", iter, got, modelSet(model))
		}
		if iter%3 == 0 {
			rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(dir, "road.tal"),
				TLSCAFile: filepath.Join(dir, "tls", "ca.pem"), CacheDir: cache})
			if !sameVRPs(rc.VRPs, got) {
				t.Fatalf("iteration %d: rpki-client VRPs %v\nwant %v\n%s", iter, rc.VRPs, got, rc.Log)
			}
		}

		// Changes in flight until the kill: each adds one ROA and removes
		// the oldest when more than four are configured.
		stop := make(chan struct{})
		var mu sync.Mutex
		var inflight *api.ProposalRequest
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				req := &api.ProposalRequest{Add: roas(t, fmt.Sprintf("198.51.100.0/24 => AS%d", 65000+next))}
				mu.Lock()
				if cur := modelSet(model); len(cur) > 4 {
					req.Remove = []api.ROA{apiROAOf(cur[0])}
				}
				inflight = req
				mu.Unlock()
				var res api.ProposalResult
				code, err := tryCall(httpAddr, token, "POST", "/roas/proposals", req, &res)
				if err != nil {
					return // killed mid-request: the outcome is read after the restart
				}
				mu.Lock()
				if code != 200 || !res.Applied {
					mu.Unlock()
					t.Errorf("iteration %d: proposal HTTP %d %+v", iter, code, res)
					return
				}
				applyModel(t, model, req)
				if res.Serial < lastSerial {
					t.Errorf("iteration %d: applied at serial %d after serial %d", iter, res.Serial, lastSerial)
				}
				lastSerial = max(lastSerial, res.Serial)
				inflight = nil
				next++
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(20+rng.IntN(1200)) * time.Millisecond)
		p.kill(t)
		kills++
		close(stop)
		<-done
		if t.Failed() {
			return
		}
		// The change in flight either happened entirely or not at all: learn
		// which from the restarted road (checked to be all-or-nothing below).
		if inflight != nil {
			midChange++
			q := startRoadProcess(t, bin, args, filepath.Join(dir, "..", fmt.Sprintf("road-%02d-probe.log", iter)))
			waitHTTP(t, "http://"+httpAddr+"/healthz")
			got := configured(t, httpAddr, readToken(t, dir))
			with := cloneModel(model)
			applyModel(t, with, inflight)
			switch {
			case sameVRPs(got, modelSet(with)):
				model = with
				next++
			case sameVRPs(got, modelSet(model)):
			default:
				t.Fatalf("iteration %d: change in flight %+v half applied: configured %v", iter, inflight, got)
			}
			q.stop(t)
		}
		sess, serial = notificationState(t, dir)
		if sess != session || serial < lastSerial {
			t.Fatalf("iteration %d: after the kill RRDP has session %s serial %d, had %s %d", iter, sess, serial, session, lastSerial)
		}
		lastSerial = serial
	}
	// A last restart: rpki-client must validate exactly the final state.
	p := startRoadProcess(t, bin, args, filepath.Join(dir, "..", "road-final.log"))
	waitHTTP(t, "http://"+httpAddr+"/healthz")
	got := configured(t, httpAddr, readToken(t, dir))
	if !sameVRPs(got, modelSet(model)) {
		t.Fatalf("final: configured ROAs %v\nwant %v", got, modelSet(model))
	}
	rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(dir, "road.tal"),
		TLSCAFile: filepath.Join(dir, "tls", "ca.pem"), CacheDir: cache})
	if !sameVRPs(rc.VRPs, got) {
		t.Fatalf("final: rpki-client VRPs %v\nwant %v\n%s", rc.VRPs, got, rc.Log)
	}
	p.stop(t)
	t.Logf("%d kills (%d with a change in flight, %d while starting), %d ROA changes accepted, final serial %d, %d ROAs configured",
		kills, midChange, atStart, next, lastSerial, len(model))
}

// buildRoad compiles cmd/road into a temporary directory.
func buildRoad(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "road")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/roadrpki/road/cmd/road")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type roadProcess struct{ cmd *exec.Cmd }

func startRoadProcess(t *testing.T, bin string, args []string, logPath string) *roadProcess {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	p := &roadProcess{cmd: cmd}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// kill is the crash: SIGKILL, no chance to clean up.
func (p *roadProcess) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// stop is an orderly shutdown.
func (p *roadProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("road did not stop on SIGTERM within 10 s")
	}
}

func readToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return string(regexp.MustCompile(`\s+`).ReplaceAll(b, nil))
}

var notificationHeader = regexp.MustCompile(`<notification[^>]*\bsession_id="([0-9a-f-]+)"[^>]*\bserial="(\d+)"`)

// notificationState reads the session and serial of the notification file
// on disk (what an RP would fetch next).
func notificationState(t *testing.T, dir string) (string, uint64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "rrdp", "notification.xml"))
	if err != nil {
		t.Fatalf("notification: %v", err)
	}
	m := notificationHeader.FindSubmatch(b)
	if m == nil {
		t.Fatalf("notification.xml has no session/serial: %.300s", b)
	}
	n, _ := strconv.ParseUint(string(m[2]), 10, 64)
	return string(m[1]), n
}

// tryCall is call without failing the test on a transport error (the server
// may be killed mid-request).
func tryCall(httpAddr, token, method, path string, body, out any) (code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return doCall(ctx, httpAddr, token, method, path, body, out)
}

func configured(t *testing.T, httpAddr, token string) []vrp.VRP {
	t.Helper()
	var l api.ROAList
	if code := call(t, httpAddr, token, "GET", "/roas", nil, &l); code != 200 {
		t.Fatalf("GET /roas: HTTP %d", code)
	}
	var out []vrp.VRP
	for _, r := range l.ROAs {
		if r.State != "published" {
			t.Errorf("ROA %s AS%d is %s after a restart, want published", r.Prefix, r.ASN, r.State)
		}
		v, err := vrp.Parse(fmt.Sprintf("%s-%d => AS%d", r.Prefix, r.MaxLength, r.ASN))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func applyModel(t *testing.T, m map[vrp.VRP]bool, req *api.ProposalRequest) {
	t.Helper()
	for _, r := range req.Remove {
		delete(m, toVRP(t, r))
	}
	for _, r := range req.Add {
		m[toVRP(t, r)] = true
	}
}

func toVRP(t *testing.T, r api.ROA) vrp.VRP {
	t.Helper()
	v, err := vrp.Parse(fmt.Sprintf("%s-%d => AS%d", r.Prefix, r.MaxLength, r.ASN))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func apiROAOf(v vrp.VRP) api.ROA {
	return api.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN}
}

func modelSet(m map[vrp.VRP]bool) []vrp.VRP {
	out := make([]vrp.VRP, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	return vrp.NewSet(out)
}

func cloneModel(m map[vrp.VRP]bool) map[vrp.VRP]bool {
	c := make(map[vrp.VRP]bool, len(m))
	for v := range m {
		c[v] = true
	}
	return c
}
