// Package isolationresponder provides IsolationResponder, everything the
// GuardDuty isolation responder needs, created ahead of time: nothing is
// created during an incident.
//
// Guarantees:
//   - A quarantine network ACL per VPC (tag quarantine=true) whose only
//     entries are the forensics CIDRs (TCP in, ephemeral TCP out) and
//     explicit deny-all ingress and egress entries. It has no subnetIds
//     input: the isolate function moves subnets onto it, and Pulumi never
//     fights the responder over its associations.
//   - A DynamoDB table recording every replaced association (hash key
//     subnetId, index "incident" on incidentId), encrypted with the data
//     CMK, point-in-time recovery on, deletion protection on.
//   - The isolate and release functions (Go, provided.al2023, arm64), built
//     reproducibly from source by components/lambdabuild (or given prebuilt in
//     Args.FunctionArchives), environment encrypted with the data CMK, logs
//     in CMK-encrypted log groups created before the functions, failed
//     asynchronous invocations in a CMK-encrypted dead-letter queue.
//   - An EventBridge rule that matches only GuardDuty findings of this
//     account and region at or above the severity threshold (and of the
//     configured type prefixes), targeting the isolate function with a retry
//     policy and the dead-letter queue.
//   - A Step Functions approval workflow (high findings wait for a human;
//     critical ones isolate at once), logging to a CMK-encrypted log group.
//   - An evidence log group (CMK, retention >= 365 days) for the incident
//     timeline, an SNS topic (CMK) for notifications, alarms on isolate
//     errors and on dead-lettered events.
//   - Least-privilege roles: no "*" action, no service wildcard; network ACL
//     association changes only inside this VPC (ec2:Vpc condition); KMS use
//     only of the keys used, through the services that use them. A separate
//     incident-release role, assumable by the account's principals with MFA,
//     may only invoke the release function.
package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/gofunction"
	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:security:IsolationResponder"

// Function names (keys of Args.FunctionArchives and Outputs FunctionArns);
// each is built from ./functions/<name> (functions/contract).
const (
	FunctionIsolate = contract.FunctionIsolate
	FunctionRelease = contract.FunctionRelease
)

// IsolationResponder is the responder's infrastructure.
type IsolationResponder struct {
	pulumi.ResourceState

	QuarantineNacl  *ec2.NetworkAcl
	Table           *dynamodb.Table
	Functions       map[string]*lambda.Function
	StateMachine    *sfn.StateMachine
	Rule            *cloudwatch.EventRule
	DeadLetterQueue *sqs.Queue
	ReleaseRole     *iam.Role

	QuarantineNaclID        pulumi.StringOutput
	FunctionArns            pulumi.StringMapOutput
	TableName               pulumi.StringOutput
	TopicArn                pulumi.StringOutput
	RuleArn                 pulumi.StringOutput
	ApprovalStateMachineArn pulumi.StringOutput
	ReleaseRoleArn          pulumi.StringOutput
	EvidenceLogGroupName    pulumi.StringOutput
}

// NewIsolationResponder builds the functions (unless prebuilt) and creates
// the responder's resources.
func NewIsolationResponder(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*IsolationResponder, error) {
	if args == nil {
		return nil, fmt.Errorf("isolationresponder %s: args are required", name)
	}
	a := args.withDefaults()
	if err := a.validate(name); err != nil {
		return nil, fmt.Errorf("isolationresponder %s: %w", name, err)
	}
	archives, err := gofunction.Archives(a.FunctionArchives, a.ModuleRoot, FunctionIsolate, FunctionRelease)
	if err != nil {
		return nil, fmt.Errorf("isolationresponder %s: %w", name, err)
	}
	pattern, err := EventPattern(a.AccountID, a.Region, a.SeverityThreshold, a.FindingTypePrefixes)
	if err != nil {
		return nil, fmt.Errorf("isolationresponder %s: %w", name, err)
	}
	n := newNames(name, a.AccountID, a.Region)
	trust, err := awsiam.ServiceTrust("lambda.amazonaws.com", a.AccountID)
	if err != nil {
		return nil, fmt.Errorf("isolationresponder %s: %w", name, err)
	}

	r := &IsolationResponder{Functions: map[string]*lambda.Function{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, r, opts...); err != nil {
		return nil, fmt.Errorf("isolationresponder %s: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: a, n: n, r: r, parent: pulumi.Parent(r)}
	steps := []func() error{
		b.network,
		b.table,
		b.notifications,
		b.logGroups,
		func() error { return b.functionRoles(trust) },
		func() error { return b.functions(archives) },
		b.approval,
		func() error { return b.rule(pattern) },
		b.releaseAccess,
		b.alarms,
		b.declarePaths,
		b.declareFlows,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("isolationresponder %s: %w", name, err)
		}
	}
	r.QuarantineNaclID = r.QuarantineNacl.ID().ToStringOutput()
	r.FunctionArns = pulumi.StringMap{
		FunctionIsolate: r.Functions[FunctionIsolate].Arn,
		FunctionRelease: r.Functions[FunctionRelease].Arn,
	}.ToStringMapOutput()
	r.TableName = r.Table.Name
	r.RuleArn = r.Rule.Arn
	r.ApprovalStateMachineArn = r.StateMachine.Arn
	r.ReleaseRoleArn = r.ReleaseRole.Arn
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"quarantineNaclId":        r.QuarantineNaclID,
		"functionArns":            r.FunctionArns,
		"tableName":               r.TableName,
		"topicArn":                r.TopicArn,
		"ruleArn":                 r.RuleArn,
		"approvalStateMachineArn": r.ApprovalStateMachineArn,
		"releaseRoleArn":          r.ReleaseRoleArn,
		"evidenceLogGroupName":    r.EvidenceLogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("isolationresponder %s: outputs: %w", name, err)
	}
	return r, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   Args
	n      names
	r      *IsolationResponder
	parent pulumi.ResourceOption

	topic                         *notifytopic.Topic
	dlq                           *sqs.Queue
	fnLogGroups                   map[string]*cloudwatch.LogGroup
	evidence, smLogGroup          *cloudwatch.LogGroup
	roles                         map[string]*iam.Role
	quarantineIDs, blastRadiusIDs pulumi.StringOutput
	approvalRole                  *iam.Role
}

func (b *builder) child(part string) string { return b.name + "-" + part }
