// Package buildinfo reads what the Go toolchain recorded in the running
// binary (runtime/debug.ReadBuildInfo): the module version, the VCS revision
// and commit time, and the Go version. road and roactl print it with their
// version commands; road also logs it and sends it as its User-Agent.
package buildinfo

import (
	"fmt"
	"io"
	"runtime/debug"
)

// Info is one binary's build. Revision and Time are empty when the binary
// was built outside a VCS checkout or with -buildvcs=false.
type Info struct {
	Program   string `json:"program"`
	Version   string `json:"version"`            // module version; "(devel)" for a local build
	Revision  string `json:"revision,omitempty"` // vcs.revision
	Time      string `json:"time,omitempty"`     // vcs.time: the commit's time, RFC 3339
	Modified  bool   `json:"modified"`           // vcs.modified: built with uncommitted changes
	GoVersion string `json:"go"`
}

// Read returns the build of the running binary, named program.
func Read(program string) Info {
	bi, _ := debug.ReadBuildInfo()
	return From(program, bi)
}

// From extracts Info from bi (nil: nothing recorded).
func From(program string, bi *debug.BuildInfo) Info {
	i := Info{Program: program, Version: "(devel)"}
	if bi == nil {
		return i
	}
	i.GoVersion = bi.GoVersion
	if bi.Main.Version != "" {
		i.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// Short is the version as one word for logs, the status answer and the
// User-Agent: a released module version, else the first 12 digits of the
// revision ("-modified" appended for a dirty tree), else "devel".
func (i Info) Short() string {
	switch {
	case i.Version != "" && i.Version != "(devel)":
		return i.Version
	case len(i.Revision) >= 12:
		if i.Modified {
			return i.Revision[:12] + "-modified"
		}
		return i.Revision[:12]
	}
	return "devel"
}

// WriteText prints the build as the version commands show it: one
// "key value" line each, the lines that are unknown left out.
func (i Info) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s %s\n", i.Program, i.Version)
	if i.Revision != "" {
		rev := i.Revision
		if i.Modified {
			rev += " (modified)"
		}
		fmt.Fprintf(w, "revision %s\n", rev)
	}
	if i.Time != "" {
		fmt.Fprintf(w, "time %s\n", i.Time)
	}
	if i.GoVersion != "" {
		fmt.Fprintf(w, "go %s\n", i.GoVersion)
	}
}
