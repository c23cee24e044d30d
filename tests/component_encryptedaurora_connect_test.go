package tests

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
)

// The connect policy lets the role log in as its database user on any
// cluster of the account — the workload's and a restored one with a new
// resource id — and as no other user, in no other account: evaluated by the
// IAM simulator, not by reading the JSON.
func TestConnectPolicyEvaluated(t *testing.T) {
	doc, err := encryptedaurora.ConnectPolicy("ap-northeast-1", "111111111111", "bank_app")
	require.NoError(t, err)
	sim, err := iamsim.Locate("..")
	require.NoError(t, err)
	const role = "arn:aws:iam::111111111111:role/api-task"
	req := func(id, resource, account string) iamsim.Request {
		return iamsim.Request{
			ID: id, Principal: role, Action: "rds-db:connect", Resource: resource, ResourceAccount: account,
			IdentityPolicies: []iamsim.Policy{{Name: "connect", Document: json.RawMessage(doc)}},
		}
	}
	res, err := sim.Run(context.Background(), []iamsim.Request{
		req("workload cluster", "arn:aws:rds-db:ap-northeast-1:111111111111:dbuser:cluster-ABCDEFGHIJKL/bank_app", "111111111111"),
		req("restored cluster", "arn:aws:rds-db:ap-northeast-1:111111111111:dbuser:cluster-ZYXWVUTSRQPO/bank_app", "111111111111"),
		req("another user", "arn:aws:rds-db:ap-northeast-1:111111111111:dbuser:cluster-ABCDEFGHIJKL/postgres", "111111111111"),
		req("another account", "arn:aws:rds-db:ap-northeast-1:222222222222:dbuser:cluster-ABCDEFGHIJKL/bank_app", "222222222222"),
		req("another region", "arn:aws:rds-db:eu-west-1:111111111111:dbuser:cluster-ABCDEFGHIJKL/bank_app", "111111111111"),
	})
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range res {
		got[r.ID] = r.Decision
	}
	assert.Equal(t, map[string]string{
		"workload cluster": iamsim.Allowed,
		"restored cluster": iamsim.Allowed,
		"another user":     iamsim.ImplicitlyDenied,
		"another account":  iamsim.ImplicitlyDenied,
		"another region":   iamsim.ImplicitlyDenied,
	}, got)
}

func TestConnectPolicyRejectsBadInput(t *testing.T) {
	for _, c := range []struct{ region, account, user, want string }{
		{"ap-northeast-1", "11111111111", "bank_app", "12-digit"},
		{"cn-north-1", "111111111111", "bank_app", "cn-north-1"},
		{"ap-northeast-1", "111111111111", "bank app", "database user"},
		{"ap-northeast-1", "111111111111", "", "database user"},
	} {
		_, err := encryptedaurora.ConnectPolicy(c.region, c.account, c.user)
		require.Error(t, err, "%+v", c)
		assert.Contains(t, err.Error(), c.want)
	}
}
