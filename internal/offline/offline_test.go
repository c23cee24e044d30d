package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/stacks"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func TestBunkerOutputs(t *testing.T) {
	g := graph.New([]*graph.Resource{
		{URN: "urn:vault", Type: "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
			Outputs: map[string]any{"arn": "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:bunker"}},
		{URN: "urn:share", Type: "aws:ram/resourceShare:ResourceShare",
			Outputs: map[string]any{"arn": "arn:aws:ram:ap-northeast-1:222222222222:resource-share/abc"}},
		{URN: "urn:other", Type: "aws:backup/vault:Vault",
			Outputs: map[string]any{"arn": "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:other"}},
	})
	assert.Equal(t, map[string]string{
		stacks.OutputAirGappedVaultArn: "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:bunker",
		stacks.OutputResourceShareArn:  "arn:aws:ram:ap-northeast-1:222222222222:resource-share/abc",
	}, BunkerOutputs(g))
	assert.Empty(t, BunkerOutputs(graph.New(nil)), "a graph without the vault or the share answers nothing")
}

// The shipped bunker stack, previewed offline, answers both outputs the
// workload and restore stacks read, from its own account.
func TestPreviewBunkerAnswersReferences(t *testing.T) {
	g, cfg, err := Preview("../..", "bunker", "")
	require.NoError(t, err)
	out := BunkerOutputs(g)
	require.Len(t, out, 2)
	assert.Regexp(t, `^arn:aws:backup:`+cfg.Region+`:`+cfg.AccountID+`:backup-vault:`+cfg.Bunker.VaultName+`$`, out[stacks.OutputAirGappedVaultArn])
	assert.Regexp(t, `^arn:aws:ram:`+cfg.Region+`:`+cfg.AccountID+`:resource-share/`, out[stacks.OutputResourceShareArn])
}

func TestPreviewMissingReferencedStack(t *testing.T) {
	_, err := referencedOutputs(t.TempDir(), map[string]string{"fintech-resilience:bunkerStack": "org/fintech-resilience/vault"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fintech-resilience:bunkerStack is "org/fintech-resilience/vault" but Pulumi.vault.yaml is not in`)
}
