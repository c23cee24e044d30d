package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The restore stack: the same application, no database of its own, the
// restore workflow with a least-privilege role, and no RAM share accepter
// (the shipped accounts share one organization with RAM sharing enabled).
func TestRestoreStack(t *testing.T) {
	g, _, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)

	assert.Empty(t, g.OfType("aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"),
		"no empty database that could be mistaken for the restored one")
	assert.Len(t, g.OfType("aws:ecs/service:Service"), 1, "the API is rebuilt")
	assert.Len(t, g.OfType("aws:cloudfront/distribution:Distribution"), 1, "the edge is rebuilt")
	assert.Empty(t, g.OfType("aws:ram/resourceShareAccepter:ResourceShareAccepter"), "in-organization share: no invitation to accept")

	sms := g.OfType("aws:sfn/stateMachine:StateMachine")
	var wf *graph.Resource
	for _, sm := range sms {
		if strings.Contains(graph.Str(sm.Inputs["definition"]), "startRestoreJob") {
			wf = sm
		}
	}
	require.NotNil(t, wf, "restore state machine")
	var def struct {
		StartAt string                    `json:"StartAt"`
		States  map[string]map[string]any `json:"States"`
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(wf.Inputs["definition"])), &def))
	assert.NotEmpty(t, def.StartAt)

	// Its role: no "*" action anywhere, no AdministratorAccess.
	roles := g.Refs(wf, "roleArn", "aws:iam/role:Role")
	require.Len(t, roles, 1)
	for _, p := range g.ReferencedBy(roles[0], "aws:iam/rolePolicy:RolePolicy", "role") {
		var doc struct {
			Statement []struct {
				Action any `json:"Action"`
			} `json:"Statement"`
		}
		require.NoError(t, json.Unmarshal([]byte(graph.Str(p.Inputs["policy"])), &doc), p.Name)
		for _, st := range doc.Statement {
			for _, a := range graph.Strings(st.Action) {
				assert.NotEqual(t, "*", a, p.Name)
				assert.False(t, strings.HasSuffix(a, ":*"), "%s grants %s", p.Name, a)
			}
		}
	}
	for _, a := range g.ReferencedBy(roles[0], "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role") {
		assert.NotContains(t, graph.Str(a.Inputs["policyArn"]), "AdministratorAccess")
	}
}
