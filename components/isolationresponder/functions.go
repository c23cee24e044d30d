package isolationresponder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/gofunction"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

func (b *builder) functionRoles(trust string) error {
	b.roles = map[string]*iam.Role{}
	policies := map[string]func(resolved) (string, error){
		FunctionIsolate: b.n.isolatePolicy,
		FunctionRelease: b.n.releasePolicy,
	}
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		role, err := iam.NewRole(b.ctx, b.child(fn+"-role"), &iam.RoleArgs{
			Name:             pulumi.String(b.n.fn[fn]),
			Description:      pulumi.String("Execution role of the " + fn + " function of the isolation responder"),
			AssumeRolePolicy: pulumi.String(trust),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("%s role: %w", fn, err)
		}
		doc := b.policyOutput(policies[fn])
		if _, err := iam.NewRolePolicy(b.ctx, b.child(fn+"-policy"), &iam.RolePolicyArgs{
			Role:   role.Name,
			Policy: doc,
		}, b.parent); err != nil {
			return fmt.Errorf("%s policy: %w", fn, err)
		}
		b.roles[fn] = role
	}
	return nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (b *builder) functions(archives map[string]lambdabuild.Artifact) error {
	clusters := pulumi.String("").ToStringOutput()
	if b.args.AuroraClusterIDs != nil {
		clusters = b.args.AuroraClusterIDs.ToStringArrayOutput().ApplyT(func(ids []string) string {
			return strings.Join(ids, ",")
		}).(pulumi.StringOutput)
	}
	env := map[string]pulumi.StringMap{
		FunctionIsolate: {
			contract.IsolationEnvStateTable:              b.r.Table.Name,
			contract.IsolationEnvQuarantineNACLs:         b.quarantineIDs,
			contract.IsolationEnvBlastRadiusSubnets:      b.blastRadiusIDs,
			contract.IsolationEnvAccountID:               pulumi.String(b.args.AccountID),
			contract.IsolationEnvSeverityThreshold:       pulumi.String(formatFloat(b.args.SeverityThreshold)),
			contract.IsolationEnvFindingTypePrefixes:     pulumi.String(strings.Join(b.args.FindingTypePrefixes, ",")),
			contract.IsolationEnvImmediateSeverity:       pulumi.String(formatFloat(b.args.ImmediateSeverity)),
			contract.IsolationEnvApprovalStateMachineArn: pulumi.String(b.n.stateMachineArn),
			contract.IsolationEnvTopicArn:                b.topic.Arn,
			contract.IsolationEnvEvidenceLogGroup:        b.evidence.Name,
			contract.IsolationEnvAuroraClusterIDs:        clusters,
			// Rehearsals with GuardDuty sample findings notify but do not
			// isolate (docs/runbooks/isolation.md).
			contract.IsolationEnvActOnSampleFindings: pulumi.String(strconv.FormatBool(contract.IsolationDefaultActOnSampleFindings)),
			contract.IsolationEnvReleaseFunctionName: pulumi.String(b.n.fn[FunctionRelease]),
		},
		FunctionRelease: {
			contract.IsolationEnvStateTable:       b.r.Table.Name,
			contract.IsolationEnvTopicArn:         b.topic.Arn,
			contract.IsolationEnvEvidenceLogGroup: b.evidence.Name,
			contract.IsolationEnvAccountID:        pulumi.String(b.args.AccountID),
		},
	}
	descriptions := map[string]string{
		FunctionIsolate: "Moves the subnets named by a GuardDuty finding onto the quarantine network ACL, recording the previous associations",
		FunctionRelease: "Restores the network ACL associations recorded for an incident",
	}
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		fargs := gofunction.FunctionArgs(b.n.fn[fn], descriptions[fn], archives[fn], b.roles[fn].Arn, 120, 256,
			b.args.DataKeyArn, b.fnLogGroups[fn].Name)
		fargs.Environment = lambda.FunctionEnvironmentArgs{Variables: env[fn]}
		fargs.DeadLetterConfig = lambda.FunctionDeadLetterConfigArgs{TargetArn: b.dlq.Arn}
		if b.args.ReservedConcurrency > 0 {
			fargs.ReservedConcurrentExecutions = pulumi.Int(b.args.ReservedConcurrency)
		}
		// The role's policy must exist before the function (the DLQ and the
		// log group are checked at creation).
		f, err := lambda.NewFunction(b.ctx, b.child(fn), fargs, b.parent,
			pulumi.DependsOn([]pulumi.Resource{b.fnLogGroups[fn], b.roles[fn]}))
		if err != nil {
			return fmt.Errorf("%s function: %w", fn, err)
		}
		b.r.Functions[fn] = f
	}
	return nil
}
