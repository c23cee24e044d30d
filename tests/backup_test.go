package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// With the shipped stack files: the ARN the workload plan copies to is the
// ARN of the vault the bunker stack creates, the copy retention fits that
// vault's bounds, the bunker shares with the restore stack's account, and
// the restore stack receives the bunker's share (accepting it only when RAM
// sharing with Organizations is off) and tests from its vault.
func TestCrossStackBackupWiring(t *testing.T) {
	wg, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	bg, _, err := offline.Preview("..", "bunker", "")
	require.NoError(t, err)
	rg, restore, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)

	lag := testkit.One(t, bg, "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault")
	lagArn, ok := lag.Output("arn")
	require.True(t, ok)
	minDays, _ := graph.Num(lag.Inputs["minRetentionDays"])
	maxDays, _ := graph.Num(lag.Inputs["maxRetentionDays"])

	plan := testkit.One(t, wg, "aws:backup/plan:Plan")
	rules := graph.List(plan.Inputs["rules"])
	require.Len(t, rules, 1)
	copies := graph.List(graph.Map(rules[0])["copyActions"])
	require.Len(t, copies, 1)
	cp := graph.Map(copies[0])
	assert.Equal(t, lagArn, cp["destinationVaultArn"], "the workload copies into the bunker's vault")
	copyDays, _ := graph.Num(graph.Map(cp["lifecycle"])["deleteAfter"])
	assert.GreaterOrEqual(t, copyDays, minDays, "copy retention below the bunker vault's minimum")
	assert.LessOrEqual(t, copyDays, maxDays, "copy retention above the bunker vault's maximum")

	principal := testkit.One(t, bg, "aws:ram/principalAssociation:PrincipalAssociation")
	assert.Equal(t, restore.AccountID, principal.Inputs["principal"])

	// Shipped: one organization with RAM sharing enabled, so the share
	// arrives without an invitation and nothing is accepted.
	assert.Empty(t, rg.OfType("aws:ram/resourceShareAccepter:ResourceShareAccepter"))
	ref := testkit.One(t, rg, "pulumi:pulumi:StackReference")
	assert.Equal(t, "organization/fintech-resilience/bunker", ref.Inputs["name"])

	// RAM sharing with Organizations off: the invitation is accepted, for
	// the bunker's share, read through the stack reference.
	share := testkit.One(t, bg, "aws:ram/resourceShare:ResourceShare")
	shareArn, ok := share.Output("arn")
	require.True(t, ok)
	ag, _, err := offline.Preview("..", "restore", editedStackFile(t, "restore",
		"ramSharingWithOrganization: true", "ramSharingWithOrganization: false"))
	require.NoError(t, err)
	accepter := testkit.One(t, ag, "aws:ram/resourceShareAccepter:ResourceShareAccepter")
	assert.Equal(t, shareArn, accepter.Inputs["shareArn"])
	aref := testkit.One(t, ag, "pulumi:pulumi:StackReference")
	assert.Equal(t, []string{aref.URN}, accepter.PropertyDependencies["shareArn"])

	testPlan := testkit.One(t, rg, "aws:backup/restoreTestingPlan:RestoreTestingPlan")
	sel := graph.Map(testPlan.Inputs["recoveryPointSelection"])
	assert.Equal(t, []any{lagArn}, sel["includeVaults"])
}

// The workload stack: a locked vault with the backup CMK, and a selection
// by tag with a role holding only the AWS-managed backup/restore policies.
func TestWorkloadBackupProtection(t *testing.T) {
	g, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	vault := testkit.One(t, g, "aws:backup/vault:Vault")
	keys := g.Refs(vault, "kmsKeyArn", "aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.Equal(t, "keys-backup", keys[0].Name)
	lock := testkit.One(t, g, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
	assert.Equal(t, vault.Inputs["name"], lock.Inputs["backupVaultName"])
	assert.NotContains(t, lock.Inputs, "changeableForDays", "the shipped workload starts in governance mode")

	sel := testkit.One(t, g, "aws:backup/selection:Selection")
	assert.Equal(t, []any{map[string]any{"type": "STRINGEQUALS", "key": "backup-policy", "value": "fintech-daily"}}, sel.Inputs["selectionTags"])
	roles := g.Refs(sel, "iamRoleArn", "aws:iam/role:Role")
	require.Len(t, roles, 1)
	var attached []string
	for _, a := range g.ReferencedBy(roles[0], "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role") {
		attached = append(attached, graph.Str(a.Inputs["policyArn"]))
	}
	// Not the AWS-managed restore policy (iam:PassRole on every role):
	// restores happen in the restore account.
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
	}, attached)
	assert.Empty(t, g.ReferencedBy(roles[0], "aws:iam/rolePolicy:RolePolicy", "role"), "no inline policies")
}
