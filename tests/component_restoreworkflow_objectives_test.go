package tests

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// alarmProblems compares the objective alarms of g with the targets: one
// alarm per restore kind and milestone on the contract's metric, with the
// target as threshold, notifying the workflow's topic.
func alarmProblems(g *graph.Graph, rpoMinutes, rtoMinutes int) []string {
	var p []string
	topic := ""
	for _, r := range g.OfType(tTopic) {
		topic = graph.Str(r.Outputs["arn"])
	}
	alarms := map[string]*graph.Resource{}
	for _, r := range g.OfType(tAlarm) {
		alarms[r.Name] = r
	}
	want := restoreworkflow.ObjectiveAlarms(rpoMinutes, rtoMinutes)
	if len(alarms) != len(want) {
		p = append(p, fmt.Sprintf("%d alarms, want %d", len(alarms), len(want)))
	}
	for _, w := range want {
		r, ok := alarms["restore-workflow-"+w.Part]
		if !ok {
			p = append(p, "no alarm "+w.Part)
			continue
		}
		dims := map[string]string{}
		if m, ok := r.Inputs["dimensions"].(map[string]any); ok {
			for k, v := range m {
				dims[k] = graph.Str(v)
			}
		}
		actions, _ := r.Inputs["alarmActions"].([]any)
		switch {
		case r.Inputs["namespace"] != contract.RecoveryMetricsNamespace || r.Inputs["metricName"] != w.MetricName:
			p = append(p, fmt.Sprintf("%s watches %v/%v", w.Part, r.Inputs["namespace"], r.Inputs["metricName"]))
		case fmt.Sprint(dims) != fmt.Sprint(w.Dimensions):
			p = append(p, fmt.Sprintf("%s dimensions %v, want %v", w.Part, dims, w.Dimensions))
		case r.Inputs["threshold"] != w.ThresholdSeconds:
			p = append(p, fmt.Sprintf("%s threshold %v, want %v", w.Part, r.Inputs["threshold"], w.ThresholdSeconds))
		case r.Inputs["comparisonOperator"] != "GreaterThanThreshold" || r.Inputs["statistic"] != "Maximum" || r.Inputs["treatMissingData"] != "notBreaching":
			p = append(p, w.Part+" does not alarm on one datapoint above the target")
		case len(actions) != 1 || graph.Str(actions[0]) != topic:
			p = append(p, fmt.Sprintf("%s notifies %v, want the topic %s", w.Part, actions, topic))
		}
	}
	return p
}

func TestObjectiveAlarmsFollowTheTargets(t *testing.T) {
	g := built(t)
	assert.Empty(t, alarmProblems(g, 1800, 480))
	assert.Len(t, g.OfType(tAlarm), 5, "RPO and RTO of the workflow (verified, cut-over) and of restore tests")
	a := restoreWorkflowOne(t, g, tAlarm, "rto-workflow-cutover")
	assert.Equal(t, 480*60.0, a.Inputs["threshold"])
	assert.Equal(t, map[string]any{"RestoreKind": "workflow", "Milestone": "cutover"}, a.Inputs["dimensions"])

	// Other targets give other thresholds: they come from the arguments.
	g2, err := restoreWorkflowRun(t, func(a *restoreworkflow.Args) { a.RPOTargetMinutes, a.RTOTargetMinutes = 60, 120 })
	require.NoError(t, err)
	assert.Empty(t, alarmProblems(g2, 60, 120))
	assert.Equal(t, 120*60.0, restoreWorkflowOne(t, g2, tAlarm, "rto-restore-test-restored").Inputs["threshold"])

	// The check can fail: alarms not following the configured targets are
	// reported, one problem per alarm.
	assert.Len(t, alarmProblems(g2, 1800, 480), 5)
}

// The topic lets CloudWatch alarms publish (the notifications key already
// admits the cloudwatch service principal).
func TestTopicAdmitsAlarms(t *testing.T) {
	g := built(t)
	policy := graph.Str(restoreWorkflowOne(t, g, "aws:sns/topicPolicy:TopicPolicy", "").Inputs["policy"])
	assert.Contains(t, policy, `"cloudwatch.amazonaws.com"`)
	assert.Contains(t, policy, `"events.amazonaws.com"`)
}

func TestRestoreTestsReachRestoremetrics(t *testing.T) {
	g := built(t)
	rule := restoreWorkflowOne(t, g, "aws:cloudwatch/eventRule:EventRule", "restore-tests")
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	assert.Equal(t, map[string]any{
		"source": []any{"aws.backup"}, "detail-type": []any{"Restore Job State Change"},
		"detail": map[string]any{"status": []any{"COMPLETED"}},
	}, pattern)
	fn := restoreWorkflowOne(t, g, tFunction, "restoremetrics")
	target := restoreWorkflowOne(t, g, "aws:cloudwatch/eventTarget:EventTarget", "restore-tests-metrics")
	assert.Equal(t, graph.Str(fn.Outputs["arn"]), graph.Str(target.Inputs["arn"]))
	perm := restoreWorkflowOne(t, g, "aws:lambda/permission:Permission", "restore-tests-invoke")
	assert.Equal(t, "events.amazonaws.com", perm.Inputs["principal"])
	assert.Equal(t, graph.Str(rule.Outputs["arn"]), graph.Str(perm.Inputs["sourceArn"]))

	// restoremetrics may describe restore jobs and put into its namespace only.
	sts := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restoremetrics-policy"))
	assert.Equal(t, []string{"cloudwatch:PutMetricData"}, sts["PutRecoveryMetrics"].Action)
	assert.Equal(t, map[string]map[string]string{"StringEquals": {"cloudwatch:namespace": contract.RecoveryMetricsNamespace}}, sts["PutRecoveryMetrics"].Condition)
	assert.Equal(t, []string{"backup:DescribeRestoreJob"}, sts["DescribeRestoreJobs"].Action)
}

// The state machine role creates the restored cluster's log groups only
// (the log groups of <prefix>-* clusters).
func TestRoleCreatesOnlyRestoredClusterLogGroups(t *testing.T) {
	g := built(t)
	sts := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restore-workflow-role-policy"))
	assert.Equal(t, []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy"}, sts["RestoredClusterLogGroups"].Action)
	assert.Equal(t, []string{"arn:aws:logs:ap-northeast-1:333333333333:log-group:/aws/rds/cluster/fintech-restore-*/*"}, sts["RestoredClusterLogGroups"].Resource)
}

func TestLogGroupStatesBeforeTheRestore(t *testing.T) {
	sm := definition(t, nil)
	assert.Equal(t, restoreworkflow.CreateLogGroupState(1), task(t, sm, restoreworkflow.StatePick).Next)
	create := task(t, sm, restoreworkflow.CreateLogGroupState(1))
	assert.Equal(t, "arn:aws:states:::aws-sdk:cloudwatchlogs:createLogGroup", create.Resource)
	assert.Equal(t, map[string]any{
		"LogGroupName.$": "States.Format('/aws/rds/cluster/{}/postgresql', $.cluster.identifier)",
		"KmsKeyId":       "arn:aws:kms:ap-northeast-1:333333333333:key/logs",
	}, create.Parameters)
	retention := task(t, sm, restoreworkflow.LogRetentionState(1))
	assert.Equal(t, 731, retention.Parameters["RetentionInDays"])
	assert.Equal(t, restoreworkflow.StateStartRestore, retention.Next)

	// MySQL exports three logs: three groups, in a chain, then the restore.
	my := definition(t, func(p *restoreworkflow.DefinitionParams) {
		p.Engine, p.EngineVersion, p.DatabaseLogRetentionDays = "aurora-mysql", "", 1096
	})
	assert.Equal(t, restoreworkflow.CreateLogGroupState(2), task(t, my, restoreworkflow.LogRetentionState(1)).Next)
	assert.Equal(t, restoreworkflow.StateStartRestore, task(t, my, restoreworkflow.LogRetentionState(3)).Next)
	assert.Equal(t, "States.Format('/aws/rds/cluster/{}/slowquery', $.cluster.identifier)", task(t, my, restoreworkflow.CreateLogGroupState(3)).Parameters["LogGroupName.$"])
	assert.Equal(t, 1096, task(t, my, restoreworkflow.LogRetentionState(2)).Parameters["RetentionInDays"])

	_, err := restoreworkflow.Definition(func() restoreworkflow.DefinitionParams { p := testParams(); p.DatabaseLogRetentionDays = 0; return p }())
	assert.ErrorContains(t, err, "database log retention 0 days")
}

func TestObjectivesStates(t *testing.T) {
	sm := definition(t, nil)
	assert.Equal(t, restoreworkflow.StateRecordVerified, task(t, sm, restoreworkflow.StateVerify).Next)
	rec := task(t, sm, restoreworkflow.StateRecordVerified)
	assert.Equal(t, map[string]any{
		"FunctionName": "arn:aws:lambda:ap-northeast-1:333333333333:function:rw-restoremetrics",
		"Payload": map[string]any{
			"restoreJobId.$": "$.restore.restoreJobId", "executionStartTime.$": "$$.Execution.StartTime", "milestone": contract.MilestoneVerified,
		},
	}, rec.Parameters)
	assert.Equal(t, "$.objectives.verified", rec.ResultPath)
	assert.Equal(t, contract.MilestoneCutover, task(t, sm, restoreworkflow.StateRecordCutover).Parameters["Payload"].(map[string]any)["milestone"])
	for _, n := range []string{restoreworkflow.StateNotifyRestored, restoreworkflow.StateAwaitApproval, restoreworkflow.StateNotifyCutover} {
		assert.Equal(t, "$.objectives", task(t, sm, n).Parameters["Message"].(map[string]any)["objectives.$"], "%s carries the objectives or their error", n)
	}
	// Retries name the function's AWSError through the contract.
	assert.Contains(t, rec.Retry[0].ErrorEquals, contract.ErrorAWS)
	assert.Contains(t, task(t, sm, restoreworkflow.StateVerify).Retry[1].ErrorEquals, contract.ErrorVerification)
}
