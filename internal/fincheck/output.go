package fincheck

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// Report is the JSON document of preview and analyze.
type Report struct {
	Stack      string            `json:"stack"`
	Resources  []ResourceOut     `json:"resources"`
	Violations []rules.Violation `json:"violations"`
}

// ResourceOut is one resource as printed: secrets redacted.
type ResourceOut struct {
	URN                  string              `json:"urn"`
	Type                 string              `json:"type"`
	Name                 string              `json:"name"`
	Parent               string              `json:"parent"`
	Custom               bool                `json:"custom"`
	Inputs               map[string]any      `json:"inputs"`
	PropertyDependencies map[string][]string `json:"propertyDependencies"`
}

// NewReport builds the printable report.
func NewReport(stack string, g *graph.Graph, vs []rules.Violation) Report {
	rep := Report{Stack: stack, Resources: []ResourceOut{}, Violations: []rules.Violation{}}
	for _, r := range g.Resources {
		inputs, _ := graph.Redact(r.Inputs).(map[string]any)
		if inputs == nil {
			inputs = map[string]any{}
		}
		deps := r.PropertyDependencies
		if deps == nil {
			deps = map[string][]string{}
		}
		rep.Resources = append(rep.Resources, ResourceOut{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Custom: r.Custom,
			Inputs: inputs, PropertyDependencies: deps,
		})
	}
	for _, v := range vs {
		if v.Controls == nil {
			v.Controls = []string{}
		}
		rep.Violations = append(rep.Violations, v)
	}
	return rep
}

func write(w io.Writer, format, stack string, g *graph.Graph, vs []rules.Violation) error {
	switch format {
	case "json":
		return writeJSON(w, NewReport(stack, g, vs))
	default:
		return writeText(w, stack, g, vs)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing json: %w", err)
	}
	return nil
}

// topComponent returns "type name" of the outermost component above r, or
// "(top level)".
func topComponent(g *graph.Graph, r *graph.Resource) string {
	top := ""
	for p := g.ByURN(r.Parent); p != nil; p = g.ByURN(p.Parent) {
		if !p.Custom {
			top = p.Type + " " + p.Name
		}
	}
	if top == "" {
		if !r.Custom {
			return r.Type + " " + r.Name
		}
		return "(top level)"
	}
	return top
}

func writeText(w io.Writer, stack string, g *graph.Graph, vs []rules.Violation) error {
	byType := map[string]int{}
	byComponent := map[string]int{}
	custom := 0
	for _, r := range g.Resources {
		if !r.Custom {
			continue
		}
		custom++
		byType[r.Type]++
		byComponent[topComponent(g, r)]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s: %d cloud resources in %d components\n", stack, custom, len(g.Resources)-custom)
	fmt.Fprintf(&b, "\nper component:\n")
	for _, k := range slices.Sorted(maps.Keys(byComponent)) {
		fmt.Fprintf(&b, "  %4d  %s\n", byComponent[k], k)
	}
	fmt.Fprintf(&b, "\nper type:\n")
	for _, k := range slices.Sorted(maps.Keys(byType)) {
		fmt.Fprintf(&b, "  %4d  %s\n", byType[k], k)
	}
	mandatory, advisory := 0, 0
	for _, v := range vs {
		if v.Enforcement == rules.Mandatory {
			mandatory++
		} else {
			advisory++
		}
	}
	fmt.Fprintf(&b, "\npolicy: %d mandatory, %d advisory violation(s)\n", mandatory, advisory)
	for _, v := range vs {
		fmt.Fprintf(&b, "  [%s] %s %s\n      %s (FISC %s)\n", v.Enforcement, v.Policy, v.URN, v.Message, strings.Join(v.Controls, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
