package sfntest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file prove that the validator process
// (tools/asl/serve.mjs, ASLValidator) gives the asl-validator CLI's verdict
// and text, the same for every definition however many it validated before,
// and that a broken process fails the test instead of hanging it.

// aslAccepted uses what the project's machines use: service integrations,
// paths, a task token, Catch and Retry, a Choice, a Wait.
const aslAccepted = `{"Comment":"accepted","StartAt":"Ask","TimeoutSeconds":3600,"States":{
 "Ask":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$$.Task.Token"},
  "TimeoutSeconds":600,"ResultPath":"$.answer",
  "Retry":[{"ErrorEquals":["SNS.InternalErrorException"],"IntervalSeconds":5,"MaxAttempts":2}],
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Failed"}],"Next":"Check"},
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.answer.approved","BooleanEquals":true,"Next":"Pause"}],"Default":"Failed"},
 "Pause":{"Type":"Wait","Seconds":30,"Next":"Done"},
 "Done":{"Type":"Succeed"},
 "Failed":{"Type":"Fail","Error":"NotApproved","Cause":"no approval"}}}`

// aslRejectedByChecks passes the schema but fails three of the checks run
// after it: a missing Next target, no terminal state, two Task timeouts.
const aslRejectedByChecks = `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
 "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$.m"},
 "TimeoutSeconds":60,"TimeoutSecondsPath":"$.t","Next":"Gone"}}}`

// aslRejectedByArn is rejected only because the CLI checks Resource ARNs
// (--no-arn-check would accept it).
const aslRejectedByArn = `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"not-an-arn","End":true}}}`

// aslRejectedByPath is rejected only because the CLI checks paths
// (--no-path-check would accept it).
const aslRejectedByPath = `{"StartAt":"Shape","States":{"Shape":{"Type":"Pass","InputPath":"$.a[","End":true}}}`

// aslNotJSON is not JSON: the CLI fails to parse it (exit status 2).
const aslNotJSON = `{"StartAt":`

// aslCLI runs the CLI once over the definitions, each in a file named by
// its name (in the CLI's working directory, so that its messages give the
// name), and returns its exit status and, for each definition in order,
// what it printed. The CLI validates file after file, each parsed and
// checked anew (dist/bin/asl-validator.js: validate(jsonPath, JSON.parse(...))
// for each --json-path), and writes its stdout and stderr lines in order
// (synchronous writes to pipes on Linux); its exit status is the highest
// of its files' (0 accepted, 1 rejected).
func aslCLI(t *testing.T, node, root string, names, defs []string) (int, []string) {
	t.Helper()
	dir := t.TempDir()
	args := []string{filepath.Join(root, "tools", "asl", "node_modules", ".bin", "asl-validator")}
	for i, name := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(defs[i]), 0o600))
		args = append(args, "--json-path", name)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err, string(out))
	}
	// Each definition's text starts with its verdict line.
	var texts []string
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if strings.HasPrefix(line, "✓ State machine definition ") || strings.HasPrefix(line, "✕ State machine definition ") {
			texts = append(texts, "")
		}
		require.NotEmpty(t, texts, "the CLI's output starts with a verdict: %s", out)
		texts[len(texts)-1] += line
	}
	require.Len(t, texts, len(names), "one verdict per definition: %s", out)
	return code, texts
}

// startASL starts a validator process of its own (not the shared one).
func startASL(t *testing.T, root, node string) *runner {
	t.Helper()
	r, err := startProcess(node, filepath.Join(root, "tools", "asl", "serve.mjs"))
	require.NoError(t, err)
	t.Cleanup(r.kill)
	return r
}

// The definitions of these tests, with what the CLI says of them: its exit
// status and a part of its text.
var aslCases = []struct {
	name, def string
	exit      int
	want      string
}{
	{"accepted", aslAccepted, 0, `✓ State machine definition "accepted" is valid` + "\n"},
	{"rejected-by-checks", aslRejectedByChecks, 1, `✕ State machine definition "rejected-by-checks" is invalid:
 MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Gone
MISSING_TERMINAL_STATE: State machine fsm1 is missing a terminal state
TASK_TIMEOUT: State "Call" MUST contain at most one of "TimeoutSeconds", "TimeoutSecondsPath"
`},
	{"rejected-by-arn", aslRejectedByArn, 1, "\n SCHEMA_VALIDATION_FAILED: /States/Call/Resource is invalid. must match exactly one schema in oneOf\n"},
	{"rejected-by-path", aslRejectedByPath, 1, `/States/Shape/InputPath is invalid. must match format "asl_path"`},
	// The CLI stops at a file that is not JSON and prints the SyntaxError
	// with its stack, whose frames are the CLI's: not compared with the
	// CLI's text.
	{"not-json", aslNotJSON, 2, "SyntaxError: Unexpected end of JSON input\n    at JSON.parse"},
}

// What ASLValidator returns is the CLI's verdict and text (one CLI run over
// the definitions; the CLI's messages name the files, ASLValidator's
// definition.asl.json): for an accepted definition, and for rejected ones
// by the checks after the schema (three errors, one a line), by the ARN
// check and by the path check (the CLI's options).
func TestASLValidatorGivesTheCLIsVerdict(t *testing.T) {
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join(".bin", "asl-validator"))
	var names, defs []string
	for _, c := range aslCases[:4] {
		names, defs = append(names, c.name), append(defs, c.def)
	}
	code, texts := aslCLI(t, node, root, names, defs)
	assert.Equal(t, 1, code, "the CLI's exit status, its highest")
	validate := ASLValidator(t)
	for i, c := range aslCases[:4] {
		assert.Contains(t, texts[i], c.want, "the CLI's text")
		assert.Equal(t, c.exit == 0, strings.HasPrefix(texts[i], "✓"), "the CLI's verdict on %s", c.name)
		cli := strings.Replace(texts[i], `"`+c.name+`"`, `"`+aslName+`"`, 1)

		out, err := validate(c.def)
		assert.Equal(t, cli, out, c.name)
		if c.exit == 0 {
			assert.NoError(t, err, c.name)
			assert.Contains(t, out, "is valid")
		} else {
			assert.ErrorContains(t, err, "asl-validator rejected the definition (the CLI's exit status 1)", c.name)
			assert.NotContains(t, out, "is valid")
		}
	}
}

// One process validates every definition in turn, accepted ones after
// rejected ones and after one that is not JSON: each answer is the answer
// of a process of its own, and what the CLI says.
func TestASLServerReusedGivesTheAnswersOfFreshOnes(t *testing.T) {
	t.Parallel()
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	var mu sync.Mutex
	fresh := map[string]aslAnswer{}
	// Without the path check's case (a node start less): the ARN check's
	// stands for the CLI's options.
	cases := aslCases[:3:3]
	cases = append(cases, aslCases[4])
	t.Run("alone", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				r := startASL(t, root, node)
				ans, err := r.validateASL(1, c.name, c.def, aslTimeout)
				require.NoError(t, err)
				assert.Equal(t, c.exit, ans.ExitCode, ans.Output)
				assert.Contains(t, ans.Output, c.want)
				require.NoError(t, r.stop())
				mu.Lock()
				defer mu.Unlock()
				fresh[c.name] = ans
			})
		}
	})
	require.Len(t, fresh, len(cases))

	// A fresh process that validated a definition built one Ajv instance;
	// one given only text that is not JSON, none.
	for _, c := range cases {
		want := 1
		if c.exit == 2 {
			want = 0
		}
		assert.Equal(t, want, fresh[c.name].AjvInstances, c.name)
	}

	r := startASL(t, root, node)
	order := []int{0, 1, 0, 3, 0, 2, 1, 3, 2, 0}
	for i, k := range order {
		c := cases[k]
		ans, err := r.validateASL(i+1, c.name, c.def, aslTimeout)
		require.NoError(t, err)
		assert.Equal(t, 1, ans.AjvInstances, "request %d (%s): the schemas compiled for the first serve every later one", i+1, c.name)
		want := fresh[c.name]
		want.ID, want.AjvInstances = i+1, ans.AjvInstances
		assert.Equal(t, want, ans, "request %d (%s) on a reused process", i+1, c.name)
	}
	require.NoError(t, r.stop(), "stdin closed between requests: exit status 0")
	assert.Equal(t, 0, r.cmd.ProcessState.ExitCode())
}

// Parallel tests validate on the one shared process, each getting its own
// answer.
func TestASLValidatorSharesOneProcess(t *testing.T) {
	nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	aslShared.mu.Lock()
	before, had := len(aslShared.started), aslShared.r != nil
	aslShared.mu.Unlock()
	t.Run("group", func(t *testing.T) {
		for _, c := range aslCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				out, err := ASLValidator(t)(c.def)
				assert.Contains(t, out, strings.ReplaceAll(c.want, `"`+c.name+`"`, `"`+aslName+`"`))
				if c.exit == 0 {
					assert.NoError(t, err)
					assert.Contains(t, out, "is valid")
				} else {
					assert.ErrorContains(t, err, "asl-validator rejected the definition")
				}
			})
		}
	})
	aslShared.mu.Lock()
	defer aslShared.mu.Unlock()
	started := len(aslShared.started) - before
	if had {
		assert.Equal(t, 0, started, "the running process served them all")
	} else {
		assert.Equal(t, 1, started, "one process served them all")
	}
	assert.Same(t, aslShared.started[len(aslShared.started)-1], aslShared.r)
}

// A request line the server cannot read ends it with the reason on stderr
// (exit status 1): the client gets an error with it, not a hang.
func TestASLServerMalformedRequestFails(t *testing.T) {
	t.Parallel()
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	for line, want := range map[string]string{
		"not json\n":                      "malformed request (not JSON",
		`{"id":1,"definition":{}}` + "\n": `malformed request (no string "definition")`,
	} {
		r := startASL(t, root, node)
		_, err := r.aslRoundTrip(1, []byte(line), aslTimeout)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ended without an answer")
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "exit status 1")
		assert.NotNil(t, r.cmd.ProcessState)
	}
}

// A process that gives no answer is killed after the timeout: the client
// gets an error, not a hang.
func TestASLServerNoAnswerFails(t *testing.T) {
	t.Parallel()
	_, node := nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	r, err := startProcess(node, "-e", `process.stdin.resume(); process.stderr.write("listening, never answering\n")`)
	require.NoError(t, err)
	t.Cleanup(r.kill)
	start := time.Now()
	_, err = r.validateASL(1, "x", aslAccepted, time.Second)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Contains(t, err.Error(), "gave no answer within 1s")
	assert.Contains(t, err.Error(), "signal: killed")
	assert.Contains(t, err.Error(), "listening, never answering")
}

// When the shared process dies, the validation that finds it dead fails its
// test with the process's exit status (it does not report the definition as
// rejected); the next validation starts a new process.
func TestASLValidatorKilledProcessFailsTheTest(t *testing.T) {
	nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	validate := ASLValidator(t)
	out, err := validate(aslAccepted)
	require.NoError(t, err, out)

	aslShared.mu.Lock()
	dead := aslShared.r
	aslShared.mu.Unlock()
	require.NotNil(t, dead)
	require.NoError(t, dead.cmd.Process.Kill())

	ft := &failingTB{TB: t}
	done := make(chan struct{})
	returned := false
	go func() {
		defer close(done)
		_, _ = ASLValidator(ft)(aslRejectedByArn)
		returned = true
	}()
	<-done
	assert.False(t, returned, "the validation stopped the test instead of returning")
	require.Len(t, ft.fatals, 1)
	assert.Contains(t, ft.fatals[0], "asl-validator server (tools/asl/serve.mjs)")
	assert.Contains(t, ft.fatals[0], "signal: killed")

	out, err = validate(aslAccepted)
	require.NoError(t, err, out)
	assert.Contains(t, out, "is valid")
	aslShared.mu.Lock()
	defer aslShared.mu.Unlock()
	assert.NotSame(t, dead, aslShared.r, "a new process")
}

// The schema cache the validator processes use (tools/asl/ajv-once.mjs) is
// tested rule by rule in tools/asl/ajv-once.test.mjs with Node's own test
// runner: a record like the process's first reuses its compiled instance,
// one that differs in any part gets a real instance of its own, and a
// method it does not handle throws. Every test of that file must pass; the
// count of its test calls and the runner's skipped/todo/cancelled counts
// guard against tests not run.
func TestAjvOnceRules(t *testing.T) {
	t.Parallel()
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join("asl-validator", "package.json"))
	dir := filepath.Join(root, "tools", "asl")
	src, err := os.ReadFile(filepath.Join(dir, "ajv-once.test.mjs"))
	require.NoError(t, err)
	tests := 0
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "test(") || strings.HasPrefix(line, "test.") {
			tests++
		}
	}
	require.Positive(t, tests, "ajv-once.test.mjs declares its tests with test(...) at the start of a line")
	cmd := exec.Command(node, "--test", "--test-reporter=tap", "ajv-once.test.mjs")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "node --test ajv-once.test.mjs:\n%s", out)
	assert.Contains(t, string(out), fmt.Sprintf("\n# pass %d\n", tests), "every test passed:\n%s", out)
	for _, none := range []string{"fail", "cancelled", "skipped", "todo"} {
		assert.Contains(t, string(out), "\n# "+none+" 0\n", "no test %s:\n%s", none, out)
	}
}
