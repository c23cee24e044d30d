package iamsim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulator locates tools/iam. Without node or tools/iam/node_modules the
// test is skipped, except in CI (CI=true), where it fails.
func simulator(t *testing.T) *Simulator {
	t.Helper()
	s, err := Locate(".")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("IAM simulator is not available: %v", err)
		}
		t.Skipf("IAM simulator is not available: %v", err)
	}
	return s
}

type M = map[string]any
type L = []any

const (
	workload  = "111111111111"
	bunker    = "222222222222"
	appRole   = "arn:aws:iam::111111111111:role/app"
	otherRole = "arn:aws:iam::222222222222:role/copier"
	topicARN  = "arn:aws:sns:ap-northeast-1:111111111111:alerts"
	keyARN    = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	ruleARN   = "arn:aws:events:ap-northeast-1:111111111111:rule/guardduty-findings"
	viaSNS    = "sns.ap-northeast-1.amazonaws.com"
)

func doc(t *testing.T, statements ...M) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(M{"Version": "2012-10-17", "Statement": statements})
	require.NoError(t, err)
	return b
}

// freshBatch is one simulate.mjs process's answers to testRequests, run
// once for the tests that read them (one process instead of one per test).
var freshBatch struct {
	once sync.Once
	reqs []Request
	res  []Result
	err  error
}

// fresh returns testRequests and a fresh process's results for them, in
// request order.
func fresh(t *testing.T) ([]Request, []Result) {
	t.Helper()
	sim := simulator(t)
	freshBatch.once.Do(func() {
		freshBatch.reqs = testRequests(t)
		freshBatch.res, freshBatch.err = sim.Run(context.Background(), freshBatch.reqs)
	})
	require.NoError(t, freshBatch.err)
	require.Len(t, freshBatch.res, len(freshBatch.reqs))
	return freshBatch.reqs, freshBatch.res
}

// byID returns results by their ID.
func byID(res []Result) map[string]Result {
	out := map[string]Result{}
	for _, r := range res {
		out[r.ID] = r
	}
	return out
}

// testRequests are the requests of TestDecisions, TestContextOverridesDerivedKeys
// and TestRunRejectsMalformedRequests: every kind of decision, and pairs
// that differ in one field only (TestServerMatchesFreshProcess relies on
// those).
func testRequests(t *testing.T) []Request {
	t.Helper()
	publish := Policy{Name: "publish", Document: doc(t, M{"Sid": "Publish", "Effect": "Allow", "Action": "sns:Publish", "Resource": topicARN})}
	admin := Policy{Name: "admin", Document: doc(t, M{"Effect": "Allow", "Action": "*", "Resource": "*"})}
	decrypt := Policy{Name: "decrypt", Document: doc(t, M{"Sid": "ViaSNS", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keyARN,
		"Condition": M{"StringEquals": M{"kms:ViaService": viaSNS}}})}
	bunkerOnly := doc(t, M{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": topicARN,
		"Condition": M{"StringEquals": M{"aws:PrincipalAccount": bunker}}})
	keyPolicy := doc(t, M{"Sid": "Root", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"})
	topicPolicy := doc(t,
		M{"Sid": "Owner", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sns:Publish", "Resource": topicARN},
		M{"Sid": "Events", "Effect": "Allow", "Principal": M{"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topicARN,
			"Condition": M{"ArnEquals": M{"aws:SourceArn": ruleARN}}})

	return []Request{
		{ID: "same-account", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			IdentityPolicies: []Policy{publish}},
		{ID: "cross-account, topic policy names only its own account", Principal: otherRole, Action: "sns:Publish", Resource: topicARN,
			ResourceAccount: workload, IdentityPolicies: []Policy{publish}, ResourcePolicy: topicPolicy, ResourcePolicyName: "alerts-policy"},
		{ID: "cross-account, topic policy names the account", Principal: otherRole, Action: "sns:Publish", Resource: topicARN,
			ResourceAccount: workload, IdentityPolicies: []Policy{publish}, ResourcePolicyName: "alerts-policy",
			ResourcePolicy: doc(t, M{"Sid": "Bunker", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sns:Publish", "Resource": topicARN})},
		{ID: "cross-account, no identity allow", Principal: otherRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			ResourcePolicy: doc(t, M{"Effect": "Allow", "Principal": M{"AWS": otherRole}, "Action": "sns:Publish", "Resource": topicARN})},
		{ID: "resource Deny beats admin", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			IdentityPolicies: []Policy{admin}, ResourcePolicyName: "alerts-policy",
			ResourcePolicy: doc(t, M{"Sid": "NoPublish", "Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": topicARN})},
		{ID: "kms via sns", Principal: appRole, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: workload,
			Context: map[string][]string{"kms:ViaService": {viaSNS}}, IdentityPolicies: []Policy{decrypt}, ResourcePolicy: keyPolicy, ResourcePolicyName: "key-policy"},
		{ID: "kms direct", Principal: appRole, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: workload,
			IdentityPolicies: []Policy{decrypt}, ResourcePolicy: keyPolicy, ResourcePolicyName: "key-policy"},
		{ID: "kms via another service", Principal: appRole, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: workload,
			Context: map[string][]string{"kms:ViaService": {"sqs.ap-northeast-1.amazonaws.com"}}, IdentityPolicies: []Policy{decrypt}, ResourcePolicy: keyPolicy},
		{ID: "kms key policy without root delegation", Principal: appRole, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: workload,
			Context: map[string][]string{"kms:ViaService": {viaSNS}}, IdentityPolicies: []Policy{decrypt},
			ResourcePolicy: doc(t, M{"Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:role/admin"}, "Action": "kms:*", "Resource": "*"})},
		{ID: "kms without key policy", Principal: appRole, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: workload,
			Context: map[string][]string{"kms:ViaService": {viaSNS}}, IdentityPolicies: []Policy{decrypt}},
		{ID: "events with the rule's SourceArn", Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			Context: map[string][]string{"aws:SourceArn": {ruleARN}}, ResourcePolicy: topicPolicy, ResourcePolicyName: "alerts-policy"},
		{ID: "events with another SourceArn", Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			Context: map[string][]string{"aws:SourceArn": {"arn:aws:events:ap-northeast-1:999999999999:rule/x"}}, ResourcePolicy: topicPolicy},
		{ID: "events without SourceArn", Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			ResourcePolicy: topicPolicy},
		{ID: "events, identity policies do not count", Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			Context: map[string][]string{"aws:SourceArn": {ruleARN}}, IdentityPolicies: []Policy{admin}},
		{ID: "not an IAM action", Principal: appRole, Action: "dynamodb:TransactWriteItems", Resource: "arn:aws:dynamodb:ap-northeast-1:111111111111:table/isolation",
			ResourceAccount: workload, IdentityPolicies: []Policy{admin}},
		{ID: "ARN of another service", Principal: appRole, Action: "sns:Publish", Resource: keyARN, ResourceAccount: workload, IdentityPolicies: []Policy{admin}},
		{ID: "invalid policy", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			IdentityPolicies: []Policy{{Name: "broken", Document: doc(t, M{"Effect": "Alow", "Action": "sns:Publish", "Resource": topicARN})}}},
		{ID: "key that does not apply", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			Context: map[string][]string{"kms:ViaService": {viaSNS}}, IdentityPolicies: []Policy{publish}},
		{ID: "principal keys are filled in", Principal: otherRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload,
			IdentityPolicies: []Policy{publish}, ResourcePolicyName: "alerts-policy",
			ResourcePolicy: doc(t, M{"Sid": "OrgAccount", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": topicARN,
				"Condition": M{"StringEquals": M{"aws:PrincipalAccount": bunker, "aws:ResourceAccount": workload}}})},

		// TestContextOverridesDerivedKeys
		{ID: "derived", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload, ResourcePolicy: bunkerOnly},
		{ID: "given", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload, ResourcePolicy: bunkerOnly,
			Context: map[string][]string{"AWS:PrincipalAccount": {bunker}}},
		{ID: "given, policy named", Principal: appRole, Action: "sns:Publish", Resource: topicARN, ResourceAccount: workload, ResourcePolicy: bunkerOnly,
			Context: map[string][]string{"AWS:PrincipalAccount": {bunker}}, ResourcePolicyName: "bunker-policy"},

		// TestRunRejectsMalformedRequests
		{ID: "empty"},
		{ID: "no document", Principal: appRole, Action: "sns:Publish", Resource: topicARN,
			IdentityPolicies: []Policy{{Name: "p", Document: json.RawMessage(`[]`)}}},
	}
}

func TestDecisions(t *testing.T) {
	reqs, res := fresh(t)
	got := map[string]Result{}
	for i, r := range res {
		assert.Equal(t, reqs[i].ID, r.ID, "results are in request order")
		got[r.ID] = r
	}

	assert.Equal(t, Result{ID: "same-account", Decision: Allowed,
		Decisive: []Decisive{{Policy: "publish", Sid: "Publish", Effect: "Allow", Side: "identity"}}, Errors: []string{}, IgnoredContextKeys: []string{}},
		got["same-account"])

	assert.Equal(t, ImplicitlyDenied, got["cross-account, topic policy names only its own account"].Decision)
	assert.Empty(t, got["cross-account, topic policy names only its own account"].Decisive)
	assert.Equal(t, Allowed, got["cross-account, topic policy names the account"].Decision)
	assert.ElementsMatch(t, []Decisive{
		{Policy: "publish", Sid: "Publish", Effect: "Allow", Side: "identity"},
		{Policy: "alerts-policy", Sid: "Bunker", Effect: "Allow", Side: "resource"},
	}, got["cross-account, topic policy names the account"].Decisive)
	assert.Equal(t, ImplicitlyDenied, got["cross-account, no identity allow"].Decision)

	assert.Equal(t, ExplicitlyDenied, got["resource Deny beats admin"].Decision)
	assert.Equal(t, []Decisive{{Policy: "alerts-policy", Sid: "NoPublish", Effect: "Deny", Side: "resource"}}, got["resource Deny beats admin"].Decisive)

	assert.Equal(t, Allowed, got["kms via sns"].Decision)
	assert.ElementsMatch(t, []Decisive{
		{Policy: "decrypt", Sid: "ViaSNS", Effect: "Allow", Side: "identity"},
		{Policy: "key-policy", Sid: "Root", Effect: "Allow", Side: "resource"},
	}, got["kms via sns"].Decisive)
	assert.Equal(t, ImplicitlyDenied, got["kms direct"].Decision)
	assert.Equal(t, ImplicitlyDenied, got["kms via another service"].Decision)
	assert.Equal(t, ImplicitlyDenied, got["kms key policy without root delegation"].Decision)
	assert.Equal(t, ImplicitlyDenied, got["kms without key policy"].Decision)

	assert.Equal(t, Allowed, got["events with the rule's SourceArn"].Decision)
	assert.Equal(t, []Decisive{{Policy: "alerts-policy", Sid: "Events", Effect: "Allow", Side: "resource"}}, got["events with the rule's SourceArn"].Decisive)
	assert.Equal(t, ImplicitlyDenied, got["events with another SourceArn"].Decision)
	assert.Equal(t, ImplicitlyDenied, got["events without SourceArn"].Decision)
	assert.Equal(t, ImplicitlyDenied, got["events, identity policies do not count"].Decision)

	assert.Equal(t, Result{ID: "not an IAM action", Decision: Error, Errors: []string{"invalid.action"}, IgnoredContextKeys: []string{}},
		got["not an IAM action"])
	assert.Equal(t, Error, got["ARN of another service"].Decision)
	assert.Equal(t, []string{"no.resource.types"}, got["ARN of another service"].Errors)
	assert.Equal(t, Error, got["invalid policy"].Decision)
	require.Len(t, got["invalid policy"].Errors, 2)
	assert.Equal(t, "policy.errors", got["invalid policy"].Errors[0])
	assert.Contains(t, got["invalid policy"].Errors[1], "identityPolicyErrors broken: Statement[0].Effect")

	assert.Equal(t, Allowed, got["key that does not apply"].Decision)
	assert.Equal(t, []string{"kms:ViaService"}, got["key that does not apply"].IgnoredContextKeys)

	assert.Equal(t, Allowed, got["principal keys are filled in"].Decision)
}

func TestContextOverridesDerivedKeys(t *testing.T) {
	_, res := fresh(t)
	got := byID(res)
	assert.Equal(t, ImplicitlyDenied, got["derived"].Decision)
	assert.Equal(t, Allowed, got["given"].Decision)
}

func TestRunEmptyAndBadInput(t *testing.T) {
	s := &Simulator{node: "/nonexistent/node", dir: t.TempDir(), script: "x.mjs"}
	res, err := s.Run(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, res, "no process for an empty batch")

	_, err = s.Run(context.Background(), []Request{{ID: "r", IdentityPolicies: []Policy{{Name: "p", Document: json.RawMessage(`{`)}}}})
	assert.EqualError(t, err, `iamsim: request 0 ("r"): identity policy "p": document is not valid JSON`)
	_, err = s.Run(context.Background(), []Request{{ID: "r", ResourcePolicy: json.RawMessage(`[`)}})
	assert.EqualError(t, err, `iamsim: request 0 ("r"): resource policy is not valid JSON`)

	_, err = s.Run(context.Background(), []Request{{ID: "r"}})
	assert.ErrorContains(t, err, "iamsim: simulate.mjs failed")
}

func TestRunRejectsMalformedRequests(t *testing.T) {
	_, res := fresh(t)
	got := byID(res)
	assert.Equal(t, Error, got["empty"].Decision)
	assert.Equal(t, []string{"principal must be a non-empty string", "action must be a non-empty string", "resource must be a non-empty string"}, got["empty"].Errors)
	assert.Equal(t, Error, got["no document"].Decision)
	assert.Equal(t, []string{"identityPolicies[0] p: document must be a JSON object"}, got["no document"].Errors)
}

func TestRunCancelled(t *testing.T) {
	s := simulator(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Run(ctx, []Request{{ID: "r", Principal: appRole, Action: "sns:Publish", Resource: topicARN}})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestLocate(t *testing.T) {
	// A module without tools/iam.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o600))
	sub := filepath.Join(dir, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o700))
	_, err := Locate(sub)
	assert.ErrorContains(t, err, filepath.Join(dir, "tools", "iam", "simulate.mjs")+" is missing")

	// tools/iam without node_modules.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tools", "iam"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tools", "iam", "simulate.mjs"), nil, 0o600))
	_, err = Locate(sub)
	assert.ErrorContains(t, err, "the simulator is not installed")
	assert.ErrorContains(t, err, "install Node.js >= 20 and run: npm ci --prefix tools/iam")

	// No go.mod anywhere above.
	_, err = moduleRoot(string(filepath.Separator))
	assert.ErrorContains(t, err, "no go.mod")
}

func TestNodeMajor(t *testing.T) {
	for in, want := range map[string]int{"v20.20.2\n": 20, "v18.0.0": 18, "22.1.0": 22} {
		got, ok := nodeMajor(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := nodeMajor("garbage")
	assert.False(t, ok)
}
