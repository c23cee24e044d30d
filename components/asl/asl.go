// Package asl holds Go types for the subset of the Amazon States Language
// (ASL) the components' state machines use (the restore workflow, the
// isolation approval), a deterministic JSON encoding of them and the
// structural checks (Validate, Reachable) their tests rely on. It is a
// library shared by components, not a component.
//
// A definition is built as Go values and marshalled; nobody edits the JSON.
// Marshal emits states in the order encoding/json gives maps (sorted by
// name) and fields in the order of the struct declarations, so the same
// machine always yields the same bytes.
package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// StateMachine is a whole definition.
type StateMachine struct {
	Comment        string           `json:"Comment,omitempty"`
	StartAt        string           `json:"StartAt"`
	TimeoutSeconds int              `json:"TimeoutSeconds,omitempty"`
	States         map[string]State `json:"States"`
}

// State is one state of a machine.
type State interface {
	// Type is the ASL "Type" of the state.
	Type() string
	// Transitions are the names of the states this one can hand over to
	// (Next, Default, Choices, Catch), in a stable order.
	Transitions() []string
}

// Retrier is one entry of a Task's Retry.
type Retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds int      `json:"IntervalSeconds,omitempty"`
	MaxAttempts     int      `json:"MaxAttempts,omitempty"`
	BackoffRate     float64  `json:"BackoffRate,omitempty"`
	MaxDelaySeconds int      `json:"MaxDelaySeconds,omitempty"`
}

// Catcher is one entry of a Task's Catch.
type Catcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	ResultPath  string   `json:"ResultPath,omitempty"`
	Next        string   `json:"Next"`
}

// Task calls a Lambda function or an AWS service integration.
type Task struct {
	Comment          string         `json:"Comment,omitempty"`
	Resource         string         `json:"Resource"`
	Parameters       map[string]any `json:"Parameters,omitempty"`
	ResultSelector   map[string]any `json:"ResultSelector,omitempty"`
	ResultPath       string         `json:"ResultPath,omitempty"`
	TimeoutSeconds   int            `json:"TimeoutSeconds,omitempty"`
	HeartbeatSeconds int            `json:"HeartbeatSeconds,omitempty"`
	Retry            []Retrier      `json:"Retry,omitempty"`
	Catch            []Catcher      `json:"Catch,omitempty"`
	Next             string         `json:"Next,omitempty"`
	End              bool           `json:"End,omitempty"`
	// DiscardResult writes "ResultPath": null: the task's result is
	// dropped and its output is its input. ResultPath must then be empty.
	DiscardResult bool `json:"-"`
	// Uncaught marks a task whose failure is meant to fail the execution
	// with the task's own error (the last notification of a failure path,
	// with nowhere left to go): Validate then accepts it without a Catch,
	// and rejects a Catch on it. Every other task must catch.
	Uncaught bool `json:"-"`
}

// ChoiceRule is one branch of a Choice. Either exactly one comparison of
// Variable is set, or And lists rules that must all match (the rule then
// has no Variable or comparison of its own). Only the rules of a Choice
// have a Next; the rules inside And have none.
type ChoiceRule struct {
	Variable      string       `json:"Variable,omitempty"`
	And           []ChoiceRule `json:"And,omitempty"`
	StringEquals  *string      `json:"StringEquals,omitempty"`
	StringMatches *string      `json:"StringMatches,omitempty"`
	NumericEquals *float64     `json:"NumericEquals,omitempty"`
	// NumericGreaterThanEquals is true when the variable is a number >= the value.
	NumericGreaterThanEquals *float64 `json:"NumericGreaterThanEquals,omitempty"`
	BooleanEquals            *bool    `json:"BooleanEquals,omitempty"`
	IsPresent                *bool    `json:"IsPresent,omitempty"`
	IsString                 *bool    `json:"IsString,omitempty"`
	Next                     string   `json:"Next,omitempty"`
}

// Choice branches on the state's data.
type Choice struct {
	Comment string       `json:"Comment,omitempty"`
	Choices []ChoiceRule `json:"Choices"`
	Default string       `json:"Default,omitempty"`
}

// Wait pauses for a fixed or a data-given number of seconds.
type Wait struct {
	Comment     string `json:"Comment,omitempty"`
	Seconds     int    `json:"Seconds,omitempty"`
	SecondsPath string `json:"SecondsPath,omitempty"`
	Next        string `json:"Next,omitempty"`
	End         bool   `json:"End,omitempty"`
}

// Pass reshapes the state's data.
type Pass struct {
	Comment    string         `json:"Comment,omitempty"`
	Parameters map[string]any `json:"Parameters,omitempty"`
	Result     any            `json:"Result,omitempty"`
	ResultPath string         `json:"ResultPath,omitempty"`
	Next       string         `json:"Next,omitempty"`
	End        bool           `json:"End,omitempty"`
}

// Fail stops the execution as failed. Error/Cause are constants; the
// ErrorPath/CausePath variants take them from the state's data.
type Fail struct {
	Comment   string `json:"Comment,omitempty"`
	Error     string `json:"Error,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	ErrorPath string `json:"ErrorPath,omitempty"`
	CausePath string `json:"CausePath,omitempty"`
}

// Succeed stops the execution as successful.
type Succeed struct {
	Comment string `json:"Comment,omitempty"`
}

// Type implements State.
func (*Task) Type() string { return "Task" }

// Type implements State.
func (*Choice) Type() string { return "Choice" }

// Type implements State.
func (*Wait) Type() string { return "Wait" }

// Type implements State.
func (*Pass) Type() string { return "Pass" }

// Type implements State.
func (*Fail) Type() string { return "Fail" }

// Type implements State.
func (*Succeed) Type() string { return "Succeed" }

// Transitions implements State.
func (t *Task) Transitions() []string {
	out := nonEmpty(t.Next)
	for _, c := range t.Catch {
		out = append(out, c.Next)
	}
	return out
}

// Transitions implements State.
func (c *Choice) Transitions() []string {
	var out []string
	for _, r := range c.Choices {
		out = append(out, r.Next)
	}
	return append(out, nonEmpty(c.Default)...)
}

// Transitions implements State.
func (w *Wait) Transitions() []string { return nonEmpty(w.Next) }

// Transitions implements State.
func (p *Pass) Transitions() []string { return nonEmpty(p.Next) }

// Transitions implements State.
func (*Fail) Transitions() []string { return nil }

// Transitions implements State.
func (*Succeed) Transitions() []string { return nil }

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// typed puts "Type" first and then the state's own fields.
func typed(typ string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf(`{"Type":%q`, typ)
	if string(body) == "{}" {
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), body[1:]...), nil
}

// The aliases drop the MarshalJSON methods to avoid recursion.
type (
	taskFields    Task
	choiceFields  Choice
	waitFields    Wait
	passFields    Pass
	failFields    Fail
	succeedFields Succeed
)

// MarshalJSON implements json.Marshaler.
func (t *Task) MarshalJSON() ([]byte, error) {
	if t.DiscardResult {
		// The outer ResultPath hides the embedded one and, with no
		// omitempty, encodes as null.
		return typed(t.Type(), struct {
			*taskFields
			ResultPath *string `json:"ResultPath"`
		}{taskFields: (*taskFields)(t)})
	}
	return typed(t.Type(), (*taskFields)(t))
}

// MarshalJSON implements json.Marshaler.
func (c *Choice) MarshalJSON() ([]byte, error) { return typed(c.Type(), (*choiceFields)(c)) }

// MarshalJSON implements json.Marshaler.
func (w *Wait) MarshalJSON() ([]byte, error) { return typed(w.Type(), (*waitFields)(w)) }

// MarshalJSON implements json.Marshaler.
func (p *Pass) MarshalJSON() ([]byte, error) { return typed(p.Type(), (*passFields)(p)) }

// MarshalJSON implements json.Marshaler.
func (f *Fail) MarshalJSON() ([]byte, error) { return typed(f.Type(), (*failFields)(f)) }

// MarshalJSON implements json.Marshaler.
func (s *Succeed) MarshalJSON() ([]byte, error) { return typed(s.Type(), (*succeedFields)(s)) }

// Marshal validates the machine and returns its ASL JSON.
func Marshal(sm *StateMachine) (string, error) {
	if err := Validate(sm); err != nil {
		return "", err
	}
	out, err := json.Marshal(sm)
	if err != nil {
		return "", fmt.Errorf("asl: marshal: %w", err)
	}
	return string(out), nil
}

// Names returns the state names, sorted.
func Names(sm *StateMachine) []string {
	out := make([]string, 0, len(sm.States))
	for n := range sm.States {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Reachable returns the states reachable from StartAt (StartAt included).
func Reachable(sm *StateMachine) map[string]bool {
	return ReachableFrom(sm, sm.StartAt, nil)
}

// ReachableFrom returns the states reachable from start without passing
// through any state in avoid (avoided states are not entered).
func ReachableFrom(sm *StateMachine, start string, avoid map[string]bool) map[string]bool {
	seen := map[string]bool{}
	if sm == nil || avoid[start] {
		return seen
	}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		st, ok := sm.States[n]
		if !ok || seen[n] || isNil(st) {
			continue
		}
		seen[n] = true
		for _, next := range st.Transitions() {
			if !seen[next] && !avoid[next] {
				queue = append(queue, next)
			}
		}
	}
	return seen
}

// Validate checks the structure: StartAt and every Next, Default, Choice
// and Catch target exist; Task, Pass and Wait have exactly one of Next and
// End; every Task has a Retry and a Catch (unless marked Uncaught); Wait has
// exactly one of Seconds and SecondsPath; every Choice rule has a Next and
// exactly one comparison (or an And of such rules, without Next); every
// state is reachable. All problems are reported together.
func Validate(sm *StateMachine) error {
	if sm == nil {
		return errors.New("asl: state machine is nil")
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(sm.States) == 0 {
		add("no states")
	}
	if _, ok := sm.States[sm.StartAt]; !ok {
		add("StartAt %q is not a state", sm.StartAt)
	}
	if sm.TimeoutSeconds < 0 {
		add("TimeoutSeconds %d is negative", sm.TimeoutSeconds)
	}
	for _, name := range Names(sm) {
		st := sm.States[name]
		if len(name) == 0 || len(name) > 80 {
			add("state name %q must be 1-80 characters", name)
		}
		if isNil(st) {
			add("state %q is nil", name)
			continue
		}
		for _, t := range st.Transitions() {
			if _, ok := sm.States[t]; !ok {
				add("state %q: target %q is not a state", name, t)
			}
		}
		switch s := st.(type) {
		case *Task:
			nextOrEnd(add, name, s.Next, s.End)
			if s.Resource == "" {
				add("state %q: Task has no Resource", name)
			}
			if len(s.Retry) == 0 {
				add("state %q: Task has no Retry", name)
			}
			switch {
			case s.Uncaught && len(s.Catch) > 0:
				add("state %q: Task is marked Uncaught but has a Catch", name)
			case !s.Uncaught && len(s.Catch) == 0:
				add("state %q: Task has no Catch", name)
			}
			if s.DiscardResult && s.ResultPath != "" {
				add("state %q: Task has both DiscardResult and ResultPath %q", name, s.ResultPath)
			}
			for i, r := range s.Retry {
				if len(r.ErrorEquals) == 0 {
					add("state %q: Retry #%d has no ErrorEquals", name, i+1)
				}
				if r.BackoffRate != 0 && r.BackoffRate < 1 {
					add("state %q: Retry #%d BackoffRate %v is below 1", name, i+1, r.BackoffRate)
				}
			}
			for i, c := range s.Catch {
				if len(c.ErrorEquals) == 0 {
					add("state %q: Catch #%d has no ErrorEquals", name, i+1)
				}
			}
			if s.HeartbeatSeconds > 0 && s.TimeoutSeconds > 0 && s.HeartbeatSeconds >= s.TimeoutSeconds {
				add("state %q: HeartbeatSeconds must be below TimeoutSeconds", name)
			}
		case *Pass:
			nextOrEnd(add, name, s.Next, s.End)
		case *Wait:
			nextOrEnd(add, name, s.Next, s.End)
			if (s.Seconds > 0) == (s.SecondsPath != "") {
				add("state %q: Wait needs exactly one of Seconds (> 0) and SecondsPath", name)
			}
		case *Choice:
			if len(s.Choices) == 0 {
				add("state %q: Choice has no Choices", name)
			}
			for i, r := range s.Choices {
				label := fmt.Sprintf("choice #%d", i+1)
				if r.Next == "" {
					add("state %q: %s has no Next", name, label)
				}
				checkRule(add, name, label, r)
			}
		case *Fail:
			if s.Error != "" && s.ErrorPath != "" {
				add("state %q: Fail has both Error and ErrorPath", name)
			}
			if s.Cause != "" && s.CausePath != "" {
				add("state %q: Fail has both Cause and CausePath", name)
			}
		case *Succeed:
		default:
			add("state %q: unsupported state type %T", name, st)
		}
	}
	reach := Reachable(sm)
	for _, name := range Names(sm) {
		if !reach[name] {
			add("state %q is not reachable from StartAt", name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("asl: invalid state machine: %w", errors.Join(errs...))
	}
	return nil
}

// isNil reports a nil interface or a nil pointer inside one.
func isNil(st State) bool {
	if st == nil {
		return true
	}
	v := reflect.ValueOf(st)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func nextOrEnd(add func(string, ...any), name, next string, end bool) {
	if (next != "") == end {
		add("state %q: needs exactly one of Next and End", name)
	}
}

// checkRule checks one choice rule: an And of nested rules (each with a
// Variable, one comparison and no Next) or one comparison of a Variable.
func checkRule(add func(string, ...any), state, label string, r ChoiceRule) {
	if len(r.And) > 0 {
		if r.Variable != "" || r.comparisons() != 0 {
			add("state %q: %s combines And with a Variable or comparison of its own", state, label)
		}
		for j, sub := range r.And {
			subLabel := fmt.Sprintf("%s And #%d", label, j+1)
			if sub.Next != "" {
				add("state %q: %s has a Next (only the rules of a Choice do)", state, subLabel)
			}
			checkRule(add, state, subLabel, sub)
		}
		return
	}
	if r.Variable == "" {
		add("state %q: %s has no Variable", state, label)
	}
	if n := r.comparisons(); n != 1 {
		add("state %q: %s has %d comparisons, want exactly 1", state, label, n)
	}
}

func (r ChoiceRule) comparisons() int {
	n := 0
	for _, set := range []bool{r.StringEquals != nil, r.StringMatches != nil, r.NumericEquals != nil, r.NumericGreaterThanEquals != nil, r.BooleanEquals != nil, r.IsPresent != nil, r.IsString != nil} {
		if set {
			n++
		}
	}
	return n
}

// String returns a pointer to s, for ChoiceRule comparisons.
func String(s string) *string { return &s }

// Number returns a pointer to f, for ChoiceRule comparisons.
func Number(f float64) *float64 { return &f }

// Bool returns a pointer to b, for ChoiceRule comparisons.
func Bool(b bool) *bool { return &b }

// intrinsicEscaper escapes the characters that are special inside a string
// literal of an intrinsic function: \ ' { }.
var intrinsicEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, `{`, `\{`, `}`, `\}`)

// Literal escapes s for use inside a string literal ('…') of an intrinsic
// function, e.g. a constant part of a States.Format template.
func Literal(s string) string { return intrinsicEscaper.Replace(s) }

// Format returns a States.Format call: template is a Go text whose %s
// placeholders become the {} of the arguments and whose other characters are
// taken literally; args are JSONPaths or intrinsic functions.
func Format(template string, args ...string) string {
	return fmt.Sprintf("States.Format('%s', %s)", strings.ReplaceAll(Literal(template), "%s", "{}"), strings.Join(args, ", "))
}
