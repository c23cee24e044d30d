package fincheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// secretSig marks a secret value in exported state.
const (
	secretSigKey   = "4dabf18193072939515e22adb298388d"
	secretSigValue = "1b47061264138c4ac30d75fd1eb44270"
)

type exportedResource struct {
	URN                  string              `json:"urn"`
	Custom               bool                `json:"custom"`
	ID                   string              `json:"id"`
	Type                 string              `json:"type"`
	Inputs               map[string]any      `json:"inputs"`
	Outputs              map[string]any      `json:"outputs"`
	Parent               string              `json:"parent"`
	PropertyDependencies map[string][]string `json:"propertyDependencies"`
}

type exportedStack struct {
	Version    *int `json:"version"`
	Deployment *struct {
		Resources []exportedResource `json:"resources"`
	} `json:"deployment"`
}

// LoadState reads a stack exported with `pulumi stack export` (deployment
// version 3) into a graph.
func LoadState(path string) (*graph.Graph, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return ParseState(raw, path)
}

// ParseState parses exported state; name is used in messages.
func ParseState(raw []byte, name string) (*graph.Graph, error) {
	var st exportedStack
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: not a JSON stack export: %w", name, err)
	}
	if st.Version == nil || st.Deployment == nil {
		return nil, fmt.Errorf("%s: not a stack export (expected {\"version\": 3, \"deployment\": {...}} from `pulumi stack export`)", name)
	}
	if *st.Version != 3 {
		return nil, fmt.Errorf("%s: deployment version %d is not supported (expected 3)", name, *st.Version)
	}
	var res []*graph.Resource
	for i, r := range st.Deployment.Resources {
		if r.URN == "" || r.Type == "" {
			return nil, fmt.Errorf("%s: resource %d has no urn or type", name, i)
		}
		if r.Type == "pulumi:pulumi:Stack" {
			continue
		}
		inputs, _ := fromState(r.Inputs).(map[string]any)
		outputs, _ := fromState(r.Outputs).(map[string]any)
		if inputs == nil {
			inputs = map[string]any{}
		}
		res = append(res, &graph.Resource{
			URN: r.URN, Type: r.Type, Name: urnName(r.URN), Parent: r.Parent, Custom: r.Custom,
			Inputs: inputs, Outputs: outputs, ID: r.ID, PropertyDependencies: r.PropertyDependencies,
		})
	}
	return graph.New(res), nil
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// fromState converts exported JSON values: json.Number to float64 and the
// secret envelope to graph.Secret.
func fromState(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	case map[string]any:
		if sig, ok := t[secretSigKey].(string); ok && sig == secretSigValue {
			if plain, ok := t["plaintext"].(string); ok {
				var inner any
				dec := json.NewDecoder(strings.NewReader(plain))
				dec.UseNumber()
				if err := dec.Decode(&inner); err == nil {
					return graph.Secret{Value: fromState(inner)}
				}
			}
			return graph.Secret{Value: "[secret]"}
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = fromState(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fromState(e)
		}
		return out
	}
	return v
}

func runAnalyze(args []string, stdout io.Writer) (int, error) {
	fs := newFlags("analyze")
	state := fs.String("state", "", "file written by `pulumi stack export`")
	format := fs.String("format", "text", "text, json or sarif")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	if *state == "" {
		return ExitUsage, usageError("--state is required")
	}
	if err := checkFormat(*format, "text", "json", "sarif"); err != nil {
		return ExitUsage, err
	}
	g, err := LoadState(*state)
	if err != nil {
		return ExitUsage, err
	}
	stack := strings.TrimSuffix(filepath.Base(*state), filepath.Ext(*state))
	vs := rules.Evaluate(g, rules.All(), nil)
	if err := writeFor(stdout, *format, stack, *state, g, vs); err != nil {
		return ExitUsage, err
	}
	if rules.HasMandatory(vs) {
		return ExitViolation, nil
	}
	return ExitOK, nil
}
