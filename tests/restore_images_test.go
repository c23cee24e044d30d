package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Recovery needs nothing from the workload account: the restore stack pulls
// its images from its own registry, by digest, and the only mention of the
// workload account is the registry policy that lets its registry replicate
// into the restore repository (inbound only; tags immutable, a digest runs).
func TestRestoreStackNeedsNothingFromTheWorkloadAccount(t *testing.T) {
	sf, err := stackfile.Load("..", "workload", "")
	require.NoError(t, err)
	workloadAccount := sf.Config["fintech-resilience:workloadAccountId"]
	require.Regexp(t, `^[0-9]{12}$`, workloadAccount)

	g, _, err := offline.Preview("..", "restore", "")
	require.NoError(t, err)
	var mentions []string
	for _, r := range g.Resources {
		for _, s := range deepInputStrings(r.Inputs) {
			if strings.Contains(s, workloadAccount) {
				mentions = append(mentions, r.Type+" "+r.Name)
			}
			assert.NotContains(t, s, workloadAccount+".dkr.ecr.", "%s %s pulls from the workload registry", r.Type, r.Name)
		}
	}
	assert.Equal(t, []string{"aws:ecr/registryPolicy:RegistryPolicy restore-images-registry-policy"}, mentions)

	repos := g.OfType("aws:ecr/repository:Repository")
	require.Len(t, repos, 1)
	assert.Equal(t, "IMMUTABLE", repos[0].Inputs["imageTagMutability"])
	digest := regexp.MustCompile(`^333333333333\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com/` + graph.Str(repos[0].Inputs["name"]) + `@sha256:[0-9a-f]{64}$`)
	tds := g.OfType("aws:ecs/taskDefinition:TaskDefinition")
	require.NotEmpty(t, tds)
	for _, td := range tds {
		for _, c := range containerImages(t, td) {
			assert.Regexp(t, digest, c, td.Name)
		}
	}

	// The workload registry replicates that repository to the restore account.
	wg, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	rc := wg.OfType("aws:ecr/replicationConfiguration:ReplicationConfiguration")
	require.Len(t, rc, 1)
	assert.Contains(t, mustJSONString(t, rc[0].Inputs["replicationConfiguration"]), `"registryId":"333333333333"`)
}

// A restore configuration whose image is not pinned by digest in the
// restore account's registry exits 2, naming the key.
func TestRestoreImageWithoutDigestExits2(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.restore.yaml", "Pulumi.bunker.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		s := string(raw)
		if f == "Pulumi.restore.yaml" {
			re := regexp.MustCompile(`(?m)^  fintech-resilience:apiImage: .*$`)
			require.True(t, re.MatchString(s))
			s = re.ReplaceAllString(s, "  fintech-resilience:apiImage: 333333333333.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:1.4.2")
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600))
	}
	code, out, errOut := runCLI("preview", "--stack", "restore", "--dir", dir)
	assert.Equal(t, fincheck.ExitUsage, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "fintech-resilience:apiImage")
	assert.Contains(t, errOut, "pinned by digest")
}

func deepInputStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, deepInputStrings(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, deepInputStrings(e)...)
		}
		return out
	}
	return nil
}

func containerImages(t *testing.T, td *graph.Resource) []string {
	t.Helper()
	var defs []struct {
		Image string `json:"image"`
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(td.Inputs["containerDefinitions"])), &defs), td.Name)
	var out []string
	for _, d := range defs {
		out = append(out, d.Image)
	}
	return out
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
