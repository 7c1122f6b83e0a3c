package rp

import (
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/big"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// manifestState is Options.ManifestState: per manifest URI, the newest
// manifest validated so far.
type manifestState struct {
	path    string
	entries map[string]manifestSeen
	changed bool
}

type manifestSeen struct {
	Number     string `json:"number"` // decimal, up to 20 octets
	ThisUpdate int64  `json:"this_update"`
	Hash       string `json:"hash"` // hex SHA-256 of the manifest file
}

const maxManifestState = 256 << 20

func loadManifestState(path string, log *slog.Logger) *manifestState {
	s := &manifestState{path: path, entries: map[string]manifestSeen{}}
	b, err := readBounded(path, maxManifestState)
	if err != nil {
		return s
	}
	if err := json.Unmarshal(b, &s.entries); err != nil || s.entries == nil {
		log.Warn("manifest state unreadable, starting over", "file", path, "err", err)
		s.entries = map[string]manifestSeen{}
	}
	return s
}

// check applies RFC 9286 §4.2.1 to a manifest that passed its own checks;
// record remembers it once its publication point passed too.
func (s *manifestState) check(uri string, m *rpki.Manifest, hash [32]byte) error {
	h := hex.EncodeToString(hash[:])
	prev, ok := s.entries[uri]
	if ok && prev.Hash == h {
		return nil // the same manifest again
	}
	if ok {
		n, good := new(big.Int).SetString(prev.Number, 10)
		if good && m.Number.Cmp(n) <= 0 {
			return reject(ReasonManifestNotNewer, "manifestNumber %s is not above %s of the manifest validated before (RFC 9286 §4.2.1)", m.Number, prev.Number)
		}
		if !m.ThisUpdate.After(time.Unix(prev.ThisUpdate, 0)) {
			return reject(ReasonManifestNotNewer, "thisUpdate %s is not after %s of the manifest validated before (RFC 9286 §4.2.1)",
				m.ThisUpdate.UTC().Format(time.RFC3339), time.Unix(prev.ThisUpdate, 0).UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func (s *manifestState) record(uri string, m *rpki.Manifest, hash [32]byte) {
	e := manifestSeen{Number: m.Number.String(), ThisUpdate: m.ThisUpdate.Unix(), Hash: hex.EncodeToString(hash[:])}
	if s.entries[uri] != e {
		s.entries[uri] = e
		s.changed = true
	}
}

func (s *manifestState) save() error {
	if !s.changed {
		return nil
	}
	b, err := json.Marshal(s.entries)
	if err != nil {
		return err
	}
	return writeAtomic(s.path, b)
}
