package liveroutes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/atomicfile"
	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

// Imported route files are kept under DataDir/bgp-imports/NAME exactly as
// uploaded, so a restart does not leave the checks of a holder without a BGP
// session blind: they are decoded again before any check runs.
const ImportsDir = "bgp-imports"

func (rt *Routes) loadImports() {
	dir := filepath.Join(rt.dir, ImportsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			rt.log.Error("bgp imports", "err", err)
		}
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !validImportName(name) {
			continue
		}
		start := time.Now()
		if err := rt.loadImport(filepath.Join(dir, name), name); err != nil {
			rt.log.Error("bgp import reload", "name", name, "err", err)
			continue
		}
		rt.log.Info("bgp import reloaded", "name", name, "took", time.Since(start).Round(time.Millisecond))
	}
}

func (rt *Routes) loadImport(path, name string) error {
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
	id, err := rt.table.Peer(bgp.ImportPeerName(name))
	if err != nil {
		return err
	}
	rt.table.ReplacePeer(id, routes, st.ModTime())
	return nil
}

// importFile is an upload being written beside the kept imports; keep
// makes it durable under its name, discard drops it.
type importFile struct{ *atomicfile.File }

func (rt *Routes) newImportFile(name string) (*importFile, error) {
	dir := filepath.Join(rt.dir, ImportsDir)
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
func (rt *Routes) removeImportFile(name string) error {
	err := os.Remove(filepath.Join(rt.dir, ImportsDir, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("bgp imports: %w", err)
	}
	return nil
}

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

// MaxImportPaths bounds the paths one import may hold while decoding: a full
// table seen by a few dozen collector peers, far below what would exhaust
// memory (a decompression bomb stops here).
const MaxImportPaths = 50_000_000

// stickyReader remembers the first read error other than EOF, which the MRT
// decoder would otherwise count as a truncated file: an upload that was cut
// off or too large must not replace a good import with a partial one.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// Import decodes an MRT or text file and makes its routes the complete set
// of the import source name (re-importing a name replaces its routes).
func (rt *Routes) Import(ctx context.Context, actor, name string, body io.Reader) (*ImportResult, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "upload"
	}
	if !validImportName(name) {
		return nil, fault.Invalidf("import name %q: want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)", name)
	}
	if err := rt.Ready(ctx); err != nil {
		return nil, err
	}
	kept, err := rt.newImportFile(name)
	if err != nil {
		return nil, err
	}
	sr := &stickyReader{r: body}
	st, routes, err := bgp.ImportMax(ctx, io.TeeReader(sr, kept), MaxImportPaths)
	if sr.err != nil || err != nil {
		kept.discard()
	}
	if sr.err != nil {
		if e, ok := fault.As(sr.err); ok {
			return nil, e
		}
		return nil, fault.Invalidf("import %s: reading the upload: %v", name, sr.err)
	}
	switch {
	case errors.Is(err, bgp.ErrImportTooLarge):
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("import %s: %v", name, err), nil)
	case errors.Is(err, bgp.ErrImport):
		return nil, fault.Invalidf("import %s: %v", name, err)
	case err != nil:
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if st.Routes == 0 && st.Withdrawals == 0 && st.Records > 0 {
		kept.discard()
		return nil, fault.New(fault.Invalid,
			fmt.Sprintf("import %s: no routes found in %d %s record(s); nothing changed", name, st.Records, st.Format),
			map[string]any{"skipped": st.Skipped})
	}
	t := rt.table
	id, err := t.Peer(bgp.ImportPeerName(name))
	if err != nil {
		kept.discard()
		if errors.Is(err, bgp.ErrTooManyPeers) {
			return nil, fault.New(fault.Conflict, err.Error(), nil)
		}
		return nil, err
	}
	if err := kept.keep(); err != nil {
		return nil, err
	}
	t.ReplacePeer(id, routes, rt.clock())
	res := &ImportResult{Name: name, Format: st.Format, Compression: st.Compression, Records: st.Records,
		Routes: st.Routes, Withdrawals: st.Withdrawals, Unique: st.Unique, Prefixes: st.Prefixes,
		Skipped: st.Skipped, TableRoutes: t.Len()}
	if res.Skipped == nil {
		res.Skipped = map[string]int{}
	}
	rt.log.Info("bgp import", "name", name, "format", st.Format, "routes", st.Unique, "table", res.TableRoutes)
	err = rt.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(rt.clock(), actor, "bgp-import",
			fmt.Sprintf("imported %d routes (%d prefixes) as %s", st.Unique, st.Prefixes, bgp.ImportPeerName(name)), res)
		return err
	})
	return res, err
}

// RemoveImport drops every route of an import source.
func (rt *Routes) RemoveImport(ctx context.Context, actor, name string) error {
	if !validImportName(name) {
		return fault.NotFoundf("no import named %q", name)
	}
	if err := rt.Ready(ctx); err != nil {
		return err
	}
	t := rt.table
	peer := bgp.ImportPeerName(name)
	id, ok := findPeer(t, peer)
	if !ok {
		return fault.NotFoundf("no import named %q", name)
	}
	if err := rt.removeImportFile(name); err != nil {
		return err
	}
	t.DropPeer(id)
	return rt.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(rt.clock(), actor, "bgp-import-remove", "removed the routes of "+peer, nil)
		return err
	})
}

func findPeer(t *bgp.Table, name string) (bgp.PeerID, bool) {
	for i := range bgp.MaxPeers {
		if t.PeerName(bgp.PeerID(i)) == name {
			return bgp.PeerID(i), true
		}
	}
	return 0, false
}

// ImportResult describes one import; its JSON is the bgp-import history
// record's detail.
type ImportResult struct {
	Name        string         `json:"name"`         // the import source
	Format      string         `json:"format"`       // "mrt" or "text"
	Compression string         `json:"compression"`  // "", "gzip" or "bzip2"
	Records     int            `json:"records"`      // MRT records or text lines
	Routes      int            `json:"routes"`       // announcements decoded
	Withdrawals int            `json:"withdrawals"`  // withdrawn prefixes decoded
	Unique      int            `json:"unique"`       // distinct (prefix, origin) routes now held for Name
	Prefixes    int            `json:"prefixes"`     // distinct prefixes among them
	Skipped     map[string]int `json:"skipped"`      // malformed or unsupported parts, by reason
	TableRoutes int            `json:"table_routes"` // routes in the whole table afterwards
}
