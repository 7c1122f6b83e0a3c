package testpeers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// stayRTRFile is the 5-VRP file of the captured samples, in the forms of
// "asn" stayrtr accepts (README §1.1), including a 4-byte ASN >= 2^31 that
// rtrlib's export templates would print negative.
const stayRTRFile = `{"roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496"},
 {"prefix":"198.51.100.0/22","maxLength":24,"asn":64497},
 {"prefix":"203.0.113.0/24","maxLength":32,"asn":"64498"},
 {"prefix":"2001:db8::/32","maxLength":48,"asn":64499},
 {"prefix":"2001:db8:1000::/36","maxLength":36,"asn":4200000000}]}`

// The same file after an update: one VRP replaced, one added.
const stayRTRFileUpdated = `{"roas":[{"prefix":"192.0.2.0/24","maxLength":25,"asn":64511},
 {"prefix":"198.51.100.0/22","maxLength":24,"asn":64497},
 {"prefix":"203.0.113.0/24","maxLength":32,"asn":"64498"},
 {"prefix":"2001:db8::/32","maxLength":48,"asn":64499},
 {"prefix":"2001:db8:1000::/36","maxLength":36,"asn":4200000000},
 {"prefix":"2001:db8:2000::/48","maxLength":48,"asn":4294967295}]}`

var rtrVRPsUpdated = []string{"192.0.2.0/24-25 => AS64511", "198.51.100.0/22-24 => AS64497", "203.0.113.0/24-32 => AS64498",
	"2001:db8::/32-48 => AS64499", "2001:db8:1000::/36 => AS4200000000", "2001:db8:2000::/48 => AS4294967295"}

// writeAtomic replaces path like a publisher would (stayrtr must never see a half file).
func writeAtomic(t *testing.T, path, body string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestRTRClientsAgainstStayRTR(t *testing.T) {
	Require(t, "stayrtr", "rtrdump", "rtrclient", "stdbuf", "bird", "birdc", "gobgpd", "gobgp")
	file := filepath.Join(t.TempDir(), "vrps.json")
	writeAtomic(t, file, stayRTRFile)
	port := FreePort(t)
	pid := StartStayRTR(t, file, port, "-refresh", "1")
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	want := mustVRPs(t, rtrVRPs...)

	for _, version := range []int{0, 1, 2} {
		got, err := RTRDump(t, fmt.Sprintf("127.0.0.1:%d", port), version)
		if err != nil {
			t.Fatalf("rtrdump v%d: %v", version, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("rtrdump v%d: got %v, want %v", version, got, want)
		}
	}

	sessions := map[string]RTRSession{
		"rtrclient": StartRTRClient(t, "127.0.0.1", port),
		"bird":      StartBIRDRTR(t, "127.0.0.1", port),
		"gobgp":     StartGoBGPRTR(t, "127.0.0.1", port),
	}
	for name, s := range sessions {
		got, err := s.Table()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}

	// Incremental update: stayrtr re-reads the file, sends Serial Notify;
	// the clients fetch the delta.
	writeAtomic(t, file, stayRTRFileUpdated)
	updated := mustVRPs(t, rtrVRPsUpdated...)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	for name, s := range sessions {
		if err := s.WaitFor(ctx, updated); err != nil {
			t.Errorf("%s after update: %v", name, err)
		}
	}

	// WaitFor must fail, naming the difference, when the table never matches.
	short, cancel2 := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel2()
	err := sessions["bird"].WaitFor(short, want)
	if !errors.Is(err, ErrNoMatch) {
		t.Errorf("WaitFor stale table: %v, want ErrNoMatch", err)
	}
	for _, s := range sessions {
		s.Close()
		s.Close() // idempotent; t.Cleanup calls it again
	}
}

func TestRTRDumpWithoutServer(t *testing.T) {
	Require(t, "rtrdump")
	_, err := RTRDump(t, fmt.Sprintf("127.0.0.1:%d", FreePort(t)), 1)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("got %v, want ErrFailed", err)
	}
}

func TestRTRClientNeverSynced(t *testing.T) {
	Require(t, "rtrclient", "stdbuf")
	s := StartRTRClient(t, "127.0.0.1", FreePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.WaitFor(ctx, nil); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("got %v, want ErrNoMatch", err)
	}
}

// The clients over IPv6 loopback, against stayrtr bound to [::1].
func TestRTRClientsOverIPv6(t *testing.T) {
	Require(t, "stayrtr", "rtrdump", "rtrclient", "stdbuf", "bird", "birdc", "gobgpd", "gobgp")
	file := filepath.Join(t.TempDir(), "vrps.json")
	writeAtomic(t, file, stayRTRFile)
	port := FreePort(t)
	StartStayRTR(t, file, port, "-bind", fmt.Sprintf("[::1]:%d", port))
	want := mustVRPs(t, rtrVRPs...)
	got, err := RTRDump(t, fmt.Sprintf("[::1]:%d", port), 1)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("rtrdump: %v %v", got, err)
	}
	for name, s := range map[string]RTRSession{
		"rtrclient": StartRTRClient(t, "::1", port),
		"bird":      StartBIRDRTR(t, "::1", port),
		"gobgp":     StartGoBGPRTR(t, "::1", port),
	} {
		start := time.Now()
		got, err := s.Table()
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: got %v, %v; want %v", name, got, err, want)
		}
		t.Logf("%s: %d VRPs over [::1] in %v", name, len(got), time.Since(start))
	}
}

func TestLastFlagValue(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, ""},
		{[]string{"-refresh", "1"}, ""},
		{[]string{"-bind", "[::1]:1"}, "[::1]:1"},
		{[]string{"--bind=127.0.0.2:5", "-refresh", "1"}, "127.0.0.2:5"},
		{[]string{"-bind", "a", "-bind=b"}, "b"},
	} {
		if got := lastFlagValue(tc.flags, "bind"); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.flags, got, tc.want)
		}
	}
}

// An empty cache: every client reports an empty (not failed) table after End of Data.
func TestRTRClientsEmptyTable(t *testing.T) {
	Require(t, "stayrtr", "rtrdump", "rtrclient", "stdbuf", "bird", "birdc", "gobgpd", "gobgp")
	file := filepath.Join(t.TempDir(), "vrps.json")
	writeAtomic(t, file, `{"roas":[]}`)
	port := FreePort(t)
	StartStayRTR(t, file, port)
	got, err := RTRDump(t, fmt.Sprintf("127.0.0.1:%d", port), 1)
	if err != nil || len(got) != 0 {
		t.Fatalf("rtrdump: %v %v", got, err)
	}
	for name, s := range map[string]RTRSession{
		"rtrclient": StartRTRClient(t, "127.0.0.1", port),
		"bird":      StartBIRDRTR(t, "127.0.0.1", port),
		"gobgp":     StartGoBGPRTR(t, "127.0.0.1", port),
	} {
		got, err := s.Table()
		if err != nil || len(got) != 0 {
			t.Errorf("%s: got %v, %v; want empty", name, got, err)
		}
	}
}
