package iamsim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server's answers, evaluated or remembered, are a fresh process's: the
// first batch (every request evaluated), the same batch again (every answer
// remembered), the batch reversed under other ids with one request twice
// (remembered, under the new ids), each request under another request's
// id, all on one process. A line that is not a batch ends the process with
// why on stderr and fails its Run; the next Run starts a new process, which
// answers as a fresh one again.
func TestServerMatchesFreshProcess(t *testing.T) {
	sim := simulator(t)
	reqs, fresh := fresh(t)
	want := byID(fresh)
	require.Len(t, want, len(reqs), "ids are unique")

	// Requests that differ in one field only have different answers: a
	// remembered answer given to the wrong request would show.
	assert.NotEqual(t, want["kms via sns"].Decision, want["kms direct"].Decision)
	assert.NotEqual(t, want["derived"].Decision, want["given"].Decision)
	assert.NotEqual(t, want["given"].Decisive, want["given, policy named"].Decisive)

	srv := sim.Serve()
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	ctx := context.Background()
	first, err := srv.Run(ctx, reqs)
	require.NoError(t, err)
	assert.Equal(t, fresh, first, "evaluated on the server")
	pid := srv.p.cmd.Process.Pid

	again, err := srv.Run(ctx, reqs)
	require.NoError(t, err)
	assert.Equal(t, fresh, again, "remembered")

	renamed := make([]Request, 0, len(reqs)+1)
	for i := len(reqs) - 1; i >= 0; i-- {
		r := reqs[i]
		r.ID = "again: " + r.ID
		renamed = append(renamed, r)
	}
	renamed = append(renamed, reqs[0])
	res, err := srv.Run(ctx, renamed)
	require.NoError(t, err)
	require.Len(t, res, len(renamed))
	for i, r := range res[:len(reqs)] {
		orig := reqs[len(reqs)-1-i].ID
		w := want[orig]
		w.ID = "again: " + orig
		assert.Equal(t, w, r, orig)
	}
	assert.Equal(t, fresh[0], res[len(reqs)], "one request twice in a batch")

	// Ids say nothing about the request (policy/flows reuses them for a
	// stack whose policies were edited): each request under the id of the
	// next one gets its own answer, not the one remembered for that id.
	swapped := make([]Request, len(reqs))
	for i, r := range reqs {
		r.ID = reqs[(i+1)%len(reqs)].ID
		swapped[i] = r
	}
	res, err = srv.Run(ctx, swapped)
	require.NoError(t, err)
	for i, r := range res {
		w := fresh[i]
		w.ID = swapped[i].ID
		assert.Equal(t, w, r, reqs[i].ID)
	}
	assert.Equal(t, pid, srv.p.cmd.Process.Pid, "one process served every batch")

	malformed := func(line, why string) {
		t.Helper()
		require.NotNil(t, srv.p)
		// A process that skipped the line would not answer: fail, not hang.
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		srv.mu.Lock()
		_, err := srv.roundTrip(ctx, 7, []byte(line))
		srv.mu.Unlock()
		assert.ErrorContains(t, err, "iamsim: simulate.mjs --serve ended without an answer: EOF (process: exit status 2): "+why, line)
		assert.Nil(t, srv.p, "the process is forgotten")
	}
	malformed("nope\n", "simulate.mjs: a line is not one JSON document: Unexpected token")
	res, err = srv.Run(ctx, reqs)
	require.NoError(t, err)
	assert.Equal(t, fresh, res, "a new process answers as a fresh one")
	assert.NotEqual(t, pid, srv.p.cmd.Process.Pid, "a new process")
	malformed(`{"batch": 7}`+"\n", `simulate.mjs: input must be {"requests": [...]}`)
}

// fakeServer is a Server whose process is script run by sh (a stand-in for
// node simulate.mjs --serve that starts in a millisecond).
func fakeServer(t *testing.T, script string) *Server {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "fake.sh")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o600))
	srv := (&Simulator{node: "/bin/sh", dir: dir, script: path}).Serve()
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// answers answers every batch: its request Allowed, or as the request's id
// says: "die" exits 3 with a message, "hang" never answers, "batch" answers
// another batch, "garbage" answers what is not JSON, "short" answers no
// results. (Go writes the batch and the first id first.)
const answers = `
while IFS= read -r line; do
  b=${line#'{"batch":'}; b=${b%%,*}
  id=${line#*'"requests":[{"id":"'}; id=${id%%'"'*}
  case $id in
  die) echo boom >&2; exit 3 ;;
  hang) ;;
  garbage) echo hello ;;
  short) printf '{"batch":%s,"results":[]}\n' "$b" ;;
  batch) printf '{"batch":%s,"results":[]}\n' $((b + 1)) ;;
  *) printf '{"batch":%s,"results":[{"id":"%s","decision":"Allowed","decisive":[],"errors":[],"ignoredContextKeys":[]}]}\n' "$b" "$id" ;;
  esac
done
`

func one(id string) []Request { return []Request{{ID: id}} }

// A process that fails fails its Run clearly (with its exit status and
// stderr) and is ended; the next Run gets a new one.
func TestServerProcessFailures(t *testing.T) {
	srv := fakeServer(t, answers)
	ctx := context.Background()
	ok := func() {
		t.Helper()
		res, err := srv.Run(ctx, one("ok"))
		require.NoError(t, err)
		assert.Equal(t, []Result{{ID: "ok", Decision: Allowed, Errors: []string{}, IgnoredContextKeys: []string{}}}, res)
	}
	ok()
	pid := srv.p.cmd.Process.Pid
	ok()
	assert.Equal(t, pid, srv.p.cmd.Process.Pid, "one process")

	_, err := srv.Run(ctx, one("die"))
	assert.EqualError(t, err, "iamsim: simulate.mjs --serve ended without an answer: EOF (process: exit status 3): boom")
	assert.Nil(t, srv.p)
	ok()

	// Killed from outside between two batches.
	require.NoError(t, srv.p.cmd.Process.Kill())
	<-srv.p.exited
	_, err = srv.Run(ctx, one("r"))
	assert.ErrorContains(t, err, "iamsim: simulate.mjs --serve ")
	assert.ErrorContains(t, err, "(process: signal: killed)")
	assert.Nil(t, srv.p)
	ok()

	_, err = srv.Run(ctx, one("batch"))
	assert.EqualError(t, err, "iamsim: simulate.mjs --serve answered batch 8, not 7 (process: signal: killed): ")
	_, err = srv.Run(ctx, one("garbage"))
	assert.ErrorContains(t, err, "iamsim: simulate.mjs --serve ended without an answer: invalid character 'h'")
	_, err = srv.Run(ctx, one("short"))
	assert.EqualError(t, err, "iamsim: simulate.mjs returned 0 results for 1 requests")
	assert.Nil(t, srv.p, "a wrong answer ends the process too")

	ctx2, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = srv.Run(ctx2, one("hang"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, srv.p)
	ok()
	_, err = srv.Run(ctx2, one("r"))
	assert.ErrorIs(t, err, context.DeadlineExceeded, "ended before")

	// Bad input fails as Simulator.Run does, without a process.
	_, err = srv.Run(ctx, []Request{{ID: "r", ResourcePolicy: json.RawMessage(`[`)}})
	assert.EqualError(t, err, `iamsim: request 0 ("r"): resource policy is not valid JSON`)
	res, err := srv.Run(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, res)

	// A process that cannot start.
	_, err = (&Simulator{node: "/nonexistent/node", dir: t.TempDir(), script: "x.mjs"}).Serve().Run(ctx, one("r"))
	assert.ErrorContains(t, err, "iamsim: start simulate.mjs --serve: ")
}

// Close ends the process (exit status 0); later Runs fail.
func TestServerClose(t *testing.T) {
	assert.NoError(t, (&Server{}).Close(), "nothing started")

	srv := fakeServer(t, answers)
	_, err := srv.Run(context.Background(), one("ok"))
	require.NoError(t, err)
	p := srv.p
	require.NoError(t, srv.Close())
	select {
	case <-p.exited:
	default:
		t.Fatal("the process still runs")
	}
	assert.True(t, p.cmd.ProcessState.Success())
	assert.Nil(t, srv.p)
	_, err = srv.Run(context.Background(), one("ok"))
	assert.EqualError(t, err, "iamsim: simulate.mjs --serve: the server is closed")
	assert.NoError(t, srv.Close(), "twice")

	// A process that does not exit when its stdin closes is killed.
	stuck := fakeServer(t, `read -r line; printf '{"batch":1,"results":[{"id":"ok","decision":"Allowed"}]}\n'; exec sleep 60`)
	_, err = stuck.Run(context.Background(), one("ok"))
	require.NoError(t, err)
	p = stuck.p
	defer func(g time.Duration) { closeGrace = g }(closeGrace)
	closeGrace = 100 * time.Millisecond
	assert.ErrorContains(t, stuck.Close(), "iamsim: simulate.mjs --serve did not exit within 100ms of its stdin closing")
	<-p.exited

	// A process that exits with an error when its stdin closes.
	failing := fakeServer(t, `read -r line; printf '{"batch":1,"results":[{"id":"ok","decision":"Allowed"}]}\n'; read -r line; echo bye >&2; exit 4`)
	_, err = failing.Run(context.Background(), one("ok"))
	require.NoError(t, err)
	assert.EqualError(t, failing.Close(), "iamsim: simulate.mjs --serve: exit status 4: bye")
}
