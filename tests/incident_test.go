package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The isolation responder in the shipped workload stack: everything exists
// before an incident, scoped to this account and region.
func TestWorkloadIsolationResponder(t *testing.T) {
	g, cfg, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)

	rule := testkit.Named(t, g, "aws:cloudwatch/eventRule:EventRule", "isolation-findings")
	var pattern struct {
		Source     []string `json:"source"`
		DetailType []string `json:"detail-type"`
		Account    []string `json:"account"`
		Region     []string `json:"region"`
		Detail     struct {
			Severity []struct {
				Numeric []any `json:"numeric"`
			} `json:"severity"`
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	assert.Equal(t, []string{"aws.guardduty"}, pattern.Source)
	assert.Equal(t, []string{"GuardDuty Finding"}, pattern.DetailType)
	assert.Equal(t, []string{cfg.AccountID}, pattern.Account)
	assert.Equal(t, []string{cfg.Region}, pattern.Region)
	require.Len(t, pattern.Detail.Severity, 1)
	assert.Equal(t, []any{">=", 7.0}, pattern.Detail.Severity[0].Numeric)

	for _, name := range []string{"isolation-isolate", "isolation-release"} {
		fn := testkit.Named(t, g, "aws:lambda/function:Function", name)
		assert.Equal(t, "provided.al2023", fn.Inputs["runtime"])
		assert.Equal(t, []any{"arm64"}, fn.Inputs["architectures"])
		assert.NotEmpty(t, fn.Inputs["sourceCodeHash"], "reproducible zip hash")
		assert.NotEmpty(t, fn.Inputs["kmsKeyArn"], "environment encrypted with a CMK")
	}

	nacl := testkit.Named(t, g, "aws:ec2/networkAcl:NetworkAcl", "isolation-quarantine-nacl")
	assert.Empty(t, nacl.Inputs["subnetIds"], "not associated until an incident")
	for _, dir := range []string{"ingress", "egress"} {
		denyAll := false
		for _, e := range graph.List(nacl.Inputs[dir]) {
			m := graph.Map(e)
			if m["action"] == "deny" && m["cidrBlock"] == "0.0.0.0/0" && m["protocol"] == "-1" {
				denyAll = true
			}
		}
		assert.True(t, denyAll, "%s deny-all entry", dir)
	}

	topic := testkit.Named(t, g, "aws:sns/topic:Topic", "isolation-alerts-topic")
	assert.NotEmpty(t, topic.Inputs["kmsMasterKeyId"])
	dlq := testkit.Named(t, g, "aws:sqs/queue:Queue", "isolation-dlq")
	assert.NotEmpty(t, dlq.Inputs["kmsMasterKeyId"])
	alarm := testkit.Named(t, g, "aws:cloudwatch/metricAlarm:MetricAlarm", "isolation-isolate-errors")
	assert.Equal(t, "Errors", alarm.Inputs["metricName"])

	// Association changes are limited to this VPC.
	found := false
	for _, p := range g.OfType("aws:iam/rolePolicy:RolePolicy") {
		doc := graph.Str(p.Inputs["policy"])
		if strings.Contains(doc, "ec2:ReplaceNetworkAclAssociation") {
			found = true
			assert.Contains(t, doc, `"ec2:Vpc"`, p.Name)
		}
	}
	assert.True(t, found, "a role may replace NACL associations")
}

// Two previews build the functions to the same zip: no change shows in a
// preview when the code did not change.
func TestFunctionsBuildReproducibly(t *testing.T) {
	hashes := func() map[string]string {
		g, _, err := offline.Preview("..", "workload", "")
		require.NoError(t, err)
		out := map[string]string{}
		for _, fn := range g.OfType("aws:lambda/function:Function") {
			out[fn.Name] = graph.Str(fn.Inputs["sourceCodeHash"])
		}
		return out
	}
	a, b := hashes(), hashes()
	assert.NotEmpty(t, a)
	assert.Equal(t, a, b)
}
