package buildinfo

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "1c9698186f8bc1c4449e1726c657a0502b03d41a"},
		{Key: "vcs.time", Value: "2026-12-03T13:15:57Z"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		name      string
		bi        *debug.BuildInfo
		short     string
		text      string
		modified  bool
		revision  string
		goVersion string
	}{
		{"nothing recorded", nil, "devel", "road (devel)\n", false, "", ""},
		{"local build without vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"devel", "road (devel)\ngo go1.26.8\n", false, "", "go1.26.8"},
		{"dirty checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"1c9698186f8b-modified",
			"road (devel)\nrevision 1c9698186f8bc1c4449e1726c657a0502b03d41a (modified)\ntime 2026-12-03T13:15:57Z\ngo go1.26.8\n",
			true, "1c9698186f8bc1c4449e1726c657a0502b03d41a", "go1.26.8"},
		{"go install @version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3", "road v1.2.3\ngo go1.26.8\n", false, "", "go1.26.8"},
	} {
		i := From("road", tc.bi)
		var b bytes.Buffer
		i.WriteText(&b)
		if i.Short() != tc.short || b.String() != tc.text || i.Modified != tc.modified || i.Revision != tc.revision || i.GoVersion != tc.goVersion {
			t.Errorf("%s: short %q, text %q, %+v", tc.name, i.Short(), b.String(), i)
		}
	}
}

// TestRead: a test binary records the Go version it was built with.
func TestRead(t *testing.T) {
	i := Read("x")
	if i.Program != "x" || i.GoVersion != runtime.Version() {
		t.Fatalf("%+v, want program x and %s", i, runtime.Version())
	}
}
