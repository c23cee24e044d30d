package tests

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// A declaration records its inputs, sorted actions (or the deployment-time
// actions of ActionsOf) and is named "<parent>-flow-<part>".
func TestRequireAndForbidRecordInputs(t *testing.T) {
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		if err := flow.Require(ctx, nil, "comp", "publish", flow.Access{
			Principal: pulumi.String("events.amazonaws.com"), Actions: []string{"sns:Publish", "kms:Decrypt"},
			Resource: pulumi.String("arn:aws:sns:ap-northeast-1:111111111111:t"),
			Context:  map[string]pulumi.StringInput{"aws:SourceAccount": pulumi.String("111111111111")},
			Caller:   "EventBridge", Reason: "alerts",
		}); err != nil {
			return err
		}
		return flow.Forbid(ctx, nil, "comp", "secret", flow.Access{
			Principal: pulumi.String(flow.AnyPrincipalOf(flow.OutsiderAccount)),
			ActionsOf: pulumi.ToStringArray([]string{"ssm:GetParameters"}).ToStringArrayOutput(),
			Resource:  pulumi.String("arn:aws:ssm:ap-northeast-1:111111111111:parameter/p"),
			PolicyOf:  pulumi.String("arn:aws:ssm:ap-northeast-1:111111111111:parameter/p"),
			Caller:    "outsider", Reason: "never",
		})
	}, flowOpts)
	require.NoError(t, err)
	req := g.OfType(flow.TypeRequired)
	require.Len(t, req, 1)
	assert.Equal(t, "comp-flow-publish", req[0].Name)
	assert.Equal(t, []string{"kms:Decrypt", "sns:Publish"}, graph.Strings(req[0].Inputs[flow.PropActions]))
	assert.Equal(t, "111111111111", graph.Map(req[0].Inputs[flow.PropContext])["aws:SourceAccount"])
	fb := g.OfType(flow.TypeForbidden)
	require.Len(t, fb, 1)
	assert.Equal(t, []string{"ssm:GetParameters"}, graph.Strings(fb[0].Inputs[flow.PropActions]))
	assert.Equal(t, "arn:aws:iam::999999999999:root", fb[0].Inputs[flow.PropPrincipal])
	assert.Contains(t, fb[0].Inputs, flow.PropPolicyOf)
}

func TestDeclarationsValidate(t *testing.T) {
	for name, a := range map[string]flow.Access{
		"no principal": {Actions: []string{"s3:GetObject"}, Resource: pulumi.String("*"), Caller: "c", Reason: "r"},
		"no actions":   {Principal: pulumi.String("x"), Resource: pulumi.String("*"), Caller: "c", Reason: "r"},
		"bad action":   {Principal: pulumi.String("x"), Actions: []string{"GetObject"}, Resource: pulumi.String("*"), Caller: "c", Reason: "r"},
		"no reason":    {Principal: pulumi.String("x"), Actions: []string{"s3:GetObject"}, Resource: pulumi.String("*"), Caller: "c"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := preview.Run(func(ctx *pulumi.Context) error { return flow.Require(ctx, nil, "comp", "x", a) }, flowOpts)
			assert.ErrorContains(t, err, "comp-flow-x")
		})
	}
	_, err := preview.Run(func(ctx *pulumi.Context) error {
		return flow.Require(ctx, nil, "comp", "Bad Part", flow.Access{})
	}, flowOpts)
	assert.ErrorContains(t, err, "lower-case")
}
