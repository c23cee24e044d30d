package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// observedPosture reads the posture of the cluster a preview registered.
func observedPosture(t *testing.T, g *graph.Graph) encryptedaurora.Posture {
	t.Helper()
	c := testkit.One(t, g, tRDSCluster)
	p := encryptedaurora.Posture{
		Engine:                    graph.Str(c.Inputs["engine"]),
		IAMDatabaseAuthentication: c.Inputs["iamDatabaseAuthenticationEnabled"] == true,
		DeletionProtection:        c.Inputs["deletionProtection"] == true,
		CopyTagsToSnapshot:        c.Inputs["copyTagsToSnapshot"] == true,
		ManagedMasterPassword:     c.Inputs["manageMasterUserPassword"] == true,
		ClusterParameters:         map[string]string{},
		PerformanceInsights:       true,
	}
	for _, e := range graph.List(c.Inputs["enabledCloudwatchLogsExports"]) {
		p.LogExports = append(p.LogExports, graph.Str(e))
	}
	for _, prm := range graph.List(testkit.One(t, g, tParamGroup).Inputs["parameters"]) {
		m := graph.Map(prm)
		p.ClusterParameters[graph.Str(m["name"])] = graph.Str(m["value"])
	}
	insts := children(g, tInstance)
	require.NotEmpty(t, insts)
	for _, i := range insts {
		p.PerformanceInsights = p.PerformanceInsights && i.Inputs["performanceInsightsEnabled"] == true
		days, _ := graph.Num(i.Inputs["performanceInsightsRetentionPeriod"])
		p.PerformanceInsightsRetentionDays = int(days)
	}
	return p
}

// The workload cluster has exactly the posture PostureFor states; the
// restore workflow applies the same value (internal/lambda/restore
// TestExecRestoredClusterIsTheWorkloadsTwin), so both are one source.
func TestWorkloadClusterHasThePosture(t *testing.T) {
	for name, mutate := range map[string]func(*encryptedaurora.Args){"postgres": nil, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			g, _ := encryptedAuroraBuild(t, mutate)
			got := observedPosture(t, g)
			assert.Equal(t, encryptedaurora.PostureFor(got.Engine), got)
			assert.True(t, got.IAMDatabaseAuthentication && got.DeletionProtection && got.CopyTagsToSnapshot && got.ManagedMasterPassword && got.PerformanceInsights)
			assert.NotEmpty(t, got.LogExports)
			assert.NotEmpty(t, got.ClusterParameters)
		})
	}
}
