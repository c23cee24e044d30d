// Package sfntest executes Step Functions state machines in tests with the
// pinned local interpreter aws-local-stepfunctions (tools/sfn) on a virtual
// clock, and answers their Task states with Go handlers that behave like
// the AWS APIs.
//
// Every Task request is checked against the AWS service model (npm aws-sdk
// v2 models, pinned in tools/sfn): the resource names a real API action the
// way Step Functions spells it (aws-sdk:backup:startRestoreJob), parameters
// use the Step Functions (AWS SDK for Java 2.x) member names, required
// members are present, JSON types match and no member is unknown. Handlers
// receive the request with the API's own member names and answer the same
// way; the response is checked against the operation's output shape and
// renamed for Step Functions. Optimized integrations (lambda:invoke,
// sns:publish, .waitForTaskToken) get the result shapes AWS documents for
// them. A request or response the model rejects is a test failure.
//
// The minified models carry no enums and no error lists: enum values a test
// relies on must be checked by the test's own handlers (see
// components/restoreworkflow's fake AWS), and error names are only checked
// for their service prefix.
//
// A node process (tools/sfn/run.mjs) serves many executions, one at a time,
// each on a fresh virtual clock with a new state machine: a Harness keeps
// its processes for its later Runs (New: until the test ends; Shared: for
// all the tests of a package, until Main ends), and kills a process whose
// execution did not end normally.
//
// The interpreter checks every definition with asl-validator before running
// it. The check is a function of the definition alone, so it runs once per
// definition and test binary: a definition that passed it in one process is
// sent to the others as checked (see checkedDefinitions).
//
// Without tools/sfn/node_modules or node the tests are skipped, except when
// CI=true, where they fail.
package sfntest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one Task state's call, with the API's member names.
type Request struct {
	State    string
	Resource string
	// Service is the Step Functions service name (backup, rds, sns, lambda).
	Service string
	// Action is the API operation (StartRestoreJob, Publish, Invoke).
	Action string
	// WaitForTaskToken is set for .waitForTaskToken integrations.
	WaitForTaskToken bool
	// Params are the request members with the API's names. For lambda:invoke
	// Params["Payload"] is the JSON event; for sns:publish a JSON Message
	// is given as the string SNS receives.
	Params map[string]any
	// Time is the virtual time of the call.
	Time time.Time
}

// Response answers a Request.
type Response struct {
	// Result is an API response with the API's member names (aws-sdk and
	// sns:publish integrations).
	Result map[string]any
	// Output is what a Lambda function returned (lambda:invoke puts it in
	// Payload) or what send-task-success sent (.waitForTaskToken).
	Output any
	// Error and Cause fail the task (an API exception, a Lambda function
	// error type, send-task-failure).
	Error string
	Cause string
	// AfterSeconds delays the answer on the virtual clock.
	AfterSeconds int
	// Hang never answers: a task token nobody sends back.
	Hang bool
}

// Handler answers the Task states of an execution.
type Handler func(Request) Response

// Execution is one run of a state machine.
type Execution struct {
	// Definition is the Amazon States Language JSON.
	Definition string
	Input      any
	// Name is the execution name ($$.Execution.Name); Id and the task
	// token are derived from it and StateMachineArn.
	Name            string
	StateMachineArn string
	Start           time.Time
	// AllowViolations records model violations in Result.Violations instead
	// of failing the test (for tests proving that a violation is caught).
	AllowViolations bool
}

// Call is a Task call and its answer, in order.
type Call struct {
	Request  Request
	Response Response
}

// Result is how the execution ended.
type Result struct {
	// Status is SUCCEEDED, FAILED or TIMED_OUT.
	Status     string
	Error      string
	Cause      string
	Output     json.RawMessage
	Start, End time.Time
	// States are the states entered, in order.
	States     []string
	Calls      []Call
	Violations []string
}

// Elapsed is the virtual time the execution took.
func (r Result) Elapsed() time.Duration { return r.End.Sub(r.Start) }

// CallStates are the Task states called, in order.
func (r Result) CallStates() []string {
	out := make([]string, len(r.Calls))
	for i, c := range r.Calls {
		out[i] = c.Request.State
	}
	return out
}

// Entered reports whether the execution entered state.
func (r Result) Entered(state string) bool {
	for _, s := range r.States {
		if s == state {
			return true
		}
	}
	return false
}

// Harness runs executions. The executions run in node processes
// (tools/sfn/run.mjs) that the harness starts when needed and reuses: a Run
// takes an idle process or starts one, and gives it back once its execution
// ended; Runs in parallel tests use one process each. A process that did
// not finish its execution (the test failed in the middle of it, or the
// execution was stuck) is killed, never reused. The processes of a harness
// from New are stopped when the test that called New ends; those of Shared
// when Main's tests have run.
type Harness struct {
	root   string
	node   string
	models map[string]*Model

	mu     sync.Mutex
	idle   []*runner
	closed bool
	// started are the runners started, for the package's tests.
	started []*runner
}

// runner is one node process speaking JSON lines on stdin and stdout:
// tools/sfn/run.mjs, serving one execution at a time (Harness), or
// tools/asl/serve.mjs, validating one definition at a time (ASLValidator).
type runner struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	dec    *json.Decoder
	stderr *syncBuffer
	// mark is the length of stderr when the current execution started.
	mark int
	// validated says whether the interpreter checked the definition of the
	// process's last execution (false: it passed the check before, in this
	// process or in another one of the test binary).
	validated bool
	// ajvInstances is how many real Ajv instances the process built for
	// asl-validator (tools/asl/ajv-once.mjs), as of its last answer: 1 when
	// its compiled schemas served every definition it checked.
	ajvInstances int
	waited       sync.Once
	waitErr      error
}

// syncBuffer collects a process's stderr (written by os/exec's copying
// goroutine, read by the test).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Since is what was written after the first n bytes.
func (b *syncBuffer) Since(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf.Bytes()[min(n, b.buf.Len()):])
}

func (h *Harness) startRunner() (*runner, error) {
	return startProcess(h.node, filepath.Join(h.root, "tools", "sfn", "run.mjs"))
}

// startProcess starts node with args (a script and its arguments), its
// stderr collected.
func startProcess(node string, args ...string) (*runner, error) {
	cmd := exec.Command(node, args...)
	r := &runner{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = r.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("runner stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("runner stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start runner: %w", err)
	}
	r.stdin = stdin
	r.dec = json.NewDecoder(bufio.NewReaderSize(stdout, 1<<20))
	return r, nil
}

// wait waits (once) for the process to exit and its stderr to be copied.
func (r *runner) wait() error {
	r.waited.Do(func() { r.waitErr = r.cmd.Wait() })
	return r.waitErr
}

// kill ends the process whatever it is doing.
func (r *runner) kill() {
	_ = r.cmd.Process.Kill()
	_ = r.wait()
}

// stop closes stdin, which ends a runner waiting for its next execution
// with exit status 0.
func (r *runner) stop() error {
	_ = r.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- r.wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("runner did not exit cleanly: %v (stderr: %s)", err, r.stderr.Since(0))
		}
		return nil
	case <-time.After(10 * time.Second):
		r.kill()
		return fmt.Errorf("runner did not exit within 10 s after its stdin closed (stderr: %s)", r.stderr.Since(0))
	}
}

// take returns an idle runner, or starts one.
func (h *Harness) take() (*runner, error) {
	h.mu.Lock()
	if n := len(h.idle); n > 0 {
		r := h.idle[n-1]
		h.idle = h.idle[:n-1]
		h.mu.Unlock()
		return r, nil
	}
	h.mu.Unlock()
	r, err := h.startRunner()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.started = append(h.started, r)
	h.mu.Unlock()
	return r, nil
}

// release gives back a runner that finished its execution; once the harness
// is closed, the runner is stopped instead.
func (h *Harness) release(r *runner) {
	h.mu.Lock()
	if !h.closed {
		h.idle = append(h.idle, r)
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	_ = r.stop()
}

// close stops the idle runners; the error names those that did not exit
// cleanly.
func (h *Harness) close() error {
	h.mu.Lock()
	idle := h.idle
	h.idle, h.closed = nil, true
	h.mu.Unlock()
	var errs []error
	for _, r := range idle {
		errs = append(errs, r.stop())
	}
	return errors.Join(errs...)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// nodeTool returns the module root and node, with the pinned Node tool
// tools/<dir>/node_modules/<file> (of the package name) installed; it skips
// the test when they are not, unless CI=true, where it fails.
func nodeTool(t testing.TB, dir, name, file string) (root, node string) {
	t.Helper()
	unavailable := func(format string, a ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, a...) + ": run npm ci --prefix tools/" + dir
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "tools", dir, "node_modules", file)); err != nil {
		unavailable("%s is not installed (%v)", name, err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed (%v)", err)
	}
	return root, node
}

// interpreter finds node and the pinned interpreter; it skips the test when
// they are not installed, unless CI=true.
func interpreter(t testing.TB) (root, node string) {
	t.Helper()
	return nodeTool(t, "sfn", "aws-local-stepfunctions", filepath.Join("aws-local-stepfunctions", "package.json"))
}

func newHarness(root, node string) (*Harness, error) {
	h := &Harness{root: root, node: node, models: map[string]*Model{}}
	for svc := range modelFiles {
		m, err := loadModel(root, svc)
		if err != nil {
			return nil, err
		}
		h.models[svc] = m
	}
	return h, nil
}

// New finds node and the pinned interpreter; it skips the test when they are
// not installed, unless CI=true. The harness's node processes are stopped
// when t ends.
func New(t testing.TB) *Harness {
	t.Helper()
	h, err := newHarness(interpreter(t))
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := h.close(); err != nil {
			t.Errorf("sfntest: %v", err)
		}
	})
	return h
}

var shared struct {
	mu sync.Mutex
	h  *Harness
}

// checkedDefinitions are the definitions (as JSON text) that passed the
// interpreter's asl-validator check in a process of this test binary: they
// are sent to other processes with "checked": true, which skips the check
// (tools/sfn/run.mjs). An execution that ended proves its definition passed:
// a definition that fails the check ends the process without a result.
var checkedDefinitions struct {
	mu sync.Mutex
	m  map[string]bool
}

func definitionChecked(key string) bool {
	checkedDefinitions.mu.Lock()
	defer checkedDefinitions.mu.Unlock()
	return checkedDefinitions.m[key]
}

func markDefinitionChecked(key string) {
	checkedDefinitions.mu.Lock()
	defer checkedDefinitions.mu.Unlock()
	if checkedDefinitions.m == nil {
		checkedDefinitions.m = map[string]bool{}
	}
	checkedDefinitions.m[key] = true
}

// Shared is New for the tests of a package that share nothing mutable
// through the harness (the service models are read-only; handlers and
// results belong to each Run): it returns the one harness of the test
// binary, so its node processes serve the executions of all the tests
// instead of being started again for each test. It skips t like New. Its
// processes are stopped when the tests have run if the package's TestMain
// calls Main; otherwise they end when the test binary exits (their stdin
// closes).
func Shared(t testing.TB) *Harness {
	t.Helper()
	root, node := interpreter(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.h == nil {
		h, err := newHarness(root, node)
		if err != nil {
			t.Fatalf("%v", err)
		}
		shared.h = h
	}
	return shared.h
}

// Main runs the tests of a package that uses Shared or ASLValidator, then
// stops the shared harness's node processes and the validator's; a process
// that does not exit cleanly fails the test binary. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	h := shared.h
	shared.h = nil
	shared.mu.Unlock()
	var errs []error
	if h != nil {
		errs = append(errs, h.close())
	}
	errs = append(errs, stopASLServer())
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "sfntest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// TaskToken is the task token ($$.Task.Token) of an execution. The
// interpreter takes one context for the whole execution, so every
// .waitForTaskToken state of an execution sees the same token.
func TaskToken(execName string) string { return "token-" + execName }

// ExecutionStartTime is $$.Execution.StartTime of an execution started at
// start, formatted as Step Functions gives it (UTC, milliseconds).
func ExecutionStartTime(start time.Time) string {
	return start.UTC().Format("2006-01-02T15:04:05.000Z")
}

// ExecutionArn is $$.Execution.Id.
func ExecutionArn(stateMachineArn, name string) string {
	return strings.Replace(stateMachineArn, ":stateMachine:", ":execution:", 1) + ":" + name
}

type taskMessage struct {
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Resource string          `json:"resource"`
	Input    any             `json:"input"`
	Time     time.Time       `json:"time"`
	Status   string          `json:"status"`
	Output   json.RawMessage `json:"output"`
	Error    string          `json:"error"`
	Cause    string          `json:"cause"`
	States   []string        `json:"states"`
	// Validated and AjvInstances: see runner.
	Validated    bool `json:"validated"`
	AjvInstances int  `json:"ajvInstances"`
}

type answer struct {
	Result       any    `json:"result,omitempty"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
	AfterSeconds int    `json:"afterSeconds,omitempty"`
	Hang         bool   `json:"hang,omitempty"`
}

// Run executes e, answering Task states with handle.
func (h *Harness) Run(t testing.TB, e Execution, handle Handler) Result {
	t.Helper()
	if e.Start.IsZero() {
		e.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(e.Definition), &def); err != nil {
		t.Fatalf("definition is not JSON: %v", err)
	}
	defKey, err := json.Marshal(def)
	if err != nil {
		t.Fatalf("encode definition: %v", err)
	}
	smName := e.StateMachineArn[strings.LastIndex(e.StateMachineArn, ":")+1:]
	scenario := map[string]any{
		"definition": def,
		"checked":    definitionChecked(string(defKey)),
		"input":      e.Input,
		"startTime":  e.Start.UTC().Format(time.RFC3339),
		"context": map[string]any{
			"Execution":    map[string]any{"Id": ExecutionArn(e.StateMachineArn, e.Name), "Name": e.Name, "StartTime": ExecutionStartTime(e.Start)},
			"StateMachine": map[string]any{"Id": e.StateMachineArn, "Name": smName},
			"Task":         map[string]any{"Token": TaskToken(e.Name)},
		},
	}
	r, err := h.take()
	if err != nil {
		t.Fatalf("%v", err)
	}
	// The runner is reused only when the execution ended and its result is
	// returned: after a failure in the middle of it (a write that failed, a
	// test stopped in a handler, a stuck execution) the process may still
	// wait for an answer, so it is killed.
	finished := false
	defer func() {
		if finished {
			h.release(r)
		} else {
			r.kill()
		}
	}()
	r.mark = r.stderr.Len()
	// The runner's stderr is complete only once it exited.
	stderr := func() string {
		r.kill()
		return r.stderr.Since(r.mark)
	}
	send := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := r.stdin.Write(append(b, '\n')); err != nil {
			t.Fatalf("write to runner: %v (stderr: %s)", err, stderr())
		}
	}
	send(scenario)
	res := Result{Start: e.Start}
	for {
		var msg taskMessage
		if err := r.dec.Decode(&msg); err != nil {
			t.Fatalf("runner ended without a result: %v\nstderr: %s", err, stderr())
		}
		if msg.Kind == "end" {
			res.Status, res.Error, res.Cause, res.Output = msg.Status, msg.Error, msg.Cause, msg.Output
			res.End, res.States = msg.Time, msg.States
			r.validated, r.ajvInstances = msg.Validated, msg.AjvInstances
			markDefinitionChecked(string(defKey))
			break
		}
		ans, call, problems := h.answerTask(msg, handle)
		for _, p := range problems {
			p = fmt.Sprintf("%s (%s): %s", msg.State, msg.Resource, p)
			res.Violations = append(res.Violations, p)
			if !e.AllowViolations {
				t.Errorf("model violation: %s", p)
			}
		}
		res.Calls = append(res.Calls, call)
		send(ans)
	}
	if res.Status == "STUCK" {
		t.Fatalf("execution stuck: %s: %s", res.Error, res.Cause)
	}
	finished = true
	return res
}

// parseResource splits a Step Functions service-integration ARN.
func parseResource(resource string) (service, action string, wait bool, sdk bool, err error) {
	const prefix = "arn:aws:states:::"
	if !strings.HasPrefix(resource, prefix) {
		return "", "", false, false, fmt.Errorf("resource %q is not a Step Functions service integration", resource)
	}
	rest := strings.TrimPrefix(resource, prefix)
	if strings.HasSuffix(rest, ".waitForTaskToken") {
		wait, rest = true, strings.TrimSuffix(rest, ".waitForTaskToken")
	}
	parts := strings.Split(rest, ":")
	switch {
	case len(parts) == 3 && parts[0] == "aws-sdk":
		return parts[1], parts[2], wait, true, nil
	case len(parts) == 2:
		return parts[0], parts[1], wait, false, nil
	}
	return "", "", false, false, fmt.Errorf("resource %q is not service:action or aws-sdk:service:action", resource)
}

// optimized are the optimized integrations the harness knows, with the API
// operation they call.
var optimized = map[string]string{"lambda:invoke": "Invoke", "sns:publish": "Publish"}

// errorPrefix is the prefix of a service's error names in Step Functions.
func errorPrefix(service string, sdk bool) string {
	if !sdk {
		switch service {
		case "lambda":
			return "Lambda."
		case "sns":
			return "SNS."
		}
	}
	return SDKErrorService(service) + "."
}

// SDKErrorService is the service part of an aws-sdk integration's error
// names (Rds for rds: Rds.DbClusterNotFoundException).
func SDKErrorService(service string) string {
	if name, ok := sdkErrorServices[service]; ok {
		return name
	}
	return SDKName(service)
}

// sdkErrorServices are the error prefixes of aws-sdk integrations whose
// Step Functions service name is not one word: the AWS SDK for Java 2.x
// service name (CloudWatchLogs.ResourceAlreadyExistsException).
var sdkErrorServices = map[string]string{"cloudwatch": "CloudWatch", "cloudwatchlogs": "CloudWatchLogs"}

func (h *Harness) answerTask(msg taskMessage, handle Handler) (answer, Call, []string) {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	req := Request{State: msg.State, Resource: msg.Resource, Time: msg.Time}
	service, action, wait, sdk, err := parseResource(msg.Resource)
	if err != nil {
		fail("%v", err)
		return answer{Error: "Harness.InvalidResource", Cause: err.Error()}, Call{Request: req}, problems
	}
	req.Service, req.WaitForTaskToken = service, wait
	model, ok := h.models[service]
	if !ok {
		fail("no service model for %s", service)
		return answer{Error: "Harness.InvalidResource"}, Call{Request: req}, problems
	}
	name := identity
	if sdk {
		name = SDKName
		op, err := model.Operation(action)
		if err != nil {
			fail("%v", err)
			return answer{Error: "Harness.InvalidResource"}, Call{Request: req}, problems
		}
		req.Action = op
	} else {
		op, ok := optimized[service+":"+action]
		if !ok {
			fail("optimized integration %s:%s is not known to the harness", service, action)
			return answer{Error: "Harness.InvalidResource"}, Call{Request: req}, problems
		}
		req.Action = op
	}
	params, _ := msg.Input.(map[string]any)
	if params == nil {
		params = map[string]any{}
	}
	checked := map[string]any{}
	for k, v := range params {
		checked[k] = v
	}
	var payload any
	if !sdk && req.Action == "Invoke" {
		payload = checked["Payload"]
		if payload != nil {
			checked["Payload"] = "json"
		}
	}
	if !sdk && req.Action == "Publish" {
		if m, ok := checked["Message"]; ok {
			if _, isString := m.(string); !isString {
				b, _ := json.Marshal(m)
				checked["Message"] = string(b)
			}
		}
	}
	apiParams, err := model.request(req.Action, checked, name)
	if err != nil {
		fail("%v", err)
		return answer{Error: "Harness.InvalidRequest", Cause: err.Error()}, Call{Request: req}, problems
	}
	if payload != nil {
		apiParams["Payload"] = payload
	}
	req.Params = apiParams

	resp := handle(req)
	call := Call{Request: req, Response: resp}
	ans := answer{AfterSeconds: resp.AfterSeconds, Hang: resp.Hang}
	switch {
	case resp.Hang:
	case resp.Error != "":
		ans.Error, ans.Cause = resp.Error, resp.Cause
		lambdaFunctionError := !sdk && req.Action == "Invoke" && !strings.Contains(resp.Error, ".")
		taskFailure := wait && !strings.Contains(resp.Error, ".")
		if !lambdaFunctionError && !taskFailure && !strings.HasPrefix(resp.Error, errorPrefix(service, sdk)) && !strings.HasPrefix(resp.Error, "States.") {
			fail("error %q does not start with %q", resp.Error, errorPrefix(service, sdk))
		}
	case wait:
		ans.Result = resp.Output
	case !sdk && req.Action == "Invoke":
		ans.Result = map[string]any{
			"ExecutedVersion":     "$LATEST",
			"Payload":             resp.Output,
			"StatusCode":          200,
			"SdkHttpMetadata":     map[string]any{"HttpStatusCode": 200},
			"SdkResponseMetadata": map[string]any{"RequestId": "req-" + msg.State},
		}
	default:
		result := resp.Result
		if result == nil {
			result = map[string]any{}
		}
		// Round-trip through JSON so handlers may use Go values.
		b, err := json.Marshal(result)
		if err == nil {
			result = map[string]any{}
			err = json.Unmarshal(b, &result)
		}
		if err != nil {
			fail("response is not JSON: %v", err)
			break
		}
		out, err := model.response(req.Action, result, name)
		if err != nil {
			fail("%v", err)
			ans.Error, ans.Cause = "Harness.InvalidResponse", err.Error()
			break
		}
		if !sdk {
			out["SdkHttpMetadata"] = map[string]any{"HttpStatusCode": 200}
			out["SdkResponseMetadata"] = map[string]any{"RequestId": "req-" + msg.State}
		}
		ans.Result = out
	}
	return ans, call, problems
}
