// Package graph is the resource graph the FinTech policy rules decide from.
//
// The same graph is built from three sources: the offline preview (Pulumi
// mocks), a CrossGuard analyzer request during a real `pulumi preview`, and a
// stack exported with `pulumi stack export`. In a real preview most ids and
// ARNs are unknown, so references between resources are followed through the
// property dependencies (URNs) the engine records; ids and ARNs are used as a
// second source when they are known.
//
// Values are plain Go trees (map[string]any, []any, string, float64, bool,
// nil) in which a secret is wrapped in Secret and a value not yet known is
// Unknown. Accessors unwrap secrets and report unknowns so that no rule ever
// reads an unknown value as if it were known.
package graph

import (
	"sort"
)

// Unknown marks a value that is computed during a preview and not known yet.
type Unknown struct{}

// Secret wraps a value that Pulumi marks secret. Rules may read it; anything
// that prints a graph must use Redact.
type Secret struct{ Value any }

// Resource is one node of the graph.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
	Custom bool   `json:"custom"`
	// Inputs are the resource inputs (what the program asked for).
	Inputs map[string]any `json:"inputs"`
	// PropertyDependencies maps an input name to the URNs it depends on.
	PropertyDependencies map[string][]string `json:"propertyDependencies"`
	// ID and Outputs are filled from exported state or mocks; empty in a
	// real preview of resources that do not exist yet.
	ID      string         `json:"-"`
	Outputs map[string]any `json:"-"`
	// IgnoreChanges are the resource's ignoreChanges option (preview and
	// CrossGuard; not in exported state).
	IgnoreChanges []string `json:"-"`
}

// Graph is an indexed set of resources.
type Graph struct {
	Resources []*Resource
	byURN     map[string]*Resource
	byID      map[string]*Resource
	byARN     map[string]*Resource
	children  map[string][]*Resource
}

// New indexes resources. The slice is sorted by URN so evaluation order and
// output are deterministic.
func New(resources []*Resource) *Graph {
	sorted := make([]*Resource, len(resources))
	copy(sorted, resources)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].URN < sorted[j].URN })
	g := &Graph{
		Resources: sorted,
		byURN:     map[string]*Resource{},
		byID:      map[string]*Resource{},
		byARN:     map[string]*Resource{},
		children:  map[string][]*Resource{},
	}
	for _, r := range sorted {
		g.byURN[r.URN] = r
		if r.ID != "" {
			g.byID[r.ID] = r
		}
		if arn, ok := r.Output("arn"); ok {
			if s, isStr := arn.(string); isStr && s != "" {
				g.byARN[s] = r
			}
		}
		if r.Parent != "" {
			g.children[r.Parent] = append(g.children[r.Parent], r)
		}
	}
	return g
}

// ByURN returns the resource with that URN, or nil.
func (g *Graph) ByURN(urn string) *Resource { return g.byURN[urn] }

// ByARN returns the resource whose known "arn" output is arn, or nil.
func (g *Graph) ByARN(arn string) *Resource { return g.byARN[arn] }

// OfType returns every resource of the given type tokens, in URN order.
func (g *Graph) OfType(types ...string) []*Resource {
	var out []*Resource
	for _, r := range g.Resources {
		for _, t := range types {
			if r.Type == t {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Children returns the direct children of a resource.
func (g *Graph) Children(urn string) []*Resource { return g.children[urn] }

// Refs returns the resources an input refers to, of the given types (all
// types when none is given): first through the property dependencies, then
// through known ids and ARNs found in the value. The result is deduplicated
// and in URN order.
func (g *Graph) Refs(r *Resource, prop string, types ...string) []*Resource {
	seen := map[string]bool{}
	var out []*Resource
	add := func(t *Resource) {
		if t == nil || seen[t.URN] || t.URN == r.URN {
			return
		}
		if len(types) > 0 && !containsString(types, t.Type) {
			return
		}
		seen[t.URN] = true
		out = append(out, t)
	}
	for _, urn := range r.PropertyDependencies[prop] {
		add(g.byURN[urn])
	}
	if v, known := r.Input(prop); known {
		for _, s := range deepStrings(v) {
			add(g.byID[s])
			add(g.byARN[s])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// ReferencedBy returns the resources of the given type whose input prop
// refers to target.
func (g *Graph) ReferencedBy(target *Resource, typ, prop string) []*Resource {
	var out []*Resource
	for _, r := range g.OfType(typ) {
		for _, t := range g.Refs(r, prop) {
			if t.URN == target.URN {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Input reads a nested input. known is false when any step is Unknown. A
// missing key gives (nil, true).
func (r *Resource) Input(path ...string) (any, bool) {
	return Lookup(r.Inputs, path...)
}

// Output reads a nested output (exported state and mocks only).
func (r *Resource) Output(path ...string) (any, bool) {
	if r.Outputs == nil {
		return nil, false
	}
	return Lookup(r.Outputs, path...)
}

// Lookup walks nested maps by key, unwrapping secrets.
func Lookup(v any, path ...string) (any, bool) {
	cur := Unwrap(v)
	for _, key := range path {
		if _, isUnknown := cur.(Unknown); isUnknown {
			return nil, false
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, true
		}
		cur = Unwrap(m[key])
	}
	if _, isUnknown := cur.(Unknown); isUnknown {
		return nil, false
	}
	return cur, true
}

// Unwrap removes any Secret wrappers.
func Unwrap(v any) any {
	for {
		s, ok := v.(Secret)
		if !ok {
			return v
		}
		v = s.Value
	}
}

// IsUnknown reports whether v (after unwrapping secrets) is unknown, or is
// a list or map containing an unknown.
func IsUnknown(v any) bool {
	switch t := Unwrap(v).(type) {
	case Unknown:
		return true
	case []any:
		for _, e := range t {
			if IsUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if IsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// Str returns v as a string, or "" when it is not one.
func Str(v any) string {
	s, _ := Unwrap(v).(string)
	return s
}

// Bool returns v as a bool and whether it was one.
func Bool(v any) (bool, bool) {
	b, ok := Unwrap(v).(bool)
	return b, ok
}

// Num returns v as a number and whether it was one.
func Num(v any) (float64, bool) {
	switch n := Unwrap(v).(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// List returns v as a list, or nil.
func List(v any) []any {
	l, _ := Unwrap(v).([]any)
	return l
}

// Map returns v as a map, or nil.
func Map(v any) map[string]any {
	m, _ := Unwrap(v).(map[string]any)
	return m
}

// Strings returns the known strings in v: v itself if it is a string, or
// the string elements of a list.
func Strings(v any) []string {
	switch t := Unwrap(v).(type) {
	case string:
		if t == "" {
			return nil
		}
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := Unwrap(e).(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Redact returns a copy of v with every secret replaced by "[secret]" and
// every unknown by "[unknown]", for printing.
func Redact(v any) any {
	switch t := v.(type) {
	case Secret:
		return "[secret]"
	case Unknown:
		return "[unknown]"
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = Redact(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Redact(e)
		}
		return out
	}
	return v
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// deepStrings returns every known non-empty string in v, walking lists and
// maps (ids and ARNs nested in objects such as origins[].vpcOriginConfig).
func deepStrings(v any) []string {
	switch t := Unwrap(v).(type) {
	case string:
		if t != "" {
			return []string{t}
		}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, deepStrings(e)...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, deepStrings(t[k])...)
		}
		return out
	}
	return nil
}
