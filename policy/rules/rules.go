// Package rules holds the FinTech policy rules as plain Go functions over a
// resource graph. The CrossGuard pack (policy/) and the offline checker
// (cmd/fincheck) evaluate the same rules.
//
// A rule with Scope ResourceScope decides from one resource alone and runs
// as a CrossGuard resource policy; a rule with Scope StackScope needs the
// graph (references through property dependencies) and runs as a stack
// policy. Rules never read an unknown value as known: a check whose input is
// unknown during a preview is skipped for that value, never guessed.
package rules

import (
	"fmt"
	"sort"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Enforcement of a rule.
type Enforcement string

// Enforcement levels, as CrossGuard names them.
const (
	Mandatory Enforcement = "mandatory"
	Advisory  Enforcement = "advisory"
	Disabled  Enforcement = "disabled"
)

// Scope says what a rule needs to decide.
type Scope int

// Scopes.
const (
	ResourceScope Scope = iota
	StackScope
)

// Finding is one problem a rule found.
type Finding struct {
	URN     string
	Message string
}

// Rule is one policy.
type Rule struct {
	// Name is the CrossGuard policy name (kebab-case).
	Name string
	// Description says what the rule requires.
	Description string
	// Enforcement is the default level; pack config may override it.
	Enforcement Enforcement
	// Practice names the seed best practice it enforces (e.g. "seed 000 #3").
	Practice string
	// Controls are the FISC security standard controls (e.g. "実3").
	Controls []string
	// Family groups rules for reports and tests.
	Family string
	// Scope decides where it runs in CrossGuard.
	Scope Scope
	// Types are the resource types the rule looks at (empty: the stack as a
	// whole). A ResourceScope rule must name them.
	Types []string
	// Check returns the findings for the graph. ResourceScope rules are
	// called with a graph of one resource in CrossGuard.
	Check func(g *graph.Graph) []Finding
}

// Violation is a finding with its rule's metadata.
type Violation struct {
	Policy      string      `json:"policy"`
	Enforcement Enforcement `json:"enforcement"`
	URN         string      `json:"urn"`
	Message     string      `json:"message"`
	Controls    []string    `json:"controls"`
}

// Evaluate runs every rule over the graph. overrides maps a rule name to
// an enforcement level (pack configuration). The result is sorted.
func Evaluate(g *graph.Graph, rules []Rule, overrides map[string]Enforcement) []Violation {
	var out []Violation
	for _, r := range rules {
		level := r.Enforcement
		if o, ok := overrides[r.Name]; ok {
			level = o
		}
		if level == Disabled {
			continue
		}
		for _, f := range r.Check(g) {
			out = append(out, Violation{
				Policy: r.Name, Enforcement: level, URN: f.URN, Message: f.Message,
				Controls: append([]string{}, r.Controls...),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Policy != out[j].Policy {
			return out[i].Policy < out[j].Policy
		}
		if out[i].URN != out[j].URN {
			return out[i].URN < out[j].URN
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// HasMandatory reports whether any violation is mandatory.
func HasMandatory(vs []Violation) bool {
	for _, v := range vs {
		if v.Enforcement == Mandatory {
			return true
		}
	}
	return false
}

// Find returns the rule with that name.
func Find(rules []Rule, name string) (Rule, error) {
	for _, r := range rules {
		if r.Name == name {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("no rule named %q", name)
}

// perResource builds a Check that applies fn to every resource of types.
func perResource(types []string, fn func(g *graph.Graph, r *graph.Resource) []string) func(*graph.Graph) []Finding {
	return func(g *graph.Graph) []Finding {
		var out []Finding
		for _, r := range g.OfType(types...) {
			for _, msg := range fn(g, r) {
				out = append(out, Finding{URN: r.URN, Message: msg})
			}
		}
		return out
	}
}
