package asl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func retry() []Retrier {
	return []Retrier{{ErrorEquals: []string{"States.TaskFailed"}, IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2}}
}
func catch() []Catcher {
	return []Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: "$.error", Next: "Failed"}}
}

func sample() *StateMachine {
	return &StateMachine{
		Comment: "sample", StartAt: "Work", TimeoutSeconds: 60,
		States: map[string]State{
			"Work": &Task{Resource: "arn:aws:states:::lambda:invoke", Parameters: map[string]any{"FunctionName": "f", "Payload.$": "$"},
				ResultPath: "$.work", Retry: retry(), Catch: catch(), Next: "Check"},
			"Check":  &Choice{Choices: []ChoiceRule{{Variable: "$.work.status", StringEquals: String("DONE"), Next: "Done"}}, Default: "Pause"},
			"Pause":  &Wait{Seconds: 5, Next: "Work"},
			"Failed": &Fail{Error: "Boom", Cause: "it broke"},
			"Done":   &Succeed{},
		},
	}
}

func TestMarshalIsValidDeterministicASL(t *testing.T) {
	sm := sample()
	a, err := Marshal(sm)
	require.NoError(t, err)
	b, err := Marshal(sm)
	require.NoError(t, err)
	assert.Equal(t, a, b)

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(a), &doc))
	assert.Equal(t, "Work", doc["StartAt"])
	assert.Equal(t, 60.0, doc["TimeoutSeconds"])
	states := doc["States"].(map[string]any)
	require.Len(t, states, 5)
	work := states["Work"].(map[string]any)
	assert.Equal(t, "Task", work["Type"])
	assert.Equal(t, "Check", work["Next"])
	_, hasEnd := work["End"]
	assert.False(t, hasEnd, "End is omitted when false")
	assert.Equal(t, "Choice", states["Check"].(map[string]any)["Type"])
	assert.Equal(t, 5.0, states["Pause"].(map[string]any)["Seconds"])
	assert.Equal(t, map[string]any{"Type": "Succeed"}, states["Done"])
	assert.Equal(t, map[string]any{"Type": "Fail", "Error": "Boom", "Cause": "it broke"}, states["Failed"])

	// "Type" comes first in every state; states are in name order.
	assert.Contains(t, a, `"Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke"`)
	assert.Less(t, strings.Index(a, `"Check":`), strings.Index(a, `"Done":`))
	assert.Less(t, strings.Index(a, `"Failed":`), strings.Index(a, `"Pause":`))
}

func TestReachable(t *testing.T) {
	sm := sample()
	assert.Equal(t, map[string]bool{"Work": true, "Check": true, "Pause": true, "Failed": true, "Done": true}, Reachable(sm))
	// Without the choice, only the task and its catch target remain.
	got := ReachableFrom(sm, "Work", map[string]bool{"Check": true})
	assert.Equal(t, map[string]bool{"Work": true, "Failed": true}, got)
	assert.Empty(t, ReachableFrom(sm, "Work", map[string]bool{"Work": true}))
	assert.Empty(t, ReachableFrom(nil, "Work", nil))
}

func TestValidateFindsEveryProblem(t *testing.T) {
	cases := map[string]struct {
		mutate func(sm *StateMachine)
		want   []string
	}{
		"missing start":          {func(sm *StateMachine) { sm.StartAt = "Nope" }, []string{`StartAt "Nope" is not a state`}},
		"dangling next":          {func(sm *StateMachine) { sm.States["Pause"].(*Wait).Next = "Gone" }, []string{`state "Pause": target "Gone" is not a state`}},
		"dangling default":       {func(sm *StateMachine) { sm.States["Check"].(*Choice).Default = "Gone" }, []string{`state "Check": target "Gone" is not a state`}},
		"dangling catch":         {func(sm *StateMachine) { sm.States["Work"].(*Task).Catch[0].Next = "Gone" }, []string{`state "Work": target "Gone" is not a state`}},
		"next and end":           {func(sm *StateMachine) { sm.States["Work"].(*Task).End = true }, []string{`state "Work": needs exactly one of Next and End`}},
		"neither next nor end":   {func(sm *StateMachine) { sm.States["Pause"].(*Wait).Next = "" }, []string{`state "Pause": needs exactly one of Next and End`}},
		"no retry":               {func(sm *StateMachine) { sm.States["Work"].(*Task).Retry = nil }, []string{`state "Work": Task has no Retry`}},
		"no catch":               {func(sm *StateMachine) { sm.States["Work"].(*Task).Catch = nil }, []string{`state "Work": Task has no Catch`, `state "Failed" is not reachable`}},
		"no resource":            {func(sm *StateMachine) { sm.States["Work"].(*Task).Resource = "" }, []string{`state "Work": Task has no Resource`}},
		"wait both":              {func(sm *StateMachine) { sm.States["Pause"].(*Wait).SecondsPath = "$.s" }, []string{"exactly one of Seconds (> 0) and SecondsPath"}},
		"wait none":              {func(sm *StateMachine) { sm.States["Pause"].(*Wait).Seconds = 0 }, []string{"exactly one of Seconds (> 0) and SecondsPath"}},
		"choice two comparisons": {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].IsPresent = Bool(true) }, []string{"has 2 comparisons"}},
		"choice no variable":     {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].Variable = "" }, []string{"choice #1 has no Variable"}},
		"empty choice":           {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices = nil }, []string{"Choice has no Choices", `state "Done" is not reachable`}},
		"unreachable":            {func(sm *StateMachine) { sm.States["Orphan"] = &Succeed{} }, []string{`state "Orphan" is not reachable from StartAt`}},
		"bad backoff":            {func(sm *StateMachine) { sm.States["Work"].(*Task).Retry[0].BackoffRate = 0.5 }, []string{"BackoffRate 0.5 is below 1"}},
		"fail error twice":       {func(sm *StateMachine) { sm.States["Failed"].(*Fail).ErrorPath = "$.e" }, []string{"both Error and ErrorPath"}},
		"nil state":              {func(sm *StateMachine) { sm.States["Pause"] = nil }, []string{`state "Pause" is nil`}},
		"heartbeat": {func(sm *StateMachine) {
			sm.States["Work"].(*Task).TimeoutSeconds = 10
			sm.States["Work"].(*Task).HeartbeatSeconds = 10
		}, []string{"HeartbeatSeconds must be below TimeoutSeconds"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sm := sample()
			c.mutate(sm)
			err := Validate(sm)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			_, err = Marshal(sm)
			require.Error(t, err, "Marshal validates first")
		})
	}
	require.NoError(t, Validate(sample()))
	require.Error(t, Validate(nil))
	require.ErrorContains(t, Validate(&StateMachine{StartAt: "x"}), "no states")
}

// approvalLike uses what the isolation approval machine needs beyond
// sample(): an And of choice rules, IsString, a discarded result and an
// uncaught last notification.
func approvalLike() *StateMachine {
	return &StateMachine{
		StartAt: "Check",
		States: map[string]State{
			"Check": &Choice{Choices: []ChoiceRule{{
				And: []ChoiceRule{
					{Variable: "$.who", IsPresent: Bool(true)},
					{Variable: "$.who", IsString: Bool(true)},
				},
				Next: "Done",
			}}, Default: "Notify"},
			"Notify": &Task{Resource: "arn:aws:states:::sns:publish", DiscardResult: true, Retry: retry(), Uncaught: true, Next: "Failed"},
			"Failed": &Fail{Error: "Boom"},
			"Done":   &Succeed{},
		},
	}
}

func TestAndIsStringDiscardResultAndUncaught(t *testing.T) {
	out, err := Marshal(approvalLike())
	require.NoError(t, err)
	var doc struct{ States map[string]map[string]any }
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, []any{map[string]any{
		"And": []any{
			map[string]any{"Variable": "$.who", "IsPresent": true},
			map[string]any{"Variable": "$.who", "IsString": true},
		},
		"Next": "Done",
	}}, doc.States["Check"]["Choices"])
	notify := doc.States["Notify"]
	rp, present := notify["ResultPath"]
	assert.True(t, present, "ResultPath is written")
	assert.Nil(t, rp, "as null")
	_, hasCatch := notify["Catch"]
	assert.False(t, hasCatch)
	for _, internal := range []string{"DiscardResult", "Uncaught"} {
		assert.NotContains(t, out, internal)
	}

	// Each guard turns red when broken.
	cases := map[string]struct {
		mutate func(sm *StateMachine)
		want   string
	}{
		"uncaught with a catch":  {func(sm *StateMachine) { sm.States["Notify"].(*Task).Catch = catch() }, `state "Notify": Task is marked Uncaught but has a Catch`},
		"catch dropped silently": {func(sm *StateMachine) { sm.States["Notify"].(*Task).Uncaught = false }, `state "Notify": Task has no Catch`},
		"discard and a path":     {func(sm *StateMachine) { sm.States["Notify"].(*Task).ResultPath = "$.x" }, `both DiscardResult and ResultPath "$.x"`},
		"and with a variable":    {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].Variable = "$.who" }, "choice #1 combines And with a Variable"},
		"nested next":            {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].And[1].Next = "Done" }, "choice #1 And #2 has a Next"},
		"nested two comparisons": {func(sm *StateMachine) {
			sm.States["Check"].(*Choice).Choices[0].And[0].IsString = Bool(true)
		}, "choice #1 And #1 has 2 comparisons"},
		"nested no variable": {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].And[0].Variable = "" }, "choice #1 And #1 has no Variable"},
		"rule without next":  {func(sm *StateMachine) { sm.States["Check"].(*Choice).Choices[0].Next = "" }, "choice #1 has no Next"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sm := approvalLike()
			c.mutate(sm)
			require.ErrorContains(t, Validate(sm), c.want)
		})
	}
}

func TestLiteral(t *testing.T) {
	assert.Equal(t, `it\'s \{"a":1\} \\ ok`, Literal(`it's {"a":1} \ ok`))
	assert.Equal(t, "plain-text", Literal("plain-text"))
}

func TestFormat(t *testing.T) {
	assert.Equal(t, `States.Format('it\'s \{"a":1\} at {} \\ ok', $.when)`, Format(`it's {"a":1} at %s \ ok`, "$.when"))
	assert.Equal(t, `States.Format('{} of {}', $.a, States.JsonToString($.b))`, Format("%s of %s", "$.a", "States.JsonToString($.b)"))
}
