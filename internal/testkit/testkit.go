// Package testkit holds the fixtures the component and stack tests share:
// the preview options of a test stack, rotated customer-managed keys, a
// SecureVPC with the arguments the tests use, resource look-ups in a policy
// graph and the "no mandatory policy violation" check. Only tests import it.
package testkit

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// Account and Region of the test stack.
const (
	Account = "111111111111"
	Region  = "ap-northeast-1"
)

// Options are the preview options of the test stack: project and stack
// "test" in Account and Region.
func Options() preview.Options {
	return preview.Options{Project: "test", Stack: "test", Account: Account, Region: Region}
}

// OptionsIn are Options for a stack in account (e.g. the bunker or the
// restore account).
func OptionsIn(account string) preview.Options {
	o := Options()
	o.Account = account
	return o
}

// Key creates a customer-managed KMS key with rotation on.
func Key(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	return kms.NewKey(ctx, name, &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(true)}, opts...)
}

// Keys creates a rotated key per name (see Key), in order, and returns them
// by name.
func Keys(ctx *pulumi.Context, names ...string) (map[string]*kms.Key, error) {
	out := make(map[string]*kms.Key, len(names))
	for _, n := range names {
		k, err := Key(ctx, n)
		if err != nil {
			return nil, err
		}
		out[n] = k
	}
	return out, nil
}

// NetworkArgs are the SecureVPC arguments the tests start from: 10.10.0.0/16
// in /20 subnets over ap-northeast-1a and 1c, one NAT gateway, ports
// 443/8080/5432, a year of flow logs, in Account and Region. FlowLogKeyArn
// is left empty.
func NetworkArgs() *securevpc.Args {
	return &securevpc.Args{
		CidrBlock: "10.10.0.0/16", SubnetPrefixLength: 20,
		AvailabilityZones: []string{"ap-northeast-1a", "ap-northeast-1c"},
		NatGateways:       securevpc.NatSingle, ListenerPort: 443, AppPort: 8080, DatabasePort: 5432,
		AccountID: Account, Region: Region, FlowLogRetentionDays: 365,
	}
}

// Network creates SecureVPC name from NetworkArgs changed by mutate (may be
// nil). When mutate sets no FlowLogKeyArn, Network creates the key
// "<name>-flow-logs-key" for it.
func Network(ctx *pulumi.Context, name string, mutate func(a *securevpc.Args)) (*securevpc.SecureVPC, error) {
	a := NetworkArgs()
	if mutate != nil {
		mutate(a)
	}
	if a.FlowLogKeyArn == nil {
		k, err := Key(ctx, name+"-flow-logs-key")
		if err != nil {
			return nil, err
		}
		a.FlowLogKeyArn = k.Arn
	}
	return securevpc.NewSecureVPC(ctx, name, a)
}

// One returns the only resource of type typ, failing the test unless there
// is exactly one.
func One(t testing.TB, g *graph.Graph, typ string) *graph.Resource {
	t.Helper()
	rs := g.OfType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}

// Named returns the resource of type typ named name, failing the test when
// there is none.
func Named(t testing.TB, g *graph.Graph, typ, name string) *graph.Resource {
	t.Helper()
	for _, r := range g.OfType(typ) {
		if r.Name == name {
			return r
		}
	}
	require.Failf(t, "missing resource", "no %s named %s", typ, name)
	return nil
}

// ArnOf is the "arn" output of r ("" when it has none).
func ArnOf(r *graph.Resource) string {
	v, _ := r.Output("arn")
	return graph.Str(v)
}

// Mandatory returns the mandatory violations of rules.All() over g.
func Mandatory(g *graph.Graph) []rules.Violation {
	var out []rules.Violation
	for _, v := range rules.Evaluate(g, rules.All(), nil) {
		if v.Enforcement == rules.Mandatory {
			out = append(out, v)
		}
	}
	return out
}

// NoMandatoryViolations evaluates rules.All() over g and fails the test once
// per mandatory violation whose policy is not in ignore (e.g.
// "guardduty-enabled" for a graph of one component).
func NoMandatoryViolations(t testing.TB, g *graph.Graph, ignore ...string) {
	t.Helper()
	skip := map[string]bool{}
	for _, p := range ignore {
		skip[p] = true
	}
	for _, v := range Mandatory(g) {
		if !skip[v.Policy] {
			t.Errorf("mandatory violation %s on %s: %s", v.Policy, v.URN, v.Message)
		}
	}
}
