package gate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/rp"
)

// keptScratch is a scratch cache kept from one check to the next, while
// the staged tree's path, the TAL and the staged TA certificate stay the
// same (the publisher stages into the same directory again): laying one
// out and removing it cost more than the rest of a small check. It is only
// kept when no external command runs, since that may write into it.
type keptScratch struct {
	root string
	dir  string // the staged tree's absolute path
	tal  string // the TAL's name and URIs
	ta   []byte // the staged TA certificate copied (nil: none)
	link string // the symbolic link to dir
}

// keptPrefix names the kept scratch caches: WorkDir/gate-kept-PID-*.
const keptPrefix = "gate-kept-"

// scratchFor is scratch, or the kept scratch cache when it fits dir and
// tal (then release keeps it for the next check).
func (g *Gate) scratchFor(dir string, tal rp.TAL) (string, func(), error) {
	if len(g.cfg.Command) > 0 || !g.keptMu.TryLock() { // a concurrent check makes its own
		return g.scratch(dir, tal, "gate-")
	}
	want, err := g.keptFor(dir, tal)
	if err != nil {
		g.keptMu.Unlock()
		return "", nil, err
	}
	if k := g.kept; k != nil && k.dir == want.dir && k.tal == want.tal && bytes.Equal(k.ta, want.ta) && (k.ta == nil) == (want.ta == nil) {
		if target, err := os.Readlink(k.link); err == nil && target == k.dir { // still there
			return k.root, g.keptMu.Unlock, nil
		}
	}
	if g.kept != nil {
		os.RemoveAll(g.kept.root)
		g.kept = nil
	} else {
		g.removeStale()
	}
	root, _, err := g.scratch(dir, tal, keptPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		g.keptMu.Unlock()
		return "", nil, err
	}
	want.root = root
	want.link, _ = g.linkPath(root) // scratch checked it
	g.kept = want
	return root, g.keptMu.Unlock, nil
}

// keptFor is what a scratch cache for dir and tal holds (no root yet).
func (g *Gate) keptFor(dir string, tal rp.TAL) (*keptScratch, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ta, err := os.ReadFile(filepath.Join(dir, "ta", "ta.cer"))
	if errors.Is(err, os.ErrNotExist) {
		ta, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &keptScratch{dir: abs, tal: tal.Name + "\n" + strings.Join(tal.TAL.URIs, "\n"), ta: ta}, nil
}

// removeStale removes the kept scratch caches of earlier processes (one
// road process uses a data directory).
func (g *Gate) removeStale() {
	mine := keptPrefix + strconv.Itoa(os.Getpid()) + "-"
	old, _ := filepath.Glob(filepath.Join(g.workDir(), keptPrefix+"*"))
	for _, d := range old {
		if !strings.HasPrefix(filepath.Base(d), mine) {
			os.RemoveAll(d)
		}
	}
}

func (g *Gate) workDir() string {
	if g.cfg.WorkDir == "" {
		return os.TempDir()
	}
	return g.cfg.WorkDir
}

// linkPath is where scratch puts the symbolic link to the staged tree.
func (g *Gate) linkPath(root string) (string, error) {
	base := strings.TrimSuffix(strings.TrimPrefix(g.cfg.RsyncBase, "rsync://"), "/")
	if base == "" || strings.Contains(base, "..") {
		return "", fmt.Errorf("bad rsync base %q", g.cfg.RsyncBase)
	}
	return filepath.Join(root, filepath.FromSlash(base)), nil
}

// scratch lays the staged tree out as a relying party cache: the rsync
// base's directory is a symbolic link to dir, the TA certificate (at the
// rsync base's ta/ta.cer in road's tree) is copied where a TAL's https URI
// is looked for (CACHE/ta/NAME/FILE, as rpki-client keeps it).
func (g *Gate) scratch(dir string, tal rp.TAL, prefix string) (string, func(), error) {
	link, err := g.linkPath("")
	if err != nil {
		return "", nil, err
	}
	work := g.workDir()
	if err := os.MkdirAll(work, 0o700); err != nil {
		return "", nil, err
	}
	root, err := os.MkdirTemp(work, prefix)
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(root) }
	link = filepath.Join(root, link)
	abs, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(link), 0o700)
	}
	if err == nil {
		err = os.Symlink(abs, link)
	}
	if err == nil {
		err = copyTA(root, dir, tal)
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return root, cleanup, nil
}

// copyTA puts the staged TA certificate where the TAL's URIs are looked up.
func copyTA(root, dir string, tal rp.TAL) error {
	der, err := os.ReadFile(filepath.Join(dir, "ta", "ta.cer"))
	if errors.Is(err, os.ErrNotExist) {
		return nil // the relying party reports the missing TA
	}
	if err != nil {
		return err
	}
	for _, u := range tal.TAL.URIs {
		name := u[strings.LastIndexByte(u, '/')+1:]
		if name == "" || name == "." || name == ".." {
			continue
		}
		d := filepath.Join(root, "ta", tal.Name)
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, name), der, 0o600); err != nil {
			return err
		}
	}
	return nil
}
