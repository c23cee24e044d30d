package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// networkStatements are shared by both functions: read ACLs, move subnet
// associations inside this VPC only.
func (n names) networkStatements(r resolved, describe []string) []map[string]any {
	return []map[string]any{
		{"Sid": "Describe", "Effect": "Allow", "Action": describe, "Resource": "*"},
		{
			// AWS authorizes ReplaceNetworkAclAssociation on both the
			// network ACL and the subnet; both must be in this VPC.
			"Sid": "MoveSubnetAssociationsInThisVpcOnly", "Effect": "Allow",
			"Action":    "ec2:ReplaceNetworkAclAssociation",
			"Resource":  []string{n.arn("ec2", "network-acl/*"), n.arn("ec2", "subnet/*")},
			"Condition": map[string]any{"StringEquals": map[string]any{"ec2:Vpc": n.arn("ec2", "vpc/"+r.vpcID)}},
		},
	}
}

func (n names) commonStatements(fn string, r resolved) []map[string]any {
	return []map[string]any{
		{
			"Sid": "StateTable", "Effect": "Allow",
			"Action":   []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
			"Resource": []string{r.tableArn, r.tableArn + "/index/*"},
		},
		{
			"Sid": "EvidenceTimeline", "Effect": "Allow",
			"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": n.logGroupArns(n.evidenceLogGroup),
		},
		{
			"Sid": "OwnLogs", "Effect": "Allow",
			"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": n.logGroupArns(n.fnLogGroup[fn]),
		},
		{"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": r.topicArn},
		{"Sid": "DeadLetter", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": r.dlqArn},
		{
			"Sid": "DataKeyThroughDynamoDBAndLambda", "Effect": "Allow",
			"Action":   []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"},
			"Resource": r.dataKey,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": []string{
				fmt.Sprintf("dynamodb.%s.amazonaws.com", n.region), fmt.Sprintf("lambda.%s.amazonaws.com", n.region),
			}}},
		},
		{
			"Sid": "NotificationKeyThroughSNSAndSQS", "Effect": "Allow",
			"Action":   []string{"kms:Decrypt", "kms:GenerateDataKey"},
			"Resource": r.notifyKey,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": []string{
				fmt.Sprintf("sns.%s.amazonaws.com", n.region), fmt.Sprintf("sqs.%s.amazonaws.com", n.region),
			}}},
		},
	}
}

// IsolatePolicy returns the isolate function's policy.
func (n names) isolatePolicy(r resolved) (string, error) {
	sts := n.networkStatements(r, []string{
		"ec2:DescribeNetworkAcls", "ec2:DescribeInstances", "ec2:DescribeVolumes",
		"ec2:DescribeNetworkInterfaces", "ecs:DescribeTasks",
	})
	sts = append(sts,
		map[string]any{
			"Sid": "EvidenceVolumeSnapshots", "Effect": "Allow",
			"Action":   "ec2:CreateSnapshot",
			"Resource": []string{n.arn("ec2", "volume/*"), fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", awsfacts.Partition, n.region)},
		},
		map[string]any{
			"Sid": "TagSnapshotsOnCreation", "Effect": "Allow",
			"Action":    "ec2:CreateTags",
			"Resource":  fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", awsfacts.Partition, n.region),
			"Condition": map[string]any{"StringEquals": map[string]any{"ec2:CreateAction": "CreateSnapshot"}},
		},
		map[string]any{
			"Sid": "AskForApproval", "Effect": "Allow",
			"Action": "states:StartExecution", "Resource": n.stateMachineArn,
		},
	)
	if len(r.clusters) > 0 {
		res := make([]string, 0, len(r.clusters)+1)
		for _, c := range r.clusters {
			res = append(res, fmt.Sprintf("arn:%s:rds:%s:%s:cluster:%s", awsfacts.Partition, n.region, n.account, c))
		}
		res = append(res, fmt.Sprintf("arn:%s:rds:%s:%s:cluster-snapshot:incident-*", awsfacts.Partition, n.region, n.account))
		sts = append(sts, map[string]any{
			"Sid": "EvidenceClusterSnapshots", "Effect": "Allow",
			"Action": []string{"rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"}, "Resource": res,
		})
	}
	sts = append(sts, n.commonStatements(FunctionIsolate, r)...)
	return awsiam.Policy(sts...)
}

func (n names) releasePolicy(r resolved) (string, error) {
	sts := n.networkStatements(r, []string{"ec2:DescribeNetworkAcls"})
	sts = append(sts, n.commonStatements(FunctionRelease, r)...)
	return awsiam.Policy(sts...)
}

func (n names) approvalPolicy(r resolved) (string, error) {
	return awsiam.Policy(
		map[string]any{"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": r.topicArn},
		map[string]any{
			"Sid": "NotificationKeyThroughSNS", "Effect": "Allow",
			"Action": []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": r.notifyKey,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": fmt.Sprintf("sns.%s.amazonaws.com", n.region)}},
		},
		map[string]any{
			"Sid": "InvokeIsolate", "Effect": "Allow", "Action": "lambda:InvokeFunction",
			"Resource": []string{n.fnArn[FunctionIsolate], n.fnArn[FunctionIsolate] + ":*"},
		},
		map[string]any{
			// Vended-log delivery: these actions take no resource ARN.
			"Sid": "LogDelivery", "Effect": "Allow",
			"Action": []string{
				"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
				"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
			},
			"Resource": "*",
		},
	)
}

// policyOutput renders a policy once the referenced resources are known.
func (b *builder) policyOutput(render func(resolved) (string, error)) pulumi.StringOutput {
	clusters := b.args.AuroraClusterIDs
	if clusters == nil {
		clusters = pulumi.StringArray{}
	}
	return pulumi.All(b.args.VpcID, b.r.Table.Arn, b.topic.Arn, b.dlq.Arn, b.args.DataKeyArn, b.args.NotificationKeyArn, clusters).
		ApplyT(func(v []any) (string, error) {
			return render(resolved{
				vpcID: v[0].(string), tableArn: v[1].(string), topicArn: v[2].(string), dlqArn: v[3].(string),
				dataKey: v[4].(string), notifyKey: v[5].(string), clusters: v[6].([]string),
			})
		}).(pulumi.StringOutput)
}
