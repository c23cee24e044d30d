package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	rw "github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
)

// These tests execute the restore workflow's generated definition in the
// pinned local interpreter (tools/sfn) on a virtual clock, with the real
// restorepick/restoreverify logic of this package behind lambda:invoke and
// a stateful fake of the AWS APIs (fakeaws_test.go) behind every other Task.

const stateMachineArn = "arn:aws:states:ap-northeast-1:333333333333:stateMachine:restore-workflow"

// workflowParams are testParams with the names the execution tests' fake
// AWS and restored-cluster twin expect.
func workflowParams() rw.DefinitionParams {
	p := testParams()
	p.VaultArn = bunkerVault
	p.ParameterGroupName = "restored-bank-tls"
	p.ClusterIdentifierPrefix = "restored-bank"
	p.CutoverParameterName = "/fintech/bank/db-endpoint"
	p.EcsServiceName = "bank-api"
	return p
}

type scenario struct {
	params  rw.DefinitionParams
	input   any
	name    string
	mutate  func(*fakeAWS)
	editDef func(string) string
}

func runScenario(t *testing.T, h *sfntest.Harness, s scenario) (sfntest.Result, *fakeAWS) {
	t.Helper()
	if s.params.Region == "" {
		s.params = workflowParams()
	}
	if s.name == "" {
		s.name = "3f2c8a10-0000-4000-8000-000000000001"
	}
	if s.input == nil {
		s.input = map[string]any{}
	}
	sm, err := rw.Definition(s.params)
	require.NoError(t, err)
	def, err := asl.Marshal(sm)
	require.NoError(t, err)
	if s.editDef != nil {
		def = s.editDef(def)
	}
	f := newFakeAWS(s.params)
	if s.mutate != nil {
		s.mutate(f)
	}
	res := h.Run(t, sfntest.Execution{Definition: def, Input: s.input, Name: s.name, StateMachineArn: stateMachineArn}, f.handle)
	assert.Empty(t, f.problems, "the fake AWS saw requests no API accepts")
	return res, f
}

func rep(state string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = state
	}
	return out
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// happyCalls are the Task calls of a successful restore with the default
// fake: the job answers PENDING, RUNNING, RUNNING, COMPLETED; each instance
// creating, backing-up, available.
var happyCalls = concat(
	[]string{rw.StatePick, rw.CreateLogGroupState(1), rw.LogRetentionState(1), rw.StateStartRestore},
	rep(rw.StateDescribeRestore, 4),
	[]string{rw.StateConfigureCluster, rw.CreateInstanceState(1), rw.CreateInstanceState(2)},
	// Instance 1 is available at its 3rd poll; instance 2 is polled from then on.
	[]string{rw.CheckInstanceState(1), rw.CheckInstanceState(1), rw.CheckInstanceState(1), rw.CheckInstanceState(2)},
	[]string{rw.CheckInstanceState(1), rw.CheckInstanceState(2)},
	[]string{rw.CheckInstanceState(1), rw.CheckInstanceState(2)},
	[]string{rw.StateEnableDataAPI, rw.StateVerify, rw.StateRecordVerified, rw.StateNotifyRestored, rw.StateAwaitApproval,
		rw.StatePutParameter, rw.StateUpdateService, rw.StateRecordCutover, rw.StateNotifyCutover},
)

// untilApproval are the happy calls up to and including the approval request.
var untilApproval = happyCalls[:slices.Index(happyCalls, rw.StateAwaitApproval)+1]

// beforeRestore are the calls before the restore job starts.
var beforeRestore = []string{rw.StatePick, rw.CreateLogGroupState(1), rw.LogRetentionState(1), rw.StateStartRestore}

func restoreCall(t *testing.T, res sfntest.Result, state string, nth int) sfntest.Request {
	t.Helper()
	seen := 0
	for _, c := range res.Calls {
		if c.Request.State == state {
			seen++
			if seen == nth {
				return c.Request
			}
		}
	}
	t.Fatalf("no call %d of %s in %v", nth, state, res.CallStates())
	return sfntest.Request{}
}

func subjects(f *fakeAWS) []string {
	var out []string
	for _, m := range f.published {
		out = append(out, m.Subject)
	}
	return out
}

func assertFailedWithNotice(t *testing.T, res sfntest.Result, f *fakeAWS, wantError string) {
	t.Helper()
	assert.Equal(t, "FAILED", res.Status)
	assert.Equal(t, wantError, res.Error)
	require.NotEmpty(t, res.States)
	assert.Equal(t, rw.StateFailed, res.States[len(res.States)-1])
	assert.True(t, res.Entered(rw.StateNotifyFailure), "the failure notification ran")
	assert.False(t, res.Entered(rw.StateSucceeded))
	require.NotEmpty(t, f.published)
	last := f.published[len(f.published)-1]
	assert.Equal(t, rw.StateNotifyFailure, last.State)
	assert.Equal(t, "FAILED: restore workflow", last.Subject)
	assert.Equal(t, "FAILED", last.Message["result"])
	errObj, _ := last.Message["error"].(map[string]any)
	assert.Equal(t, wantError, errObj["Error"], "the notice names the error")
}

func TestExecRestoreWithGivenRecoveryPoint(t *testing.T) {
	h := sfntest.Shared(t)
	old := "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:rp-old"
	res, f := runScenario(t, h, scenario{input: map[string]any{"recoveryPointArn": old}})
	require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	assert.Equal(t, happyCalls, res.CallStates())
	assert.Equal(t, rw.StateSucceeded, res.States[len(res.States)-1])

	cluster := "restored-bank-3f2c8a10-0000-4000-8000-000000000001"
	start := restoreCall(t, res, rw.StateStartRestore, 1).Params
	assert.Equal(t, old, start["RecoveryPointArn"], "the given recovery point, not the latest")
	assert.Equal(t, "3f2c8a10-0000-4000-8000-000000000001", start["IdempotencyToken"])
	md := start["Metadata"].(map[string]any)
	assert.Equal(t, cluster, md["DBClusterIdentifier"])
	assert.Equal(t, `["sg-0db1","sg-0db2"]`, md["VpcSecurityGroupIds"])
	assert.Equal(t, cluster+"-2", restoreCall(t, res, rw.CreateInstanceState(2), 1).Params["DBInstanceIdentifier"])

	// State kept across calls: the job completed, the cluster got a managed
	// secret with the restore key, the endpoint was cut over once.
	assert.Equal(t, "COMPLETED", f.jobs["restore-job-1"].status)
	c := f.clusters[cluster]
	require.NotNil(t, c)
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:333333333333:key/data", *c.MasterUserSecret.KmsKeyId)
	assert.True(t, *c.HttpEndpointEnabled)
	assert.Equal(t, []string{cluster + ".cluster-abc.ap-northeast-1.rds.amazonaws.com"}, f.parameters["/fintech/bank/db-endpoint"])
	assert.Equal(t, []string{"arn:aws:ecs:ap-northeast-1:333333333333:service/app/bank-api"}, f.deployed)
	assert.Equal(t, []string{
		"Restore verified; cut-over approval follows",
		"APPROVAL NEEDED: cut the application over to the restored database",
		"Cut-over done: the application uses the restored database",
	}, subjects(f))
	approval := f.published[1].Message
	assert.Contains(t, approval["approve"], sfntest.TaskToken("3f2c8a10-0000-4000-8000-000000000001"))
	assert.Equal(t, "restore-job-1", approval["restoreJobId"])

	// Virtual time: 4 job polls and 5 instance polls of 60 s, then 30 min
	// until the approval arrives.
	assert.Equal(t, time.Duration(9*60+1800)*time.Second, res.Elapsed())
	assert.Equal(t, res.Start.Add(9*60*time.Second), restoreCall(t, res, rw.StateVerify, 1).Time)
}

func TestExecRestoreLatestWhenNoneGiven(t *testing.T) {
	h := sfntest.Shared(t)
	res, _ := runScenario(t, h, scenario{})
	require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	assert.Equal(t, "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:rp-latest",
		restoreCall(t, res, rw.StateStartRestore, 1).Params["RecoveryPointArn"], "latest COMPLETED, not the newer PARTIAL one")
	assert.Equal(t, map[string]any{"vaultArn": bunkerVault, "recoveryPointArn": ""}, restoreCall(t, res, rw.StatePick, 1).Params["Payload"])
}

func TestExecRestoreJobFailedOrAborted(t *testing.T) {
	h := sfntest.Shared(t)
	for _, end := range []string{"FAILED", "ABORTED"} {
		t.Run(end, func(t *testing.T) {
			res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) { f.jobStatuses = []string{"PENDING", "RUNNING", end} }})
			assertFailedWithNotice(t, res, f, rw.ErrorRestoreJobFailed)
			assert.Equal(t, "restore job restore-job-1 ended "+end, res.Cause)
			assert.Equal(t, concat(beforeRestore, rep(rw.StateDescribeRestore, 3), []string{rw.StateNotifyFailure}), res.CallStates())
		})
	}
}

// A job that stays RUNNING ends in the failure notification within the
// restore budget, not at the machine's overall timeout.
func TestExecRestoreJobStuckRunningEndsWithinBudget(t *testing.T) {
	h := sfntest.Shared(t)
	p := workflowParams()
	res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) { f.jobStatuses = []string{"RUNNING"} }})
	assertFailedWithNotice(t, res, f, rw.ErrorBudgetExceeded)
	notified := restoreCall(t, res, rw.StateNotifyFailure, 1).Time
	budget := time.Duration(p.RestoreTimeoutSeconds) * time.Second
	assert.LessOrEqual(t, notified.Sub(res.Start), budget, "failure notice within the restore budget")
	assert.Equal(t, time.Duration(p.MaxPolls()*p.PollIntervalSeconds)*time.Second, notified.Sub(res.Start))
	assert.Equal(t, concat(beforeRestore, rep(rw.StateDescribeRestore, p.MaxPolls()), []string{rw.StateNotifyFailure}), res.CallStates())
	assert.Contains(t, res.Cause, "restore job restore-job-1")

	// A shorter budget ends sooner: the limit comes from the configuration.
	p.RestoreTimeoutSeconds, p.PollIntervalSeconds = 3600, 300
	res, f = runScenario(t, h, scenario{params: p, mutate: func(f *fakeAWS) { f.jobStatuses = []string{"RUNNING"} }})
	assertFailedWithNotice(t, res, f, rw.ErrorBudgetExceeded)
	assert.Equal(t, 11*5*time.Minute, restoreCall(t, res, rw.StateNotifyFailure, 1).Time.Sub(res.Start))
}

// The proof can fail: without the budget check (threshold out of reach) the
// same execution runs into the machine's overall timeout, which no Catch
// sees: TIMED_OUT after 31 h and no failure notification.
func TestExecWithoutBudgetTimesOutSilently(t *testing.T) {
	h := sfntest.Shared(t)
	p := workflowParams()
	res, f := runScenario(t, h, scenario{
		mutate: func(f *fakeAWS) { f.jobStatuses = []string{"RUNNING"} },
		editDef: func(def string) string {
			return strings.ReplaceAll(def, fmt.Sprintf(`"NumericGreaterThanEquals":%d`, p.MaxPolls()), `"NumericGreaterThanEquals":1000000`)
		},
	})
	assert.Equal(t, "TIMED_OUT", res.Status)
	assert.Equal(t, time.Duration(p.TotalTimeoutSeconds())*time.Second, res.Elapsed())
	assert.False(t, res.Entered(rw.StateNotifyFailure))
	assert.Empty(t, f.published)
}

func TestExecInstanceCreationFails(t *testing.T) {
	h := sfntest.Shared(t)
	res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) { f.instanceStatuses = []string{"creating", "failed"} }})
	assertFailedWithNotice(t, res, f, rw.ErrorInstanceFailed)
	assert.Equal(t, "instance restored-bank-3f2c8a10-0000-4000-8000-000000000001-1 is failed", res.Cause)
	assert.False(t, res.Entered(rw.StateVerify))
	assert.Empty(t, f.parameters)
}

func TestExecVerificationFails(t *testing.T) {
	h := sfntest.Shared(t)
	res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) {
		f.restoredKey = "arn:aws:kms:ap-northeast-1:333333333333:key/not-the-restore-key"
	}})
	assertFailedWithNotice(t, res, f, "VerificationError")
	assert.Contains(t, res.Cause, "kms-key")
	assert.Len(t, slices.DeleteFunc(res.CallStates(), func(s string) bool { return s != rw.StateVerify }), 5, "first try and 4 retries")
	assert.False(t, res.Entered(rw.StateAwaitApproval), "never asks to cut over to an unverified cluster")
	assert.Empty(t, f.parameters)
	assert.Empty(t, f.deployed)
}

func TestExecApprovalRejectedOrTimedOut(t *testing.T) {
	h := sfntest.Shared(t)
	p := workflowParams()
	cases := map[string]struct {
		answer  sfntest.Response
		err     string
		waiting time.Duration
	}{
		"rejected":  {sfntest.Response{Error: rw.ErrorCutoverRejected, Cause: "rejected-by-operator", AfterSeconds: 600}, rw.ErrorCutoverRejected, 600 * time.Second},
		"timed out": {sfntest.Response{Hang: true}, "States.Timeout", time.Duration(p.ApprovalTimeoutSeconds) * time.Second},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) { f.approval = c.answer }})
			assertFailedWithNotice(t, res, f, c.err)
			assert.Equal(t, concat(untilApproval, []string{rw.StateNotifyFailure}), res.CallStates())
			asked := restoreCall(t, res, rw.StateAwaitApproval, 1).Time
			assert.Equal(t, c.waiting, restoreCall(t, res, rw.StateNotifyFailure, 1).Time.Sub(asked))
			assert.Empty(t, f.parameters, "nothing cut over")
			assert.Empty(t, f.deployed)
		})
	}
}

// transientError is an error a Task's Retry handles: the first named error
// of its first retrier, or the service's generic exception for a retrier on
// States.TaskFailed.
func transientError(t *testing.T, tk *asl.Task) string {
	t.Helper()
	require.NotEmpty(t, tk.Retry)
	e := tk.Retry[0].ErrorEquals[0]
	if !strings.HasPrefix(e, "States.") {
		return e
	}
	switch {
	case strings.HasPrefix(tk.Resource, "arn:aws:states:::aws-sdk:"):
		svc := strings.Split(tk.Resource, ":")[6]
		return sfntest.SDKErrorService(svc) + "." + sfntest.SDKErrorService(svc) + "Exception"
	case strings.HasPrefix(tk.Resource, "arn:aws:states:::sns:"):
		return "SNS.InternalErrorException"
	default:
		return "Lambda.ServiceException"
	}
}

func taskStates(t *testing.T, p rw.DefinitionParams) (*asl.StateMachine, []string) {
	t.Helper()
	sm, err := rw.Definition(p)
	require.NoError(t, err)
	var names []string
	for _, n := range asl.Names(sm) {
		if _, ok := sm.States[n].(*asl.Task); ok {
			names = append(names, n)
		}
	}
	require.Len(t, names, 20)
	return sm, names
}

// A transient error in every Task state is retried: the execution ends as
// it would without it, with one more call of that state.
func TestExecTransientErrorInEveryTaskIsRetried(t *testing.T) {
	h := sfntest.Shared(t)
	sm, names := taskStates(t, workflowParams())
	for _, state := range names {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			errName := transientError(t, sm.States[state].(*asl.Task))
			var mutate func(*fakeAWS)
			wantStatus, wantCalls := "SUCCEEDED", happyCalls
			if state == rw.StateNotifyFailure {
				// Reached only on a failure: a rejected cut-over.
				wantStatus = "FAILED"
				wantCalls = concat(untilApproval, []string{rw.StateNotifyFailure})
				mutate = func(f *fakeAWS) { f.approval = sfntest.Response{Error: rw.ErrorCutoverRejected, Cause: "no"} }
			}
			res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) {
				if mutate != nil {
					mutate(f)
				}
				f.faults[state] = fault{err: errName, cause: "transient", n: 1}
			}})
			assert.Equal(t, wantStatus, res.Status, "%s: %s", res.Error, res.Cause)
			i := slices.Index(wantCalls, state)
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, slices.Insert(slices.Clone(wantCalls), i, state), res.CallStates(), "%s retried once after %s", state, errName)
			assert.Equal(t, 2, f.calls[state]-countOf(wantCalls, state)+1)
		})
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}

// A persistent error in any Task state ends with the failure notification
// and the Fail state: never Succeed, and never a cut-over after a failure
// before the approval. The exception are the recovery objective states:
// measuring must not block recovering (docs/decisions/0019), so their
// failure is reported in the next notification and the restore goes on;
// it never ends in Succeed without that notice.
func TestExecPersistentErrorInEveryTaskEndsInFailure(t *testing.T) {
	h := sfntest.Shared(t)
	sm, names := taskStates(t, workflowParams())
	approvalAt := slices.Index(happyCalls, rw.StateAwaitApproval)
	for _, state := range names {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			errName := transientError(t, sm.States[state].(*asl.Task))
			res, f := runScenario(t, h, scenario{mutate: func(f *fakeAWS) {
				f.faults[state] = fault{err: errName, cause: "persistent", n: -1}
				if state == rw.StateNotifyFailure {
					f.approval = sfntest.Response{Error: rw.ErrorCutoverRejected, Cause: "no"}
				}
			}})
			if slices.Contains(rw.ObjectivesStates, state) {
				assertObjectivesFailureReported(t, res, f, state, errName)
				return
			}
			assert.Equal(t, "FAILED", res.Status)
			assert.False(t, res.Entered(rw.StateSucceeded))
			assert.Equal(t, rw.StateFailed, res.States[len(res.States)-1])
			assert.True(t, res.Entered(rw.StateNotifyFailure))
			if state == rw.StateNotifyFailure {
				assert.Equal(t, rw.ErrorCutoverRejected, res.Error, "the original error, not the notification's")
				return
			}
			assert.Equal(t, errName, res.Error)
			assert.Equal(t, rw.StateNotifyFailure, res.CallStates()[len(res.Calls)-1])
			assert.Equal(t, "FAILED: restore workflow", f.published[len(f.published)-1].Subject)
			if slices.Index(happyCalls, state) <= approvalAt {
				assert.False(t, res.Entered(rw.StatePutParameter), "no cut-over")
				assert.Empty(t, f.parameters)
				assert.Empty(t, f.deployed)
			}
		})
	}
}

// Nothing is hard-coded: other inputs and other parameters give other calls.
func TestExecDifferentInputsGiveDifferentCalls(t *testing.T) {
	h := sfntest.Shared(t)
	a, fa := runScenario(t, h, scenario{name: "run-a", input: map[string]any{"recoveryPointArn": "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:rp-old"}})
	p := workflowParams()
	p.ClusterIdentifierPrefix, p.SubnetGroupName, p.InstanceCount = "dr", "other-isolated", 1
	p.CutoverParameterName, p.EcsServiceName = "/other/db", "other-api"
	b, fb := runScenario(t, h, scenario{params: p, name: "run-b"})
	require.Equal(t, "SUCCEEDED", a.Status)
	require.Equal(t, "SUCCEEDED", b.Status, "%s: %s", b.Error, b.Cause)
	sa, sb := restoreCall(t, a, rw.StateStartRestore, 1).Params, restoreCall(t, b, rw.StateStartRestore, 1).Params
	assert.NotEqual(t, sa["RecoveryPointArn"], sb["RecoveryPointArn"])
	assert.Equal(t, "run-a", sa["IdempotencyToken"])
	assert.Equal(t, "run-b", sb["IdempotencyToken"])
	assert.Equal(t, "restored-bank-run-a", sa["Metadata"].(map[string]any)["DBClusterIdentifier"])
	assert.Equal(t, "dr-run-b", sb["Metadata"].(map[string]any)["DBClusterIdentifier"])
	assert.Equal(t, "other-isolated", sb["Metadata"].(map[string]any)["DBSubnetGroupName"])
	assert.NotContains(t, b.CallStates(), rw.CreateInstanceState(2))
	assert.Equal(t, []string{"dr-run-b.cluster-abc.ap-northeast-1.rds.amazonaws.com"}, fb.parameters["/other/db"])
	assert.Equal(t, []string{"restored-bank-run-a.cluster-abc.ap-northeast-1.rds.amazonaws.com"}, fa.parameters["/fintech/bank/db-endpoint"])
	assert.Equal(t, []string{"arn:aws:ecs:ap-northeast-1:333333333333:service/app/other-api"}, fb.deployed)
}

// The harness's model check can fail: the RDS API name DBClusterIdentifier
// is not what Step Functions accepts (DbClusterIdentifier), and an unknown
// member is refused.
func TestExecModelViolationsAreCaught(t *testing.T) {
	h := sfntest.Shared(t)
	sm, err := rw.Definition(workflowParams())
	require.NoError(t, err)
	def, err := asl.Marshal(sm)
	require.NoError(t, err)
	bad := strings.Replace(def, `"DbClusterIdentifier.$"`, `"DBClusterIdentifier.$"`, 1)
	require.NotEqual(t, def, bad)
	f := newFakeAWS(workflowParams())
	res := h.Run(t, sfntest.Execution{Definition: bad, Name: "x", StateMachineArn: stateMachineArn, AllowViolations: true}, f.handle)
	require.NotEmpty(t, res.Violations)
	assert.Contains(t, res.Violations[0], `unknown member "DBClusterIdentifier"`)
	assert.Equal(t, "FAILED", res.Status)

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(def), &doc))
	doc["States"].(map[string]any)[rw.StateUpdateService].(map[string]any)["Parameters"].(map[string]any)["DesiredCount"] = "2"
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	res = h.Run(t, sfntest.Execution{Definition: string(b), Name: "y", StateMachineArn: stateMachineArn, AllowViolations: true}, newFakeAWS(workflowParams()).handle)
	require.NotEmpty(t, res.Violations)
	assert.Contains(t, res.Violations[0], "DesiredCount: want an integer")
}

// assertObjectivesFailureReported: a persistent failure to record the
// recovery objectives lets the restore finish, and the next notification
// names the error; nothing was put for that milestone.
func assertObjectivesFailureReported(t *testing.T, res sfntest.Result, f *fakeAWS, state, errName string) {
	t.Helper()
	assert.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	next := rw.StateNotifyRestored
	milestone := contract.MilestoneVerified
	if state == rw.StateRecordCutover {
		next, milestone = rw.StateNotifyCutover, contract.MilestoneCutover
	}
	i := slices.Index(res.CallStates(), next)
	require.GreaterOrEqual(t, i, 1)
	assert.Equal(t, state, res.CallStates()[i-1], "the notice follows the failed recording")
	var notice publishedMessage
	for _, m := range f.published {
		if m.State == next {
			notice = m
		}
	}
	objectives, _ := notice.Message["objectives"].(map[string]any)
	errObj, _ := objectives[milestone].(map[string]any)
	assert.Equal(t, errName, errObj["Error"], "the %s notice names the recording error", next)
	for _, put := range f.metrics {
		for _, d := range put.MetricData {
			for _, dim := range d.Dimensions {
				assert.False(t, *dim.Name == contract.DimensionMilestone && *dim.Value == milestone, "nothing put for %s", milestone)
			}
		}
	}
	// The restore itself is untouched: it is cut over.
	assert.Equal(t, []string{"arn:aws:ecs:ap-northeast-1:333333333333:service/app/bank-api"}, f.deployed)
}

// metricValue is the datapoint of metric with dimensions dims that
// restoremetrics put (fails when there is not exactly one).
func metricValue(t *testing.T, f *fakeAWS, metric string, dims map[string]string) float64 {
	t.Helper()
	var found []float64
	for _, put := range f.metrics {
		assert.Equal(t, contract.RecoveryMetricsNamespace, *put.Namespace)
		for _, d := range put.MetricData {
			got := map[string]string{}
			for _, dim := range d.Dimensions {
				got[*dim.Name] = *dim.Value
			}
			if *d.MetricName == metric && assert.ObjectsAreEqual(dims, got) {
				found = append(found, *d.Value)
			}
		}
	}
	require.Len(t, found, 1, "%s %v in %d puts", metric, dims, len(f.metrics))
	return found[0]
}

// The recovery objectives of a restore: RPO (the restored recovery point's
// age when the job started) and RTO from the execution's start to the
// verification and to the cut-over, on the virtual clock; the notices
// carry what was recorded.
func TestExecRecoveryObjectivesRecorded(t *testing.T) {
	h := sfntest.Shared(t)
	for name, c := range map[string]struct {
		input map[string]any
		rpo   time.Duration
	}{
		"given older point": {map[string]any{"recoveryPointArn": "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:rp-old"}, 72 * time.Hour},
		"latest":            {map[string]any{}, 24 * time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			res, f := runScenario(t, h, scenario{input: c.input})
			require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
			assert.Equal(t, happyCalls, res.CallStates())
			wf := map[string]string{contract.DimensionRestoreKind: contract.RestoreKindWorkflow}
			assert.Equal(t, c.rpo.Seconds(), metricValue(t, f, contract.MetricRecoveryPointAge, wf))
			verified := restoreCall(t, res, rw.StateRecordVerified, 1)
			assert.Equal(t, sfntest.ExecutionStartTime(res.Start), verified.Params["Payload"].(map[string]any)["executionStartTime"])
			assert.Equal(t, float64(9*60), metricValue(t, f, contract.MetricRecoveryTime,
				map[string]string{contract.DimensionRestoreKind: contract.RestoreKindWorkflow, contract.DimensionMilestone: contract.MilestoneVerified}))
			assert.Equal(t, float64(9*60+1800), metricValue(t, f, contract.MetricRecoveryTime,
				map[string]string{contract.DimensionRestoreKind: contract.RestoreKindWorkflow, contract.DimensionMilestone: contract.MilestoneCutover}))
			assert.Equal(t, restoreCall(t, res, rw.StateRecordCutover, 1).Time.Sub(res.Start), res.Elapsed())
			restored := f.published[0].Message["objectives"].(map[string]any)["verified"].(map[string]any)["recorded"].(map[string]any)
			assert.Equal(t, c.rpo.Seconds(), restored["recoveryPointAgeSeconds"])
			done := f.published[2].Message["objectives"].(map[string]any)["cutover"].(map[string]any)["recorded"].(map[string]any)
			assert.Equal(t, float64(9*60+1800), done["recoveryTimeSeconds"])
		})
	}
}

// The restored cluster's log groups exist before the restore job starts,
// encrypted with the logs key and kept as long as the workload's; an
// existing group (a retry after a lost answer) is taken as created.
func TestExecClusterLogGroupsBeforeTheRestore(t *testing.T) {
	h := sfntest.Shared(t)
	group := rw.ClusterLogGroupName("restored-bank-3f2c8a10-0000-4000-8000-000000000001", "postgresql")
	res, f := runScenario(t, h, scenario{})
	require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	require.Contains(t, f.logGroups, group)
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:333333333333:key/logs", f.logGroups[group].kmsKeyID)
	assert.Equal(t, 731, f.logGroups[group].retentionDays)
	assert.Less(t, slices.Index(res.CallStates(), rw.LogRetentionState(1)), slices.Index(res.CallStates(), rw.StateStartRestore))
	assert.Equal(t, map[string]any{"logGroupName": group, "kmsKeyId": "arn:aws:kms:ap-northeast-1:333333333333:key/logs"},
		restoreCall(t, res, rw.CreateLogGroupState(1), 1).Params)

	res, f = runScenario(t, h, scenario{mutate: func(f *fakeAWS) {
		f.logGroups[group] = &logGroup{kmsKeyID: "arn:aws:kms:ap-northeast-1:333333333333:key/logs"}
	}})
	require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
	assert.Equal(t, happyCalls, res.CallStates())
	assert.Equal(t, 731, f.logGroups[group].retentionDays, "the retention is set on the existing group too")

	// The proof can fail: without the already-exists Catch the same run
	// fails through the failure notification.
	res, f = runScenario(t, h, scenario{
		mutate: func(f *fakeAWS) { f.logGroups[group] = &logGroup{} },
		editDef: func(def string) string {
			return replaceOnce(t, def, `{"ErrorEquals":["`+rw.ErrorLogGroupExists+`"],"ResultPath":"$.logGroup","Next":"`+rw.LogRetentionState(1)+`"},`, "")
		},
	})
	assertFailedWithNotice(t, res, f, rw.ErrorLogGroupExists)
	assert.Empty(t, f.jobs, "no restore without its log groups")
}
