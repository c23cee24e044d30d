package tests

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/vaultwatch"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	topic = "arn:aws:sns:ap-northeast-1:222222222222:bunker-notifications"
)

func args() *vaultwatch.Args {
	return &vaultwatch.Args{
		AccountID: "222222222222", TopicArn: pulumi.String(topic), WatchResourceShares: true,
		CopyVaultName: pulumi.String("fintech-bunker"), CopyAlarmHours: 36, RunbookURL: "docs/runbooks/bunker-alerts.md",
	}
}

func vaultWatchRun(t *testing.T, a *vaultwatch.Args) *graph.Graph {
	t.Helper()
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		_, err := vaultwatch.NewVaultWatch(ctx, "watch", a)
		return err
	}, testkit.OptionsIn("222222222222"))
	require.NoError(t, err)
	return g
}

type pattern struct {
	Source     []string `json:"source"`
	DetailType []string `json:"detail-type"`
	Detail     struct {
		EventSource []string `json:"eventSource"`
		EventName   []string `json:"eventName"`
	} `json:"detail"`
}

func TestRulesPatternsAndTargets(t *testing.T) {
	g := vaultWatchRun(t, args())
	want := map[string]struct {
		source, eventSource string
		names               []string
	}{
		"watch-backup-tamper":     {"aws.backup", "backup.amazonaws.com", []string{"DeleteBackupVault", "DeleteBackupVaultAccessPolicy", "DeleteBackupVaultLockConfiguration", "DeleteRecoveryPoint", "PutBackupVaultAccessPolicy", "PutBackupVaultLockConfiguration", "UpdateRecoveryPointLifecycle"}},
		"watch-share-tamper":      {"aws.ram", "ram.amazonaws.com", []string{"DeleteResourceShare", "DisassociateResourceShare", "AssociateResourceShare", "UpdateResourceShare"}},
		"watch-key-tamper":        {"aws.kms", "kms.amazonaws.com", []string{"PutKeyPolicy", "ScheduleKeyDeletion", "DisableKey"}},
		"watch-guardduty-tamper":  {"aws.guardduty", "guardduty.amazonaws.com", []string{"DeleteDetector", "UpdateDetector", "CreateFilter"}},
		"watch-cloudtrail-tamper": {"aws.cloudtrail", "cloudtrail.amazonaws.com", []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"}},
	}
	rules := g.OfType(tRule)
	require.Len(t, rules, len(want))
	for _, r := range rules {
		w, ok := want[r.Name]
		require.True(t, ok, "unexpected rule %s", r.Name)
		var p pattern
		require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs["eventPattern"])), &p))
		assert.Equal(t, []string{w.source}, p.Source, r.Name)
		assert.Equal(t, []string{"AWS API Call via CloudTrail"}, p.DetailType, r.Name)
		assert.Equal(t, []string{w.eventSource}, p.Detail.EventSource, r.Name)
		assert.Subset(t, p.Detail.EventName, w.names, r.Name)

		targets := g.ReferencedBy(r, tTarget, "rule")
		require.Len(t, targets, 1, r.Name)
		assert.Equal(t, topic, targets[0].Inputs["arn"], r.Name)
		tr := graph.Map(targets[0].Inputs["inputTransformer"])
		assert.Equal(t, "$.detail.errorCode", graph.Map(tr["inputPaths"])["error"])
		assert.Contains(t, graph.Str(tr["inputTemplate"]), "docs/runbooks/bunker-alerts.md#"+r.Name[len("watch-"):])
	}
}

func TestMissingCopyAlarm(t *testing.T) {
	g := vaultWatchRun(t, args())
	alarm := testkit.One(t, g, tAlarm)
	assert.Equal(t, "AWS/Backup", alarm.Inputs["namespace"])
	assert.Equal(t, "NumberOfCopyJobsCompleted", alarm.Inputs["metricName"])
	assert.Equal(t, map[string]any{"BackupVaultName": "fintech-bunker"}, alarm.Inputs["dimensions"])
	assert.Equal(t, "Sum", alarm.Inputs["statistic"])
	assert.Equal(t, 3600.0, alarm.Inputs["period"])
	assert.Equal(t, 36.0, alarm.Inputs["evaluationPeriods"])
	assert.Equal(t, 36.0, alarm.Inputs["datapointsToAlarm"])
	assert.Equal(t, 1.0, alarm.Inputs["threshold"])
	assert.Equal(t, "LessThanThreshold", alarm.Inputs["comparisonOperator"])
	assert.Equal(t, "breaching", alarm.Inputs["treatMissingData"], "no copies means no data: that must alarm")
	assert.Equal(t, []any{topic}, alarm.Inputs["alarmActions"])
	assert.Equal(t, []any{topic}, alarm.Inputs["okActions"])
	testkit.NoMandatoryViolations(t, g, "guardduty-enabled")
}

func TestWithoutResourceShares(t *testing.T) {
	a := args()
	a.WatchResourceShares = false
	g := vaultWatchRun(t, a)
	assert.Len(t, g.OfType(tRule), 4)
	for _, r := range g.OfType(tRule) {
		assert.NotEqual(t, "watch-share-tamper", r.Name)
	}
}

func TestInvalidArgs(t *testing.T) {
	for name, mutate := range map[string]func(a *vaultwatch.Args){
		"account":    func(a *vaultwatch.Args) { a.AccountID = "12" },
		"topic":      func(a *vaultwatch.Args) { a.TopicArn = nil },
		"vault":      func(a *vaultwatch.Args) { a.CopyVaultName = nil },
		"hours low":  func(a *vaultwatch.Args) { a.CopyAlarmHours = 1 },
		"hours high": func(a *vaultwatch.Args) { a.CopyAlarmHours = 169 },
		"runbook":    func(a *vaultwatch.Args) { a.RunbookURL = "" },
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			mutate(a)
			_, err := preview.Run(func(ctx *pulumi.Context) error {
				_, err := vaultwatch.NewVaultWatch(ctx, "watch", a)
				return err
			}, testkit.Options())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "vaultwatch watch: invalid arguments")
		})
	}
}
