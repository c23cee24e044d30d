package tests

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	rw "github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
)

// restoredPosture reads the posture of a cluster the fake AWS holds, in
// encryptedaurora's terms.
func restoredPosture(t *testing.T, f *fakeAWS, id string) encryptedaurora.Posture {
	t.Helper()
	c := f.clusters[id]
	require.NotNil(t, c, "cluster %s", id)
	p := encryptedaurora.Posture{
		Engine:                    aws.ToString(c.Engine),
		IAMDatabaseAuthentication: aws.ToBool(c.IAMDatabaseAuthenticationEnabled),
		DeletionProtection:        aws.ToBool(c.DeletionProtection),
		CopyTagsToSnapshot:        aws.ToBool(c.CopyTagsToSnapshot),
		ManagedMasterPassword:     c.MasterUserSecret != nil,
		LogExports:                c.EnabledCloudwatchLogsExports,
		ClusterParameters:         f.parameterGroups[aws.ToString(c.DBClusterParameterGroup)],
		PerformanceInsights:       len(c.DBClusterMembers) > 0,
	}
	for _, m := range c.DBClusterMembers {
		inst := f.instances[aws.ToString(m.DBInstanceIdentifier)]
		p.PerformanceInsights = p.PerformanceInsights && aws.ToBool(inst.PerformanceInsightsEnabled)
		p.PerformanceInsightsRetentionDays = int(aws.ToInt32(inst.PerformanceInsightsRetentionPeriod))
		assert.Equal(t, f.p.KeyArn, aws.ToString(inst.PerformanceInsightsKMSKeyId), "Performance Insights with the restore account's key")
	}
	return p
}

// The restored cluster carries what EncryptedAurora guarantees for the
// workload's (components/encryptedaurora TestWorkloadClusterHasThePosture
// checks the workload against the same PostureFor): IAM database
// authentication (the application logs in as the same IAM database user
// after the cut-over), the TLS parameter group, log exports, deletion
// protection, tags copied to snapshots, the backup tag, Performance
// Insights and the managed master secret with the restore account's key.
func TestExecRestoredClusterIsTheWorkloadsTwin(t *testing.T) {
	h := sfntest.Shared(t)
	for _, engine := range []string{encryptedaurora.EnginePostgres, encryptedaurora.EngineMySQL} {
		t.Run(engine, func(t *testing.T) {
			p := workflowParams()
			p.Engine = engine
			p.EngineVersion = ""
			res, f := runScenario(t, h, scenario{params: p})
			require.Equal(t, "SUCCEEDED", res.Status, "%s: %s", res.Error, res.Cause)
			id := "restored-bank-3f2c8a10-0000-4000-8000-000000000001"
			assert.Equal(t, encryptedaurora.PostureFor(engine), restoredPosture(t, f, id))

			c := f.clusters[id]
			assert.Equal(t, p.KeyArn, aws.ToString(c.MasterUserSecret.KmsKeyId), "managed master secret with the restore key")
			tags := map[string]string{}
			for _, tg := range c.TagList {
				tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
			assert.Equal(t, workloadTags, tags, "the workload cluster's tags, the backup tag among them")
			// Every log export lands in a group with the logs key and the
			// workload's retention (created before the restore).
			for _, logType := range encryptedaurora.PostureFor(engine).LogExports {
				lg := f.logGroups[rw.ClusterLogGroupName(id, logType)]
				require.NotNil(t, lg, logType)
				assert.Equal(t, p.LogsKeyArn, lg.kmsKeyID, logType)
				assert.Equal(t, p.DatabaseLogRetentionDays, lg.retentionDays, logType)
			}
			assert.Len(t, f.logGroups, len(encryptedaurora.PostureFor(engine).LogExports))
		})
	}
}

// The proof can fail: a definition that leaves IAM database authentication
// off (as the workflow did before) gives a cluster that is not the twin.
func TestExecTwinCheckCatchesAMissingSetting(t *testing.T) {
	h := sfntest.Shared(t)
	res, f := runScenario(t, h, scenario{editDef: func(def string) string {
		return replaceOnce(t, def, `"EnableIamDatabaseAuthentication":true`, `"EnableIamDatabaseAuthentication":false`)
	}})
	require.Equal(t, "SUCCEEDED", res.Status)
	got := restoredPosture(t, f, "restored-bank-3f2c8a10-0000-4000-8000-000000000001")
	assert.NotEqual(t, encryptedaurora.PostureFor(encryptedaurora.EnginePostgres), got)
	assert.False(t, got.IAMDatabaseAuthentication)
}

func replaceOnce(t *testing.T, s, old, repl string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(s, old), "%s occurs once", old)
	return strings.Replace(s, old, repl, 1)
}
