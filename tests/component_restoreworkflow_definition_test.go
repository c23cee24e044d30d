package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
)

func definition(t *testing.T, mutate func(p *restoreworkflow.DefinitionParams)) *asl.StateMachine {
	t.Helper()
	p := testParams()
	if mutate != nil {
		mutate(&p)
	}
	sm, err := restoreworkflow.Definition(p)
	require.NoError(t, err)
	require.NoError(t, asl.Validate(sm))
	return sm
}

func task(t *testing.T, sm *asl.StateMachine, name string) *asl.Task {
	t.Helper()
	st, ok := sm.States[name].(*asl.Task)
	require.True(t, ok, "%s is a Task", name)
	return st
}

func TestDefinitionIsValidAndFullyReachable(t *testing.T) {
	for _, query := range []string{"SELECT 1", ""} {
		sm := definition(t, func(p *restoreworkflow.DefinitionParams) { p.VerifyQuery, p.VerifyDatabase = query, "" })
		reach := asl.Reachable(sm)
		for _, n := range asl.Names(sm) {
			assert.True(t, reach[n], "%s reachable", n)
		}
		_, hasDataAPI := sm.States[restoreworkflow.StateEnableDataAPI]
		assert.Equal(t, query != "", hasDataAPI)
		assert.Equal(t, 21600+86400+3600, sm.TimeoutSeconds)
		assert.Equal(t, restoreworkflow.StateApplyDefaults, sm.StartAt)
	}
}

// Every Task retries and catches; every catch ends in a Fail state, either
// directly or through NotifyFailure, which itself only leads to a Fail.
func TestEveryTaskRetriesAndCatchesIntoFail(t *testing.T) {
	sm := definition(t, nil)
	isFail := func(n string) bool { _, ok := sm.States[n].(*asl.Fail); return ok }
	notify := task(t, sm, restoreworkflow.StateNotifyFailure)
	require.True(t, isFail(notify.Next))
	require.NotEmpty(t, notify.Retry)
	for _, c := range notify.Catch {
		assert.True(t, isFail(c.Next))
	}
	tasks := 0
	for _, n := range asl.Names(sm) {
		tk, ok := sm.States[n].(*asl.Task)
		if !ok {
			continue
		}
		tasks++
		assert.NotEmpty(t, tk.Retry, n)
		require.NotEmpty(t, tk.Catch, n)
		all := false
		catches := tk.Catch
		if slices.Contains(restoreworkflow.ObjectivesStates, n) {
			// Measuring never blocks recovering: the error goes with the
			// next notification (the state's own Next), never to Succeed
			// without a notice.
			require.Len(t, catches, 1, n)
			c := catches[0]
			assert.Equal(t, []string{"States.ALL"}, c.ErrorEquals, n)
			assert.Equal(t, tk.Next, c.Next, n)
			assert.Contains(t, []string{restoreworkflow.StateNotifyRestored, restoreworkflow.StateNotifyCutover}, c.Next, "%s reports its failure in a notification", n)
			assert.Equal(t, tk.ResultPath, c.ResultPath, "%s: the error replaces the result, so the notice carries it", n)
			assert.Equal(t, "arn:aws:states:::sns:publish", task(t, sm, c.Next).Resource)
			continue
		}
		if strings.HasPrefix(n, "CreateClusterLogGroup") {
			// Idempotent: an existing group (a retry after a lost answer)
			// goes on to its retention; nothing else does.
			require.GreaterOrEqual(t, len(catches), 2, n)
			assert.Equal(t, asl.Catcher{ErrorEquals: []string{restoreworkflow.ErrorLogGroupExists}, ResultPath: "$.logGroup", Next: tk.Next}, catches[0], n)
			catches = catches[1:]
		}
		for _, c := range catches {
			assert.True(t, c.Next == restoreworkflow.StateNotifyFailure || isFail(c.Next), "%s catches into %s", n, c.Next)
			for _, e := range c.ErrorEquals {
				all = all || e == "States.ALL"
			}
			if c.Next == restoreworkflow.StateNotifyFailure {
				assert.Equal(t, "$.error", c.ResultPath, "the error is kept next to the job ids")
			}
		}
		assert.True(t, all, "%s catches States.ALL", n)
		for _, r := range tk.Retry {
			assert.NotContains(t, r.ErrorEquals, "States.ALL", "%s: States.ALL would retry a rejection", n)
			assert.GreaterOrEqual(t, r.BackoffRate, 1.0, n)
		}
	}
	assert.Equal(t, 20, tasks, "pick, log group + retention (postgresql), start, describe, configure, 2 create, 2 check, data api, verify, 2 objectives, approval, 2 cut-over, 3 notifications")
	// The approval is never retried on a rejection or a timeout.
	for _, r := range task(t, sm, restoreworkflow.StateAwaitApproval).Retry {
		assert.NotContains(t, r.ErrorEquals, "States.TaskFailed")
		assert.NotContains(t, r.ErrorEquals, "States.Timeout")
		assert.NotContains(t, r.ErrorEquals, restoreworkflow.ErrorCutoverRejected)
	}
}

func TestStartRestoreJobUsesThePickedPointAndThePlacement(t *testing.T) {
	sm := definition(t, nil)
	st := task(t, sm, restoreworkflow.StateStartRestore)
	assert.Equal(t, "arn:aws:states:::aws-sdk:backup:startRestoreJob", st.Resource)
	assert.Equal(t, "$.pick.recoveryPointArn", st.Parameters["RecoveryPointArn.$"], "the picked point, not a constant")
	_, constant := st.Parameters["RecoveryPointArn"]
	assert.False(t, constant)
	assert.Equal(t, "arn:aws:iam::333333333333:role/rw-restore", st.Parameters["IamRoleArn"])
	assert.Equal(t, "Aurora", st.Parameters["ResourceType"])
	assert.Equal(t, "$$.Execution.Name", st.Parameters["IdempotencyToken.$"])
	md := st.Parameters["Metadata"].(map[string]any)
	assert.Equal(t, "$.cluster.identifier", md["DBClusterIdentifier.$"])
	assert.Equal(t, "restore-isolated", md["DBSubnetGroupName"])
	assert.Equal(t, `["sg-0db1","sg-0db2"]`, md["VpcSecurityGroupIds"])
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:333333333333:key/data", md["KmsKeyId"])
	assert.Equal(t, "aurora-postgresql", md["Engine"])
	assert.Equal(t, "16.4", md["EngineVersion"])
	assert.Equal(t, "$.restore", st.ResultPath)
	assert.Equal(t, map[string]any{"restoreJobId.$": "$.RestoreJobId"}, st.ResultSelector)

	noVersion := definition(t, func(p *restoreworkflow.DefinitionParams) { p.EngineVersion = "" })
	_, has := task(t, noVersion, restoreworkflow.StateStartRestore).Parameters["Metadata"].(map[string]any)["EngineVersion"]
	assert.False(t, has)

	// The pick step gets the vault and the (defaulted) requested point.
	pick := task(t, sm, restoreworkflow.StatePick)
	assert.Equal(t, map[string]any{"vaultArn": "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker", "recoveryPointArn.$": "$.request.recoveryPointArn"}, pick.Parameters["Payload"])
	assert.Equal(t, "arn:aws:lambda:ap-northeast-1:333333333333:function:rw-restorepick", pick.Parameters["FunctionName"])
	name := sm.States[restoreworkflow.StateNameRestore].(*asl.Pass)
	assert.Equal(t, "States.Format('fintech-restore-{}', $$.Execution.Name)", name.Parameters["cluster"].(map[string]any)["identifier.$"])
	assert.Equal(t, "States.JsonMerge($.defaults, $.input, false)", name.Parameters["request.$"])
}

func TestRestoreStatusChoice(t *testing.T) {
	sm := definition(t, nil)
	ch := sm.States[restoreworkflow.StateRestoreStatus].(*asl.Choice)
	got := map[string]string{}
	for _, r := range ch.Choices {
		assert.Equal(t, "$.restoreJob.Status", r.Variable)
		require.NotNil(t, r.StringEquals)
		got[*r.StringEquals] = r.Next
	}
	assert.Equal(t, map[string]string{"COMPLETED": restoreworkflow.StateConfigureCluster, "FAILED": restoreworkflow.StateRestoreJobFailed, "ABORTED": restoreworkflow.StateRestoreJobFailed}, got)
	assert.Equal(t, restoreworkflow.StateRestoreBudget, ch.Default, "PENDING and RUNNING poll again while the budget allows")
	budget := sm.States[restoreworkflow.StateRestoreBudget].(*asl.Choice)
	assert.Equal(t, restoreworkflow.StateWaitRestore, budget.Default)
	assert.Equal(t, restoreworkflow.StateBudgetExceeded, budget.Choices[0].Next)
	assert.Equal(t, 359.0, *budget.Choices[0].NumericGreaterThanEquals, "(6 h - 60 s) / 60 s polls")
	assert.Equal(t, restoreworkflow.StateCountRestorePoll, sm.States[restoreworkflow.StateWaitRestore].(*asl.Wait).Next)
	assert.Equal(t, restoreworkflow.StateDescribeRestore, sm.States[restoreworkflow.StateCountRestorePoll].(*asl.Pass).Next)
	assert.Equal(t, 60, sm.States[restoreworkflow.StateWaitRestore].(*asl.Wait).Seconds)
	assert.Equal(t, "$.restore.restoreJobId", task(t, sm, restoreworkflow.StateDescribeRestore).Parameters["RestoreJobId.$"])
	failed := sm.States[restoreworkflow.StateRestoreJobFailed].(*asl.Pass)
	assert.Equal(t, restoreworkflow.StateNotifyFailure, failed.Next)
	assert.Equal(t, restoreworkflow.ErrorRestoreJobFailed, failed.Parameters["Error"])
}

func TestInstancesAndScaling(t *testing.T) {
	sm := definition(t, func(p *restoreworkflow.DefinitionParams) { p.InstanceCount = 3 })
	cfg := task(t, sm, restoreworkflow.StateConfigureCluster)
	assert.Equal(t, map[string]any{"MinCapacity": 0.5, "MaxCapacity": 16.0}, cfg.Parameters["ServerlessV2ScalingConfiguration"])
	assert.Equal(t, true, cfg.Parameters["ManageMasterUserPassword"])
	assert.Equal(t, restoreworkflow.StateInitInstances, cfg.Next, "scaling is set before any instance")
	for i := 1; i <= 3; i++ {
		c := task(t, sm, restoreworkflow.CreateInstanceState(i))
		assert.Equal(t, "arn:aws:states:::aws-sdk:rds:createDBInstance", c.Resource)
		assert.Equal(t, "db.serverless", c.Parameters["DbInstanceClass"])
		assert.Equal(t, false, c.Parameters["PubliclyAccessible"])
		assert.Equal(t, "aurora-postgresql", c.Parameters["Engine"])
		assert.Equal(t, fmt.Sprintf("States.Format('{}-%d', $.cluster.identifier)", i), c.Parameters["DbInstanceIdentifier.$"])
		assert.Equal(t, fmt.Sprintf("$.instances.instance%d", i), c.ResultPath)
		ready := sm.States[restoreworkflow.InstanceReadyState(i)].(*asl.Choice)
		assert.Equal(t, restoreworkflow.StateInstanceBudget, ready.Default)
		assert.Equal(t, "available", *ready.Choices[0].StringEquals)
	}
	_, extra := sm.States[restoreworkflow.CreateInstanceState(4)]
	assert.False(t, extra)
	assert.Equal(t, restoreworkflow.StateWaitInstances, task(t, sm, restoreworkflow.CreateInstanceState(3)).Next)
	assert.Equal(t, restoreworkflow.StateEnableDataAPI, sm.States[restoreworkflow.InstanceReadyState(3)].(*asl.Choice).Choices[0].Next)
	assert.Equal(t, restoreworkflow.StateVerify, task(t, sm, restoreworkflow.StateEnableDataAPI).Next)

	_, err := restoreworkflow.Definition(func() restoreworkflow.DefinitionParams { p := testParams(); p.InstanceCount = 0; return p }())
	require.ErrorContains(t, err, "instance count 0")
}

func TestCutoverOnlyThroughApproval(t *testing.T) {
	sm := definition(t, nil)
	withoutApproval := asl.ReachableFrom(sm, sm.StartAt, map[string]bool{restoreworkflow.StateAwaitApproval: true})
	for _, s := range restoreworkflow.CutoverStates {
		assert.False(t, withoutApproval[s], "%s must not be reachable without the approval", s)
		assert.True(t, asl.Reachable(sm)[s], s)
	}
	// Nothing but the approval's success leads into the cut-over.
	for _, n := range asl.Names(sm) {
		for _, next := range sm.States[n].Transitions() {
			if next == restoreworkflow.StatePutParameter {
				assert.Equal(t, restoreworkflow.StateAwaitApproval, n)
			}
		}
	}
	ap := task(t, sm, restoreworkflow.StateAwaitApproval)
	assert.Equal(t, "arn:aws:states:::sns:publish.waitForTaskToken", ap.Resource)
	assert.Equal(t, 86400, ap.TimeoutSeconds)
	assert.Equal(t, restoreworkflow.StatePutParameter, ap.Next)
	assert.Equal(t, []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: "$.error", Next: restoreworkflow.StateNotifyFailure}}, ap.Catch)
	msg := ap.Parameters["Message"].(map[string]any)
	assert.Equal(t, "States.Format('aws stepfunctions send-task-success --region ap-northeast-1 --task-output true --task-token {}', $$.Task.Token)", msg["approve.$"])
	assert.Equal(t, "States.Format('aws stepfunctions send-task-failure --region ap-northeast-1 --error CutoverRejected --cause rejected-by-operator --task-token {}', $$.Task.Token)", msg["reject.$"])
	assert.Equal(t, "$.restore.restoreJobId", msg["restoreJobId.$"])
	assert.Equal(t, "$.verify.endpoint", msg["endpoint.$"])

	put := task(t, sm, restoreworkflow.StatePutParameter)
	assert.Equal(t, "arn:aws:states:::aws-sdk:ssm:putParameter", put.Resource)
	assert.Equal(t, map[string]any{"Name": "/fintech/app/db-endpoint", "Value.$": "$.verify.endpoint", "Type": "String", "Overwrite": true}, put.Parameters)
	assert.Equal(t, restoreworkflow.StateUpdateService, put.Next)
	upd := task(t, sm, restoreworkflow.StateUpdateService)
	assert.Equal(t, map[string]any{"Cluster": "arn:aws:ecs:ap-northeast-1:333333333333:cluster/app", "Service": "core-api", "ForceNewDeployment": true}, upd.Parameters)
	assert.Equal(t, restoreworkflow.StateRecordCutover, upd.Next)
	assert.Equal(t, restoreworkflow.StateNotifyCutover, task(t, sm, restoreworkflow.StateRecordCutover).Next)
	assert.Equal(t, restoreworkflow.StateSucceeded, task(t, sm, restoreworkflow.StateNotifyCutover).Next)
}

func TestFailureCarriesTheJobIds(t *testing.T) {
	sm := definition(t, nil)
	nf := task(t, sm, restoreworkflow.StateNotifyFailure)
	msg := nf.Parameters["Message"].(map[string]any)
	assert.Equal(t, "$", msg["state.$"], "the whole state: restore job id, instances, verification so far")
	assert.Equal(t, "$.error", msg["error.$"])
	assert.Equal(t, "arn:aws:sns:ap-northeast-1:333333333333:rw-topic", nf.Parameters["TopicArn"])
	f := sm.States[restoreworkflow.StateFailed].(*asl.Fail)
	assert.Equal(t, "$.error.Error", f.ErrorPath)
	assert.Equal(t, "$.error.Cause", f.CausePath)

	v := task(t, sm, restoreworkflow.StateVerify)
	payload := v.Parameters["Payload"].(map[string]any)
	assert.Equal(t, map[string]any{
		"clusterIdentifier.$": "$.cluster.identifier", "expectedKmsKeyArn": "arn:aws:kms:ap-northeast-1:333333333333:key/data",
		"expectedSubnetGroup": "restore-isolated", "expectedEngine": "aurora-postgresql", "query": "SELECT 1", "database": "core",
	}, payload)
	assert.Equal(t, "$.verify", v.ResultPath)
}

func TestClusterIdentifierFits(t *testing.T) {
	// Default execution names are UUIDs (36 characters).
	id := strings.Repeat("p", restoreworkflow.MaxPrefixLength) + "-" + "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f" + "-9"
	assert.LessOrEqual(t, len(id), 63)
}

func TestDefinitionJSONIsDeterministic(t *testing.T) {
	a, err := asl.Marshal(definition(t, nil))
	require.NoError(t, err)
	b, err := asl.Marshal(definition(t, nil))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(a), &doc))
	assert.Len(t, doc["States"], len(definition(t, nil).States))
}
