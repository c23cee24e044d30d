package sfntest

import (
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file prove that a node process serving many executions
// (tools/sfn/run.mjs's loop, Harness's reuse) gives each execution what a
// process of its own would give.
//
// Tests with a harness of their own (New) run in parallel; those that count
// the processes of the shared harness or of the shared asl-validator
// (TestSharedIsOneHarness, TestASLValidatorSharesOneProcess,
// TestASLValidatorKilledProcessFailsTheTest, which kills it) do not, so Go
// runs them before any parallel test starts.

func TestMain(m *testing.M) { Main(m) }

const reuseArn = "arn:aws:states:us-east-1:111111111111:stateMachine:reuse"

// askDef asks a human (a task token) with a Task timeout; an unanswered
// question ends in the Fail state through a Catch.
const askDef = `{"StartAt":"Ask","TimeoutSeconds":3600,"States":{
 "Ask":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$$.Task.Token"},
  "TimeoutSeconds":600,"ResultPath":"$.answer",
  "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.error","Next":"Notify"}],"Next":"Done"},
 "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message":"not answered"},"ResultPath":null,"Next":"Failed"},
 "Done":{"Type":"Succeed"},
 "Failed":{"Type":"Fail","Error":"NotAnswered","Cause":"nobody answered"}}}`

// waitDef waits, asks with a Task timeout longer than the machine's (an
// unanswered question runs into the machine's timeout) and notifies with a
// retry; its Task states have the names of askDef's.
const waitDef = `{"StartAt":"Pause","TimeoutSeconds":7200,"States":{
 "Pause":{"Type":"Wait","Seconds":30,"Next":"Ask"},
 "Ask":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$$.Execution.Name"},"TimeoutSeconds":86400,"ResultPath":"$.answer","Next":"Notify"},
 "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$.answer.by"},"ResultPath":null,
  "Retry":[{"ErrorEquals":["SNS.InternalErrorException"],"IntervalSeconds":5,"MaxAttempts":2}],"Next":"Done"},
 "Done":{"Type":"Succeed"}}}`

type reuseScenario struct {
	name   string
	def    string
	answer Response
	// failNotify is how many Notify calls fail with a transient error.
	failNotify int
	want       func(t *testing.T, res Result)
}

func (s reuseScenario) execution() Execution {
	return Execution{Definition: s.def, Input: map[string]any{"case": s.name}, Name: s.name, StateMachineArn: reuseArn}
}

// handler answers a scenario's Task states; it is made anew for every Run.
func (s reuseScenario) handler() Handler {
	notified := 0
	return func(r Request) Response {
		switch r.State {
		case "Ask":
			return s.answer
		case "Notify":
			notified++
			if notified <= s.failNotify {
				return Response{Error: "SNS.InternalErrorException", Cause: "transient"}
			}
		}
		return Response{Result: map[string]any{"MessageId": fmt.Sprintf("m-%d", notified)}}
	}
}

func reuseScenarios() []reuseScenario {
	return []reuseScenario{{
		name:   "hang-task-timeout",
		def:    askDef,
		answer: Response{Hang: true},
		want: func(t *testing.T, res Result) {
			assert.Equal(t, "FAILED", res.Status)
			assert.Equal(t, "NotAnswered", res.Error)
			assert.Equal(t, []string{"Ask", "Notify", "Failed"}, res.States)
			assert.Equal(t, []string{"Ask", "Notify"}, res.CallStates())
			assert.Equal(t, 600*time.Second, res.Elapsed(), "the Task timeout, on the virtual clock")
		},
	}, {
		name:       "answered-after-wait-and-retry",
		def:        waitDef,
		answer:     Response{Output: map[string]any{"by": "alice"}, AfterSeconds: 120},
		failNotify: 1,
		want: func(t *testing.T, res Result) {
			assert.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
			assert.Equal(t, []string{"Pause", "Ask", "Notify", "Done"}, res.States)
			assert.Equal(t, []string{"Ask", "Notify", "Notify"}, res.CallStates())
			assert.Equal(t, (30+120+5)*time.Second, res.Elapsed(), "wait, answer, retry interval")
			assert.Equal(t, "alice", res.Calls[1].Request.Params["Message"])
			assert.JSONEq(t, `{"case":"answered-after-wait-and-retry","answer":{"by":"alice"}}`, string(res.Output))
		},
	}, {
		name:   "hang-machine-timeout",
		def:    waitDef,
		answer: Response{Hang: true},
		want: func(t *testing.T, res Result) {
			assert.Equal(t, "TIMED_OUT", res.Status)
			assert.Equal(t, "States.Timeout", res.Error)
			assert.Equal(t, []string{"Pause", "Ask"}, res.States)
			assert.Equal(t, []string{"Ask"}, res.CallStates())
			assert.Equal(t, 7200*time.Second, res.Elapsed(), "the machine's timeout, on the virtual clock")
		},
	}, {
		name:   "answered-at-once",
		def:    askDef,
		answer: Response{Output: map[string]any{"by": "bob"}},
		want: func(t *testing.T, res Result) {
			assert.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
			assert.Equal(t, []string{"Ask", "Done"}, res.States)
			assert.Equal(t, []string{"Ask"}, res.CallStates())
			assert.Equal(t, time.Duration(0), res.Elapsed())
			assert.Equal(t, TaskToken("answered-at-once"), res.Calls[0].Request.Params["Message"])
		},
	}}
}

// alone runs each scenario on a harness of its own (in parallel).
func alone(t *testing.T, scenarios ...reuseScenario) map[string]Result {
	t.Helper()
	interpreter(t) // skips t, not only its subtests
	var mu sync.Mutex
	results := map[string]Result{}
	t.Run("alone", func(t *testing.T) {
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				h := New(t)
				res := h.Run(t, s.execution(), s.handler())
				require.Len(t, h.started, 1)
				mu.Lock()
				defer mu.Unlock()
				results[s.name] = res
			})
		}
	})
	require.Len(t, results, len(scenarios))
	return results
}

// One process runs every scenario in turn, each twice, a hanging Task
// before and after the others: each result is the result of a process of
// its own, and what was expected.
func TestReusedProcessGivesTheResultsOfFreshOnes(t *testing.T) {
	t.Parallel()
	scenarios := reuseScenarios()
	want := alone(t, scenarios...)
	for _, s := range scenarios {
		s.want(t, want[s.name])
	}
	h := New(t)
	order := []int{0, 1, 2, 1, 3, 0, 2, 3, 0}
	for _, i := range order {
		s := scenarios[i]
		res := h.Run(t, s.execution(), s.handler())
		assert.Equal(t, want[s.name], res, "%s on a reused process", s.name)
		s.want(t, res)
	}
	assert.Len(t, h.started, 1, "%d executions, one process", len(order))
}

// ownDefinition gives def a Comment, making it a definition no other test
// of the binary runs.
func ownDefinition(def, comment string) string {
	return strings.Replace(def, `{"StartAt"`, `{"Comment":"`+comment+`","StartAt"`, 1)
}

// The interpreter checks a definition once per test binary: a process
// checks the definitions it is the first to run, compiling asl-validator's
// schemas once for all of them (tools/asl/ajv-once.mjs), and another
// process runs a definition that passed the check unchecked, with the
// result of a checked run.
func TestDefinitionCheckedOncePerBinary(t *testing.T) {
	t.Parallel()
	ask, wait := reuseScenarios()[3], reuseScenarios()[1]
	// Unique per run: with -count=N each run checks them afresh.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	ask.def, wait.def = ownDefinition(ask.def, "checked-once-ask-"+run), ownDefinition(wait.def, "checked-once-wait-"+run)
	h := New(t)
	checked := h.Run(t, ask.execution(), ask.handler())
	ask.want(t, checked)
	require.Len(t, h.started, 1)
	r := h.started[0]
	assert.True(t, r.validated, "the first process to run a definition checks it")
	wait.want(t, h.Run(t, wait.execution(), wait.handler()))
	assert.True(t, r.validated, "and a second one")
	assert.Equal(t, 1, r.ajvInstances, "with the schemas compiled once")
	assert.Equal(t, checked, h.Run(t, ask.execution(), ask.handler()))
	assert.False(t, r.validated, "a definition it checked is not checked again")

	other := New(t)
	assert.Equal(t, checked, other.Run(t, ask.execution(), ask.handler()), "unchecked, the result of a checked run")
	require.Len(t, other.started, 1)
	assert.False(t, other.started[0].validated, "nor in another process of the binary")
	assert.Equal(t, 0, other.started[0].ajvInstances, "which compiled no schemas")
}

// A Task state the harness does not answer (one inside a Map state: only
// top-level Task states get a handler) would make the interpreter call AWS
// Lambda through the AWS SDK, which run.mjs replaces by a stub: the runner
// ends with the reason on stderr, and the Map state's Catch of States.ALL
// does not turn it into a handled error.
func TestTaskWithoutHandlerEndsTheRunner(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"Each","States":{
 "Each":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Call","States":{
  "Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","End":true}}},
  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handled"}],"End":true},
 "Handled":{"Type":"Succeed"}}}`
	h := New(t)
	ft := runFailing(t, h, Execution{Definition: def, Input: map[string]any{"items": []int{1}}, Name: "nested", StateMachineArn: reuseArn},
		func(ft *failingTB) Handler {
			return func(r Request) Response {
				ft.Errorf("the harness was asked for %s", r.State)
				return Response{}
			}
		})
	assert.Empty(t, ft.errors)
	require.Len(t, ft.fatals, 1)
	assert.Contains(t, ft.fatals[0], "runner ended without a result")
	assert.Contains(t, ft.fatals[0], "the interpreter called AWS Lambda (LambdaClient)")
	require.Len(t, h.started, 1)
	assert.NotNil(t, h.started[0].cmd.ProcessState, "the process ended")
	assert.Empty(t, h.idle)
}

// Runs in parallel take a process each; the processes are reused afterwards
// and every run gives what is expected (the results of reused processes
// are the results of fresh ones: TestReusedProcessGivesTheResultsOfFreshOnes).
func TestParallelRunsOnOneHarness(t *testing.T) {
	t.Parallel()
	h := New(t)
	var mu sync.Mutex
	results := map[string][]Result{}
	t.Run("group", func(t *testing.T) {
		for round := range 3 {
			for _, s := range reuseScenarios() {
				t.Run(fmt.Sprintf("%s/%d", s.name, round), func(t *testing.T) {
					t.Parallel()
					res := h.Run(t, s.execution(), s.handler())
					s.want(t, res)
					mu.Lock()
					defer mu.Unlock()
					results[s.name] = append(results[s.name], res)
				})
			}
		}
	})
	for name, rs := range results {
		require.Len(t, rs, 3, name)
		assert.Equal(t, rs[0], rs[1], name)
		assert.Equal(t, rs[0], rs[2], name)
	}
	parallel, err := strconv.Atoi(flag.Lookup("test.parallel").Value.String())
	require.NoError(t, err)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.LessOrEqual(t, len(h.started), parallel, "no more processes than tests running in parallel")
	assert.Len(t, h.idle, len(h.started), "every process back for reuse")
}

// failingTB stops the goroutine on a fatal failure, like testing.T, but
// records the failure instead of failing the test.
type failingTB struct {
	testing.TB
	mu     sync.Mutex
	fatals []string
	errors []string
}

func (f *failingTB) Helper() {}

func (f *failingTB) Errorf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, a...))
}

func (f *failingTB) Fatalf(format string, a ...any) {
	f.mu.Lock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, a...))
	f.mu.Unlock()
	runtime.Goexit()
}

// runFailing runs e in a goroutine of its own with a failingTB.
func runFailing(t *testing.T, h *Harness, e Execution, handle func(*failingTB) Handler) *failingTB {
	t.Helper()
	ft := &failingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ft, e, handle(ft))
	}()
	<-done
	return ft
}

// A test that fails in the middle of an execution leaves its process
// waiting for an answer: the process is killed, and the next Run starts a
// new one that gives the result of a fresh process. A definition the
// interpreter refuses ends its process with the reason on stderr.
func TestFailureMidExecutionDiscardsTheProcess(t *testing.T) {
	t.Parallel()
	scenarios := reuseScenarios()
	next := scenarios[1]
	want := alone(t, next)[next.name]
	h := New(t)

	ft := runFailing(t, h, scenarios[3].execution(), func(ft *failingTB) Handler {
		return func(r Request) Response {
			ft.Fatalf("the test stops in %s", r.State)
			return Response{}
		}
	})
	assert.Equal(t, []string{"the test stops in Ask"}, ft.fatals)
	require.Len(t, h.started, 1)
	assert.NotNil(t, h.started[0].cmd.ProcessState, "the process was ended")
	assert.Empty(t, h.idle, "and not kept")
	assert.Equal(t, want, h.Run(t, next.execution(), next.handler()))
	require.Len(t, h.started, 2, "a new process")

	ft = runFailing(t, h, Execution{Definition: `{"StartAt":"X","States":{"X":{"Type":"Nothing"}}}`, Name: "bad", StateMachineArn: reuseArn},
		func(*failingTB) Handler { return nil })
	require.Len(t, ft.fatals, 1)
	assert.Contains(t, ft.fatals[0], "runner ended without a result")
	assert.Contains(t, ft.fatals[0], "State machine definition is invalid")
	assert.Equal(t, want, h.Run(t, next.execution(), next.handler()))
	assert.Len(t, h.started, 3)
	assert.Len(t, h.idle, 1)
}

// A model violation fails the test but not the execution, which ends: its
// process is reused. New's processes end with the test that called New,
// cleanly (exit 0 when stdin closes between executions).
func TestViolationKeepsTheProcessUntilTheTestEnds(t *testing.T) {
	t.Parallel()
	interpreter(t) // skips t, not only its subtest
	var h *Harness
	t.Run("test", func(t *testing.T) {
		h = New(t)
		s := reuseScenarios()[3]
		bad := strings.Replace(s.def, `"TopicArn"`, `"TopicARN"`, 1)
		ft := runFailing(t, h, Execution{Definition: bad, Name: "violation", StateMachineArn: reuseArn}, func(*failingTB) Handler { return s.handler() })
		assert.Empty(t, ft.fatals)
		require.Len(t, ft.errors, 1)
		assert.Contains(t, ft.errors[0], `unknown member "TopicARN"`)
		s.want(t, h.Run(t, s.execution(), s.handler()))
		assert.Len(t, h.started, 1)
		assert.Len(t, h.idle, 1)
	})
	assert.True(t, h.closed)
	assert.Empty(t, h.idle)
	require.Len(t, h.started, 1)
	state := h.started[0].cmd.ProcessState
	require.NotNil(t, state, "the process ended")
	assert.Equal(t, 0, state.ExitCode())
}

// Shared is one harness for the whole test binary; Main (TestMain above)
// stops its processes.
func TestSharedIsOneHarness(t *testing.T) {
	h := Shared(t)
	assert.Same(t, h, Shared(t))
	s := reuseScenarios()[0]
	s.want(t, h.Run(t, s.execution(), s.handler()))
	s = reuseScenarios()[1]
	s.want(t, Shared(t).Run(t, s.execution(), s.handler()))
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Len(t, h.started, 1)
}

// A Task without TimeoutSeconds waits as long as AWS's default allows in
// practice: an answer three days later arrives (the runner once wrote the
// AWS default of 99999999 s, which a timer cannot hold, and the Task timed
// out after 1 ms).
func TestTaskWithoutTimeoutWaitsForALateAnswer(t *testing.T) {
	const def = `{"StartAt":"Ask","States":{
 "Ask":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:t","Message.$":"$$.Task.Token"},"End":true}}}`
	h := Shared(t)
	res := h.Run(t, Execution{Definition: def, Name: "late", StateMachineArn: reuseArn},
		func(Request) Response {
			return Response{Output: map[string]any{"ok": true}, AfterSeconds: 3 * 24 * 3600}
		})
	assert.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	assert.Equal(t, 3*24*time.Hour, res.Elapsed())
}
