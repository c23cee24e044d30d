package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// M is an input or output map.
type M = map[string]any

// L is a list value.
type L = []any

// unk is a value computed during a preview.
var unk = graph.Unknown{}

// Accounts and keys used across the tables.
const (
	acct   = "111111111111"
	bunker = "222222222222"
	cmk    = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// U is the URN of a test resource.
func U(typ, name string) string { return "urn:pulumi:test::proj::" + typ + "::" + name }

// node builds one graph resource.
type node struct{ r *graph.Resource }

// R is a custom resource of type typ named name with inputs in.
func R(typ, name string, in M) node {
	if in == nil {
		in = M{}
	}
	return node{&graph.Resource{URN: U(typ, name), Type: typ, Name: name, Custom: true, Inputs: in}}
}

// Dep records that input prop depends on the resources with these URNs.
func (n node) Dep(prop string, urns ...string) node {
	if n.r.PropertyDependencies == nil {
		n.r.PropertyDependencies = map[string][]string{}
	}
	n.r.PropertyDependencies[prop] = append(n.r.PropertyDependencies[prop], urns...)
	return n
}

// ID sets the provider id (known in exported state).
func (n node) ID(id string) node { n.r.ID = id; return n }

// ARN sets outputs.arn (known in exported state).
func (n node) ARN(arn string) node { return n.Out("arn", arn) }

// Out sets one output.
func (n node) Out(k string, v any) node {
	if n.r.Outputs == nil {
		n.r.Outputs = M{}
	}
	n.r.Outputs[k] = v
	return n
}

// URN of the node.
func (n node) URN() string { return n.r.URN }

// gr indexes nodes into a graph.
func gr(ns ...node) *graph.Graph {
	res := make([]*graph.Resource, len(ns))
	for i, n := range ns {
		res[i] = n.r
	}
	return graph.New(res)
}

// policyDoc renders an IAM/KMS policy document as the JSON string Pulumi
// passes as input.
func policyDoc(statements ...M) string {
	b, err := json.Marshal(M{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// caseKind says what a case shows.
type caseKind string

const (
	pass    caseKind = "pass"
	fail    caseKind = "fail"
	unknown caseKind = "unknown" // decisive input is graph.Unknown: no violation
)

// want is one expected finding: exact URN, message substring.
type want struct{ urn, msg string }

// ruleCase is one table row: a rule, a minimal graph and the findings.
type ruleCase struct {
	rule string
	kind caseKind
	name string
	res  []node
	want []want
}

// runCases runs each case against its rule.
func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+string(c.kind)+"/"+c.name, func(t *testing.T) {
			rule, err := Find(All(), c.rule)
			require.NoError(t, err)
			if c.kind == fail {
				require.NotEmpty(t, c.want, "a failing case must expect findings")
			} else {
				require.Empty(t, c.want, "a %s case expects no finding", c.kind)
			}
			g := gr(c.res...)
			var got []Finding
			require.NotPanics(t, func() { got = rule.Check(g) })
			matchFindings(t, got, c.want)

			if rule.Scope == ResourceScope {
				// CrossGuard calls a resource policy with one resource at a
				// time: it must decide the same from that resource alone, and
				// only on the types it declares.
				var single []Finding
				for _, n := range c.res {
					require.NotPanics(t, func() { single = append(single, rule.Check(graph.New([]*graph.Resource{n.r}))...) })
				}
				assert.ElementsMatch(t, got, single, "resource-scope rule depends on other resources")
				for _, f := range got {
					r := g.ByURN(f.URN)
					require.NotNil(t, r, "finding on a resource not in the graph: %q", f.URN)
					assert.Contains(t, rule.Types, r.Type, "finding on a type the rule does not declare")
				}
			}
			// The whole pack must not panic on the case either.
			require.NotPanics(t, func() { Evaluate(g, All(), nil) })
		})
	}
}

// matchFindings asserts that got holds exactly the wanted findings, in any
// order: same URN, message containing the wanted substring.
func matchFindings(t *testing.T, got []Finding, wants []want) {
	t.Helper()
	rest := append([]Finding(nil), got...)
	for _, w := range wants {
		idx := -1
		for i, f := range rest {
			if f.URN == w.urn && strings.Contains(f.Message, w.msg) {
				idx = i
				break
			}
		}
		if !assert.GreaterOrEqual(t, idx, 0, "no finding on %s containing %q; got %+v", w.urn, w.msg, got) {
			continue
		}
		rest = append(rest[:idx], rest[idx+1:]...)
	}
	assert.Empty(t, rest, "unexpected findings")
}
