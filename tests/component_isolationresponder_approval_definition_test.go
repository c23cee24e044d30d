package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The approval machine passes the checks the restore workflow's does: the
// structural asl.Validate and the pinned asl-validator (tools/asl).

func approvalSpec() isolationresponder.ApprovalSpec {
	return isolationresponder.ApprovalSpec{Region: "ap-northeast-1", TopicArn: approvalTopic, IsolateFunctionArn: isolateFunction, TimeoutSeconds: approvalTimeout}
}

func TestApprovalMachineValidates(t *testing.T) {
	sm, err := isolationresponder.ApprovalMachine(approvalSpec())
	require.NoError(t, err)
	require.NoError(t, asl.Validate(sm))
	assert.Equal(t, []string{isolationresponder.StateAskForApproval, isolationresponder.StateCheckApproval, isolationresponder.StateIsolate, isolationresponder.StateMissingApprover, isolationresponder.StateNotApproved, isolationresponder.StateNotifyNotApproved}, asl.Names(sm))
	assert.Len(t, asl.Reachable(sm), 6, "every state is reachable")
	// Without the human's answer, nothing reaches the isolation.
	assert.False(t, asl.ReachableFrom(sm, sm.StartAt, map[string]bool{isolationresponder.StateCheckApproval: true})[isolationresponder.StateIsolate])

	// The validation turns red when the machine is broken.
	breakages := map[string]struct {
		mutate func(sm *asl.StateMachine)
		want   string
	}{
		"missing state": {func(sm *asl.StateMachine) { delete(sm.States, isolationresponder.StateMissingApprover) }, `target "MissingApprover" is not a state`},
		"uncaught ask":  {func(sm *asl.StateMachine) { sm.States[isolationresponder.StateAskForApproval].(*asl.Task).Catch = nil }, `state "AskForApproval": Task has no Catch`},
		"notice catches": {func(sm *asl.StateMachine) {
			sm.States[isolationresponder.StateNotifyNotApproved].(*asl.Task).Catch = []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: "$.error", Next: isolationresponder.StateNotifyNotApproved}}
		}, `state "NotifyNotApproved": Task is marked Uncaught but has a Catch`},
		"approval rule": {func(sm *asl.StateMachine) {
			sm.States[isolationresponder.StateCheckApproval].(*asl.Choice).Choices[0].And[1].IsPresent = asl.Bool(true)
		}, "choice #1 And #2 has 2 comparisons"},
	}
	for name, c := range breakages {
		t.Run(name, func(t *testing.T) {
			sm, err := isolationresponder.ApprovalMachine(approvalSpec())
			require.NoError(t, err)
			c.mutate(sm)
			require.ErrorContains(t, asl.Validate(sm), c.want)
			_, err = asl.Marshal(sm)
			require.Error(t, err)
		})
	}
}

func TestApprovalDefinitionPassesASLValidator(t *testing.T) {
	validate := sfntest.ASLValidator(t)

	g, err := isolationResponderRun(t, isolationResponderBaseArgs(t))
	require.NoError(t, err)
	registered := graph.Str(testkit.Named(t, g, tStateMachine, "resp-approval").Inputs["definition"])
	out, err := validate(registered)
	require.NoError(t, err, out)
	assert.Contains(t, out, "is valid")

	// Another region and timeout, too.
	spec := approvalSpec()
	spec.Region, spec.TimeoutSeconds = "eu-west-1", 3600
	def, err := isolationresponder.ApprovalDefinition(spec)
	require.NoError(t, err)
	out, err = validate(def)
	require.NoError(t, err, out)

	// The validator does reject a broken definition.
	out, err = validate(strings.Replace(registered, `"StartAt"`, `"StartAtt"`, 1))
	require.Error(t, err, out)
}
