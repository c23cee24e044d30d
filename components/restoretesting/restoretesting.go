// Package restoretesting provides RestoreTesting: AWS Backup restore
// testing in the restore account against the bunker's shared air-gapped
// vault, so that recoverability is proven on a schedule and not on the day
// of the incident.
//
// Guarantees: a restore testing plan that picks the latest recovery point
// within a window from the shared vault only; a selection for Aurora that
// restores into a subnet group of isolated subnets, behind a security group
// with no ingress, re-encrypted with the restore account's customer-managed
// key; a role with only the AWS-managed restore service policy. AWS Backup
// deletes every test restore after the validation window, so no database is
// left behind that could be mistaken for a real restore.
//
// Every completed test restore's RPO and RTO are put to CloudWatch and
// alarmed on by the restore workflow's recovery objectives
// (components/restoreworkflow objectives.go, docs/decisions/0019): AWS
// Backup's restore job events reach its restoremetrics function.
package restoretesting

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:backup:RestoreTesting"

// Args configures RestoreTesting.
type Args struct {
	AccountID string
	// PlanName names the restore testing plan (letters, digits, '_').
	PlanName string
	// Schedule is a cron expression, e.g. cron(0 3 ? * SUN *).
	Schedule string
	// SelectionWindowDays: pick the latest recovery point this recent.
	SelectionWindowDays int
	// ValidationWindowHours: how long the test restore lives before deletion.
	ValidationWindowHours int
	// VaultArn is the shared air-gapped vault to test from.
	VaultArn pulumi.StringInput
	// VpcID and IsolatedSubnetIDs place the test restores.
	VpcID             pulumi.StringInput
	IsolatedSubnetIDs pulumi.StringArrayInput
	// KeyArn re-encrypts the restored cluster with this account's key.
	KeyArn pulumi.StringInput
}

// RestoreTesting is the plan, selection and its placement.
type RestoreTesting struct {
	pulumi.ResourceState

	PlanName        pulumi.StringOutput
	SubnetGroupName pulumi.StringOutput
	SecurityGroupID pulumi.StringOutput
}

var (
	planNameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,50}$`)
	cronRE     = regexp.MustCompile(`^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$`)
)

func (a *Args) validate() error {
	var p []string
	if !awsfacts.ValidAccountID(a.AccountID) {
		p = append(p, fmt.Sprintf("AccountID %q is not a 12-digit account id", a.AccountID))
	}
	if !planNameRE.MatchString(a.PlanName) {
		p = append(p, fmt.Sprintf("PlanName %q must be 1-50 letters, digits or '_'", a.PlanName))
	}
	if !cronRE.MatchString(a.Schedule) {
		p = append(p, fmt.Sprintf("Schedule %q is not a cron expression such as cron(0 3 ? * SUN *)", a.Schedule))
	}
	if a.SelectionWindowDays < 1 || a.SelectionWindowDays > 365 {
		p = append(p, fmt.Sprintf("SelectionWindowDays %d is outside 1 to 365", a.SelectionWindowDays))
	}
	if a.ValidationWindowHours < 1 || a.ValidationWindowHours > 168 {
		p = append(p, fmt.Sprintf("ValidationWindowHours %d is outside 1 to 168", a.ValidationWindowHours))
	}
	if a.VaultArn == nil || a.VpcID == nil || a.IsolatedSubnetIDs == nil || a.KeyArn == nil {
		p = append(p, "VaultArn, VpcID, IsolatedSubnetIDs and KeyArn are required")
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %v", p)
	}
	return nil
}

// NewRestoreTesting creates the placement, role, plan and selection.
func NewRestoreTesting(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*RestoreTesting, error) {
	if args == nil {
		return nil, fmt.Errorf("restoretesting %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("restoretesting %s: %w", name, err)
	}
	rt := &RestoreTesting{}
	if err := ctx.RegisterComponentResource(TypeToken, name, rt, opts...); err != nil {
		return nil, fmt.Errorf("restoretesting %s: register: %w", name, err)
	}
	parent := pulumi.Parent(rt)
	wrap := func(what string, err error) error { return fmt.Errorf("restoretesting %s: %s: %w", name, what, err) }

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Name:        pulumi.String(name + "-isolated"),
		Description: pulumi.String("Isolated subnets for restore tests"),
		SubnetIds:   args.IsolatedSubnetIDs,
	}, parent)
	if err != nil {
		return nil, wrap("subnet group", err)
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("Restore tests: no ingress, no egress"),
	}, parent)
	if err != nil {
		return nil, wrap("security group", err)
	}
	trust, err := awsiam.ServiceTrust("backup.amazonaws.com", args.AccountID)
	if err != nil {
		return nil, wrap("trust policy", err)
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("AWS Backup restore testing from the shared air-gapped vault"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, wrap("role", err)
	}
	// Scoped instead of the AWS-managed restore policy, which grants
	// iam:PassRole on every role. Test restores get AWS-generated names.
	account := args.AccountID
	restores := pulumi.All(subnets.Name, args.KeyArn).ApplyT(func(v []any) (string, error) {
		key := v[1].(string)
		parts := strings.SplitN(key, ":", 6)
		if len(parts) < 6 {
			return "", fmt.Errorf("KeyArn %q is not a KMS key ARN", key)
		}
		return awsiam.AuroraRestorePolicy(awsiam.AuroraRestore{
			Region: parts[3], Account: account, SubnetGroup: v[0].(string), KeyArns: []string{key},
		})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-role-restore", &iam.RolePolicyArgs{
		Role: role.Name, Policy: restores,
	}, parent); err != nil {
		return nil, wrap("role policy", err)
	}
	plan, err := backup.NewRestoreTestingPlan(ctx, name+"-plan", &backup.RestoreTestingPlanArgs{
		Name:               pulumi.String(args.PlanName),
		ScheduleExpression: pulumi.String(args.Schedule),
		StartWindowHours:   pulumi.Int(24),
		RecoveryPointSelection: backup.RestoreTestingPlanRecoveryPointSelectionArgs{
			Algorithm:           pulumi.String("LATEST_WITHIN_WINDOW"),
			IncludeVaults:       pulumi.StringArray{args.VaultArn},
			RecoveryPointTypes:  pulumi.StringArray{pulumi.String("SNAPSHOT")},
			SelectionWindowDays: pulumi.Int(args.SelectionWindowDays),
		},
	}, parent)
	if err != nil {
		return nil, wrap("plan", err)
	}
	overrides := pulumi.StringMap{
		"dbSubnetGroupName": subnets.Name,
		"kmsKeyId":          args.KeyArn,
		"vpcSecurityGroupIds": sg.ID().ApplyT(func(id pulumi.ID) (string, error) {
			out, err := json.Marshal([]string{string(id)})
			return string(out), err
		}).(pulumi.StringOutput),
	}
	if _, err := backup.NewRestoreTestingSelection(ctx, name+"-aurora", &backup.RestoreTestingSelectionArgs{
		Name:                     pulumi.String("aurora"),
		RestoreTestingPlanName:   plan.Name,
		ProtectedResourceType:    pulumi.String("Aurora"),
		ProtectedResourceArns:    pulumi.StringArray{pulumi.String("*")},
		IamRoleArn:               role.Arn,
		RestoreMetadataOverrides: overrides,
		ValidationWindowHours:    pulumi.Int(args.ValidationWindowHours),
	}, parent); err != nil {
		return nil, wrap("selection", err)
	}
	rt.PlanName = plan.Name
	rt.SubnetGroupName = subnets.Name
	rt.SecurityGroupID = sg.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(rt, pulumi.Map{"planName": rt.PlanName}); err != nil {
		return nil, wrap("outputs", err)
	}
	return rt, nil
}
