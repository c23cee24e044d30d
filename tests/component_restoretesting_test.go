package tests

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/restoretesting"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	restoreAccount           = "333333333333"
	restoreTestingDataKey    = "arn:aws:kms:ap-northeast-1:333333333333:key/data"
	vpcID                    = "vpc-0restore"
	restoreTestingTPlan      = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
	restoreTestingTSelection = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
)

var isolatedSubnets = []string{"subnet-iso-a", "subnet-iso-c", "subnet-iso-d"}

func restoreTestingValidArgs() *restoretesting.Args {
	return &restoretesting.Args{
		AccountID:             restoreAccount,
		PlanName:              "fintech_bunker_restore_test",
		Schedule:              "cron(0 3 ? * SUN *)",
		SelectionWindowDays:   7,
		ValidationWindowHours: 4,
		VaultArn:              pulumi.String(bunkerVault),
		VpcID:                 pulumi.String(vpcID),
		IsolatedSubnetIDs:     pulumi.ToStringArray(isolatedSubnets),
		KeyArn:                pulumi.String(restoreTestingDataKey),
	}
}

func restoreTestingRun(t *testing.T, args *restoretesting.Args) (*graph.Graph, error) {
	t.Helper()
	return preview.Run(func(ctx *pulumi.Context) error {
		_, err := restoretesting.NewRestoreTesting(ctx, "restore-testing", args)
		return err
	}, testkit.OptionsIn(restoreAccount))
}

func TestPlanTestsOnlyTheSharedVault(t *testing.T) {
	g, err := restoreTestingRun(t, restoreTestingValidArgs())
	require.NoError(t, err)
	plan := testkit.One(t, g, restoreTestingTPlan)
	assert.Equal(t, "fintech_bunker_restore_test", plan.Inputs["name"])
	assert.Equal(t, "cron(0 3 ? * SUN *)", plan.Inputs["scheduleExpression"])
	sel := graph.Map(plan.Inputs["recoveryPointSelection"])
	require.NotNil(t, sel)
	assert.Equal(t, "LATEST_WITHIN_WINDOW", sel["algorithm"])
	assert.Equal(t, []any{bunkerVault}, sel["includeVaults"])
	assert.Equal(t, []any{"SNAPSHOT"}, sel["recoveryPointTypes"])
	assert.Equal(t, 7.0, sel["selectionWindowDays"])
	_, excludes := sel["excludeVaults"]
	assert.False(t, excludes)
}

func TestSelectionRestoresAuroraIntoTheIsolatedPlacement(t *testing.T) {
	g, err := restoreTestingRun(t, restoreTestingValidArgs())
	require.NoError(t, err)
	plan := testkit.One(t, g, restoreTestingTPlan)
	subnets := testkit.One(t, g, tSubnetGroup)
	sg := testkit.One(t, g, tSG)
	role := testkit.One(t, g, tRole)
	sel := testkit.One(t, g, restoreTestingTSelection)

	assert.Equal(t, "Aurora", sel.Inputs["protectedResourceType"])
	assert.Equal(t, []any{"*"}, sel.Inputs["protectedResourceArns"])
	assert.Equal(t, 4.0, sel.Inputs["validationWindowHours"])
	assert.Equal(t, "fintech_bunker_restore_test", sel.Inputs["restoreTestingPlanName"])
	assert.Equal(t, []string{plan.URN}, sel.PropertyDependencies["restoreTestingPlanName"])
	assert.Equal(t, []string{role.URN}, sel.PropertyDependencies["iamRoleArn"])

	overrides := graph.Map(sel.Inputs["restoreMetadataOverrides"])
	require.NotNil(t, overrides)
	assert.Len(t, overrides, 3)
	assert.Equal(t, "restore-testing-isolated", subnets.Inputs["name"])
	assert.Equal(t, subnets.Inputs["name"], overrides["dbSubnetGroupName"])
	assert.Equal(t, restoreTestingDataKey, overrides["kmsKeyId"])
	var sgIDs []string
	require.NoError(t, json.Unmarshal([]byte(graph.Str(overrides["vpcSecurityGroupIds"])), &sgIDs),
		"vpcSecurityGroupIds is a JSON list in a string: %v", overrides["vpcSecurityGroupIds"])
	assert.Equal(t, []string{sg.ID}, sgIDs)
	assert.Regexp(t, `^sg-`, sg.ID)
	assert.ElementsMatch(t, []string{subnets.URN, sg.URN}, sel.PropertyDependencies["restoreMetadataOverrides"])
}

func TestPlacementIsIsolated(t *testing.T) {
	g, err := restoreTestingRun(t, restoreTestingValidArgs())
	require.NoError(t, err)
	subnets := testkit.One(t, g, tSubnetGroup)
	assert.Equal(t, []any{"subnet-iso-a", "subnet-iso-c", "subnet-iso-d"}, subnets.Inputs["subnetIds"])

	// No rules at all: the provider also revokes the default allow-all
	// egress rule AWS adds to a new group.
	sg := testkit.One(t, g, tSG)
	assert.Equal(t, vpcID, sg.Inputs["vpcId"])
	for _, k := range []string{"ingress", "egress"} {
		assert.Empty(t, graph.List(sg.Inputs[k]), "security group %s", k)
	}
	assert.Empty(t, g.OfType(
		"aws:ec2/securityGroupRule:SecurityGroupRule",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
		"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
	))
}

func TestRoleHasOnlyTheScopedRestorePolicy(t *testing.T) {
	g, err := restoreTestingRun(t, restoreTestingValidArgs())
	require.NoError(t, err)
	role := testkit.One(t, g, tRole)
	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
			Condition map[string]map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(role.Inputs["assumeRolePolicy"])), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "Allow", trust.Statement[0].Effect)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)
	assert.Equal(t, map[string]any{"Service": "backup.amazonaws.com"}, trust.Statement[0].Principal)
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:SourceAccount": restoreAccount}}, trust.Statement[0].Condition)
	for _, k := range []string{"inlinePolicies", "managedPolicyArns"} {
		_, has := role.Inputs[k]
		assert.False(t, has, "role has %s", k)
	}
	// No AWS-managed policy (the managed restore policy grants
	// iam:PassRole on every role): one scoped inline policy.
	assert.Empty(t, g.OfType(tAttachment, "aws:iam/policy:Policy", "aws:iam/policyAttachment:PolicyAttachment"))
	rp := testkit.One(t, g, "aws:iam/rolePolicy:RolePolicy")
	assert.Equal(t, []string{role.URN}, rp.PropertyDependencies["role"])
	doc := graph.Str(rp.Inputs["policy"])
	assert.Contains(t, doc, `"rds:RestoreDBClusterFromSnapshot"`)
	assert.NotContains(t, doc, "iam:PassRole")
}

func TestRestoreTestingChildrenAreParentedToTheComponent(t *testing.T) {
	g, err := restoreTestingRun(t, restoreTestingValidArgs())
	require.NoError(t, err)
	comp := testkit.One(t, g, restoretesting.TypeToken)
	var kids []string
	for _, c := range g.Children(comp.URN) {
		kids = append(kids, c.Type)
	}
	assert.ElementsMatch(t, []string{tSubnetGroup, tSG, tRole, "aws:iam/rolePolicy:RolePolicy", restoreTestingTPlan, restoreTestingTSelection}, kids)
	assert.Len(t, g.Resources, 7, "the component and its six children, nothing else")
}

func TestRestoreTestingOutputs(t *testing.T) {
	var rt *restoretesting.RestoreTesting
	var planName, subnetGroup, sgID string
	_, err := preview.Run(func(ctx *pulumi.Context) error {
		var err error
		rt, err = restoretesting.NewRestoreTesting(ctx, "restore-testing", restoreTestingValidArgs())
		if err != nil {
			return err
		}
		rt.PlanName.ApplyT(func(v string) string { planName = v; return v })
		rt.SubnetGroupName.ApplyT(func(v string) string { subnetGroup = v; return v })
		rt.SecurityGroupID.ApplyT(func(v string) string { sgID = v; return v })
		return nil
	}, testkit.OptionsIn(restoreAccount))
	require.NoError(t, err)
	assert.Equal(t, "fintech_bunker_restore_test", planName)
	assert.Equal(t, "restore-testing-isolated", subnetGroup)
	assert.Regexp(t, `^sg-`, sgID)
}

// In the restore stack the vault ARN comes from the bunker stack.
func TestVaultArnFromStackReference(t *testing.T) {
	const ref = "acme/fintech-resilience/bunker"
	o := testkit.OptionsIn(restoreAccount)
	o.StackOutputs = map[string]map[string]string{ref: {"airGappedVaultArn": bunkerVault}}
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		bunker, err := pulumi.NewStackReference(ctx, "bunker", &pulumi.StackReferenceArgs{Name: pulumi.String(ref)})
		if err != nil {
			return err
		}
		args := restoreTestingValidArgs()
		args.VaultArn = bunker.GetStringOutput(pulumi.String("airGappedVaultArn")).ApplyT(func(v string) string { return v }).(pulumi.StringOutput)
		_, err = restoretesting.NewRestoreTesting(ctx, "restore-testing", args)
		return err
	}, o)
	require.NoError(t, err)
	stackRef := testkit.One(t, g, "pulumi:pulumi:StackReference")
	plan := testkit.One(t, g, restoreTestingTPlan)
	assert.Equal(t, []string{stackRef.URN}, plan.PropertyDependencies["recoveryPointSelection"])
	assert.Equal(t, []any{bunkerVault}, graph.Map(plan.Inputs["recoveryPointSelection"])["includeVaults"])
}

func TestRestoreTestingRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *restoretesting.Args)
		want   string
	}{
		"bad account":              {func(a *restoretesting.Args) { a.AccountID = "3333" }, `AccountID "3333"`},
		"plan name with hyphen":    {func(a *restoretesting.Args) { a.PlanName = "fintech-restore" }, `PlanName "fintech-restore"`},
		"empty plan name":          {func(a *restoretesting.Args) { a.PlanName = "" }, `PlanName ""`},
		"bad cron":                 {func(a *restoretesting.Args) { a.Schedule = "rate(7 days)" }, `Schedule "rate(7 days)"`},
		"selection window 0":       {func(a *restoretesting.Args) { a.SelectionWindowDays = 0 }, "SelectionWindowDays 0"},
		"selection window 366":     {func(a *restoretesting.Args) { a.SelectionWindowDays = 366 }, "SelectionWindowDays 366"},
		"validation window 0":      {func(a *restoretesting.Args) { a.ValidationWindowHours = 0 }, "ValidationWindowHours 0"},
		"validation window 169":    {func(a *restoretesting.Args) { a.ValidationWindowHours = 169 }, "ValidationWindowHours 169"},
		"nil vault":                {func(a *restoretesting.Args) { a.VaultArn = nil }, "VaultArn"},
		"nil vpc":                  {func(a *restoretesting.Args) { a.VpcID = nil }, "VpcID"},
		"nil subnets":              {func(a *restoretesting.Args) { a.IsolatedSubnetIDs = nil }, "IsolatedSubnetIDs"},
		"nil key":                  {func(a *restoretesting.Args) { a.KeyArn = nil }, "KeyArn"},
		"several problems at once": {func(a *restoretesting.Args) { a.SelectionWindowDays, a.ValidationWindowHours = 0, 0 }, "ValidationWindowHours 0"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := restoreTestingValidArgs()
			c.mutate(args)
			g, err := restoreTestingRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "restoretesting restore-testing")
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
	t.Run("nil args", func(t *testing.T) {
		g, err := restoreTestingRun(t, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "args are required")
		assert.Nil(t, g)
	})
}
