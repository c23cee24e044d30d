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
)

// editedStackFile writes Pulumi.<stack>.yaml with from replaced by to into
// a temporary file and returns its path (for --config / offline.Preview).
func editedStackFile(t *testing.T, stack, from, to string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "Pulumi."+stack+".yaml"))
	require.NoError(t, err)
	require.Contains(t, string(raw), from)
	path := filepath.Join(t.TempDir(), stack+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), from, to, 1)), 0o600))
	return path
}

// Configurations that cannot work in a real account exit 2 naming the keys,
// before anything is registered.
func TestPrerequisiteConfigExits2(t *testing.T) {
	cases := []struct {
		name, stack, from, to string
		keys                  []string
	}{
		{"ecs without an internet gateway", "restore",
			"natGateways: single", "natGateways: none",
			[]string{"fintech-resilience:apiMode", "fintech-resilience:natGateways", "fintech-resilience:publicIngress", "internet gateway"}},
		{"accepter with RAM sharing for Organizations on", "restore",
			"ramSharingWithOrganization: true", "ramSharingWithOrganization: true\n  fintech-resilience:acceptBunkerShare: true",
			[]string{"fintech-resilience:acceptBunkerShare", "fintech-resilience:ramSharingWithOrganization"}},
		{"Pulumi Cloud org on a self-managed backend", "restore",
			"bunkerStack: organization/", "bunkerStack: acme/",
			[]string{"fintech-resilience:bunkerStack", "fintech-resilience:stateBackend", "organization/fintech-resilience/bunker"}},
		{"detector id malformed", "bunker",
			"# fintech-resilience:guardDutyDetectorId:", "fintech-resilience:guardDutyDetectorId: not-an-id #",
			[]string{"fintech-resilience:guardDutyDetectorId"}},
		{"organization id malformed", "workload",
			"organizationId: o-a1b2c3d4e5", "organizationId: 123",
			[]string{"fintech-resilience:organizationId"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := editedStackFile(t, c.stack, c.from, c.to)
			code, out, errOut := runCLI("preview", "--stack", c.stack, "--dir", "..", "--config", path)
			assert.Equal(t, fincheck.ExitUsage, code)
			assert.Empty(t, out)
			for _, k := range c.keys {
				assert.Contains(t, errOut, k)
			}
		})
	}
}

// Both forms of the bunker stack reference work: the shipped self-managed
// form, and <org>/fintech-resilience/bunker for Pulumi Cloud.
func TestStackReferenceForms(t *testing.T) {
	path := editedStackFile(t, "restore", "stateBackend: self-managed\n", "stateBackend: pulumi-cloud\n")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), "bunkerStack: organization/", "bunkerStack: acme/", 1)), 0o600))
	g, _, err := offline.Preview("..", "restore", path)
	require.NoError(t, err)
	refs := g.OfType("pulumi:pulumi:StackReference")
	require.Len(t, refs, 1)
	assert.Equal(t, "acme/fintech-resilience/bunker", refs[0].Inputs["name"])
}
