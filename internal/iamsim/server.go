package iamsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Server evaluates the batches of many Run calls in one long-lived node
// process (tools/iam/simulate.mjs --serve), for tests that evaluate many
// batches: Node's start-up and the simulator's import are paid once, not
// once per batch, and a request equal to one the process has already
// answered (every field but ID) gets that answer again instead of a second
// evaluation. Its answers are those of Simulator.Run (simulate.mjs explains
// why a remembered answer is the same; the package's tests compare the
// two).
//
// The process is started by the first Run and stopped by Close. Run calls
// are served one at a time (Server is safe for concurrent use). A process
// that ends, answers out of turn or sends what is not an answer fails the
// Run with its exit status and stderr, and is ended; the next Run starts a
// new one. A cancelled ctx ends the process too. Production code
// (fincheck) uses Simulator.Run, one process per batch.
type Server struct {
	sim *Simulator

	mu     sync.Mutex
	p      *serveProcess // nil: none running
	closed bool
	batch  int // numbers the batches, so an answer is matched to its batch
}

// closeGrace is how long Close waits for the process to exit after closing
// its stdin before it kills it.
var closeGrace = 10 * time.Second

// Serve returns a Server running s's simulate.mjs. No process is started
// until the first Run.
func (s *Simulator) Serve() *Server {
	return &Server{sim: s}
}

// serveProcess is one simulate.mjs --serve process.
type serveProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *os.File
	dec    *json.Decoder
	stderr *syncBuffer
	// exited is closed when the process has exited; waitErr is then its
	// exit status.
	exited  chan struct{}
	waitErr error
}

// syncBuffer is a bytes.Buffer written by exec's stderr copier and read by
// Run's errors.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (v *Server) start() (*serveProcess, error) {
	cmd := exec.Command(v.sim.node, v.sim.script, "--serve")
	cmd.Dir = v.sim.dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("iamsim: simulate.mjs --serve: %w", err)
	}
	// Not cmd.StdoutPipe: Wait, called as soon as the process exits, would
	// close it, and an answer written just before could be lost.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("iamsim: simulate.mjs --serve: %w", err)
	}
	cmd.Stdout = w
	p := &serveProcess{cmd: cmd, stdin: stdin, stdout: stdout, dec: json.NewDecoder(stdout), stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	err = cmd.Start()
	_ = w.Close() // the child has its own copy
	if err != nil {
		_ = stdout.Close()
		return nil, fmt.Errorf("iamsim: start simulate.mjs --serve: %w", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Run evaluates the requests on the server's process (starting it if there
// is none) and returns one result per request, in order, as Simulator.Run
// does. An error means the batch could not be run: bad input JSON, the
// process ended or answered wrongly (its stderr is in the error), ctx
// ended, or the server is closed.
func (v *Server) Run(ctx context.Context, reqs []Request) ([]Result, error) {
	if len(reqs) == 0 {
		return []Result{}, nil
	}
	wire, err := encodeRequests(reqs)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("iamsim: simulate.mjs --serve: %w", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil, errors.New("iamsim: simulate.mjs --serve: the server is closed")
	}
	v.batch++
	line, err := json.Marshal(struct {
		Batch    int           `json:"batch"`
		Requests []wireRequest `json:"requests"`
	}{Batch: v.batch, Requests: wire})
	if err != nil {
		return nil, fmt.Errorf("iamsim: encode requests: %w", err)
	}
	if v.p == nil {
		p, err := v.start()
		if err != nil {
			return nil, err
		}
		v.p = p
	}
	out, err := v.roundTrip(ctx, v.batch, append(line, '\n'))
	if err != nil {
		return nil, err
	}
	res, err := fromWire(out, reqs)
	if err != nil {
		v.kill()
		return nil, err
	}
	return res, nil
}

// roundTrip writes a batch line and reads its answer. Without a good
// answer the process is ended and forgotten, and the error has its exit
// status and stderr.
func (v *Server) roundTrip(ctx context.Context, batch int, line []byte) ([]wireResult, error) {
	p := v.p
	failed := func(format string, a ...any) ([]wireResult, error) {
		v.kill()
		return nil, fmt.Errorf("iamsim: simulate.mjs --serve %s (process: %v): %s",
			fmt.Sprintf(format, a...), p.waitErr, strings.TrimSpace(p.stderr.String()))
	}
	if _, err := p.stdin.Write(line); err != nil {
		return failed("did not take the batch: %v", err)
	}
	var ans struct {
		Batch   *int         `json:"batch"`
		Results []wireResult `json:"results"`
	}
	done := make(chan error, 1)
	go func() { done <- p.dec.Decode(&ans) }()
	select {
	case err := <-done:
		if err != nil {
			return failed("ended without an answer: %v", err)
		}
	case <-ctx.Done():
		v.kill() // ends the Decode
		<-done
		return nil, fmt.Errorf("iamsim: simulate.mjs --serve: %w", ctx.Err())
	}
	if ans.Batch == nil || *ans.Batch != batch {
		got := "none"
		if ans.Batch != nil {
			got = fmt.Sprint(*ans.Batch)
		}
		return failed("answered batch %s, not %d", got, batch)
	}
	return ans.Results, nil
}

// kill ends the running process, waits for it and forgets it.
func (v *Server) kill() {
	p := v.p
	if p == nil {
		return
	}
	v.p = nil
	_ = p.cmd.Process.Kill()
	<-p.exited
	_ = p.stdout.Close()
}

// Close stops the process (closing its stdin ends it with exit status 0)
// and makes later Runs fail. The error is the process's failure to exit
// cleanly, with its stderr.
func (v *Server) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closed = true
	p := v.p
	v.p = nil
	if p == nil {
		return nil
	}
	_ = p.stdin.Close()
	defer p.stdout.Close()
	select {
	case <-p.exited:
	case <-time.After(closeGrace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("iamsim: simulate.mjs --serve did not exit within %v of its stdin closing: %s", closeGrace, strings.TrimSpace(p.stderr.String()))
	}
	if p.waitErr != nil {
		return fmt.Errorf("iamsim: simulate.mjs --serve: %w: %s", p.waitErr, strings.TrimSpace(p.stderr.String()))
	}
	return nil
}
