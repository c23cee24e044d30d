// Package stackfile reads Pulumi.yaml and Pulumi.<stack>.yaml the way the
// pulumi CLI hands them to a program: every key fully qualified
// ("namespace:key"), scalars as strings, lists and objects as JSON.
//
// Secure values (secure: v1:...) cannot be decrypted offline; they are
// passed as the placeholder "[secret]" and listed as secret keys, so a
// program that reads them still sees a secret, never the ciphertext.
package stackfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SecretPlaceholder stands for a secure value offline.
const SecretPlaceholder = "[secret]"

// Stack is a loaded stack configuration.
type Stack struct {
	Project    string
	Runtime    string
	Stack      string
	Config     map[string]string
	SecretKeys []string
}

type projectFile struct {
	Name    string `yaml:"name"`
	Runtime any    `yaml:"runtime"`
	// Config entries are either a plain value or {type, default, value, ...}.
	Config map[string]any `yaml:"config"`
}

type stackFile struct {
	Config map[string]any `yaml:"config"`
}

// Load reads dir/Pulumi.yaml and the stack's file: configFile when given,
// else dir/Pulumi.<stack>.yaml.
func Load(dir, stack, configFile string) (*Stack, error) {
	projPath := filepath.Join(dir, "Pulumi.yaml")
	raw, err := os.ReadFile(projPath)
	if err != nil {
		return nil, fmt.Errorf("reading project file: %w", err)
	}
	var proj projectFile
	if err := yaml.Unmarshal(raw, &proj); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", projPath, err)
	}
	if proj.Name == "" {
		return nil, fmt.Errorf("%s: has no project name", projPath)
	}
	s := &Stack{Project: proj.Name, Stack: stack, Config: map[string]string{}}
	if rt, ok := proj.Runtime.(string); ok {
		s.Runtime = rt
	} else if m, ok := proj.Runtime.(map[string]any); ok {
		s.Runtime, _ = m["name"].(string)
	}
	secret := map[string]bool{}
	for key, decl := range proj.Config {
		v := decl
		if m, ok := decl.(map[string]any); ok {
			if _, isSecure := m["secure"]; !isSecure {
				v = m["value"]
				if v == nil {
					v = m["default"]
				}
			}
		}
		if v == nil {
			continue
		}
		full := qualify(proj.Name, key)
		str, isSecret, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", projPath, full, err)
		}
		s.Config[full] = str
		secret[full] = isSecret
	}

	if configFile == "" {
		if stack == "" {
			return nil, errors.New("no stack name given")
		}
		configFile = filepath.Join(dir, "Pulumi."+stack+".yaml")
	}
	raw, err = os.ReadFile(configFile)
	if err != nil {
		return nil, fmt.Errorf("reading stack configuration: %w", err)
	}
	var sf stackFile
	if err := yaml.Unmarshal(raw, &sf); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", configFile, err)
	}
	for key, v := range sf.Config {
		full := qualify(proj.Name, key)
		str, isSecret, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", configFile, full, err)
		}
		s.Config[full] = str
		secret[full] = isSecret
	}
	for k, isSecret := range secret {
		if isSecret {
			s.SecretKeys = append(s.SecretKeys, k)
		}
	}
	sort.Strings(s.SecretKeys)
	return s, nil
}

func qualify(project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return project + ":" + key
}

// encode turns a YAML value into the string Pulumi passes to programs.
func encode(v any) (string, bool, error) {
	switch t := v.(type) {
	case string:
		return t, false, nil
	case bool:
		return strconv.FormatBool(t), false, nil
	case int:
		return strconv.Itoa(t), false, nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), false, nil
	case map[string]any:
		if sec, ok := t["secure"]; ok && len(t) == 1 {
			if _, isStr := sec.(string); !isStr {
				return "", false, errors.New("secure value is not a string")
			}
			return SecretPlaceholder, true, nil
		}
	}
	clean, hasSecret, err := normalise(v)
	if err != nil {
		return "", false, err
	}
	out, err := json.Marshal(clean)
	if err != nil {
		return "", false, fmt.Errorf("cannot encode value: %w", err)
	}
	return string(out), hasSecret, nil
}

// normalise makes YAML-decoded trees JSON-encodable and replaces nested
// secure values by the placeholder.
func normalise(v any) (any, bool, error) {
	switch t := v.(type) {
	case map[string]any:
		if sec, ok := t["secure"]; ok && len(t) == 1 {
			if _, isStr := sec.(string); isStr {
				return SecretPlaceholder, true, nil
			}
		}
		out := make(map[string]any, len(t))
		anySecret := false
		for k, e := range t {
			n, s, err := normalise(e)
			if err != nil {
				return nil, false, err
			}
			out[k] = n
			anySecret = anySecret || s
		}
		return out, anySecret, nil
	case []any:
		out := make([]any, len(t))
		anySecret := false
		for i, e := range t {
			n, s, err := normalise(e)
			if err != nil {
				return nil, false, err
			}
			out[i] = n
			anySecret = anySecret || s
		}
		return out, anySecret, nil
	case string, bool, int, float64, nil:
		return t, false, nil
	}
	return nil, false, fmt.Errorf("unsupported value of type %T", v)
}
