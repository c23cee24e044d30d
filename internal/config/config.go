// Package config reads and validates the typed configuration of one stack.
//
// Every key is read from Pulumi configuration (namespace fintech-resilience,
// plus the aws provider keys) and validated before any resource is
// registered. All problems are collected and reported together, each naming
// the key, the bad value and the expected form.
package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Namespace is the Pulumi project name and so the configuration namespace.
const Namespace = "fintech-resilience"

// Role is what a stack is for; it decides which resources exist.
type Role string

// The three roles, one AWS account each.
const (
	RoleWorkload Role = "workload"
	RoleBunker   Role = "bunker"
	RoleRestore  Role = "restore"
)

// Roles lists the valid roles in deployment order.
var Roles = []Role{RoleBunker, RoleWorkload, RoleRestore}

// Getter reads one raw configuration value by its full key
// ("fintech-resilience:vpcCidr", "aws:region"). Structured values are JSON,
// as Pulumi passes them to programs.
type Getter func(key string) (string, bool)

// Problem is one invalid or missing configuration value.
type Problem struct {
	Key      string
	Value    string
	Expected string
	Missing  bool
}

func (p Problem) String() string {
	if p.Missing {
		return fmt.Sprintf("%s: is required: %s", p.Key, p.Expected)
	}
	return fmt.Sprintf("%s: %q %s", p.Key, p.Value, p.Expected)
}

// ValidationError lists every configuration problem found.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problem(s)):", len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

type reader struct {
	get      Getter
	problems []Problem
}

func newReader(get Getter) *reader {
	return &reader{get: get}
}

func fullKey(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return Namespace + ":" + key
}

func (r *reader) fail(key, value, expected string) {
	r.problems = append(r.problems, Problem{Key: fullKey(key), Value: value, Expected: expected})
}

func (r *reader) missing(key, expected string) {
	r.problems = append(r.problems, Problem{Key: fullKey(key), Expected: expected, Missing: true})
}

func (r *reader) raw(key string) (string, bool) {
	v, ok := r.get(fullKey(key))
	if ok && strings.TrimSpace(v) == "" {
		return "", false
	}
	return v, ok
}

// str reads a required string.
func (r *reader) str(key, expected string) string {
	v, ok := r.raw(key)
	if !ok {
		r.missing(key, expected)
		return ""
	}
	return v
}

// optStr reads an optional string with a default.
func (r *reader) optStr(key, def string) string {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	return v
}

// intIn reads an optional whole number within [lo, hi].
func (r *reader) intIn(key string, def, lo, hi int) int {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, fmt.Sprintf("is not a whole number (expected %d to %d)", lo, hi))
		return def
	}
	if n < lo || n > hi {
		r.fail(key, v, fmt.Sprintf("is out of range (expected %d to %d)", lo, hi))
		return def
	}
	return n
}

// floatIn reads an optional number within [lo, hi] in steps of 0.5.
func (r *reader) floatIn(key string, def, lo, hi float64) float64 {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < lo || f > hi || f*2 != float64(int(f*2)) {
		r.fail(key, v, fmt.Sprintf("is not a number from %g to %g in steps of 0.5", lo, hi))
		return def
	}
	return f
}

// optBool reads an optional boolean.
func (r *reader) optBool(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "is not a boolean (expected true or false)")
		return def
	}
	return b
}

// strList reads a list of strings given as a YAML list (JSON on the wire).
func (r *reader) strList(key string, required bool, expected string) []string {
	v, ok := r.raw(key)
	if !ok {
		if required {
			r.missing(key, expected)
		}
		return nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, v, "is not a list of strings ("+expected+")")
		return nil
	}
	if out == nil { // "null": a key written with no value
		if required {
			r.missing(key, expected)
		}
		return nil
	}
	return out
}

// object decodes a structured value into out; false when absent or invalid.
func (r *reader) object(key string, out any, expected string) bool {
	v, ok := r.raw(key)
	if !ok {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		r.fail(key, v, fmt.Sprintf("is not a valid object (%s): %v", expected, err))
		return false
	}
	return true
}

func (r *reader) oneOf(key, def string, allowed ...string) string {
	v := r.optStr(key, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(key, v, "is not one of "+strings.Join(allowed, ", "))
	return def
}

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	sort.SliceStable(r.problems, func(i, j int) bool { return r.problems[i].Key < r.problems[j].Key })
	return &ValidationError{Problems: r.problems}
}
