package testpeers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is one started peer. Its stdout and stderr go to one log file so
// the order of lines is kept and the log survives for failure messages.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // exit error, valid after done
}

// startProcess starts name with args in its own process group, logging to
// logPath, and registers a t.Cleanup that kills that group (the peers fork
// helpers: rpki-client's privilege-separated children, exabgp's API process).
func startProcess(t testing.TB, logPath string, env []string, name string, args ...string) *process {
	t.Helper()
	return startProcessLines(t, logPath, env, nil, name, args...)
}

// maxLine bounds one output line of a peer read through onLine.
const maxLine = 1 << 20

// startProcessLines is startProcess that also hands every output line (stdout
// and stderr through one pipe, so their order is kept) to onLine, from one
// goroutine, before appending it to the log.
func startProcessLines(t testing.TB, logPath string, env []string, onLine func(string), name string, args ...string) *process {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testpeers: log for %s: %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var pr, pw *os.File
	if onLine == nil {
		cmd.Stdout, cmd.Stderr = logFile, logFile
	} else {
		if pr, pw, err = os.Pipe(); err != nil {
			t.Fatalf("testpeers: pipe: %v", err)
		}
		cmd.Stdout, cmd.Stderr = pw, pw
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("testpeers: start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	readerDone := make(chan struct{})
	if onLine == nil {
		logFile.Close()
		close(readerDone)
	} else {
		pw.Close()
		go func() {
			defer close(readerDone)
			defer logFile.Close()
			defer pr.Close()
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64<<10), maxLine)
			for sc.Scan() {
				onLine(sc.Text())
				logFile.WriteString(sc.Text() + "\n")
			}
		}()
	}
	go func() {
		p.err = cmd.Wait()
		<-readerDone
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 3 s. Safe to
// call more than once.
func (p *process) stop() {
	if p.exited() {
		killGroup(p.cmd.Process.Pid, syscall.SIGKILL) // stray children of the group
		return
	}
	killGroup(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		killGroup(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	killGroup(p.cmd.Process.Pid, syscall.SIGKILL)
}

// killGroup signals the process group led by pid (started with Setpgid).
func killGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}

// log returns the process output so far.
func (p *process) log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}

// tail returns the last n bytes of the log, for error messages.
func (p *process) tail(n int) string {
	s := p.log()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// runResult is the outcome of a command run to completion.
type runResult struct {
	output   []byte // stdout and stderr interleaved
	exitCode int
	duration time.Duration
}

// runCommand runs a command to completion under ctx, in its own process
// group which is killed when ctx ends. Exit codes != 0 are not errors here;
// only failing to start or being killed by ctx are.
func runCommand(ctx context.Context, env []string, name string, args ...string) (runResult, error) {
	var output bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &output
	cmd.Stderr = &output
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killGroup(cmd.Process.Pid, syscall.SIGKILL)
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := runResult{output: output.Bytes(), duration: time.Since(start)}
	if cmd.Process != nil {
		killGroup(cmd.Process.Pid, syscall.SIGKILL) // children that outlived the leader
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s: %w (%s)", name, ErrTimeout, ctx.Err())
	case errors.As(err, &exitErr):
		res.exitCode = exitErr.ExitCode()
		return res, nil
	case err != nil:
		return res, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// syncBuffer is a goroutine-safe line collector.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// poll calls cond every interval until it returns true, ctx ends, or it
// returns an error.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
		case <-time.After(interval):
		}
	}
}
