package waves

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/vrp"
)

// DefaultHealthTimeout bounds one health command or URL check.
const DefaultHealthTimeout = 30 * time.Second

// Health is what must hold while a set is rolled out.
type Health struct {
	// Routes is road's live BGP table; with it, no more than MaxInvalid
	// routes (own or peers') may turn Invalid between the base set and any
	// set a wave serves (internal/impact). nil: no impact check.
	Routes     Routes
	MaxInvalid int
	// Command runs with /bin/sh -c and must exit 0; URL must answer 2xx to
	// a GET. Each gets Timeout (0: DefaultHealthTimeout); a command that
	// hangs fails then, its whole process group killed.
	Command string
	URL     string
	Timeout time.Duration
	Client  *http.Client // nil: a client without proxy
}

// Check is one health check's outcome.
type Check struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Failed string    `json:"failed,omitempty"` // impact, command or url
	Reason string    `json:"reason,omitempty"`
	// Harmed is the most routes turning Invalid of any set under way.
	Harmed int `json:"harmed_routes"`
}

// healthInput is what a check looks at: the base and the sets under way,
// and the wave furthest along for the command's environment.
type healthInput struct {
	base     vrp.Set
	sets     []vrp.Set
	wave     string
	serial   uint32
	newestID string
}

func (c *Controller) healthInputLocked() healthInput {
	in := healthInput{base: c.base.vrps}
	seen := map[string]bool{c.base.id: true}
	for i, w := range c.waves {
		if !seen[w.set.id] {
			seen[w.set.id] = true
			in.sets = append(in.sets, w.set.vrps)
		}
		if w.set.id != c.base.id {
			in.wave, in.serial = c.cfg.Groups[i].Name, w.serial
		}
	}
	if c.newest != nil {
		in.newestID = c.newest.id
	}
	return in
}

// run checks impact, then the command, then the URL.
func (h Health) run(ctx context.Context, in healthInput, clock func() time.Time) *Check {
	chk := &Check{OK: true}
	if h.Routes != nil {
		if src := h.Routes(); src != nil {
			for _, s := range in.sets {
				added, removed := impact.Between(in.base, s)
				r := impact.Analyze(impact.Input{Routes: src, Before: in.base, Added: added, Removed: removed, Limit: 1, Top: 1})
				chk.Harmed = max(chk.Harmed, r.HarmedRoutes)
			}
			if chk.Harmed > h.MaxInvalid {
				chk.OK, chk.Failed = false, "impact"
				chk.Reason = fmt.Sprintf("%d routes of the live BGP table turn Invalid (at most %d allowed)", chk.Harmed, h.MaxInvalid)
			}
		}
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHealthTimeout
	}
	if chk.OK && h.Command != "" {
		if err := h.command(ctx, in, timeout); err != nil {
			chk.OK, chk.Failed, chk.Reason = false, "command", err.Error()
		}
	}
	if chk.OK && h.URL != "" {
		if err := h.get(ctx, timeout); err != nil {
			chk.OK, chk.Failed, chk.Reason = false, "url", err.Error()
		}
	}
	chk.At = clock()
	return chk
}

// maxOutput bounds the command output kept for the failure reason.
const maxOutput = 512

type tailBuffer struct{ bytes.Buffer }

func (t *tailBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - t.Len(); room > 0 {
		t.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// command runs h.Command in its own process group, killed as a whole at
// the timeout (a hung command fails; its children cannot keep it alive).
func (h Health) command(ctx context.Context, in healthInput, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", h.Command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	cmd.Env = append(os.Environ(), "ROAD_WAVE="+in.wave, "ROAD_RTR_SERIAL="+strconv.FormatUint(uint64(in.serial), 10),
		"ROAD_SET="+in.newestID)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("health command did not finish within %s", timeout)
	}
	if err != nil {
		return fmt.Errorf("health command: %v: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (h Health) get(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return fmt.Errorf("health URL: %w", err)
	}
	cl := h.Client
	if cl == nil {
		cl = &http.Client{Transport: &http.Transport{}}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("health URL: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("health URL %s answered %s", h.URL, resp.Status)
	}
	return nil
}
