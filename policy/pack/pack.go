// Package pack turns the FinTech rules (policy/rules) into a CrossGuard
// policy pack built with the experimental policyx SDK, and serves it.
//
// Resource-scope rules become resource validation policies; rules that need
// the graph become stack validation policies. Every value the SDK hands over
// is converted with graph.FromPropertyValueMap, which checks IsComputed
// before reading, so unknown values during a preview never crash the pack.
// Enforcement levels can be overridden per policy through the pack
// configuration (`--policy-pack-config`), which policyx applies.
package pack

import (
	"context"
	"fmt"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// Name and Version of the pack (PulumiPolicy.yaml names the same pack).
const (
	Name    = "fintech-resilience"
	Version = "0.1.0"
)

// New builds the policy pack from the rules.
func New() (policyx.PolicyPack, error) {
	var policies []policyx.Policy
	for _, r := range rules.All() {
		policies = append(policies, toPolicy(r))
	}
	v, err := semver.Parse(Version)
	if err != nil {
		return nil, fmt.Errorf("pack version: %w", err)
	}
	p, err := policyx.NewPolicyPack(Name, v, policyx.EnforcementLevelMandatory, policies)
	if err != nil {
		return nil, fmt.Errorf("policy pack: %w", err)
	}
	return p, nil
}

// Level converts a rule enforcement to the SDK's.
func Level(e rules.Enforcement) policyx.EnforcementLevel {
	switch e {
	case rules.Advisory:
		return policyx.EnforcementLevelAdvisory
	case rules.Disabled:
		return policyx.EnforcementLevelDisabled
	}
	return policyx.EnforcementLevelMandatory
}

func description(r rules.Rule) string {
	return fmt.Sprintf("%s [%s; FISC %v]", r.Description, r.Practice, r.Controls)
}

func toPolicy(r rules.Rule) policyx.Policy {
	if r.Scope == rules.ResourceScope {
		types := map[string]bool{}
		for _, t := range r.Types {
			types[t] = true
		}
		return policyx.NewResourceValidationPolicy(r.Name, policyx.ResourceValidationPolicyArgs{
			Description:      description(r),
			EnforcementLevel: Level(r.Enforcement),
			ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
				if !types[args.Resource.Type] {
					return nil
				}
				g := graph.New([]*graph.Resource{FromAnalyzer(args.Resource)})
				for _, f := range r.Check(g) {
					args.Manager.ReportViolation(f.Message, f.URN)
				}
				return nil
			},
		})
	}
	return policyx.NewStackValidationPolicy(r.Name, policyx.StackValidationPolicyArgs{
		Description:      description(r),
		EnforcementLevel: Level(r.Enforcement),
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			res := make([]*graph.Resource, 0, len(args.Resources))
			for _, ar := range args.Resources {
				res = append(res, FromAnalyzer(ar))
			}
			for _, f := range r.Check(graph.New(res)) {
				args.Manager.ReportViolation(f.Message, f.URN)
			}
			return nil
		},
	})
}

// FromAnalyzer converts a resource the engine sends into a graph node. The
// properties double as outputs so that known ARNs resolve references (after
// an update the engine sends the resource's state).
func FromAnalyzer(r policyx.AnalyzerResource) *graph.Resource {
	props := graph.FromPropertyValueMap(r.Properties)
	deps := map[string][]string{}
	for k, v := range r.PropertyDependencies {
		deps[k] = append([]string(nil), v...)
	}
	id := ""
	if v, ok := props["id"]; ok {
		id = graph.Str(v)
	}
	return &graph.Resource{
		URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Custom: true,
		Inputs: props, Outputs: props, PropertyDependencies: deps, ID: id,
		IgnoreChanges: append([]string(nil), r.Options.IgnoreChanges...),
	}
}
