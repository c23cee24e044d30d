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
	_, err := NewSession().referencedOutputs(t.TempDir(), map[string]string{"fintech-resilience:bunkerStack": "org/fintech-resilience/vault"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fintech-resilience:bunkerStack is "org/fintech-resilience/vault" but Pulumi.vault.yaml is not in`)
}

// A session previews the referenced bunker stack once for every stack that
// references it, and answers a repeated preview with the same graph.
func TestSessionPreviewsEachStackOnce(t *testing.T) {
	s := NewSession()
	r, _, err := s.Preview("../..", "restore", "")
	require.NoError(t, err)
	require.Len(t, s.done, 2, "the restore stack and the bunker stack it references")
	b1, _, err := s.Preview("../..", "bunker", "")
	require.NoError(t, err)
	_, _, err = s.Preview("../..", "workload", "")
	require.NoError(t, err)
	assert.Len(t, s.done, 3, "the bunker stack is not previewed again")
	b2, _, err := s.Preview("../../components/..", "bunker", "")
	require.NoError(t, err)
	assert.Same(t, b1, b2, "the same directory by another path is the same stack")
	r2, _, err := s.Preview("../..", "restore", "")
	require.NoError(t, err)
	assert.Same(t, r, r2)

	// A failed preview is remembered as failed.
	_, _, err = s.Preview("../..", "nosuch", "")
	require.Error(t, err)
	_, _, err2 := s.Preview("../..", "nosuch", "")
	assert.Equal(t, err, err2)

	// Outside a session every call previews afresh.
	b3, _, err := Preview("../..", "bunker", "")
	require.NoError(t, err)
	assert.NotSame(t, b1, b3)
	assert.Equal(t, len(b1.Resources), len(b3.Resources))
}
