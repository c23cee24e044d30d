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
//     reproducibly from source by internal/lambdabuild (or given prebuilt in
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
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/internal/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/internal/cwlogs"
	"github.com/fintech-resilience/fintech-resilience/components/internal/gofunction"
	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/internal/lambdabuild"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:security:IsolationResponder"

// Function names (keys of Args.FunctionArchives and Outputs FunctionArns);
// each is built from ./functions/<name> (functions/contract).
const (
	FunctionIsolate = contract.FunctionIsolate
	FunctionRelease = contract.FunctionRelease
)

// Defaults.
const (
	DefaultSeverityThreshold    = contract.IsolationDefaultSeverityThreshold
	DefaultImmediateSeverity    = contract.IsolationDefaultImmediateSeverity
	DefaultApprovalTimeoutHours = 4
	DefaultLogRetentionDays     = 365
	DefaultReservedConcurrency  = 5
	// MinLogRetentionDays is the shortest retention of evidence and logs.
	MinLogRetentionDays = 365
	// DenyAllRuleNo numbers the explicit deny-all entries of the quarantine
	// network ACL.
	DenyAllRuleNo = 32000
)

// Tiers a blast radius may name (securevpc tiers).
var knownTiers = map[string]bool{"public": true, "private": true, "isolated": true}

// Args configures an IsolationResponder.
type Args struct {
	// AccountID is the only account whose findings are acted on.
	AccountID string
	// Region is the region of the VPC and of the findings acted on.
	Region string
	// VpcID is the VPC the quarantine network ACL belongs to.
	VpcID pulumi.StringInput
	// TierSubnetIDs are the VPC's subnets per tier ("public", "private",
	// "isolated"), e.g. from securevpc SubnetIDs.
	TierSubnetIDs map[string]pulumi.StringArrayInput
	// BlastRadiusTiers are isolated when a finding names no network
	// resource (default ["private"]).
	BlastRadiusTiers []string
	// ForensicsCIDRs may still reach quarantined subnets (TCP in, ephemeral
	// TCP out); IPv4 CIDRs, default none.
	ForensicsCIDRs []string
	// SeverityThreshold: findings below it are ignored (default 7 = high).
	SeverityThreshold float64
	// FindingTypePrefixes limit the finding types (empty: all types).
	FindingTypePrefixes []string
	// ImmediateSeverity: findings at or above it isolate at once; below it a
	// human approves first (default 9 = critical).
	ImmediateSeverity float64
	// ApprovalTimeoutHours is how long an approval request waits (default 4).
	ApprovalTimeoutHours int
	// AuroraClusterIDs are snapshotted as evidence on isolation (optional).
	AuroraClusterIDs pulumi.StringArrayInput
	// ReleaseRoleTrustAccountID is the account whose principals may assume
	// the incident-release role, with MFA (default AccountID).
	ReleaseRoleTrustAccountID string
	// DataKeyArn encrypts the state table and the functions' environment.
	DataKeyArn pulumi.StringInput
	// LogsKeyArn encrypts the log groups.
	LogsKeyArn pulumi.StringInput
	// NotificationKeyArn encrypts the SNS topic and the dead-letter queue.
	NotificationKeyArn pulumi.StringInput
	// NotificationEmails are subscribed to the topic.
	NotificationEmails []string
	// ModuleRoot is the directory of go.mod, for building the functions
	// (default ".", the Pulumi program's directory).
	ModuleRoot string
	// LogRetentionDays of every log group (default 365, at least 365).
	LogRetentionDays int
	// ReservedConcurrency of each function (default 5; negative: none, for
	// accounts whose concurrency quota cannot spare a reservation).
	ReservedConcurrency int
	// FunctionArchives, when set, are prebuilt packages by function name
	// (FunctionIsolate, FunctionRelease): the component then builds nothing. Useful in
	// tests and for pipelines that build the zips in an earlier step (with
	// internal/lambdabuild, so the hashes match a local build).
	FunctionArchives map[string]lambdabuild.Artifact
}

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

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	prefixRE  = regexp.MustCompile(`^[A-Za-z0-9:/._!-]+$`)
)

// withDefaults returns a copy with defaults filled in.
func (a Args) withDefaults() Args {
	if a.BlastRadiusTiers == nil {
		a.BlastRadiusTiers = []string{"private"}
	}
	if a.SeverityThreshold == 0 {
		a.SeverityThreshold = DefaultSeverityThreshold
	}
	if a.ImmediateSeverity == 0 {
		a.ImmediateSeverity = DefaultImmediateSeverity
	}
	if a.ApprovalTimeoutHours == 0 {
		a.ApprovalTimeoutHours = DefaultApprovalTimeoutHours
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultLogRetentionDays
	}
	if a.ReservedConcurrency == 0 {
		a.ReservedConcurrency = DefaultReservedConcurrency
	}
	if a.ReleaseRoleTrustAccountID == "" {
		a.ReleaseRoleTrustAccountID = a.AccountID
	}
	if a.ModuleRoot == "" {
		a.ModuleRoot = "."
	}
	return a
}

func (a *Args) validate(name string) error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if !nameRE.MatchString(name) {
		add("name %q must be 1-40 lower-case letters, digits or '-', starting with a letter", name)
	}
	if !accountRE.MatchString(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if !regionRE.MatchString(a.Region) {
		add("Region %q is not a region name such as ap-northeast-1", a.Region)
	}
	if a.VpcID == nil {
		add("VpcID is required")
	}
	if len(a.BlastRadiusTiers) == 0 {
		add("BlastRadiusTiers must name at least one tier")
	}
	for _, t := range a.BlastRadiusTiers {
		switch {
		case !knownTiers[t]:
			add("BlastRadiusTiers: %q is not a tier (public, private, isolated)", t)
		case a.TierSubnetIDs[t] == nil:
			add("BlastRadiusTiers: tier %q has no subnets in TierSubnetIDs", t)
		}
	}
	for _, t := range sortedKeys(a.TierSubnetIDs) {
		if !knownTiers[t] {
			add("TierSubnetIDs: %q is not a tier (public, private, isolated)", t)
		}
	}
	for _, c := range a.ForensicsCIDRs {
		ip, ipnet, err := net.ParseCIDR(c)
		switch {
		case err != nil || ip.To4() == nil:
			add("ForensicsCIDRs: %q is not an IPv4 CIDR", c)
		case ipnet.String() != c:
			add("ForensicsCIDRs: %q has host bits set (use %s)", c, ipnet.String())
		default:
			if ones, _ := ipnet.Mask.Size(); ones < 16 {
				add("ForensicsCIDRs: %q is wider than /16; a quarantine admits forensics hosts only", c)
			}
		}
	}
	if len(a.ForensicsCIDRs) > 10 {
		add("ForensicsCIDRs: at most 10 (network ACL quota)")
	}
	if a.SeverityThreshold < 1 || a.SeverityThreshold > 10 {
		add("SeverityThreshold %v must be between 1 and 10", a.SeverityThreshold)
	}
	if a.ImmediateSeverity < a.SeverityThreshold || a.ImmediateSeverity > 10 {
		add("ImmediateSeverity %v must be between SeverityThreshold %v and 10", a.ImmediateSeverity, a.SeverityThreshold)
	}
	for _, p := range a.FindingTypePrefixes {
		if !prefixRE.MatchString(p) {
			add("FindingTypePrefixes: %q is not a GuardDuty finding type prefix (e.g. UnauthorizedAccess:EC2/)", p)
		}
	}
	if a.ApprovalTimeoutHours < 1 || a.ApprovalTimeoutHours > 168 {
		add("ApprovalTimeoutHours %d must be between 1 and 168", a.ApprovalTimeoutHours)
	}
	if !accountRE.MatchString(a.ReleaseRoleTrustAccountID) {
		add("ReleaseRoleTrustAccountID %q is not a 12-digit account id", a.ReleaseRoleTrustAccountID)
	}
	if a.DataKeyArn == nil {
		add("DataKeyArn (a customer-managed key) is required")
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (a customer-managed key) is required")
	}
	if a.NotificationKeyArn == nil {
		add("NotificationKeyArn (a customer-managed key) is required")
	}
	for _, e := range a.NotificationEmails {
		if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e {
			add("NotificationEmails: %q is not a plain address", e)
		}
	}
	if !cwlogs.ValidRetention(a.LogRetentionDays) || a.LogRetentionDays < MinLogRetentionDays {
		add("LogRetentionDays %d must be a CloudWatch Logs retention of at least %d (365, 400, 545, 731, ...)", a.LogRetentionDays, MinLogRetentionDays)
	}
	if a.FunctionArchives != nil {
		for _, fn := range []string{FunctionIsolate, FunctionRelease} {
			art, ok := a.FunctionArchives[fn]
			if !ok || art.ZipPath == "" || art.SHA256Base64 == "" {
				add("FunctionArchives: %q needs a zip path and its SHA-256", fn)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return nil
}

// partition returns the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// EventPattern returns the EventBridge pattern of the findings acted on.
func EventPattern(account, region string, threshold float64, prefixes []string) (string, error) {
	detail := map[string]any{
		"severity": []any{map[string]any{"numeric": []any{">=", threshold}}},
	}
	if len(prefixes) > 0 {
		types := make([]any, 0, len(prefixes))
		for _, p := range prefixes {
			types = append(types, map[string]any{"prefix": p})
		}
		detail["type"] = types
	}
	out, err := json.Marshal(map[string]any{
		"source":      []string{"aws.guardduty"},
		"detail-type": []string{"GuardDuty Finding"},
		"account":     []string{account},
		"region":      []string{region},
		"detail":      detail,
	})
	if err != nil {
		return "", fmt.Errorf("event pattern: %w", err)
	}
	return string(out), nil
}

func marshal(v any) (string, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("marshal: %w", err)
	}
	return string(out), nil
}

func policy(statements ...map[string]any) (string, error) {
	var sts []map[string]any
	for _, s := range statements {
		if s != nil {
			sts = append(sts, s)
		}
	}
	return marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
}

// names are the plain names and ARNs fixed before anything is created
// (they break the function <-> state machine cycle).
type names struct {
	part, region, account string
	fn                    map[string]string
	fnArn                 map[string]string
	fnLogGroup            map[string]string
	evidenceLogGroup      string
	stateMachine          string
	stateMachineArn       string
	stateMachineLogGroup  string
}

func newNames(name, account, region string) names {
	p := partition(region)
	n := names{
		part: p, region: region, account: account,
		fn: map[string]string{}, fnArn: map[string]string{}, fnLogGroup: map[string]string{},
		evidenceLogGroup:     "/fintech/" + name + "/isolation-evidence",
		stateMachine:         name + "-approval",
		stateMachineLogGroup: "/aws/vendedlogs/states/" + name + "-approval",
	}
	n.stateMachineArn = fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", p, region, account, n.stateMachine)
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		n.fn[fn] = name + "-" + fn
		n.fnArn[fn] = fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, region, account, n.fn[fn])
		n.fnLogGroup[fn] = "/aws/lambda/" + n.fn[fn]
	}
	return n
}

func (n names) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", n.part, service, n.region, n.account, resource)
}

func (n names) logGroupArns(group string) []string {
	base := n.arn("logs", "log-group:"+group)
	return []string{base, base + ":*"}
}

// resolved are the values known only once other resources exist.
type resolved struct {
	vpcID, tableArn, topicArn, dlqArn, dataKey, notifyKey string
	clusters                                              []string
}

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
			"Resource": []string{n.arn("ec2", "volume/*"), fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", n.part, n.region)},
		},
		map[string]any{
			"Sid": "TagSnapshotsOnCreation", "Effect": "Allow",
			"Action":    "ec2:CreateTags",
			"Resource":  fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", n.part, n.region),
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
			res = append(res, fmt.Sprintf("arn:%s:rds:%s:%s:cluster:%s", n.part, n.region, n.account, c))
		}
		res = append(res, fmt.Sprintf("arn:%s:rds:%s:%s:cluster-snapshot:incident-*", n.part, n.region, n.account))
		sts = append(sts, map[string]any{
			"Sid": "EvidenceClusterSnapshots", "Effect": "Allow",
			"Action": []string{"rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"}, "Resource": res,
		})
	}
	sts = append(sts, n.commonStatements(FunctionIsolate, r)...)
	return policy(sts...)
}

func (n names) releasePolicy(r resolved) (string, error) {
	sts := n.networkStatements(r, []string{"ec2:DescribeNetworkAcls"})
	sts = append(sts, n.commonStatements(FunctionRelease, r)...)
	return policy(sts...)
}

func (n names) approvalPolicy(r resolved) (string, error) {
	return policy(
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

func (b *builder) network() error {
	var in ec2.NetworkAclIngressArray
	var out ec2.NetworkAclEgressArray
	for i, c := range b.args.ForensicsCIDRs {
		no := 100 + 10*i
		in = append(in, ec2.NetworkAclIngressArgs{
			RuleNo: pulumi.Int(no), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
			CidrBlock: pulumi.String(c), FromPort: pulumi.Int(0), ToPort: pulumi.Int(65535),
		})
		out = append(out, ec2.NetworkAclEgressArgs{
			RuleNo: pulumi.Int(no), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
			CidrBlock: pulumi.String(c), FromPort: pulumi.Int(1024), ToPort: pulumi.Int(65535),
		})
	}
	in = append(in, ec2.NetworkAclIngressArgs{
		RuleNo: pulumi.Int(DenyAllRuleNo), Action: pulumi.String("deny"), Protocol: pulumi.String("-1"),
		CidrBlock: pulumi.String("0.0.0.0/0"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
	})
	out = append(out, ec2.NetworkAclEgressArgs{
		RuleNo: pulumi.Int(DenyAllRuleNo), Action: pulumi.String("deny"), Protocol: pulumi.String("-1"),
		CidrBlock: pulumi.String("0.0.0.0/0"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
	})
	naclName := b.child("quarantine-nacl")
	// No SubnetIds: the responder, not Pulumi, moves subnets onto this ACL
	// (docs/decisions/0009-quarantine-survives-pulumi-up.md).
	nacl, err := ec2.NewNetworkAcl(b.ctx, naclName, &ec2.NetworkAclArgs{
		VpcId:   b.args.VpcID,
		Ingress: in,
		Egress:  out,
		Tags:    pulumi.StringMap{"Name": pulumi.String(naclName), "quarantine": pulumi.String("true")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("quarantine network acl: %w", err)
	}
	b.r.QuarantineNacl = nacl
	b.quarantineIDs = pulumi.All(b.args.VpcID, nacl.ID().ToStringOutput()).ApplyT(func(v []any) (string, error) {
		return marshal(map[string]string{v[0].(string): v[1].(string)})
	}).(pulumi.StringOutput)
	tiers := make([]any, 0, len(b.args.BlastRadiusTiers)+1)
	tiers = append(tiers, b.args.VpcID)
	for _, t := range b.args.BlastRadiusTiers {
		tiers = append(tiers, b.args.TierSubnetIDs[t])
	}
	b.blastRadiusIDs = pulumi.All(tiers...).ApplyT(func(v []any) (string, error) {
		seen := map[string]bool{}
		subnets := []string{}
		for _, ids := range v[1:] {
			for _, id := range ids.([]string) {
				if !seen[id] {
					seen[id] = true
					subnets = append(subnets, id)
				}
			}
		}
		return marshal(map[string][]string{v[0].(string): subnets})
	}).(pulumi.StringOutput)
	return nil
}

func (b *builder) table() error {
	t, err := dynamodb.NewTable(b.ctx, b.child("state"), &dynamodb.TableArgs{
		Name:        pulumi.String(b.child("isolation-state")),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String("subnetId"),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String("subnetId"), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String("incidentId"), Type: pulumi.String("S")},
		},
		GlobalSecondaryIndexes: dynamodb.TableGlobalSecondaryIndexArray{
			dynamodb.TableGlobalSecondaryIndexArgs{
				Name: pulumi.String("incident"), HashKey: pulumi.String("incidentId"), ProjectionType: pulumi.String("ALL"),
			},
		},
		ServerSideEncryption: dynamodb.TableServerSideEncryptionArgs{
			Enabled: pulumi.Bool(true), KmsKeyArn: b.args.DataKeyArn,
		},
		PointInTimeRecovery:       dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("state table: %w", err)
	}
	b.r.Table = t
	return nil
}

func (b *builder) notifications() error {
	topic, err := notifytopic.NewTopic(b.ctx, b.child("alerts"), &notifytopic.Args{
		AccountID: b.args.AccountID,
		KeyArn:    b.args.NotificationKeyArn,
		// Alarms publish as a service; the functions and the state machine
		// publish with their roles.
		Publishers: []string{"cloudwatch.amazonaws.com"},
		Emails:     b.args.NotificationEmails,
	}, b.parent)
	if err != nil {
		return err
	}
	b.topic = topic
	b.r.TopicArn = topic.Arn
	dlq, err := sqs.NewQueue(b.ctx, b.child("dlq"), &sqs.QueueArgs{
		Name:                         pulumi.String(b.child("dlq")),
		KmsMasterKeyId:               b.args.NotificationKeyArn,
		KmsDataKeyReusePeriodSeconds: pulumi.Int(300),
		MessageRetentionSeconds:      pulumi.Int(1209600),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	b.dlq = dlq
	b.r.DeadLetterQueue = dlq
	return nil
}

func (b *builder) logGroup(resName, groupName string) (*cloudwatch.LogGroup, error) {
	lg, err := cloudwatch.NewLogGroup(b.ctx, resName, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		KmsKeyId:        b.args.LogsKeyArn,
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("log group %s: %w", groupName, err)
	}
	return lg, nil
}

func (b *builder) logGroups() error {
	var err error
	if b.evidence, err = b.logGroup(b.child("evidence"), b.n.evidenceLogGroup); err != nil {
		return err
	}
	b.r.EvidenceLogGroupName = b.evidence.Name
	if b.smLogGroup, err = b.logGroup(b.child("approval-logs"), b.n.stateMachineLogGroup); err != nil {
		return err
	}
	b.fnLogGroups = map[string]*cloudwatch.LogGroup{}
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		lg, err := b.logGroup(b.child(fn+"-logs"), b.n.fnLogGroup[fn])
		if err != nil {
			return err
		}
		b.fnLogGroups[fn] = lg
	}
	return nil
}

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

func (b *builder) approval() error {
	trust, err := awsiam.ServiceTrust("states.amazonaws.com", b.args.AccountID)
	if err != nil {
		return fmt.Errorf("approval role trust: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("approval-role"), &iam.RoleArgs{
		Name:             pulumi.String(b.child("approval")),
		Description:      pulumi.String("Role of the isolation approval state machine"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("approval role: %w", err)
	}
	b.approvalRole = role
	rp, err := iam.NewRolePolicy(b.ctx, b.child("approval-policy"), &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: b.policyOutput(b.n.approvalPolicy),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("approval policy: %w", err)
	}
	timeout := b.args.ApprovalTimeoutHours * 3600
	def := pulumi.All(b.topic.Arn, b.r.Functions[FunctionIsolate].Arn).ApplyT(func(v []any) (string, error) {
		return ApprovalDefinition(ApprovalSpec{
			Partition: b.n.part, Region: b.n.region, TopicArn: v[0].(string),
			IsolateFunctionArn: v[1].(string), TimeoutSeconds: timeout,
		})
	}).(pulumi.StringOutput)
	sm, err := sfn.NewStateMachine(b.ctx, b.child("approval"), &sfn.StateMachineArgs{
		Name:       pulumi.String(b.n.stateMachine),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    role.Arn,
		Definition: def,
		LoggingConfiguration: sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String("ALL"),
			IncludeExecutionData: pulumi.Bool(true),
			LogDestination: b.smLogGroup.Arn.ApplyT(func(arn string) string {
				return arn + ":*"
			}).(pulumi.StringOutput),
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rp}))
	if err != nil {
		return fmt.Errorf("approval state machine: %w", err)
	}
	b.r.StateMachine = sm
	return nil
}

// mustPolicy marshals a single-statement policy built from literals.
func mustPolicy(st map[string]any) string {
	out, err := policy(st)
	if err != nil {
		// Only maps of strings built here; cannot fail.
		return "{}"
	}
	return out
}

func (b *builder) rule(pattern string) error {
	rule, err := cloudwatch.NewEventRule(b.ctx, b.child("findings"), &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(b.child("guardduty-findings")),
		Description:  pulumi.String("GuardDuty findings of this account and region at or above the isolation threshold"),
		EventPattern: pulumi.String(pattern),
		State:        pulumi.String("ENABLED"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("event rule: %w", err)
	}
	b.r.Rule = rule
	isolate := b.r.Functions[FunctionIsolate]
	perm, err := lambda.NewPermission(b.ctx, b.child("events-invoke"), &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      isolate.Name,
		Principal:     pulumi.String("events.amazonaws.com"),
		SourceArn:     rule.Arn,
		SourceAccount: pulumi.String(b.args.AccountID),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("events permission: %w", err)
	}
	qp := pulumi.All(b.dlq.Arn, rule.Arn).ApplyT(func(v []any) (string, error) {
		return policy(map[string]any{
			"Sid": "FailedFindingDeliveries", "Effect": "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  v[0].(string),
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": v[1].(string)}},
		})
	}).(pulumi.StringOutput)
	queuePolicy, err := sqs.NewQueuePolicy(b.ctx, b.child("dlq-policy"), &sqs.QueuePolicyArgs{
		QueueUrl: b.dlq.Url,
		Policy:   qp,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("dead-letter queue policy: %w", err)
	}
	if _, err := cloudwatch.NewEventTarget(b.ctx, b.child("findings-isolate"), &cloudwatch.EventTargetArgs{
		Rule:     rule.Name,
		TargetId: pulumi.String(FunctionIsolate),
		Arn:      isolate.Arn,
		RetryPolicy: cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(3600),
			MaximumRetryAttempts:     pulumi.Int(10),
		},
		DeadLetterConfig: cloudwatch.EventTargetDeadLetterConfigArgs{Arn: b.dlq.Arn},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{perm, queuePolicy})); err != nil {
		return fmt.Errorf("event target: %w", err)
	}
	return nil
}

// releaseAccess creates the incident-release role for humans: assumable by
// the trusted account's principals with MFA, allowed only to invoke the
// release function.
func (b *builder) releaseAccess() error {
	release := b.r.Functions[FunctionRelease]
	role, err := iam.NewRole(b.ctx, b.child("incident-release"), &iam.RoleArgs{
		Name:               pulumi.String(b.child("incident-release")),
		Description:        pulumi.String("Humans assume this role (with MFA) to release a quarantine"),
		MaxSessionDuration: pulumi.Int(3600),
		AssumeRolePolicy: pulumi.String(mustPolicy(map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", b.n.part, b.args.ReleaseRoleTrustAccountID)},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}},
		})),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("incident-release role: %w", err)
	}
	if _, err := iam.NewRolePolicy(b.ctx, b.child("incident-release-policy"), &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: release.Arn.ApplyT(func(arn string) (string, error) {
			return policy(map[string]any{
				"Sid": "InvokeReleaseOnly", "Effect": "Allow",
				"Action": "lambda:InvokeFunction", "Resource": arn,
			})
		}).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return fmt.Errorf("incident-release policy: %w", err)
	}
	if _, err := lambda.NewPermission(b.ctx, b.child("release-invoke"), &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  release.Name,
		Principal: role.Arn,
	}, b.parent); err != nil {
		return fmt.Errorf("release permission: %w", err)
	}
	b.r.ReleaseRole = role
	return nil
}

func (b *builder) alarms() error {
	actions := pulumi.Array{b.topic.Arn}
	if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child("isolate-errors"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(b.child("isolate-errors")),
		AlarmDescription:   pulumi.String("The isolate function failed (an incomplete isolation counts as a failure)"),
		Namespace:          pulumi.String("AWS/Lambda"),
		MetricName:         pulumi.String("Errors"),
		Dimensions:         pulumi.StringMap{"FunctionName": b.r.Functions[FunctionIsolate].Name},
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
	}, b.parent); err != nil {
		return fmt.Errorf("isolate errors alarm: %w", err)
	}
	if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child("dlq-messages"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(b.child("dlq-messages")),
		AlarmDescription:   pulumi.String("A finding or an invocation could not be delivered to the isolate function"),
		Namespace:          pulumi.String("AWS/SQS"),
		MetricName:         pulumi.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         pulumi.StringMap{"QueueName": b.dlq.Name},
		Statistic:          pulumi.String("Maximum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
	}, b.parent); err != nil {
		return fmt.Errorf("dead-letter alarm: %w", err)
	}
	return nil
}

// sortedKeys keeps map iteration order out of messages and resources.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
