package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/policy/flows"
)

// A refusal is unverifiable only when the simulator dropped a context key
// that a policy of the request conditions on; a dropped key no policy names
// leaves the refusal conclusive.
func TestJudgeIgnoredContextKeys(t *testing.T) {
	const key = "kms:EncryptionContext:aws:logs:arn"
	check := func(resourcePolicy string) flows.Check {
		return flows.Check{
			Decl:   flows.Decl{Name: "f", Kind: flows.Required, Context: map[string]string{key: "arn:aws:logs:r:1:log-group:/x"}},
			Action: "kms:Encrypt",
			Request: &iamsim.Request{ID: "r", Action: "kms:Encrypt",
				ResourcePolicy: json.RawMessage(resourcePolicy)},
		}
	}
	denied := map[string]iamsim.Result{"r": {ID: "r", Decision: iamsim.ImplicitlyDenied, IgnoredContextKeys: []string{key}}}

	conditioned := `{"Statement":[{"Effect":"Allow","Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:*"}}}]}`
	rows := flows.Judge([]flows.Check{check(conditioned)}, denied)
	assert.Equal(t, flows.Unverifiable, rows[0].Verdict)
	assert.True(t, rows[0].OK)
	assert.Contains(t, rows[0].DecidedBy, "does not evaluate context key "+key)

	unconditioned := `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"}}]}`
	rows = flows.Judge([]flows.Check{check(unconditioned)}, denied)
	assert.Equal(t, flows.Denied, rows[0].Verdict)
	assert.False(t, rows[0].OK)
}
