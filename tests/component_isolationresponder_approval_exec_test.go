package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
)

// These tests execute the approval state machine in the pinned local
// interpreter (tools/sfn, internal/sfntest) on a virtual clock.

const (
	approvalMachineArn = "arn:aws:states:ap-northeast-1:111111111111:stateMachine:isolation-approval"
	approvalTopic      = "arn:aws:sns:ap-northeast-1:111111111111:isolation-topic"
	isolateFunction    = "arn:aws:lambda:ap-northeast-1:111111111111:function:isolation-isolate"
	approvalTimeout    = 4 * 3600
)

func approvalFinding(id string) map[string]any {
	return map[string]any{"finding": map[string]any{
		"account": "111111111111", "region": "ap-northeast-1",
		"detail": map[string]any{"id": id, "type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 7.5, "title": "Unprotected port probed"},
	}}
}

// approvalWorld answers the approval machine's tasks: SNS publish (the
// request carries the task token), the human's answer, the isolate function.
type approvalWorld struct {
	answer    sfntest.Response
	isolate   sfntest.Response
	faults    map[string]sfntest.Response
	failures  map[string]int
	calls     map[string]int
	published []map[string]any
	isolated  []map[string]any
}

func newApprovalWorld() *approvalWorld {
	return &approvalWorld{
		answer:   sfntest.Response{Output: map[string]any{"approvedBy": "alice"}, AfterSeconds: 900},
		isolate:  sfntest.Response{Output: map[string]any{"status": "ISOLATED"}},
		faults:   map[string]sfntest.Response{},
		failures: map[string]int{},
		calls:    map[string]int{},
	}
}

func (w *approvalWorld) handle(r sfntest.Request) sfntest.Response {
	w.calls[r.State]++
	if f, ok := w.faults[r.State]; ok && (w.failures[r.State] < 0 || w.calls[r.State] <= w.failures[r.State]) {
		return f
	}
	switch r.Service + ":" + r.Action {
	case "sns:Publish":
		if r.Params["TopicArn"] != approvalTopic {
			return sfntest.Response{Error: "SNS.NotFoundException", Cause: "Topic does not exist"}
		}
		w.published = append(w.published, r.Params)
		if r.WaitForTaskToken {
			return w.answer
		}
		return sfntest.Response{Result: map[string]any{"MessageId": "m-1"}}
	case "lambda:Invoke":
		if r.Params["FunctionName"] != isolateFunction {
			return sfntest.Response{Error: "Lambda.ResourceNotFoundException"}
		}
		payload, _ := r.Params["Payload"].(map[string]any)
		w.isolated = append(w.isolated, payload)
		return w.isolate
	}
	return sfntest.Response{Error: "Harness.NoFake"}
}

func runApproval(t *testing.T, h *sfntest.Harness, w *approvalWorld, name string) sfntest.Result {
	t.Helper()
	def, err := isolationresponder.ApprovalDefinition(isolationresponder.ApprovalSpec{Region: "ap-northeast-1", TopicArn: approvalTopic, IsolateFunctionArn: isolateFunction, TimeoutSeconds: approvalTimeout})
	require.NoError(t, err)
	return h.Run(t, sfntest.Execution{Definition: def, Input: approvalFinding(name), Name: name, StateMachineArn: approvalMachineArn}, w.handle)
}

func TestApprovalExecApproved(t *testing.T) {
	h := sfntest.Shared(t)
	w := newApprovalWorld()
	res := runApproval(t, h, w, "finding-1")
	require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	assert.Equal(t, []string{isolationresponder.StateAskForApproval, isolationresponder.StateIsolate}, res.CallStates())
	require.Len(t, w.isolated, 1)
	assert.Equal(t, "isolate-approved", w.isolated[0]["action"])
	assert.Equal(t, "alice", w.isolated[0]["approvedBy"])
	assert.Equal(t, approvalFinding("finding-1")["finding"], w.isolated[0]["finding"])
	msg := w.published[0]["Message"].(string)
	assert.Contains(t, msg, "GuardDuty finding finding-1 (Recon:EC2/PortProbeUnprotectedPort, severity 7.5)")
	assert.Contains(t, msg, "--task-token '"+sfntest.TaskToken("finding-1")+"'")
	assert.Equal(t, 900*time.Second, call(res, isolationresponder.StateIsolate).Time.Sub(res.Start))
}

func call(res sfntest.Result, state string) sfntest.Request {
	for _, c := range res.Calls {
		if c.Request.State == state {
			return c.Request
		}
	}
	return sfntest.Request{}
}

func assertNotApproved(t *testing.T, res sfntest.Result, w *approvalWorld, cause string) {
	t.Helper()
	assert.Equal(t, "FAILED", res.Status)
	assert.Equal(t, "IsolationNotApproved", res.Error)
	assert.Equal(t, isolationresponder.StateNotApproved, res.States[len(res.States)-1])
	assert.Empty(t, w.isolated, "nothing isolated")
	last := w.published[len(w.published)-1]
	assert.Equal(t, "Network isolation NOT carried out", last["Subject"])
	assert.Contains(t, last["Message"], cause)
}

func TestApprovalExecRejectedTimedOutOrWithoutApprover(t *testing.T) {
	h := sfntest.Shared(t)
	cases := map[string]struct {
		answer sfntest.Response
		cause  string
		after  time.Duration
	}{
		"rejected":         {sfntest.Response{Error: isolationresponder.RejectError, Cause: "not this one", AfterSeconds: 60}, `"Error":"Rejected"`, time.Minute},
		"timed out":        {sfntest.Response{Hang: true}, `"Error":"States.Timeout"`, approvalTimeout * time.Second},
		"no approver":      {sfntest.Response{Output: map[string]any{}, AfterSeconds: 60}, `"Error":"MissingApprover"`, time.Minute},
		"approver not str": {sfntest.Response{Output: map[string]any{"approvedBy": 42}, AfterSeconds: 60}, `"Error":"MissingApprover"`, time.Minute},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := newApprovalWorld()
			w.answer = c.answer
			res := runApproval(t, h, w, "finding-2")
			assertNotApproved(t, res, w, c.cause)
			assert.Equal(t, []string{isolationresponder.StateAskForApproval, isolationresponder.StateNotifyNotApproved}, res.CallStates())
			assert.Equal(t, c.after, call(res, isolationresponder.StateNotifyNotApproved).Time.Sub(res.Start))
			assert.Contains(t, w.published[1]["Message"], "finding-2")
		})
	}
}

// Every Task state, in turn: a transient error is retried; a persistent one
// never isolates and never succeeds.
func TestApprovalExecFaultInEveryTask(t *testing.T) {
	h := sfntest.Shared(t)
	var def map[string]any
	raw, err := isolationresponder.ApprovalDefinition(isolationresponder.ApprovalSpec{Region: "ap-northeast-1", TopicArn: approvalTopic, IsolateFunctionArn: isolateFunction, TimeoutSeconds: approvalTimeout})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(raw), &def))
	var tasks []string
	for name, st := range def["States"].(map[string]any) {
		if st.(map[string]any)["Type"] == "Task" {
			tasks = append(tasks, name)
		}
	}
	slices.Sort(tasks)
	require.Equal(t, []string{isolationresponder.StateAskForApproval, isolationresponder.StateIsolate, isolationresponder.StateNotifyNotApproved}, tasks)
	transient := map[string]string{
		isolationresponder.StateAskForApproval:    "SNS.InternalErrorException",
		isolationresponder.StateIsolate:           "Lambda.ServiceException",
		isolationresponder.StateNotifyNotApproved: "SNS.InternalErrorException",
	}
	for _, state := range tasks {
		t.Run(state+"/transient", func(t *testing.T) {
			w := newApprovalWorld()
			if state == isolationresponder.StateNotifyNotApproved {
				w.answer = sfntest.Response{Error: isolationresponder.RejectError, Cause: "no"}
			}
			w.faults[state], w.failures[state] = sfntest.Response{Error: transient[state], Cause: "transient"}, 1
			res := runApproval(t, h, w, "finding-3")
			assert.Equal(t, 2, w.calls[state], "retried once")
			if state == isolationresponder.StateNotifyNotApproved {
				assertNotApproved(t, res, w, "Rejected")
				return
			}
			assert.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
			assert.Len(t, w.isolated, 1)
		})
		t.Run(state+"/persistent", func(t *testing.T) {
			w := newApprovalWorld()
			if state == isolationresponder.StateNotifyNotApproved {
				w.answer = sfntest.Response{Error: isolationresponder.RejectError, Cause: "no"}
			}
			w.faults[state], w.failures[state] = sfntest.Response{Error: transient[state], Cause: "persistent"}, -1
			res := runApproval(t, h, w, "finding-4")
			assert.Equal(t, "FAILED", res.Status)
			assert.False(t, slices.Contains(res.States, "Succeed"))
			if state == isolationresponder.StateIsolate {
				assert.Len(t, w.isolated, 0, "the fault answers before the function runs")
			}
			if state == isolationresponder.StateNotifyNotApproved {
				// No Catch on the last notification: the execution fails with
				// the SNS error itself (visible in the execution status).
				assert.Equal(t, transient[state], res.Error)
				return
			}
			assert.Equal(t, "IsolationNotApproved", res.Error)
			assert.True(t, strings.Contains(w.published[len(w.published)-1]["Message"].(string), transient[state]))
		})
	}
}
