package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// objectiveThresholds are the restore stack's recovery objective alarms:
// threshold by metric and dimensions.
func objectiveThresholds(t *testing.T, g *graph.Graph) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, a := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Inputs["namespace"] != contract.RecoveryMetricsNamespace {
			continue
		}
		dims, err := json.Marshal(a.Inputs["dimensions"])
		require.NoError(t, err)
		th, _ := graph.Num(a.Inputs["threshold"])
		out[graph.Str(a.Inputs["metricName"])+string(dims)] = th
	}
	return out
}

// The alarms of the shipped restore stack hold the targets of
// Pulumi.restore.yaml; another target in the file gives another threshold.
func TestRecoveryObjectiveAlarmsFromConfig(t *testing.T) {
	g, _, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)
	rpo, rto := 1800*60.0, 480*60.0
	want := map[string]float64{
		`RecoveryPointAgeSeconds{"RestoreKind":"workflow"}`:                        rpo,
		`RecoveryPointAgeSeconds{"RestoreKind":"restore-test"}`:                    rpo,
		`RecoveryTimeSeconds{"Milestone":"verified","RestoreKind":"workflow"}`:     rto,
		`RecoveryTimeSeconds{"Milestone":"cutover","RestoreKind":"workflow"}`:      rto,
		`RecoveryTimeSeconds{"Milestone":"restored","RestoreKind":"restore-test"}`: rto,
	}
	assert.Equal(t, want, objectiveThresholds(t, g))

	edited, _, err := offline.Preview("..", "restore", editedStackFile(t, "restore", "restoreRpoTargetMinutes: 1800", "restoreRpoTargetMinutes: 90"))
	require.NoError(t, err)
	got := objectiveThresholds(t, edited)
	assert.Equal(t, 90*60.0, got[`RecoveryPointAgeSeconds{"RestoreKind":"workflow"}`])
	assert.NotEqual(t, want, got, "the thresholds follow the file")
}

// The restored cluster's log groups keep the workload cluster's retention.
func TestRestoredLogRetentionIsTheWorkloads(t *testing.T) {
	workload, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	restore, _, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)
	var workloadDays []float64
	for _, lg := range workload.OfType("aws:cloudwatch/logGroup:LogGroup") {
		if strings.HasPrefix(graph.Str(lg.Inputs["name"]), "/aws/rds/cluster/") {
			d, _ := graph.Num(lg.Inputs["retentionInDays"])
			workloadDays = append(workloadDays, d)
		}
	}
	require.NotEmpty(t, workloadDays)
	states := restoreStateParameters(t, restore)
	retention := states["SetClusterLogRetention1"]
	require.NotNil(t, retention)
	for _, d := range workloadDays {
		assert.Equal(t, d, retention["RetentionInDays"])
	}
}
