package config

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const frontendToken = "ghp_not-a-real-token-0123456789"

func withFrontend(token bool) map[string]string {
	set := map[string]string{"fintech-resilience:frontendRepository": "https://github.com/example/bank-web"}
	if token {
		set["fintech-resilience:frontendAccessToken"] = frontendToken
	}
	return with(goodWorkload(), set)
}

// The token is read here, once, and reaches the stacks only through Reveal.
func TestFrontendAccessTokenRead(t *testing.T) {
	c, err := Load(getter(withFrontend(true)), "prod")
	require.NoError(t, err)
	assert.Equal(t, frontendToken, c.App.FrontendAccessToken.Reveal())
	assert.Equal(t, "main", c.App.FrontendBranch)

	_, err = Load(getter(withFrontend(false)), "prod")
	problems := problemsOf(t, err)
	require.Len(t, problems, 1)
	assert.Equal(t, Problem{Key: "fintech-resilience:frontendAccessToken", Missing: true,
		Expected: "a secret (pulumi config set --secret fintech-resilience:frontendAccessToken ...) giving Amplify read access to frontendRepository"}, problems[0])
	assert.NotContains(t, err.Error(), frontendToken)
}

// Printing or encoding the configuration never shows the token.
func TestSecretNeverPrinted(t *testing.T) {
	c, err := Load(getter(withFrontend(true)), "prod")
	require.NoError(t, err)
	s := c.App.FrontendAccessToken
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for name, v := range map[string]any{"secret": s, "app": c.App, "*app": *c.App, "config": c} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, frontendToken, "%s of %s", verb, name)
			assert.NotContains(t, out, fmt.Sprintf("%x", frontendToken), "%s of %s", verb, name)
		}
		assert.Equal(t, "[secret]", fmt.Sprintf(verb, s), verb)
	}
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), frontendToken)
	assert.Contains(t, string(raw), `"FrontendAccessToken":"[secret]"`)
	assert.Equal(t, "[secret]", s.String())

	// The guard can fail: a plain string field would show the token.
	plain := struct{ Token string }{frontendToken}
	assert.Contains(t, fmt.Sprintf("%+v", plain), frontendToken)
}
