package tests

import (
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
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
	}, offline.BunkerOutputs(g))
	assert.Empty(t, offline.BunkerOutputs(graph.New(nil)), "a graph without the vault or the share answers nothing")
}

// The shipped bunker stack, previewed offline, answers both outputs the
// workload and restore stacks read, from its own account.
func TestPreviewBunkerAnswersReferences(t *testing.T) {
	g, cfg, err := offline.Preview("..", "bunker", "")
	require.NoError(t, err)
	out := offline.BunkerOutputs(g)
	require.Len(t, out, 2)
	assert.Regexp(t, `^arn:aws:backup:`+cfg.Region+`:`+cfg.AccountID+`:backup-vault:`+cfg.Bunker.VaultName+`$`, out[stacks.OutputAirGappedVaultArn])
	assert.Regexp(t, `^arn:aws:ram:`+cfg.Region+`:`+cfg.AccountID+`:resource-share/`, out[stacks.OutputResourceShareArn])
}

// The restore stack without the bunker stack file it references: the
// error names the reference and the missing file.
func TestPreviewMissingReferencedStack(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.restore.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o600))
	}
	sf, err := stackfile.Load("..", "restore", "")
	require.NoError(t, err)
	ref := sf.Config["fintech-resilience:bunkerStack"]
	require.NotEmpty(t, ref, "the shipped restore stack references the bunker stack")
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, _, err = offline.Preview(dir, "restore", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fintech-resilience:bunkerStack is "`+ref+`" but Pulumi.`+name+`.yaml is not in `+dir)
}

// A session previews the referenced bunker stack once for every stack that
// references it, and answers a repeated preview with the same graph.
func TestSessionPreviewsEachStackOnce(t *testing.T) {
	s := offline.NewSession()
	r, _, err := s.Preview("..", "restore", "")
	require.NoError(t, err)
	require.Equal(t, 2, s.Previews(), "the restore stack and the bunker stack it references")
	b1, _, err := s.Preview("..", "bunker", "")
	require.NoError(t, err)
	_, _, err = s.Preview("..", "workload", "")
	require.NoError(t, err)
	assert.Equal(t, 3, s.Previews(), "the bunker stack is not previewed again")
	b2, _, err := s.Preview("../components/..", "bunker", "")
	require.NoError(t, err)
	assert.Same(t, b1, b2, "the same directory by another path is the same stack")
	r2, _, err := s.Preview("..", "restore", "")
	require.NoError(t, err)
	assert.Same(t, r, r2)

	// A failed preview is remembered as failed.
	_, _, err = s.Preview("..", "nosuch", "")
	require.Error(t, err)
	_, _, err2 := s.Preview("..", "nosuch", "")
	assert.Equal(t, err, err2)

	// Outside a session every call previews afresh.
	b3, _, err := offline.Preview("..", "bunker", "")
	require.NoError(t, err)
	assert.NotSame(t, b1, b3)
	assert.Equal(t, len(b1.Resources), len(b3.Resources))
}
