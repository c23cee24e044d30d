package rules

import "testing"

func TestIAMRules(t *testing.T) { runCases(t, iamCases) }

var (
	readBucket = policyDoc(M{"Sid": "Read", "Effect": "Allow", "Action": L{"s3:GetObject", "s3:ListBucket"},
		"Resource": L{"arn:aws:s3:::fintech-audit", "arn:aws:s3:::fintech-audit/*"}})
	allActions = policyDoc(M{"Effect": "Allow", "Action": "*", "Resource": "*"})
)

var iamCases = []ruleCase{
	// iam-no-wildcard-actions
	{rule: "iam-no-wildcard-actions", kind: pass, name: "specific actions",
		res: []node{R(typeIAMPolicy, "p", M{"policy": readBucket})}},
	{rule: "iam-no-wildcard-actions", kind: pass, name: "Deny everything",
		res: []node{R(typeIAMRolePolicy, "p", M{"policy": policyDoc(M{"Effect": "Deny", "Action": "*", "Resource": "*"})})}},
	{rule: "iam-no-wildcard-actions", kind: pass, name: "kms:* on one key",
		res: []node{R(typeIAMPolicy, "p", M{"policy": policyDoc(M{"Effect": "Allow", "Action": "kms:*", "Resource": cmk})})}},
	{rule: "iam-no-wildcard-actions", kind: pass, name: "role with a narrow inline policy",
		res: []node{R(typeIAMRole, "r", M{"assumeRolePolicy": policyDoc(M{"Effect": "Allow", "Principal": M{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}),
			"inlinePolicies": L{M{"name": "read", "policy": readBucket}}})}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: `Action "*" in a managed policy`,
		res:  []node{R(typeIAMPolicy, "p", M{"policy": allActions})},
		want: []want{{U(typeIAMPolicy, "p"), `statement #1 allows action "*"`}}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: `Action "*:*" with a Sid in a user policy`,
		res:  []node{R(typeIAMUserPolicy, "p", M{"policy": policyDoc(M{"Sid": "Admin", "Effect": "Allow", "Action": L{"*:*"}, "Resource": "*"})})},
		want: []want{{U(typeIAMUserPolicy, "p"), `statement Admin allows action "*"`}}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: "service wildcards on every resource in a group policy",
		res: []node{R(typeIAMGroupPolicy, "p", M{"policy": policyDoc(
			M{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
			M{"Sid": "Ops", "Effect": "Allow", "Action": L{"kms:*", "EC2:*"}, "Resource": L{"*"}})})},
		want: []want{
			{U(typeIAMGroupPolicy, "p"), `statement Ops allows kms:* on resource "*"`},
			{U(typeIAMGroupPolicy, "p"), `statement Ops allows EC2:* on resource "*"`},
		}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: "NotAction with Allow in a role policy",
		res:  []node{R(typeIAMRolePolicy, "p", M{"policy": policyDoc(M{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})},
		want: []want{{U(typeIAMRolePolicy, "p"), "statement #1 uses NotAction with Allow"}}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: "backup:* with NotResource, object document",
		res:  []node{R(typeIAMPolicy, "p", M{"policy": M{"Version": "2012-10-17", "Statement": M{"Effect": "Allow", "Action": "backup:*", "NotResource": "arn:aws:backup:*:*:backup-vault:bunker"}}})},
		want: []want{{U(typeIAMPolicy, "p"), `allows backup:* on resource "*"`}}},
	{rule: "iam-no-wildcard-actions", kind: fail, name: "role inline policy",
		res:  []node{R(typeIAMRole, "r", M{"inlinePolicies": L{M{"name": "read", "policy": readBucket}, M{"name": "all", "policy": allActions}}})},
		want: []want{{U(typeIAMRole, "r"), `allows action "*"`}}},
	{rule: "iam-no-wildcard-actions", kind: unknown, name: "policy computed",
		res: []node{R(typeIAMPolicy, "p", M{"policy": unk})}},
	{rule: "iam-no-wildcard-actions", kind: unknown, name: "role inline policies computed",
		res: []node{R(typeIAMRole, "r", M{"inlinePolicies": unk})}},
	{rule: "iam-no-wildcard-actions", kind: unknown, name: "role inline policy document computed",
		res: []node{R(typeIAMRole, "r", M{"inlinePolicies": L{M{"name": "x", "policy": unk}, unk}})}},

	// iam-no-administrator-access
	{rule: "iam-no-administrator-access", kind: pass, name: "read-only attachment",
		res: []node{R(typeRolePolicyAttach, "a", M{"role": "app", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})}},
	{rule: "iam-no-administrator-access", kind: pass, name: "role without managed policies",
		res: []node{R(typeIAMRole, "r", M{"name": "app"})}},
	{rule: "iam-no-administrator-access", kind: fail, name: "role policy attachment",
		res:  []node{R(typeRolePolicyAttach, "a", M{"role": "app", "policyArn": AdministratorAccess})},
		want: []want{{U(typeRolePolicyAttach, "a"), "AdministratorAccess is attached"}}},
	{rule: "iam-no-administrator-access", kind: fail, name: "policy, user and group attachments",
		res: []node{
			R(typePolicyAttach, "a", M{"policyArn": AdministratorAccess, "roles": L{"app"}}),
			R(typeUserPolicyAttach, "u", M{"user": "alice", "policyArn": AdministratorAccess}),
			R(typeGroupPolicyAttach, "g", M{"group": "ops", "policyArn": AdministratorAccess}),
		},
		want: []want{
			{U(typePolicyAttach, "a"), "AdministratorAccess is attached"},
			{U(typeUserPolicyAttach, "u"), "AdministratorAccess is attached"},
			{U(typeGroupPolicyAttach, "g"), "AdministratorAccess is attached"},
		}},
	{rule: "iam-no-administrator-access", kind: fail, name: "role managedPolicyArns",
		res:  []node{R(typeIAMRole, "r", M{"managedPolicyArns": L{"arn:aws:iam::aws:policy/ReadOnlyAccess", AdministratorAccess}})},
		want: []want{{U(typeIAMRole, "r"), "AdministratorAccess is attached"}}},
	{rule: "iam-no-administrator-access", kind: unknown, name: "policyArn computed",
		res: []node{R(typeRolePolicyAttach, "a", M{"role": "app", "policyArn": unk})}},
	{rule: "iam-no-administrator-access", kind: unknown, name: "managedPolicyArns computed",
		res: []node{R(typeIAMRole, "r", M{"managedPolicyArns": L{unk}})}},
}
