package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The restore stack holds the workload cluster's TLS parameter group, and
// its restore workflow puts every restored cluster in it with the rest of
// encryptedaurora's posture; the workload stack's cluster has the same
// posture (one source: encryptedaurora.PostureFor).
func TestRestoredClusterPostureMatchesTheWorkloads(t *testing.T) {
	workload, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	restore, _, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)

	params := func(pg *graph.Resource) map[string]string {
		out := map[string]string{}
		for _, p := range graph.List(pg.Inputs["parameters"]) {
			m := graph.Map(p)
			out[graph.Str(m["name"])] = graph.Str(m["value"])
		}
		return out
	}
	wpgs := workload.OfType("aws:rds/clusterParameterGroup:ClusterParameterGroup")
	rpgs := restore.OfType("aws:rds/clusterParameterGroup:ClusterParameterGroup")
	require.Len(t, wpgs, 1)
	require.Len(t, rpgs, 1)
	assert.Equal(t, wpgs[0].Inputs["family"], rpgs[0].Inputs["family"], "same engine family as the workload")
	assert.Equal(t, params(wpgs[0]), params(rpgs[0]))

	cluster := workload.OfType("aws:rds/cluster:Cluster")
	require.Len(t, cluster, 1)
	engine := graph.Str(cluster[0].Inputs["engine"])
	want := encryptedaurora.PostureFor(engine)
	assert.Equal(t, want.ClusterParameters, params(rpgs[0]))

	states := restoreStateParameters(t, restore)
	cfg := states["ConfigureCluster"]
	require.NotNil(t, cfg)
	assert.Equal(t, graph.Str(rpgs[0].Inputs["name"]), cfg["DbClusterParameterGroupName"])
	assert.Equal(t, true, cfg["EnableIamDatabaseAuthentication"])
	assert.Equal(t, cluster[0].Inputs["iamDatabaseAuthenticationEnabled"], cfg["EnableIamDatabaseAuthentication"])
	assert.Equal(t, cluster[0].Inputs["deletionProtection"], cfg["DeletionProtection"])
	assert.Equal(t, cluster[0].Inputs["copyTagsToSnapshot"], cfg["CopyTagsToSnapshot"])
	exports := graph.Map(cfg["CloudwatchLogsExportConfiguration"])
	assert.Equal(t, cluster[0].Inputs["enabledCloudwatchLogsExports"], exports["EnableLogTypes"])
}

// restoreStateParameters returns the Parameters of each state of the restore
// workflow's state machine in the restore graph.
func restoreStateParameters(t *testing.T, restore *graph.Graph) map[string]map[string]any {
	t.Helper()
	var def struct {
		States map[string]struct {
			Parameters map[string]any `json:"Parameters"`
		} `json:"States"`
	}
	found := false
	for _, sm := range restore.OfType("aws:sfn/stateMachine:StateMachine") {
		if strings.Contains(graph.Str(sm.Inputs["definition"]), "startRestoreJob") {
			require.NoError(t, json.Unmarshal([]byte(graph.Str(sm.Inputs["definition"])), &def))
			found = true
		}
	}
	require.True(t, found, "no restore state machine in the graph")
	out := map[string]map[string]any{}
	for name, st := range def.States {
		out[name] = st.Parameters
	}
	return out
}
