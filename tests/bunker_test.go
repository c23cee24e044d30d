package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// With the shipped stack files, the bunker vault admits copies only from
// the workload stack's account and is shared only with the restore stack's
// account.
func TestBunkerVaultWiring(t *testing.T) {
	g, bunker, err := offline.Preview("..", "bunker", "")
	require.NoError(t, err)
	_, workload, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	_, restore, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)

	vaults := g.OfType("aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault")
	require.Len(t, vaults, 1)
	assert.GreaterOrEqual(t, vaults[0].Inputs["minRetentionDays"], 7.0)

	policies := g.OfType("aws:backup/vaultPolicy:VaultPolicy")
	require.Len(t, policies, 1)
	policy := graph.Str(policies[0].Inputs["policy"])
	assert.Contains(t, policy, "arn:aws:iam::"+workload.AccountID+":root")
	assert.Equal(t, 1, strings.Count(policy, "arn:aws:iam::"), "only the workload account may copy in: %s", policy)
	assert.Contains(t, policy, `"Action":"backup:CopyIntoBackupVault"`)

	principals := g.OfType("aws:ram/principalAssociation:PrincipalAssociation")
	require.Len(t, principals, 1)
	assert.Equal(t, restore.AccountID, principals[0].Inputs["principal"])
	assert.NotEqual(t, bunker.AccountID, restore.AccountID)
	shares := g.OfType("aws:ram/resourceShare:ResourceShare")
	require.Len(t, shares, 1)
	assert.Equal(t, false, shares[0].Inputs["allowExternalPrincipals"])
}

// A bunker configuration with a 3-day minimum, or a maximum below the
// minimum, exits 2 naming the keys.
func TestBunkerRetentionConfigExits2(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.bunker.yaml")
	require.NoError(t, err)
	cases := map[string]struct{ from, to, key string }{
		"minimum 3 days": {"airGappedMinRetentionDays: 35", "airGappedMinRetentionDays: 3", "fintech-resilience:airGappedMinRetentionDays"},
		"max below min":  {"airGappedMaxRetentionDays: 400", "airGappedMaxRetentionDays: 20", "fintech-resilience:airGappedMaxRetentionDays"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, string(raw), c.from)
			path := filepath.Join(t.TempDir(), "bunker.yaml")
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), c.from, c.to, 1)), 0o600))
			code, out, errOut := runCLI("preview", "--stack", "bunker", "--dir", "..", "--config", path)
			assert.Equal(t, fincheck.ExitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, c.key)
		})
	}
}

// A stack that reads the bunker through a stack reference cannot be
// checked offline without the bunker's stack file: fincheck says so (exit 2)
// instead of passing with unknown copy targets.
func TestStackReferenceWithoutBunkerFileExits2(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.restore.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), raw, 0o600))
	}
	code, _, errOut := runCLI("preview", "--stack", "restore", "--dir", dir)
	assert.Equal(t, fincheck.ExitUsage, code)
	assert.Contains(t, errOut, "Pulumi.bunker.yaml is not in")
	assert.Contains(t, errOut, "fintech-resilience:bunkerVaultArn")
}
