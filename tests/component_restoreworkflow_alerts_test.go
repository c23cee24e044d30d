package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// An execution the states cannot report (overall timeout, stopped, failed
// in the failure path) is reported by EventBridge to the workflow's topic.
func TestExecutionStatusAlertsReachTheTopic(t *testing.T) {
	g := built(t)
	sm := restoreWorkflowOne(t, g, "aws:sfn/stateMachine:StateMachine", "")
	rule := restoreWorkflowOne(t, g, "aws:cloudwatch/eventRule:EventRule", "execution-status")
	var pattern struct {
		Source     []string `json:"source"`
		DetailType []string `json:"detail-type"`
		Detail     struct {
			StateMachineArn []string `json:"stateMachineArn"`
			Status          []string `json:"status"`
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	assert.Equal(t, []string{"aws.states"}, pattern.Source)
	assert.Equal(t, []string{"Step Functions Execution Status Change"}, pattern.DetailType)
	assert.Equal(t, []string{graph.Str(sm.Outputs["arn"])}, pattern.Detail.StateMachineArn, "this state machine only")
	assert.ElementsMatch(t, []string{"TIMED_OUT", "ABORTED", "FAILED"}, pattern.Detail.Status)

	target := restoreWorkflowOne(t, g, "aws:cloudwatch/eventTarget:EventTarget", "execution-status")
	topic := graph.Str(restoreWorkflowOne(t, g, tTopic, "").Outputs["arn"])
	assert.Equal(t, topic, target.Inputs["arn"])
	assert.Equal(t, []*graph.Resource{rule}, g.Refs(target, "rule", "aws:cloudwatch/eventRule:EventRule"))
	tr := graph.Map(target.Inputs["inputTransformer"])
	assert.Contains(t, tr["inputTemplate"], "<status>")
	assert.Equal(t, "$.detail.executionArn", graph.Map(tr["inputPaths"])["execution"])

	// The topic lets EventBridge publish.
	policy := restoreWorkflowOne(t, g, "aws:sns/topicPolicy:TopicPolicy", "")
	assert.Contains(t, graph.Str(policy.Inputs["policy"]), restoreworkflow.EventsPublisher)
}

func TestExecutionStatusPattern(t *testing.T) {
	p, err := restoreworkflow.ExecutionStatusPattern("arn:aws:states:ap-northeast-1:333333333333:stateMachine:rw")
	require.NoError(t, err)
	assert.JSONEq(t, `{"source":["aws.states"],"detail-type":["Step Functions Execution Status Change"],
		"detail":{"stateMachineArn":["arn:aws:states:ap-northeast-1:333333333333:stateMachine:rw"],"status":["ABORTED","FAILED","TIMED_OUT"]}}`, p)
}
