package liveroutes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/atomicfile"
	"github.com/roadrpki/road/internal/bgp"
)

// Imported route files are kept under DataDir/bgp-imports/NAME exactly as
// uploaded, so a restart does not leave the checks of a holder without a BGP
// session blind: they are decoded again before any check runs.
const ImportsDir = "bgp-imports"

// validImportName keeps names usable as file names and URL path segments.
func validImportName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, c := range name {
		ok := c == '.' || c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// Ready waits until the persisted imports are back in the table (the
// first call starts loading them).
func (s *Routes) Ready(ctx context.Context) error {
	s.loadOnce.Do(func() {
		go func() {
			defer close(s.loaded)
			s.loadImports()
		}()
	})
	select {
	case <-s.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the imported routes to load: %w", ctx.Err())
	}
}

func (d *Routes) loadImports() {
	dir := filepath.Join(d.dir, ImportsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			d.log.Error("bgp imports", "err", err)
		}
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !validImportName(name) {
			continue
		}
		start := time.Now()
		if err := d.loadImport(filepath.Join(dir, name), name); err != nil {
			d.log.Error("bgp import reload", "name", name, "err", err)
			continue
		}
		d.log.Info("bgp import reloaded", "name", name, "took", time.Since(start).Round(time.Millisecond))
	}
}

func (d *Routes) loadImport(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, routes, err := bgp.ImportMax(context.Background(), f, MaxImportPaths)
	if err != nil {
		return err
	}
	id, err := d.table.Peer(bgp.ImportPeerName(name))
	if err != nil {
		return err
	}
	d.table.ReplacePeer(id, routes, st.ModTime())
	return nil
}

// importFile is an upload being written beside the kept imports; keep
// makes it durable under its name, discard drops it.
type importFile struct{ *atomicfile.File }

func (d *Routes) newImportFile(name string) (*importFile, error) {
	dir := filepath.Join(d.dir, ImportsDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bgp imports: %w", err)
	}
	f, err := atomicfile.Create(filepath.Join(dir, name), 0o600)
	if err != nil {
		return nil, fmt.Errorf("bgp imports: %w", err)
	}
	return &importFile{f}, nil
}

// keep makes the upload durable under its name; a failed write fails it.
func (i *importFile) keep() error {
	if err := i.Commit(); err != nil {
		return fmt.Errorf("bgp imports: keeping a copy: %w", err)
	}
	return nil
}

func (i *importFile) discard() { i.Abort() }

// removeImportFile forgets a kept import; a missing file is not an error.
func (d *Routes) removeImportFile(name string) error {
	err := os.Remove(filepath.Join(d.dir, ImportsDir, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("bgp imports: %w", err)
	}
	return nil
}

// Incomplete describes the configured BGP peers whose routes the table
// does not have in full: no live session and no routes held after one
// dropped, or a session still sending its initial table. A check without
// them cannot see what they announce.
func (d *Routes) Incomplete() []string {
	if d.opt.Listen == "" {
		return nil
	}
	sp := d.runningSpeaker()
	var names []string
	for i := range bgp.MaxPeers {
		if n := d.table.PeerName(bgp.PeerID(i)); strings.HasPrefix(n, "bgp:") {
			names = append(names, n)
		}
	}
	var missing []string
	for _, p := range d.opt.Peers {
		if sp != nil {
			if up, synced := sp.Synced(p.Address, d.opt.syncTimeout()); up && !synced {
				missing = append(missing, fmt.Sprintf("%d@%s (still sending its table: no End-of-RIB yet)", p.ASN, p.Address))
				continue
			}
		}
		live := "bgp:" + p.Address
		seen := false
		for _, n := range names {
			if n == live || strings.HasPrefix(n, live+"#down") {
				seen = true
				break
			}
		}
		if !seen {
			missing = append(missing, fmt.Sprintf("%d@%s (session not established)", p.ASN, p.Address))
		}
	}
	return missing
}
