package rules

import (
	"testing"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func TestIAMRefRule(t *testing.T) { runCases(t, iamRefCases) }

const (
	typeTopicPolicyRef = "aws:sns/topicPolicy:TopicPolicy"
	isolationTable     = "arn:aws:dynamodb:ap-northeast-1:111111111111:table/isolation"
	naclArn            = "arn:aws:ec2:ap-northeast-1:111111111111:network-acl/*"
	subnetArn          = "arn:aws:ec2:ap-northeast-1:111111111111:subnet/*"
	alertsTopic        = "arn:aws:sns:ap-northeast-1:111111111111:alerts"
)

var (
	quarantineNACLOnly = policyDoc(M{"Sid": "Quarantine", "Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": naclArn})
	keyPolicyViaSNS    = policyDoc(
		M{"Sid": "Root", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
		M{"Sid": "SNS", "Effect": "Allow", "Principal": M{"Service": "sns.amazonaws.com"}, "Action": L{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Resource": "*", "Condition": M{"StringEquals": M{"aws:SourceAccount": acct, "kms:EncryptionContext:aws:sns:topicArn": alertsTopic}}})
)

var iamRefCases = []ruleCase{
	{rule: "iam-reference-valid", kind: pass, name: "identity, key, topic and trust policies",
		res: []node{
			R(typeIAMRolePolicy, "isolate", M{"policy": policyDoc(
				M{"Sid": "State", "Effect": "Allow", "Action": L{"dynamodb:PutItem", "dynamodb:GetItem"}, "Resource": isolationTable},
				M{"Sid": "Quarantine", "Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": L{naclArn, subnetArn}},
				M{"Sid": "Describe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
				M{"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": cmk,
					"Condition": M{"StringEquals": M{"kms:ViaService": "sns.ap-northeast-1.amazonaws.com"}}})}),
			R(typeKey, "k", M{"policy": keyPolicyViaSNS}),
			R(typeTopicPolicyRef, "tp", M{"arn": alertsTopic, "policy": policyDoc(
				M{"Sid": "Events", "Effect": "Allow", "Principal": M{"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": alertsTopic,
					"Condition": M{"ArnEquals": M{"aws:SourceArn": "arn:aws:events:ap-northeast-1:111111111111:rule/r"}}})}),
			R(typeIAMRole, "r", M{
				"assumeRolePolicy": policyDoc(M{"Effect": "Allow", "Principal": M{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
					"Condition": M{"StringEquals": M{"aws:SourceAccount": acct}}}),
				"inlinePolicies": L{M{"name": "read", "policy": readBucket}}}),
			R(typeIAMPolicy, "restore", M{"policy": M{"Version": "2012-10-17", "Statement": M{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"}}}),
			R("aws:backup/vaultPolicy:VaultPolicy", "vp", M{"policy": ""}),
		}},
	{rule: "iam-reference-valid", kind: fail, name: "unknown action, condition key and missing resource type",
		res: []node{
			R(typeIAMRolePolicy, "isolate", M{"policy": policyDoc(
				M{"Sid": "State", "Effect": "Allow", "Action": L{"dynamodb:PutItem", "dynamodb:TransactWriteItems"}, "Resource": isolationTable}),
			}),
			R(typeIAMPolicy, "quarantine", M{"policy": quarantineNACLOnly}),
			R(typeKey, "k", M{"policy": policyDoc(M{"Effect": "Allow", "Principal": M{"Service": "sns.amazonaws.com"}, "Action": "kms:Decrypt",
				"Resource": "*", "Condition": M{"StringEquals": M{"kms:Bogus": "x"}}})}),
			R(typeIAMRole, "r", M{
				"assumeRolePolicy": policyDoc(M{"Sid": "Trust", "Effect": "Allow", "Principal": M{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRoles"}),
				"inlinePolicies":   L{M{"name": "nacl", "policy": quarantineNACLOnly}}}),
			R("aws:sqs/queuePolicy:QueuePolicy", "qp", M{"policy": "not json"}),
		},
		want: []want{
			{U(typeIAMRolePolicy, "isolate"), `isolate policy, statement State: Action "dynamodb:TransactWriteItems" is not an IAM action of dynamodb (AWS ignores it) [unknown-action]`},
			{U(typeIAMPolicy, "quarantine"), "quarantine policy, statement Quarantine: ec2:ReplaceNetworkAclAssociation requires resource type subnet"},
			{U(typeKey, "k"), `k policy, statement #1: condition key "kms:Bogus" does not exist`},
			{U(typeIAMRole, "r"), `r assumeRolePolicy, statement Trust: Action "sts:AssumeRoles" is not an IAM action of sts`},
			{U(typeIAMRole, "r"), `r inline policy "nacl", statement Quarantine: ec2:ReplaceNetworkAclAssociation requires resource type subnet`},
			{U("aws:sqs/queuePolicy:QueuePolicy", "qp"), "qp policy: not a valid policy document: iamref: policy document is not JSON"},
		}},
	{rule: "iam-reference-valid", kind: fail, name: "secret-wrapped document and a wrong type",
		res: []node{
			R(typeIAMPolicy, "p", M{"policy": graph.Secret{Value: M{"Statement": L{M{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}}}}),
			R(typeTopic, "t", M{"policy": 42.0}),
		},
		want: []want{
			{U(typeIAMPolicy, "p"), `p policy, statement #1: Action "s3:GetObjekt" is not an IAM action of s3`},
			{U(typeTopic, "t"), "t policy: is a float64, not a policy document"},
		}},
	{rule: "iam-reference-valid", kind: unknown, name: "documents computed",
		res: []node{
			R(typeIAMRolePolicy, "isolate", M{"policy": unk}),
			R(typeKey, "k", M{"policy": graph.Secret{Value: unk}}),
			R(typeIAMRole, "r", M{"assumeRolePolicy": unk, "inlinePolicies": L{unk, M{"name": "x", "policy": unk}}}),
			R(typeIAMPolicy, "p", M{"policy": M{"Statement": L{M{"Effect": "Allow", "Action": "dynamodb:TransactWriteItems", "Resource": unk}}}}),
		}},
}
