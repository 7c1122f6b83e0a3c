package gate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/vrpjson"
)

// maxExternalOutput bounds what is read of the external command's VRPs.
const maxExternalOutput = 64 << 20

// external runs the configured relying party command on the scratch cache,
// once per clock when it takes {time} (else once, at the first clock), and
// compares its VRPs. Placeholders in the arguments:
//
//	{cache}  the offline cache (CACHE/HOST/MODULE/... and CACHE/ta/NAME/FILE,
//	         rpki-client's layout: `rpki-client -n -d {cache}`)
//	{tal}    road's TAL file
//	{out}    an empty directory for its output
//	{time}   the validation time, unix seconds
//
// Its VRPs are read as rpki-client JSON from {out}/json when that file
// exists, else from its standard output. An exit status other than 0, a
// timeout, a missing program or unreadable output refuses.
func (g *Gate) external(ctx context.Context, cache, talPath string, in Input, clocks []time.Time) []Finding {
	if !strings.Contains(strings.Join(g.cfg.Command, " "), "{time}") {
		clocks = clocks[:1]
	}
	for _, at := range clocks {
		got, err := g.runExternal(ctx, cache, talPath, at)
		if err != nil {
			return []Finding{{Code: CodeExternalError, Subject: g.cfg.Command[0], Detail: err.Error()}}
		}
		if fs := compare(in.Want, in.Delegated.own(got, in.Want), CodeExternalMissing, CodeExternalExtra, "the external relying party ("+g.cfg.Command[0]+")", at); len(fs) > 0 {
			return fs
		}
	}
	return nil
}

func (g *Gate) runExternal(ctx context.Context, cache, talPath string, at time.Time) (vrp.Set, error) {
	out, err := os.MkdirTemp(filepath.Dir(cache), "gate-out-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	r := strings.NewReplacer("{cache}", cache, "{tal}", talPath, "{out}", out,
		"{time}", strconv.FormatInt(at.Unix(), 10))
	args := make([]string, len(g.cfg.Command))
	for i, a := range g.cfg.Command {
		args[i] = r.Replace(a)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitedBuffer{&stdout}, &limitedBuffer{&stderr}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("did not finish within the gate timeout %s: %w", g.cfg.Timeout, ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[len(msg)-500:]
		}
		return nil, fmt.Errorf("%w (stderr: %q)", err, msg)
	}
	var src *bytes.Reader
	if b, err := readLimited(filepath.Join(out, "json")); err == nil {
		src = bytes.NewReader(b)
	} else if errors.Is(err, os.ErrNotExist) {
		src = bytes.NewReader(stdout.Bytes())
	} else {
		return nil, err
	}
	set, _, _, err := vrpjson.Load(src)
	if err != nil {
		return nil, fmt.Errorf("its VRP JSON: %w", err)
	}
	return set, nil
}

func readLimited(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxExternalOutput {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, maxExternalOutput)
	}
	return os.ReadFile(p)
}

// limitedBuffer keeps at most maxExternalOutput bytes and drops the rest.
type limitedBuffer struct{ b *bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxExternalOutput - l.b.Len(); room < len(p) {
		l.b.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return l.b.Write(p)
}
