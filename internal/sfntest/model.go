package sfntest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// modelFiles are the AWS service models (npm aws-sdk v2, pinned in
// tools/sfn) of the services the workflows call, by Step Functions service name.
var modelFiles = map[string]string{
	"backup": "backup-2018-11-15.min.json",
	"rds":    "rds-2014-10-31.min.json",
	"ssm":    "ssm-2014-11-06.min.json",
	"ecs":    "ecs-2014-11-13.min.json",
	"sns":    "sns-2010-03-31.min.json",
	"lambda": "lambda-2015-03-31.min.json",
	// CloudWatch (aws-sdk:cloudwatch) and CloudWatch Logs (aws-sdk:cloudwatchlogs).
	"cloudwatch":     "monitoring-2010-08-01.min.json",
	"cloudwatchlogs": "logs-2014-03-28.min.json",
}

// shape is a member or shape of a minified AWS service model: a reference
// ({"shape": "S1"}), or an inline type. An empty object is a string.
type shape struct {
	Shape    string            `json:"shape"`
	Type     string            `json:"type"`
	Required []string          `json:"required"`
	Members  map[string]*shape `json:"members"`
	Member   *shape            `json:"member"`
	Key      *shape            `json:"key"`
	Value    *shape            `json:"value"`
}

type operation struct {
	Input  *shape `json:"input"`
	Output *shape `json:"output"`
}

// Model is one service's API model.
type Model struct {
	Service    string
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]*shape    `json:"shapes"`
}

func loadModel(root, service string) (*Model, error) {
	file, ok := modelFiles[service]
	if !ok {
		return nil, fmt.Errorf("no service model for %q", service)
	}
	raw, err := os.ReadFile(filepath.Join(root, "tools", "sfn", "node_modules", "aws-sdk", "apis", file))
	if err != nil {
		return nil, fmt.Errorf("service model %s: %w", service, err)
	}
	m := &Model{Service: service}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("service model %s: %w", service, err)
	}
	return m, nil
}

// Operation finds the API operation a Step Functions aws-sdk action names:
// the action is the operation name with a lower-case first letter
// (StartRestoreJob -> startRestoreJob, DescribeDBInstances -> describeDBInstances).
func (m *Model) Operation(action string) (string, error) {
	if action == "" || unicode.IsUpper(rune(action[0])) {
		return "", fmt.Errorf("%s: action %q must start with a lower-case letter", m.Service, action)
	}
	op := strings.ToUpper(action[:1]) + action[1:]
	if _, ok := m.Operations[op]; !ok {
		return "", fmt.Errorf("%s has no API action %q", m.Service, action)
	}
	return op, nil
}

func (m *Model) resolve(s *shape) *shape {
	for s != nil && s.Shape != "" {
		s = m.Shapes[s.Shape]
	}
	if s == nil {
		return &shape{Type: "string"}
	}
	if s.Type == "" {
		c := *s
		c.Type = "string"
		return &c
	}
	return s
}

// SDKName is the name Step Functions' aws-sdk integrations use for an API
// member (the AWS SDK for Java 2.x naming): each word capitalised, the rest
// of an acronym lower-cased, so DBClusterIdentifier becomes
// DbClusterIdentifier, while KmsKeyId and ServerlessV2ScalingConfiguration
// stay as they are.
func SDKName(member string) string {
	r := []rune(member)
	var words []string
	start := 0
	for i := 1; i < len(r); i++ {
		prev, cur := r[i-1], r[i]
		next := rune(0)
		if i+1 < len(r) {
			next = r[i+1]
		}
		boundary := unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev) ||
			(unicode.IsUpper(prev) && unicode.IsLower(next)))
		if boundary {
			words = append(words, string(r[start:i]))
			start = i
		}
	}
	words = append(words, string(r[start:]))
	var b strings.Builder
	for _, w := range words {
		wr := []rune(w)
		b.WriteRune(unicode.ToUpper(wr[0]))
		b.WriteString(strings.ToLower(string(wr[1:])))
	}
	return b.String()
}

// naming maps a model member name to the name in Step Functions data.
type naming func(string) string

func identity(s string) string { return s }

// request checks Step Functions parameters against the operation's input
// shape (members named the Step Functions way, required members present,
// JSON types matching the model, no unknown member) and returns them with
// the API's member names.
func (m *Model) request(op string, params any, name naming) (map[string]any, error) {
	in := m.Operations[op].Input
	if in == nil {
		in = &shape{Type: "structure"}
	}
	out, err := m.convert(m.resolve(in), params, name, "", true)
	if err != nil {
		return nil, fmt.Errorf("%s:%s request: %w", m.Service, op, err)
	}
	obj, _ := out.(map[string]any)
	return obj, nil
}

// response checks a result given with the API's member names against the
// operation's output shape and returns it named the Step Functions way.
func (m *Model) response(op string, result map[string]any, name naming) (map[string]any, error) {
	o := m.Operations[op].Output
	if o == nil {
		o = &shape{Type: "structure"}
	}
	out, err := m.convert(m.resolve(o), result, name, "", false)
	if err != nil {
		return nil, fmt.Errorf("%s:%s response: %w", m.Service, op, err)
	}
	obj, _ := out.(map[string]any)
	return obj, nil
}

// convert walks v along s. inbound: v is named the Step Functions way and is
// returned with API names; otherwise the other way round.
func (m *Model) convert(s *shape, v any, name naming, path string, inbound bool) (any, error) {
	at := path
	if at == "" {
		at = "(root)"
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want an object, got %T", at, v)
		}
		byKey := map[string]string{}
		for member := range s.Members {
			if inbound {
				byKey[name(member)] = member
			} else {
				byKey[member] = name(member)
			}
		}
		out := map[string]any{}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			target, ok := byKey[k]
			if !ok {
				return nil, fmt.Errorf("%s: unknown member %q (members: %s)", at, k, strings.Join(slices.Sorted(maps.Keys(byKey)), ", "))
			}
			member := k
			if inbound {
				member = target
			}
			cv, err := m.convert(m.resolve(s.Members[member]), obj[k], name, path+"."+k, inbound)
			if err != nil {
				return nil, err
			}
			out[target] = cv
		}
		if inbound {
			for _, req := range s.Required {
				if _, ok := out[req]; !ok {
					return nil, fmt.Errorf("%s: required member %q missing", at, name(req))
				}
			}
		}
		return out, nil
	case "list":
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: want an array, got %T", at, v)
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			cv, err := m.convert(m.resolve(s.Member), e, name, fmt.Sprintf("%s[%d]", path, i), inbound)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want an object (map), got %T", at, v)
		}
		out := map[string]any{}
		for k, e := range obj {
			cv, err := m.convert(m.resolve(s.Value), e, name, path+"."+k, inbound)
			if err != nil {
				return nil, err
			}
			out[k] = cv
		}
		return out, nil
	case "string", "blob":
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("%s: want a string, got %T (%v)", at, v, v)
		}
		return v, nil
	case "timestamp":
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("%s: want a timestamp string, got %T", at, v)
		}
		return v, nil
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, fmt.Errorf("%s: want a boolean, got %T (%v)", at, v, v)
		}
		return v, nil
	case "integer", "long":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return nil, fmt.Errorf("%s: want an integer, got %T (%v)", at, v, v)
		}
		return v, nil
	case "double", "float":
		if _, ok := v.(float64); !ok {
			return nil, fmt.Errorf("%s: want a number, got %T (%v)", at, v, v)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("%s: model type %q is not supported by the harness", at, s.Type)
	}
}
