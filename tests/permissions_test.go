package tests

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/flows"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// simulator returns the pinned IAM simulator (tools/iam), skipping the test
// when it is not installed, except in CI where that is a failure. One
// simulate.mjs process (iamsim.Server) serves all the test's evaluations
// and remembers its answers, so a stack evaluated again with one policy
// edited costs only the requests that changed; it gives the answers of one
// process per evaluation, as fincheck runs it (internal/iamsim's
// TestServerMatchesFreshProcess). It is stopped when the test ends.
func simulator(t *testing.T) flows.Simulator {
	t.Helper()
	sim, err := iamsim.Locate("..")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("IAM simulator missing in CI: %v", err)
		}
		t.Skipf("IAM simulator not installed: %v", err)
	}
	srv := sim.Serve()
	t.Cleanup(func() { assert.NoError(t, srv.Close(), "stopping the IAM simulator") })
	return srv
}

// previews are the stacks' universes, previewed once per test binary:
// offline.Universe runs the Pulumi program of the stack and of the bunker
// stack it references (about 0.15 s), and the permission tests ask for the
// same three stacks ten times.
var previews struct {
	mu   sync.Mutex
	done map[string]flows.Universe
}

// universe returns the offline universe of stack: a copy the test may edit
// (editPolicy) without changing what the next test gets.
func universe(t *testing.T, stack string) flows.Universe {
	t.Helper()
	previews.mu.Lock()
	defer previews.mu.Unlock()
	u, ok := previews.done[stack]
	if !ok {
		var err error
		u, err = offline.Universe("..", stack, "")
		require.NoError(t, err)
		if previews.done == nil {
			previews.done = map[string]flows.Universe{}
		}
		previews.done[stack] = u
	}
	return copyUniverse(u)
}

// copyUniverse copies every resource of u and its Inputs map, so that an
// input can be replaced in the copy (editPolicy does so) and not in u. The
// input values themselves are shared: nothing modifies them in place.
func copyUniverse(u flows.Universe) flows.Universe {
	out := flows.Universe{Stacks: make([]flows.Stack, len(u.Stacks))}
	for i, s := range u.Stacks {
		rs := make([]*graph.Resource, len(s.Graph.Resources))
		for j, r := range s.Graph.Resources {
			c := *r
			c.Inputs = maps.Clone(r.Inputs)
			rs[j] = &c
		}
		s.Graph = graph.New(rs)
		out.Stacks[i] = s
	}
	return out
}

func evaluate(t *testing.T, sim flows.Simulator, u flows.Universe, stack string) map[string][]flows.Row {
	t.Helper()
	rows, err := flows.Evaluate(context.Background(), u, stack, sim)
	require.NoError(t, err)
	out := map[string][]flows.Row{}
	for _, r := range rows {
		out[r.Flow] = append(out[r.Flow], r)
	}
	return out
}

// Every required flow of every stack is allowed (or unverifiable with a
// reason), every forbidden flow denied, no request is refused by AWS's IAM
// reference, and the flows the incident paths depend on are proven allowed.
func TestPermissionFlowsProven(t *testing.T) {
	sim := simulator(t)
	want := map[string]flows.Counts{
		"bunker":   {RequiredAllowed: 10, ForbiddenDenied: 40, Unverifiable: 3},
		"workload": {RequiredAllowed: 69, ForbiddenDenied: 20, Unverifiable: 30},
		"restore":  {RequiredAllowed: 99, ForbiddenDenied: 21, Unverifiable: 12},
	}
	for _, stack := range []string{"bunker", "workload", "restore"} {
		t.Run(stack, func(t *testing.T) {
			rows, err := flows.Evaluate(context.Background(), universe(t, stack), stack, sim)
			require.NoError(t, err)
			for _, r := range rows {
				assert.True(t, r.OK, "%s %s %s: %s", r.Kind, r.Flow, r.Action, r.DecidedBy)
				assert.NotEqual(t, flows.Invalid, r.Verdict, r.Flow)
				if r.Verdict == flows.Unverifiable {
					assert.NotEmpty(t, r.DecidedBy, "an unverifiable flow says why: %s", r.Flow)
				}
			}
			assert.Equal(t, want[stack], flows.Count(rows))
		})
	}
	byFlow := evaluate(t, sim, universe(t, "restore"), "restore")
	for _, f := range []string{
		"restore-workflow-flow-task-sns-publish-topic-key", "isolation-flow-isolate-move-subnet",
		"isolation-flow-release-move-subnet", "restore-workflow-flow-pass-restore-role",
		// Recovery objectives and the restored cluster's log groups.
		"restore-workflow-flow-restoremetrics-put-metrics", "restore-workflow-flow-restore-tests-invoke",
		"restore-workflow-flow-task-logs-createloggroup", "restore-workflow-flow-task-logs-putretentionpolicy",
		"restore-workflow-flow-parameter-group", "restore-workflow-flow-tag-restored-cluster",
	} {
		require.NotEmpty(t, byFlow[f], f)
		for _, r := range byFlow[f] {
			assert.Equal(t, flows.Allowed, r.Verdict, "%s %s: %s", f, r.Action, r.DecidedBy)
		}
	}
	for _, f := range []string{"restore-workflow-flow-no-pass-other-role", "restore-workflow-flow-restoremetrics-no-other-namespace"} {
		require.NotEmpty(t, byFlow[f], f)
		for _, r := range byFlow[f] {
			assert.Equal(t, flows.Denied, r.Verdict, "%s: %s", f, r.DecidedBy)
		}
	}
}

// resource returns the resource of the universe's stack named name.
func flowResource(t *testing.T, u flows.Universe, stack, name string) *graph.Resource {
	t.Helper()
	for _, s := range u.Stacks {
		if s.Name != stack {
			continue
		}
		for _, r := range s.Graph.Resources {
			if r.Name == name {
				return r
			}
		}
	}
	t.Fatalf("no resource %s in stack %s", name, stack)
	return nil
}

// editPolicy rewrites the policy document held in input prop of r.
func editPolicy(t *testing.T, r *graph.Resource, prop string, edit func(statements []map[string]any) []map[string]any) {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs[prop])), &doc))
	var sts []map[string]any
	raw, err := json.Marshal(doc["Statement"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &sts))
	doc["Statement"] = edit(sts)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	r.Inputs[prop] = string(out)
}

func withoutSid(sid string) func([]map[string]any) []map[string]any {
	return func(sts []map[string]any) []map[string]any {
		var out []map[string]any
		for _, s := range sts {
			if s["Sid"] != sid {
				out = append(out, s)
			}
		}
		return out
	}
}

// failures returns the failed rows, keyed by flow.
func failures(t *testing.T, sim flows.Simulator, u flows.Universe, stack string) map[string]flows.Row {
	t.Helper()
	rows, err := flows.Evaluate(context.Background(), u, stack, sim)
	require.NoError(t, err)
	out := map[string]flows.Row{}
	for _, r := range flows.Failures(rows) {
		out[r.Flow+" "+r.Action] = r
	}
	return out
}

// Each proof can fail: breaking what it guards turns it into a named
// failure.
func TestBreakingAPermission(t *testing.T) {
	sim := simulator(t)

	t.Run("SNS key statement dropped from the restore workflow role", func(t *testing.T) {
		u := universe(t, "restore")
		editPolicy(t, flowResource(t, u, "restore", "restore-workflow-role-policy"), "policy", withoutSid("NotificationKeyThroughSNS"))
		f := failures(t, sim, u, "restore")
		for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			r, ok := f["restore-workflow-flow-task-sns-publish-topic-key "+action]
			if assert.True(t, ok, "no failure for %s: %v", action, f) {
				assert.Equal(t, flows.Denied, r.Verdict)
				assert.Contains(t, r.DecidedBy, "implicit deny")
			}
		}
		assert.Len(t, f, 2)
	})

	t.Run("log group statement dropped from the restore workflow role", func(t *testing.T) {
		u := universe(t, "restore")
		editPolicy(t, flowResource(t, u, "restore", "restore-workflow-role-policy"), "policy", withoutSid("RestoredClusterLogGroups"))
		f := failures(t, sim, u, "restore")
		for _, flow := range []string{"task-logs-createloggroup logs:CreateLogGroup", "task-logs-putretentionpolicy logs:PutRetentionPolicy"} {
			r, ok := f["restore-workflow-flow-"+flow]
			if assert.True(t, ok, "no failure for %s: %v", flow, f) {
				assert.Equal(t, flows.Denied, r.Verdict)
			}
		}
		assert.Len(t, f, 2)
	})

	t.Run("namespace condition dropped from restoremetrics", func(t *testing.T) {
		u := universe(t, "restore")
		editPolicy(t, flowResource(t, u, "restore", "restore-workflow-restoremetrics-policy"), "policy", func(sts []map[string]any) []map[string]any {
			for _, st := range sts {
				if st["Sid"] == "PutRecoveryMetrics" {
					delete(st, "Condition")
				}
			}
			return sts
		})
		f := failures(t, sim, u, "restore")
		r, ok := f["restore-workflow-flow-restoremetrics-no-other-namespace cloudwatch:PutMetricData"]
		if assert.True(t, ok, "no failure: %v", f) {
			assert.Equal(t, flows.Allowed, r.Verdict, "the forbidden put into another namespace is now allowed")
		}
		assert.Len(t, f, 1)
	})

	t.Run("subnet resource dropped from the isolation policy", func(t *testing.T) {
		u := universe(t, "workload")
		editPolicy(t, flowResource(t, u, "workload", "isolation-isolate-policy"), "policy", func(sts []map[string]any) []map[string]any {
			for _, s := range sts {
				if s["Sid"] == "MoveSubnetAssociationsInThisVpcOnly" {
					var keep []any
					for _, res := range s["Resource"].([]any) {
						if !strings.Contains(res.(string), ":subnet/") {
							keep = append(keep, res)
						}
					}
					s["Resource"] = keep
				}
			}
			return sts
		})
		f := failures(t, sim, u, "workload")
		r, ok := f["isolation-flow-isolate-move-subnet ec2:ReplaceNetworkAclAssociation"]
		if assert.True(t, ok, "%v", f) {
			assert.Equal(t, flows.Denied, r.Verdict)
			assert.Contains(t, r.Resource, ":subnet/")
		}
		assert.Len(t, f, 1)
	})

	t.Run("bunker vault policy allows the restore account to delete recovery points", func(t *testing.T) {
		u := universe(t, "bunker")
		allow := map[string]any{
			"Sid": "RestoreAccountDeletes", "Effect": "Allow",
			"Principal": map[string]any{"AWS": "arn:aws:iam::333333333333:root"},
			"Action":    "backup:DeleteRecoveryPoint", "Resource": "*",
		}
		vault := flowResource(t, u, "bunker", "bunker-access-policy")
		// Added beside the explicit Deny, the Allow changes nothing.
		editPolicy(t, vault, "policy", func(sts []map[string]any) []map[string]any { return append(sts, allow) })
		assert.Empty(t, failures(t, sim, u, "bunker"))
		// Without the Deny, it is the named failure.
		editPolicy(t, vault, "policy", withoutSid("NoOneDeletesOrRewrites"))
		f := failures(t, sim, u, "bunker")
		r, ok := f["bunker-flow-no-recovery-point-deletion-333333333333 backup:DeleteRecoveryPoint"]
		if assert.True(t, ok, "%v", f) {
			assert.Equal(t, flows.Allowed, r.Verdict)
			assert.Contains(t, r.DecidedBy, "RestoreAccountDeletes")
		}
		// The restore account gained the right through its Allow; the
		// bunker's own administrators through their identity policies, which
		// only the Deny held back; an outsider still gets nothing.
		_, own := f["bunker-flow-no-recovery-point-deletion-222222222222 backup:DeleteRecoveryPoint"]
		assert.True(t, own)
		_, outsider := f["bunker-flow-no-recovery-point-deletion-999999999999 backup:DeleteRecoveryPoint"]
		assert.False(t, outsider)
	})

	t.Run("notifications key grant for EventBridge removed", func(t *testing.T) {
		u := universe(t, "workload")
		editPolicy(t, flowResource(t, u, "workload", "keys-notifications"), "policy", withoutSid("ServiceUseEvents"))
		f := failures(t, sim, u, "workload")
		var events []string
		for k, r := range f {
			assert.Equal(t, "events.amazonaws.com", r.Principal, k)
			assert.Equal(t, flows.Denied, r.Verdict, k)
			events = append(events, k)
		}
		assert.Contains(t, events, "backup-alerts-flow-events-topic-key kms:GenerateDataKey")
	})
}

// A universe a test edits leaves the next one as previewed: after its own
// edit, and after TestBreakingAPermission's (which runs before it).
func TestUniverseCopiesAreIndependent(t *testing.T) {
	policy := func(u flows.Universe) string {
		return graph.Str(flowResource(t, u, "restore", "restore-workflow-role-policy").Inputs["policy"])
	}
	edited := universe(t, "restore")
	before := policy(edited)
	require.Contains(t, before, "NotificationKeyThroughSNS")
	editPolicy(t, flowResource(t, edited, "restore", "restore-workflow-role-policy"), "policy", withoutSid("NotificationKeyThroughSNS"))
	require.NotContains(t, policy(edited), "NotificationKeyThroughSNS")

	fresh := universe(t, "restore")
	assert.Equal(t, before, policy(fresh))
	u, err := offline.Universe("..", "restore", "")
	require.NoError(t, err)
	assert.Equal(t, policy(u), policy(fresh), "as a new preview")
	require.Len(t, fresh.Stacks, len(u.Stacks))
	for i := range u.Stacks {
		assert.Equal(t, u.Stacks[i].Name, fresh.Stacks[i].Name)
		assert.Equal(t, u.Stacks[i].Account, fresh.Stacks[i].Account)
		assert.Equal(t, u.Stacks[i].Graph.Resources, fresh.Stacks[i].Graph.Resources)
	}
}
