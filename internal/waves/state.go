package waves

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/roadrpki/road/internal/atomicfile"
	"github.com/roadrpki/road/internal/vrp"
)

// ErrState is the reason code of an unusable state file.
var ErrState = errors.New("rtr-waves-state")

// maxStateFile bounds the state file read into memory (a few full sets).
const maxStateFile = 1 << 30

// stateFile is the state file's JSON: the sets the waves serve, by id.
type stateFile struct {
	Version  int                 `json:"version"`
	Base     string              `json:"base"`
	Newest   string              `json:"newest,omitempty"`
	Rejected string              `json:"rejected,omitempty"`
	Waves    []stateWave         `json:"waves"`
	Sets     map[string]stateSet `json:"sets"`
}

type stateWave struct {
	Name  string    `json:"name"`
	Set   string    `json:"set"`
	Since time.Time `json:"since"`
}

type stateSet struct {
	VRPs  []string   `json:"vrps"`
	ASPAs []vrp.ASPA `json:"aspas,omitempty"`
}

// saveLocked writes the state atomically (no state file: nothing).
func (c *Controller) saveLocked() error {
	if c.cfg.StateFile == "" {
		return nil
	}
	f := stateFile{Version: 1, Rejected: c.rejected, Sets: map[string]stateSet{}}
	keep := func(s *set) string {
		if s == nil {
			return ""
		}
		if _, ok := f.Sets[s.id]; !ok {
			ss := stateSet{VRPs: make([]string, len(s.vrps)), ASPAs: s.aspas}
			for i, v := range s.vrps {
				ss.VRPs[i] = v.String()
			}
			f.Sets[s.id] = ss
		}
		return s.id
	}
	f.Base = keep(c.base)
	for i, w := range c.waves {
		f.Waves = append(f.Waves, stateWave{Name: c.cfg.Groups[i].Name, Set: keep(w.set), Since: w.since})
	}
	if c.newest != nil {
		f.Newest = c.newest.id
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(c.cfg.StateFile, b, 0o644)
}

// restore reads the state file and serves each wave what it served before
// the restart; a missing file or one without a base is a fresh start.
func (c *Controller) restore() error {
	if c.cfg.StateFile == "" || !c.Enabled() {
		return nil
	}
	f, err := readState(c.cfg.StateFile)
	if err != nil || f == nil || f.Base == "" {
		return err
	}
	sets := map[string]*set{}
	for id, ss := range f.Sets {
		vs := make([]vrp.VRP, 0, len(ss.VRPs))
		for _, t := range ss.VRPs {
			v, err := vrp.Parse(t)
			if err != nil {
				return fmt.Errorf("%w: %s: set %s: %v", ErrState, c.cfg.StateFile, id, err)
			}
			vs = append(vs, v)
		}
		s := newSet(vrp.NewSet(vs), ss.ASPAs)
		if s.id != id {
			return fmt.Errorf("%w: %s: set %s has content id %s", ErrState, c.cfg.StateFile, id, s.id)
		}
		sets[id] = s
	}
	base := sets[f.Base]
	if base == nil {
		return fmt.Errorf("%w: %s: base set %s missing", ErrState, c.cfg.StateFile, f.Base)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.rejected, c.newest = base, f.Rejected, sets[f.Newest]
	now := c.cfg.Clock()
	for i, g := range c.cfg.Groups {
		c.waves[i] = waveState{set: base, since: now} // a wave the file does not name serves the base
		for _, w := range f.Waves {
			if w.Name == g.Name && sets[w.Set] != nil {
				c.waves[i] = waveState{set: sets[w.Set], since: w.Since}
			}
		}
	}
	c.serveRestoredLocked()
	c.changedLocked("restored")
	c.log.Info("rtr waves: state restored", "file", c.cfg.StateFile, "base", base.id, "rolling", c.rollingLocked())
	return nil
}

// serveRestoredLocked builds the generations oldest first (the base, then
// the sets of the last waves first: a set flows from the first wave on) and
// shows each wave its own.
func (c *Controller) serveRestoredLocked() {
	serial := c.cfg.Server.Stage(c.base.vrps, c.base.aspas)
	for i := range c.waves {
		c.waves[i].serial = serial
		_ = c.cfg.Server.Show(i, serial)
	}
	last := c.base
	for i := len(c.waves) - 1; i >= 0; i-- {
		w := &c.waves[i]
		if w.set.id == c.base.id {
			continue
		}
		if w.set != last {
			serial, last = c.cfg.Server.Stage(w.set.vrps, w.set.aspas), w.set
		}
		w.serial = serial
		if err := c.cfg.Server.Show(i, serial); err != nil {
			c.log.Error("rtr waves: restore", "wave", c.cfg.Groups[i].Name, "err", err)
		}
	}
}

func readState(path string) (*stateFile, error) {
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	if st.Size() > maxStateFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrState, path, maxStateFile)
	}
	var f stateFile
	if err := json.NewDecoder(fh).Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrState, path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: %s: version %d, want 1", ErrState, path, f.Version)
	}
	return &f, nil
}
