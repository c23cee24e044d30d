package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// A tag added under aws:defaultTags reaches the providers: the default
// provider reads aws:defaultTags itself, and the one explicit provider the
// program creates (us-east-1, CloudFront scope) is given the same tags.
func TestDefaultTagsReachProviders(t *testing.T) {
	path := editedStackFile(t, "workload", "      account-role: workload\n", "      account-role: workload\n      cost-center: \"1234\"\n")
	g, cfg, err := offline.Preview("..", "workload", path)
	require.NoError(t, err)
	assert.Equal(t, "1234", cfg.DefaultTags["cost-center"])
	p := testkit.Named(t, g, "pulumi:providers:aws", "us-east-1")
	tags, ok := p.Input("defaultTags", "tags")
	require.True(t, ok, "the us-east-1 provider has default tags")
	assert.Equal(t, map[string]any{
		"project": "fintech-resilience", "environment": "production", "account-role": "workload", "cost-center": "1234",
	}, tags)
}

// The front-end token goes from the configuration (read only by
// internal/config) to the Amplify app as a secret, and nowhere else.
func TestFrontendTokenReachesAmplifyAsSecret(t *testing.T) {
	const token = "ghp_not-a-real-token-0123456789"
	path := editedStackFile(t, "workload",
		"  # fintech-resilience:frontendRepository: https://github.com/example/bank-web\n",
		"  fintech-resilience:frontendRepository: https://github.com/example/bank-web\n  fintech-resilience:frontendAccessToken: "+token+"\n")
	g, _, err := offline.Preview("..", "workload", path)
	require.NoError(t, err)
	app := testkit.One(t, g, "aws:amplify/app:App")
	assert.Equal(t, graph.Secret{Value: token}, app.Inputs["accessToken"])
	for _, r := range g.Resources {
		for k, v := range r.Inputs {
			assert.False(t, plainContains(v, token), "%s input %s holds the token in plain", r.URN, k)
		}
	}
	assert.True(t, plainContains(map[string]any{"a": []any{"x " + token}}, token), "the scan finds a nested plain value")
}

// plainContains reports whether s occurs in a string of v outside secrets.
func plainContains(v any, s string) bool {
	switch x := v.(type) {
	case graph.Secret:
		return false
	case string:
		return strings.Contains(x, s)
	case map[string]any:
		for _, e := range x {
			if plainContains(e, s) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if plainContains(e, s) {
				return true
			}
		}
	}
	return false
}
