package sfntest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// aslName is the file name the validator's messages give a definition
// ("✓ State machine definition "definition.asl.json" is valid").
const aslName = "definition.asl.json"

// aslTimeout bounds one validation, Node's start-up included (a validation
// takes milliseconds; starting node and importing the validator about a
// second): a server that does not answer fails the test instead of hanging
// it.
const aslTimeout = 2 * time.Minute

// aslShared is the test binary's one validator process
// (tools/asl/serve.mjs), started by the first validation and used by one
// validation at a time (mu is held for the whole request).
var aslShared struct {
	mu sync.Mutex
	r  *runner
	// id numbers the requests, so an answer is matched to its request.
	id int
	// started are the processes started, for the package's tests.
	started []*runner
}

// ASLValidator returns a function that runs the pinned asl-validator
// (tools/asl) over a state machine definition and returns its output, with
// an error when the definition is rejected: the verdict and text of
// `asl-validator --json-path definition.asl.json` (tools/asl/serve.mjs
// calls the validator as the CLI does). Without tools/asl/node_modules or
// node the test is skipped, except in CI (CI=true), where it fails.
//
// One node process (tools/asl/serve.mjs) validates every definition of the
// test binary, one at a time (the function is safe for parallel tests). It
// is started by the first validation and stopped by Main; in a package
// without Main it ends when the test binary exits (its stdin closes). A
// process that ends, or gives no answer, fails the test with its stderr; the
// next validation starts a new one.
func ASLValidator(t testing.TB) func(def string) (string, error) {
	t.Helper()
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	return func(def string) (string, error) {
		t.Helper()
		ans, err := aslValidate(root, node, aslName, def)
		if err != nil {
			t.Fatalf("sfntest: %v", err)
		}
		if !ans.Valid {
			return ans.Output, fmt.Errorf("asl-validator rejected the definition (the CLI's exit status %d)", ans.ExitCode)
		}
		return ans.Output, nil
	}
}

type aslRequest struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

type aslAnswer struct {
	ID    int  `json:"id"`
	Valid bool `json:"valid"`
	// ExitCode is the CLI's exit status: 0 accepted, 1 rejected, 2 not JSON
	// or the validator threw.
	ExitCode int `json:"exitCode"`
	// Output is what the CLI prints (stdout when accepted, stderr when not).
	Output string `json:"output"`
	// AjvInstances is how many real Ajv instances the process built so far
	// (tools/asl/ajv-once.mjs): 1 when its compiled schemas served every
	// validation.
	AjvInstances int `json:"ajvInstances"`
}

// aslValidate validates def on the shared process, starting it if there is
// none. The error is the process's failure (not a rejected definition); the
// process is then ended and forgotten.
func aslValidate(root, node, name, def string) (aslAnswer, error) {
	aslShared.mu.Lock()
	defer aslShared.mu.Unlock()
	if aslShared.r == nil {
		r, err := startProcess(node, filepath.Join(root, "tools", "asl", "serve.mjs"))
		if err != nil {
			return aslAnswer{}, fmt.Errorf("asl-validator server: %w", err)
		}
		aslShared.r = r
		aslShared.started = append(aslShared.started, r)
	}
	aslShared.id++
	ans, err := aslShared.r.validateASL(aslShared.id, name, def, aslTimeout)
	if err != nil {
		aslShared.r = nil
	}
	return ans, err
}

// validateASL asks a tools/asl/serve.mjs process to validate def.
func (r *runner) validateASL(id int, name, def string, timeout time.Duration) (aslAnswer, error) {
	b, err := json.Marshal(aslRequest{ID: id, Name: name, Definition: def})
	if err != nil {
		return aslAnswer{}, fmt.Errorf("encode request: %w", err)
	}
	return r.aslRoundTrip(id, append(b, '\n'), timeout)
}

// aslRoundTrip writes a request line and reads its answer. When there is no
// good answer the process is ended, and the error has its exit status and
// stderr (complete once it exited).
func (r *runner) aslRoundTrip(id int, line []byte, timeout time.Duration) (aslAnswer, error) {
	failed := func(format string, a ...any) (aslAnswer, error) {
		r.kill()
		return aslAnswer{}, fmt.Errorf("asl-validator server (tools/asl/serve.mjs) %s (process: %v)\nstderr: %s",
			fmt.Sprintf(format, a...), r.waitErr, r.stderr.Since(0))
	}
	if _, err := r.stdin.Write(line); err != nil {
		return failed("did not take the request: %v", err)
	}
	var ans aslAnswer
	done := make(chan error, 1)
	go func() { done <- r.dec.Decode(&ans) }()
	select {
	case err := <-done:
		if err != nil {
			return failed("ended without an answer: %v", err)
		}
	case <-time.After(timeout):
		r.kill() // ends the Decode
		<-done
		return failed("gave no answer within %v", timeout)
	}
	if ans.ID != id {
		return failed("answered request %d, not %d", ans.ID, id)
	}
	if ans.Valid != (ans.ExitCode == 0) {
		return failed("answered valid=%v with exit status %d", ans.Valid, ans.ExitCode)
	}
	return ans, nil
}

// stopASLServer stops the shared validator process (closing its stdin ends
// it with exit status 0).
func stopASLServer() error {
	aslShared.mu.Lock()
	r := aslShared.r
	aslShared.r = nil
	aslShared.mu.Unlock()
	if r == nil {
		return nil
	}
	if err := r.stop(); err != nil {
		return fmt.Errorf("asl-validator server: %w", err)
	}
	return nil
}
