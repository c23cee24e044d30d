package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// declareFlows declares what the responder's code calls at run time (the
// SDK calls of internal/lambda/isolation, the approval machine's Task
// states, EventBridge invoking the function) and what it must never do.
func (b *builder) declareFlows() error {
	a, n := b.args, b.n
	vpcArn := a.VpcID.ToStringOutput().ApplyT(func(id string) string { return n.arn("ec2", "vpc/"+id) }).(pulumi.StringOutput)
	otherVpc := pulumi.String(n.arn("ec2", "vpc/vpc-0another0vpc0000"))
	var subnet pulumi.StringOutput
	for _, t := range a.BlastRadiusTiers {
		if ids, ok := a.TierSubnetIDs[t]; ok {
			subnet = ids.ToStringArrayOutput().Index(pulumi.Int(0)).ApplyT(func(id string) string {
				return n.arn("ec2", "subnet/"+id)
			}).(pulumi.StringOutput)
			break
		}
	}
	nacl := b.r.QuarantineNacl.Arn
	table := b.r.Table.Arn
	logStream := pulumi.String(n.arn("logs", "log-group:"+n.evidenceLogGroup+":log-stream:incident"))
	via := func(svc string) pulumi.StringInput {
		return pulumi.String(fmt.Sprintf("%s.%s.amazonaws.com", svc, a.Region))
	}
	type access struct {
		part, why string
		actions   []string
		resource  pulumi.StringInput
		context   map[string]pulumi.StringInput
	}
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		role := b.roles[fn].Arn
		caller := "internal/lambda/isolation (" + fn + ")"
		list := []access{
			{"move-nacl", "ReplaceNetworkAclAssociation: the network ACL side", []string{"ec2:ReplaceNetworkAclAssociation"}, nacl,
				map[string]pulumi.StringInput{"ec2:Vpc": vpcArn}},
			{"move-subnet", "ReplaceNetworkAclAssociation: the subnet side", []string{"ec2:ReplaceNetworkAclAssociation"}, subnet,
				map[string]pulumi.StringInput{"ec2:Vpc": vpcArn}},
			{"describe-nacls", "DescribeNetworkAcls: the current associations", []string{"ec2:DescribeNetworkAcls"}, pulumi.String("*"), nil},
			{"state-table", "the durable record of every association", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}, table, nil},
			{"state-table-key", "the state table is encrypted with the data key", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, a.DataKeyArn,
				map[string]pulumi.StringInput{"kms:ViaService": via("dynamodb"), "kms:CallerAccount": pulumi.String(a.AccountID)}},
			{"evidence-timeline", "CreateLogStream and PutLogEvents: the incident timeline", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logStream, nil},
			{"dead-letter", "Lambda sends failed asynchronous invocations to the DLQ with the function's role", []string{"sqs:SendMessage"}, b.dlq.Arn, nil},
			{"dead-letter-key", "the DLQ is encrypted with the notifications key", []string{"kms:Decrypt", "kms:GenerateDataKey"}, a.NotificationKeyArn,
				map[string]pulumi.StringInput{"kms:ViaService": via("sqs"), "kms:CallerAccount": pulumi.String(a.AccountID)}},
		}
		if fn == FunctionIsolate {
			list = append(list, access{"ask-approval", "StartExecution of the approval machine", []string{"states:StartExecution"},
				pulumi.String(n.stateMachineArn), nil})
		}
		for _, f := range list {
			if f.resource == nil {
				continue
			}
			if err := flow.Require(b.ctx, b.r, b.name, fn+"-"+f.part, flow.Access{
				Principal: role, Actions: f.actions, Resource: f.resource, Context: f.context, Caller: caller, Reason: f.why,
			}); err != nil {
				return err
			}
		}
		if err := b.topic.RequirePublish(b.ctx, b.r, b.name, fn+"-notify", role, nil, caller+": Publish", "incident notifications"); err != nil {
			return err
		}
		for _, f := range []access{
			{"no-other-vpc-nacl", "a function that can move ACLs of any VPC could take down or open other networks",
				[]string{"ec2:ReplaceNetworkAclAssociation"}, pulumi.String(n.arn("ec2", "network-acl/acl-0another0vpc0000")),
				map[string]pulumi.StringInput{"ec2:Vpc": otherVpc}},
			{"no-other-vpc-subnet", "a function that can move subnets of any VPC could isolate or expose other networks",
				[]string{"ec2:ReplaceNetworkAclAssociation"}, pulumi.String(n.arn("ec2", "subnet/subnet-0another0vpc000")),
				map[string]pulumi.StringInput{"ec2:Vpc": otherVpc}},
		} {
			if err := flow.Forbid(b.ctx, b.r, b.name, fn+"-"+f.part, flow.Access{
				Principal: role, Actions: f.actions, Resource: f.resource, Context: f.context, Caller: caller, Reason: f.why,
			}); err != nil {
				return err
			}
		}
	}
	approval := "isolation approval state machine (Task states)"
	if err := b.topic.RequirePublish(b.ctx, b.r, b.name, "approval-notify", b.approvalRole.Arn, nil, approval, "the approval request (sns:publish.waitForTaskToken)"); err != nil {
		return err
	}
	if err := flow.Require(b.ctx, b.r, b.name, "approval-invoke", flow.Access{
		Principal: b.approvalRole.Arn, Actions: []string{"lambda:InvokeFunction"}, Resource: b.r.Functions[FunctionIsolate].Arn,
		Caller: approval, Reason: "an approved isolation runs the isolate function (lambda:invoke)",
	}); err != nil {
		return err
	}
	if err := flow.Require(b.ctx, b.r, b.name, "events-invoke", flow.Access{
		Principal: pulumi.String(flow.ServicePrincipal("events")), Actions: []string{"lambda:InvokeFunction"},
		Resource: b.r.Functions[FunctionIsolate].Arn,
		Context:  map[string]pulumi.StringInput{"aws:SourceArn": b.r.Rule.Arn, "aws:SourceAccount": pulumi.String(a.AccountID)},
		Caller:   "EventBridge rule " + b.child("findings"), Reason: "GuardDuty findings reach the isolate function",
	}); err != nil {
		return err
	}
	admin := pulumi.String(flow.AnyPrincipalOf(a.ReleaseRoleTrustAccountID))
	release := b.r.ReleaseRole.Arn
	if err := flow.Require(b.ctx, b.r, b.name, "release-with-mfa", flow.Access{
		Principal: admin, Actions: []string{"sts:AssumeRole"}, Resource: release,
		Context: map[string]pulumi.StringInput{"aws:MultiFactorAuthPresent": pulumi.String("true")},
		Caller:  "an engineer releasing a quarantine (docs/runbooks/release.md)", Reason: "release is possible, with MFA",
	}); err != nil {
		return err
	}
	return flow.Forbid(b.ctx, b.r, b.name, "release-without-mfa", flow.Access{
		Principal: admin, Actions: []string{"sts:AssumeRole"}, Resource: release,
		Context: map[string]pulumi.StringInput{"aws:MultiFactorAuthPresent": pulumi.String("false")},
		Caller:  "a principal without MFA (a stolen access key)", Reason: "release needs the MFA role",
	})
}
