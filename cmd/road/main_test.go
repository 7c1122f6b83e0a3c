package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/buildinfo"
)

func runRoad(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// TestHelp: every subcommand of the table answers --help and -h on stdout
// with exit 0 and a usage naming it, and road's usage lists every one.
func TestHelp(t *testing.T) {
	code, usage, _ := runRoad("--help")
	if code != 0 || !strings.HasPrefix(usage, "usage: road") {
		t.Fatalf("road --help: exit %d\n%s", code, usage)
	}
	for _, s := range subcommands() {
		if !strings.Contains(usage, "\n  road "+s.cmd.synopsis+"\n") {
			t.Errorf("road --help does not list %q", s.cmd.synopsis)
		}
		for _, h := range []string{"--help", "-h"} {
			code, out, errs := runRoad(s.name, h)
			if code != 0 || !strings.HasPrefix(out, "usage: road") || !strings.Contains(out, "road "+s.name) || errs != "" {
				t.Errorf("road %s %s: exit %d, stderr %q, stdout:\n%s", s.name, h, code, errs, out)
			}
		}
	}
	if code, _, errs := runRoad("frobnicate"); code != 2 || !strings.HasPrefix(errs, "road: unknown command \"frobnicate\"\nusage: road") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errs)
	}
}

// TestVersion: road version prints the recorded build as text or JSON.
func TestVersion(t *testing.T) {
	bi := buildinfo.Read("road")
	var want bytes.Buffer
	bi.WriteText(&want)
	code, out, _ := runRoad("version")
	if code != 0 || out != want.String() || !strings.HasPrefix(out, "road ") || !strings.HasSuffix(out, "\ngo "+runtime.Version()+"\n") {
		t.Fatalf("road version: exit %d\n%q\nwant %q", code, out, want.String())
	}
	code, out, _ = runRoad("version", "-o", "json")
	var got buildinfo.Info
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got != bi {
		t.Fatalf("road version -o json: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"version", "-o", "yaml"}, {"version", "extra"}} {
		if code, _, _ := runRoad(args...); code != 2 {
			t.Errorf("road %v: exit %d, want 2", args, code)
		}
	}
}

// TestServeStartLog: with --log-format json every line road serve logs is
// one JSON object, and before it runs it names the data directory, the
// database, the TAL and the token file (absolute paths of files that exist)
// and every listener.
func TestServeStartLog(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data-dir", data, "--http", "127.0.0.1:0", "--https", "", "--rtr", "127.0.0.1:0",
			"--rrdp-base", "https://127.0.0.1:1/rrdp/", "--log-format", "json"}, io.Discard, pw, nil)
		pw.Close()
	}()
	msgs := map[string]map[string]any{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not one JSON object: %q", sc.Text())
		}
		msg, _ := m["msg"].(string)
		msgs[msg] = m
		if msg == "road running" {
			break
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != 0 {
		t.Fatalf("road serve exit %d", code)
	}
	for msg, want := range map[string]map[string]string{
		"data directory":          {"path": data, "database": filepath.Join(data, "road.db")},
		"TAL for relying parties": {"path": filepath.Join(data, "road.tal")},
		"admin token":             {"path": filepath.Join(data, "admin.token")},
		"road running": {"http": "127.0.0.1:0", "https": "", "rtr": "127.0.0.1:0", "bgp": "",
			"rrdp": "https://127.0.0.1:1/rrdp/", "rsync": "rsync://127.0.0.1:8873/repo/", "data": data},
	} {
		m, ok := msgs[msg]
		if !ok {
			t.Errorf("no %q line", msg)
			continue
		}
		if m["level"] != "INFO" {
			t.Errorf("%q: level %v", msg, m["level"])
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%q: %s = %v, want %q", msg, k, m[k], v)
			}
			if k == "path" || k == "database" {
				if _, err := os.Stat(v); err != nil {
					t.Errorf("%q names %s: %v", msg, v, err)
				}
			}
		}
	}
}
