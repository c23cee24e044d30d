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
// Without tools/sfn/node_modules or node the tests are skipped, except when
// CI=true, where they fail.
package sfntest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// Harness runs executions.
type Harness struct {
	root   string
	node   string
	models map[string]*Model
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

// New finds node and the pinned interpreter; it skips the test when they are
// not installed, unless CI=true.
func New(t testing.TB) *Harness {
	t.Helper()
	root, node := nodeTool(t, "sfn", "aws-local-stepfunctions", filepath.Join("aws-local-stepfunctions", "package.json"))
	h := &Harness{root: root, node: node, models: map[string]*Model{}}
	for svc := range modelFiles {
		m, err := loadModel(root, svc)
		if err != nil {
			t.Fatalf("%v", err)
		}
		h.models[svc] = m
	}
	return h
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
	smName := e.StateMachineArn[strings.LastIndex(e.StateMachineArn, ":")+1:]
	scenario := map[string]any{
		"definition": def,
		"input":      e.Input,
		"startTime":  e.Start.UTC().Format(time.RFC3339),
		"context": map[string]any{
			"Execution":    map[string]any{"Id": ExecutionArn(e.StateMachineArn, e.Name), "Name": e.Name, "StartTime": ExecutionStartTime(e.Start)},
			"StateMachine": map[string]any{"Id": e.StateMachineArn, "Name": smName},
			"Task":         map[string]any{"Token": TaskToken(e.Name)},
		},
	}
	cmd := exec.Command(h.node, filepath.Join(h.root, "tools", "sfn", "run.mjs"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("runner stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("runner stdout: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	defer func() { _ = cmd.Wait() }()
	send := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatalf("write to runner: %v (stderr: %s)", err, stderr.String())
		}
	}
	send(scenario)
	res := Result{Start: e.Start}
	dec := json.NewDecoder(bufio.NewReaderSize(stdout, 1<<20))
	for {
		var msg taskMessage
		if err := dec.Decode(&msg); err != nil {
			_ = stdin.Close()
			_ = cmd.Wait()
			t.Fatalf("runner ended without a result: %v\nstderr: %s", err, stderr.String())
		}
		if msg.Kind == "end" {
			res.Status, res.Error, res.Cause, res.Output = msg.Status, msg.Error, msg.Cause, msg.Output
			res.End, res.States = msg.Time, msg.States
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
	_ = stdin.Close()
	if res.Status == "STUCK" {
		t.Fatalf("execution stuck: %s: %s", res.Error, res.Cause)
	}
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
