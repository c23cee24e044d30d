package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
)

// The restored cluster is configured from encryptedaurora.PostureFor, the
// value the workload cluster is built from.
func TestRestoredClusterGetsTheWorkloadPosture(t *testing.T) {
	for _, engine := range []string{encryptedaurora.EnginePostgres, encryptedaurora.EngineMySQL} {
		sm := definition(t, func(p *restoreworkflow.DefinitionParams) { p.Engine = engine })
		want := encryptedaurora.PostureFor(engine)
		cfg := task(t, sm, restoreworkflow.StateConfigureCluster).Parameters
		assert.Equal(t, want.IAMDatabaseAuthentication, cfg["EnableIamDatabaseAuthentication"])
		assert.Equal(t, "restored-tls", cfg["DbClusterParameterGroupName"])
		assert.Equal(t, map[string]any{"EnableLogTypes": want.LogExports}, cfg["CloudwatchLogsExportConfiguration"])
		assert.Equal(t, want.DeletionProtection, cfg["DeletionProtection"])
		assert.Equal(t, want.CopyTagsToSnapshot, cfg["CopyTagsToSnapshot"])
		assert.Equal(t, want.ManagedMasterPassword, cfg["ManageMasterUserPassword"])
		assert.Equal(t, "arn:aws:kms:ap-northeast-1:333333333333:key/data", cfg["MasterUserSecretKmsKeyId"])
		for i := 1; i <= 2; i++ {
			inst := task(t, sm, restoreworkflow.CreateInstanceState(i)).Parameters
			assert.Equal(t, want.PerformanceInsights, inst["EnablePerformanceInsights"])
			assert.Equal(t, "arn:aws:kms:ap-northeast-1:333333333333:key/data", inst["PerformanceInsightsKmsKeyId"])
			assert.Equal(t, want.PerformanceInsightsRetentionDays, inst["PerformanceInsightsRetentionPeriod"])
		}
		assert.Equal(t, true, task(t, sm, restoreworkflow.StateStartRestore).Parameters["CopySourceTagsToRestoredResource"], "the backup tag travels with the recovery point")
	}
}

func TestParameterGroupIsRequired(t *testing.T) {
	a := restoreworkflow.Args{ParameterGroupName: ""}
	assert.ErrorContains(t, a.Validate(), "ParameterGroupName")
	a.ParameterGroupName = "restored-bank-tls"
	assert.NotContains(t, a.Validate().Error(), "ParameterGroupName")
}

// The restore budget must allow at least one status poll.
func TestBudgetAllowsAPoll(t *testing.T) {
	a := restoreworkflow.Args{PollIntervalSeconds: 1000, TimeoutSeconds: 1800}
	err := a.Validate()
	assert.ErrorContains(t, err, "PollIntervalSeconds 1000 must be at most half of TimeoutSeconds 1800")
	a.PollIntervalSeconds = 900
	err = a.Validate()
	assert.NotContains(t, err.Error(), "PollIntervalSeconds")
	p := restoreworkflow.DefinitionParams{PollIntervalSeconds: 900, RestoreTimeoutSeconds: 1800}
	assert.Equal(t, 1, p.MaxPolls())
}
