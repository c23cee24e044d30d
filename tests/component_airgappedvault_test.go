package tests

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/airgappedvault"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func airGappedVaultValidArgs() *airgappedvault.Args {
	return &airgappedvault.Args{
		VaultName: "fintech-bunker", MinRetentionDays: 35, MaxRetentionDays: 400,
		AccountID: "222222222222", SourceAccountIDs: []string{"111111111111"},
		ShareWithAccountIDs: []string{"333333333333"},
		NotificationKeyArn:  pulumi.String("arn:aws:kms:ap-northeast-1:222222222222:key/n"),
		NotificationEmails:  []string{"oncall@example.com"},
	}
}

func airGappedVaultRun(t *testing.T, args *airgappedvault.Args) (*graph.Graph, error) {
	t.Helper()
	return preview.Run(func(ctx *pulumi.Context) error {
		_, err := airgappedvault.NewAirGappedVault(ctx, "bunker", args)
		return err
	}, testkit.OptionsIn("222222222222"))
}

func TestAirGappedVault(t *testing.T) {
	g, err := airGappedVaultRun(t, airGappedVaultValidArgs())
	require.NoError(t, err)
	comp := testkit.One(t, g, airgappedvault.TypeToken)

	vault := testkit.One(t, g, "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault")
	assert.Equal(t, "fintech-bunker", vault.Inputs["name"])
	assert.Equal(t, 35.0, vault.Inputs["minRetentionDays"])
	assert.Equal(t, 400.0, vault.Inputs["maxRetentionDays"])
	assert.Equal(t, comp.URN, vault.Parent)

	// The access policy admits only the workload account, only to copy in,
	// and denies everyone the protected actions and any other copy-in.
	pol := testkit.One(t, g, "aws:backup/vaultPolicy:VaultPolicy")
	var doc struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal map[string]any
			Action    any
			Condition map[string]map[string][]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(pol.Inputs["policy"])), &doc))
	require.Len(t, doc.Statement, 3)
	allow, only, deny := doc.Statement[0], doc.Statement[1], doc.Statement[2]
	assert.Equal(t, "Allow", allow.Effect)
	assert.Equal(t, "backup:CopyIntoBackupVault", allow.Action)
	assert.Equal(t, []any{"arn:aws:iam::111111111111:root"}, allow.Principal["AWS"])
	assert.Equal(t, "Deny", only.Effect)
	assert.Equal(t, "backup:CopyIntoBackupVault", only.Action)
	assert.Equal(t, []string{"111111111111"}, only.Condition["StringNotEquals"]["aws:PrincipalAccount"])
	assert.Equal(t, "Deny", deny.Effect)
	assert.Equal(t, "*", deny.Principal["AWS"])
	assert.ElementsMatch(t, airgappedvault.ProtectedActions, deny.Action)
	assert.Contains(t, airgappedvault.ProtectedActions, "backup:DeleteRecoveryPoint")
	assert.Contains(t, airgappedvault.ProtectedActions, "backup:PutBackupVaultAccessPolicy")
	assert.Equal(t, []string{vault.URN}, pol.PropertyDependencies["backupVaultName"])

	// Shared with the restore account only, external principals off.
	share := testkit.One(t, g, "aws:ram/resourceShare:ResourceShare")
	assert.Equal(t, false, share.Inputs["allowExternalPrincipals"])
	principal := testkit.One(t, g, "aws:ram/principalAssociation:PrincipalAssociation")
	assert.Equal(t, "333333333333", principal.Inputs["principal"])
	assoc := testkit.One(t, g, "aws:ram/resourceAssociation:ResourceAssociation")
	assert.Equal(t, []string{vault.URN}, assoc.PropertyDependencies["resourceArn"])
	assert.Equal(t, []string{share.URN}, assoc.PropertyDependencies["resourceShareArn"])

	// Notifications to a CMK-encrypted topic.
	topic := testkit.One(t, g, "aws:sns/topic:Topic")
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:222222222222:key/n", topic.Inputs["kmsMasterKeyId"])
	notes := testkit.One(t, g, "aws:backup/vaultNotifications:VaultNotifications")
	assert.Contains(t, notes.Inputs["backupVaultEvents"], "COPY_JOB_FAILED")
	assert.Equal(t, []string{topic.URN}, notes.PropertyDependencies["snsTopicArn"])
	sub := testkit.One(t, g, "aws:sns/topicSubscription:TopicSubscription")
	assert.Equal(t, "oncall@example.com", sub.Inputs["endpoint"])
}

func TestAirGappedVaultRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *airgappedvault.Args)
		want   string
	}{
		"min below 7":         {func(a *airgappedvault.Args) { a.MinRetentionDays = 3 }, "MinRetentionDays 3 is below 7"},
		"max below min":       {func(a *airgappedvault.Args) { a.MaxRetentionDays = 20 }, "MaxRetentionDays 20 is below MinRetentionDays 35"},
		"no source":           {func(a *airgappedvault.Args) { a.SourceAccountIDs = nil }, "SourceAccountIDs must name at least one account"},
		"share with bunker":   {func(a *airgappedvault.Args) { a.ShareWithAccountIDs = []string{"222222222222"} }, "is the bunker account itself"},
		"bad account":         {func(a *airgappedvault.Args) { a.SourceAccountIDs = []string{"1111"} }, `"1111" is not a 12-digit account id`},
		"no notification key": {func(a *airgappedvault.Args) { a.NotificationKeyArn = nil }, "NotificationKeyArn"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := airGappedVaultValidArgs()
			c.mutate(args)
			g, err := airGappedVaultRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
}
