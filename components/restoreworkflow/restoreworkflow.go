// Package restoreworkflow provides RestoreWorkflow: the restore account's
// recovery workflow, a Step Functions STANDARD state machine that restores
// the bunker's Aurora backup and cuts the application over only when a
// human approves.
//
// Guarantees:
//   - The definition is generated from Go values (package asl) and is
//     validated before it is registered: every Task has a Retry and a Catch
//     that ends, through a failure notification, in a Fail state.
//   - It restores the recovery point it is given (after checking it is a
//     COMPLETED Aurora recovery point of the configured vault) or the latest
//     completed one, into a cluster named after the execution (a re-run never
//     collides with or overwrites an earlier restore), in the configured
//     subnet group and security groups, re-encrypted with the restore
//     account's customer-managed key.
//   - Job ids (restore job, instances, parameter version, service) are kept
//     in the execution's data and sent with every notification; a FAILED or
//     ABORTED restore job, a failed instance, a failed verification, a
//     rejection or an approval timeout ends the execution as failed.
//   - The cut-over (SSM parameter the application reads + ECS redeploy) is
//     reachable only through the approval task (sns:publish.waitForTaskToken).
//   - The restored cluster's log export groups exist before the restore
//     job starts, encrypted with the logs key and kept as long as the
//     workload's (DatabaseLogRetentionDays).
//   - Recovery objectives are measured (objectives.go, ADR 0019): every
//     execution puts its RPO and RTO (to verified, to cut-over) and every
//     restore test its RPO and RTO through restoremetrics; five alarms
//     against RPOTargetMinutes/RTOTargetMinutes notify the topic. A failure
//     to measure is reported in the next notice and never stops a restore.
//   - Least privilege: no IAM statement grants a "*" action or
//     AdministratorAccess. The AWS Backup restore role has only the
//     AWS-managed restore policy and use of the restore key; the state
//     machine's role is scoped to the vault, the cluster/instance name prefix,
//     the subnet group, the key, the two functions, the topic, the parameter
//     and the service.
//   - Logs: the state machine logs ALL events without execution data to a
//     log group encrypted with the logs key; the execution data is encrypted
//     with the restore key; the functions log to CMK-encrypted groups and run
//     in the isolated subnets behind a security group with no ingress.
package restoreworkflow

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/components/gofunction"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:recovery:RestoreWorkflow"

// Function names: keys of Args.FunctionArchives and of FunctionArns.
const (
	FunctionPick    = contract.FunctionRestorePick
	FunctionVerify  = contract.FunctionRestoreVerify
	FunctionMetrics = contract.FunctionRestoreMetrics
)

// FunctionNames are the workflow's Lambda functions, in build order: the
// keys of Args.FunctionArchives and the directories under functions/.
func FunctionNames() []string { return []string{FunctionPick, FunctionVerify, FunctionMetrics} }

// ParameterInitialValue is the cut-over parameter's value until a restore
// is approved. Pulumi ignores later changes of the value (the workflow owns it).
const ParameterInitialValue = "not-restored"

// Defaults.
const (
	DefaultPollIntervalSeconds    = 60
	DefaultTimeoutSeconds         = 6 * 3600
	DefaultApprovalTimeoutSeconds = 24 * 3600
	DefaultLogRetentionDays       = 365
)

// Args configures a RestoreWorkflow.
type Args struct {
	// AccountID and Region of the restore account (IAM resource ARNs).
	AccountID string
	Region    string
	// VaultArn is the bunker's logically air-gapped vault shared through RAM.
	VaultArn pulumi.StringInput
	// SubnetGroupName is the DB subnet group (isolated subnets) to restore into.
	SubnetGroupName pulumi.StringInput
	// SecurityGroupIDs are the restored cluster's VPC security groups.
	SecurityGroupIDs pulumi.StringArrayInput
	// ParameterGroupName is the restore account's cluster parameter group
	// of encryptedaurora's posture (encryptedaurora.NewTLSParameterGroup):
	// the restored cluster gets it with the rest of the posture.
	ParameterGroupName string
	// KeyArn is the restore account's data CMK: the restored cluster, its
	// managed master secret, the execution data and the function environments.
	KeyArn pulumi.StringInput
	// LogsKeyArn encrypts the log groups.
	LogsKeyArn pulumi.StringInput
	// NotificationKeyArn encrypts the topic; NotificationEmails subscribe to it.
	NotificationKeyArn pulumi.StringInput
	NotificationEmails []string
	// ClusterIdentifierPrefix starts every restored cluster's identifier
	// (<prefix>-<execution name>) and instance identifier (<cluster>-<n>);
	// IAM is scoped to it. Lowercase letters, digits, single hyphens, at most
	// 24 characters (an execution name of 36 characters must still fit).
	ClusterIdentifierPrefix string
	// Engine is aurora-postgresql or aurora-mysql; EngineVersion is optional.
	Engine        string
	EngineVersion string
	// InstanceCount Serverless v2 instances (1 to 9) with MinCapacity to
	// MaxCapacity ACUs (0 to 256, steps of 0.5; MaxCapacity at least 1).
	InstanceCount int
	MinCapacity   float64
	MaxCapacity   float64
	// PollIntervalSeconds between status checks (default 60, 10 to 3600).
	PollIntervalSeconds int
	// TimeoutSeconds is the budget from start to a verified restore (default
	// 6 h). The state machine's own timeout adds ApprovalTimeoutSeconds and
	// an hour for the cut-over.
	TimeoutSeconds int
	// ApprovalTimeoutSeconds is how long the cut-over approval waits
	// (default 24 h); then the execution fails and nothing is cut over.
	ApprovalTimeoutSeconds int
	// VerifyQuery, when set, is run through the RDS Data API on the restored
	// cluster (the workflow enables the Data API for it) with the cluster's
	// managed master secret; VerifyDatabase names the database (optional).
	VerifyQuery    string
	VerifyDatabase string
	// CutoverParameterName is the SSM parameter holding the database endpoint
	// the application reads; the component creates it with "not-restored".
	CutoverParameterName string
	// EcsClusterArn and EcsServiceName: the application service redeployed
	// at cut-over.
	EcsClusterArn  pulumi.StringInput
	EcsServiceName pulumi.StringInput
	// VpcID, VpcCidrBlock, IsolatedSubnetIDs and DatabasePort place the
	// functions: isolated subnets, no ingress, egress only inside the VPC on
	// 443 (interface endpoints) and the database port.
	VpcID             pulumi.StringInput
	VpcCidrBlock      string
	IsolatedSubnetIDs pulumi.StringArrayInput
	DatabasePort      int
	// InterfaceEndpoints, when set, are the VPC interface endpoints the
	// functions must reach on 443 (a required network path).
	InterfaceEndpoints *flow.Endpoint
	// LogRetentionDays of every log group of the workflow (default 365).
	LogRetentionDays int
	// DatabaseLogRetentionDays is the retention of the restored cluster's
	// log export groups: the workload cluster's (encryptedaurora
	// Args.LogRetentionDays; the stacks read both from the config key
	// databaseLogRetentionDays). Required.
	DatabaseLogRetentionDays int
	// RPOTargetMinutes and RTOTargetMinutes are the recovery objectives:
	// alarms fire when a restore (the workflow's or a restore test) restores
	// a recovery point older than RPOTargetMinutes, or takes longer than
	// RTOTargetMinutes to verification or cut-over (objectives.go).
	RPOTargetMinutes int
	RTOTargetMinutes int
	// ModuleRoot is the directory of go.mod for building the functions
	// (default ".").
	ModuleRoot string
	// FunctionArchives, when set, are prebuilt packages by function name
	// (restorepick, restoreverify, restoremetrics) instead of building with
	// components/lambdabuild.
	FunctionArchives map[string]lambdabuild.Artifact
}

// RestoreWorkflow is the state machine and everything it runs with.
type RestoreWorkflow struct {
	pulumi.ResourceState

	StateMachine *sfn.StateMachine
	Functions    map[string]*lambda.Function
	Topic        *notifytopic.Topic

	StateMachineArn      pulumi.StringOutput
	RoleArn              pulumi.StringOutput
	RestoreRoleArn       pulumi.StringOutput
	TopicArn             pulumi.StringOutput
	CutoverParameterName pulumi.StringOutput
	FunctionArns         pulumi.StringMapOutput
}

var (
	prefixRE    = regexp.MustCompile(`^[a-z](?:[a-z0-9]|-[a-z0-9])*$`)
	versionRE   = regexp.MustCompile(`^[0-9][0-9A-Za-z._-]*$`)
	parameterRE = regexp.MustCompile(`^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	databaseRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// MaxPrefixLength keeps <prefix>-<36-character execution name>-<n> within
// the 63 characters of an RDS identifier.
const MaxPrefixLength = 63 - 1 - 36 - 2

func (a Args) withDefaults() Args {
	if a.PollIntervalSeconds == 0 {
		a.PollIntervalSeconds = DefaultPollIntervalSeconds
	}
	if a.TimeoutSeconds == 0 {
		a.TimeoutSeconds = DefaultTimeoutSeconds
	}
	if a.ApprovalTimeoutSeconds == 0 {
		a.ApprovalTimeoutSeconds = DefaultApprovalTimeoutSeconds
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultLogRetentionDays
	}
	if a.ModuleRoot == "" {
		a.ModuleRoot = "."
	}
	return a
}

// Validate returns every problem of the arguments in one error (nil when
// there is none); NewRestoreWorkflow refuses arguments it rejects.
func (a *Args) Validate() error {
	var p []string
	add := func(format string, v ...any) { p = append(p, fmt.Sprintf(format, v...)) }
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if p := awsfacts.RegionProblem(a.Region); p != "" {
		add("Region %q %s", a.Region, p)
	}
	required := map[string]bool{
		"VaultArn": a.VaultArn == nil, "SubnetGroupName": a.SubnetGroupName == nil, "SecurityGroupIDs": a.SecurityGroupIDs == nil,
		"KeyArn": a.KeyArn == nil, "LogsKeyArn": a.LogsKeyArn == nil, "NotificationKeyArn": a.NotificationKeyArn == nil,
		"EcsClusterArn": a.EcsClusterArn == nil, "EcsServiceName": a.EcsServiceName == nil, "VpcID": a.VpcID == nil,
		"IsolatedSubnetIDs": a.IsolatedSubnetIDs == nil,
	}
	var missing []string
	for k, m := range required {
		if m {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		add("%s required", strings.Join(missing, ", "))
	}
	if !prefixRE.MatchString(a.ClusterIdentifierPrefix) || len(a.ClusterIdentifierPrefix) > MaxPrefixLength {
		add("ClusterIdentifierPrefix %q must be 1-%d lowercase letters, digits and single hyphens, starting with a letter", a.ClusterIdentifierPrefix, MaxPrefixLength)
	}
	if a.Engine != "aurora-postgresql" && a.Engine != "aurora-mysql" {
		add("Engine %q is not aurora-postgresql or aurora-mysql", a.Engine)
	}
	if a.EngineVersion != "" && !versionRE.MatchString(a.EngineVersion) {
		add("EngineVersion %q is not an engine version", a.EngineVersion)
	}
	if a.InstanceCount < 1 || a.InstanceCount > maxInstanceCount {
		add("InstanceCount %d is outside 1 to %d", a.InstanceCount, maxInstanceCount)
	}
	halfStep := func(f float64) bool { return f*2 == math.Trunc(f*2) }
	if a.MinCapacity < 0 || a.MinCapacity > 256 || !halfStep(a.MinCapacity) {
		add("MinCapacity %v must be 0 to 256 ACUs in steps of 0.5", a.MinCapacity)
	}
	if a.MaxCapacity < 1 || a.MaxCapacity > 256 || !halfStep(a.MaxCapacity) {
		add("MaxCapacity %v must be 1 to 256 ACUs in steps of 0.5", a.MaxCapacity)
	}
	if a.MaxCapacity < a.MinCapacity {
		add("MaxCapacity %v is below MinCapacity %v", a.MaxCapacity, a.MinCapacity)
	}
	if a.PollIntervalSeconds < 10 || a.PollIntervalSeconds > 3600 {
		add("PollIntervalSeconds %d is outside 10 to 3600", a.PollIntervalSeconds)
	}
	if a.TimeoutSeconds < 1800 || a.TimeoutSeconds > 7*24*3600 {
		add("TimeoutSeconds %d is outside 1800 (30 min) to 604800 (7 days)", a.TimeoutSeconds)
	}
	if a.ApprovalTimeoutSeconds < 300 || a.ApprovalTimeoutSeconds > 7*24*3600 {
		add("ApprovalTimeoutSeconds %d is outside 300 to 604800 (7 days)", a.ApprovalTimeoutSeconds)
	}
	if 2*a.PollIntervalSeconds > a.TimeoutSeconds && a.TimeoutSeconds > 0 {
		add("PollIntervalSeconds %d must be at most half of TimeoutSeconds %d (the restore budget counts status polls)", a.PollIntervalSeconds, a.TimeoutSeconds)
	}
	if len(a.VerifyQuery) > 4096 {
		add("VerifyQuery is %d bytes, above 4096", len(a.VerifyQuery))
	}
	if a.VerifyDatabase != "" && (a.VerifyQuery == "" || !databaseRE.MatchString(a.VerifyDatabase)) {
		add("VerifyDatabase %q must be a database name and needs VerifyQuery", a.VerifyDatabase)
	}
	if !parameterRE.MatchString(a.CutoverParameterName) || len(a.CutoverParameterName) > 1011 || strings.HasPrefix(strings.ToLower(strings.TrimPrefix(a.CutoverParameterName, "/")), "aws") || strings.HasPrefix(strings.ToLower(strings.TrimPrefix(a.CutoverParameterName, "/")), "ssm") {
		add("CutoverParameterName %q is not an SSM parameter name (such as /fintech/app/db-endpoint; not under aws or ssm)", a.CutoverParameterName)
	}
	if _, n, err := net.ParseCIDR(a.VpcCidrBlock); err != nil || n.IP.To4() == nil || n.String() != a.VpcCidrBlock {
		add("VpcCidrBlock %q is not an IPv4 network such as 10.30.0.0/16", a.VpcCidrBlock)
	}
	if a.DatabasePort < 1150 || a.DatabasePort > 65535 {
		add("DatabasePort %d is outside 1150 to 65535", a.DatabasePort)
	}
	if a.LogRetentionDays < 365 {
		add("LogRetentionDays %d is below 365", a.LogRetentionDays)
	}
	if a.FunctionArchives != nil {
		for _, fn := range FunctionNames() {
			art, ok := a.FunctionArchives[fn]
			if !ok || art.ZipPath == "" || art.SHA256Base64 == "" {
				add("FunctionArchives[%q] needs a zip path and its SHA-256", fn)
			}
		}
	}
	p = append(p, a.validatePosture()...)
	p = append(p, a.validateObjectives()...)
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

// NewRestoreWorkflow validates args, builds (or takes) the two functions
// and creates the workflow.
func NewRestoreWorkflow(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*RestoreWorkflow, error) {
	if args == nil {
		return nil, fmt.Errorf("restoreworkflow %s: args are required", name)
	}
	a := args.withDefaults()
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("restoreworkflow %s: %w", name, err)
	}
	archives, err := gofunction.Archives(a.FunctionArchives, a.ModuleRoot, FunctionNames()...)
	if err != nil {
		return nil, fmt.Errorf("restoreworkflow %s: %w", name, err)
	}
	w := &RestoreWorkflow{Functions: map[string]*lambda.Function{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, w, opts...); err != nil {
		return nil, fmt.Errorf("restoreworkflow %s: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, a: a, w: w, parent: pulumi.Parent(w)}
	if err := b.build(archives); err != nil {
		return nil, fmt.Errorf("restoreworkflow %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{
		"stateMachineArn":      w.StateMachineArn,
		"roleArn":              w.RoleArn,
		"restoreRoleArn":       w.RestoreRoleArn,
		"topicArn":             w.TopicArn,
		"cutoverParameterName": w.CutoverParameterName,
		"functionArns":         w.FunctionArns,
	}); err != nil {
		return nil, fmt.Errorf("restoreworkflow %s: outputs: %w", name, err)
	}
	return w, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	a      Args
	w      *RestoreWorkflow
	parent pulumi.ResourceOption
}

func (b *builder) child(part string) string { return b.name + "-" + part }

// arn builds an ARN of this account and region.
func (b *builder) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, b.a.Region, b.a.AccountID, resource)
}

func (b *builder) clusterPattern() string {
	return b.arn("rds", "cluster:"+b.a.ClusterIdentifierPrefix+"-*")
}
func (b *builder) instancePattern() string {
	return b.arn("rds", "db:"+b.a.ClusterIdentifierPrefix+"-*")
}
func (b *builder) secretPattern() string { return b.arn("secretsmanager", "secret:rds!cluster-*") }

// ParameterArn is the ARN of an SSM parameter name.
func ParameterArn(region, account, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, account, strings.TrimPrefix(name, "/"))
}

func (b *builder) trust(service string) (string, error) {
	return awsiam.ServiceTrust(service, b.a.AccountID)
}

// vaultOwnerRecoveryPoints is the recovery-point ARN pattern of the vault's owner account.
func vaultOwnerRecoveryPoints(vaultArn string) (string, error) {
	parts := strings.Split(vaultArn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "backup" || parts[5] != "backup-vault" {
		return "", fmt.Errorf("VaultArn %q is not a backup vault ARN", vaultArn)
	}
	return strings.Join([]string{"arn", parts[1], "backup", parts[3], parts[4], "recovery-point", "*"}, ":"), nil
}

// ecsServiceArn is the ARN of a service in a cluster given by ARN.
func ecsServiceArn(clusterArn, service string) (string, error) {
	i := strings.Index(clusterArn, ":cluster/")
	if i < 0 || !strings.HasPrefix(clusterArn, "arn:") {
		return "", fmt.Errorf("EcsClusterArn %q is not an ECS cluster ARN", clusterArn)
	}
	return clusterArn[:i] + ":service/" + clusterArn[i+len(":cluster/"):] + "/" + service, nil
}

func (b *builder) build(archives map[string]lambdabuild.Artifact) error {
	a := b.a
	topic, err := notifytopic.NewTopic(b.ctx, b.child("topic"), &notifytopic.Args{
		AccountID: a.AccountID, KeyArn: a.NotificationKeyArn, Emails: a.NotificationEmails,
		Publishers: []string{EventsPublisher, AlarmsPublisher},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("topic: %w", err)
	}
	b.w.Topic = topic
	b.w.TopicArn = topic.Arn

	restoreRole, err := b.restoreRole()
	if err != nil {
		return err
	}
	b.w.RestoreRoleArn = restoreRole.Arn

	param, err := ssm.NewParameter(b.ctx, b.child("endpoint"), &ssm.ParameterArgs{
		Name:        pulumi.String(a.CutoverParameterName),
		Description: pulumi.String("Database endpoint the application reads; written by the restore workflow at an approved cut-over"),
		Type:        pulumi.String("String"),
		Value:       pulumi.String(ParameterInitialValue),
	}, b.parent, pulumi.IgnoreChanges([]string{"value"}))
	if err != nil {
		return fmt.Errorf("cut-over parameter: %w", err)
	}
	b.w.CutoverParameterName = param.Name

	if err := b.functions(archives); err != nil {
		return err
	}
	if err := b.objectives(); err != nil {
		return err
	}
	return b.stateMachine(restoreRole, topic)
}

func (b *builder) restoreRole() (*iam.Role, error) {
	trust, err := b.trust("backup.amazonaws.com")
	if err != nil {
		return nil, fmt.Errorf("restore role trust: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("restore-role"), &iam.RoleArgs{
		Description:      pulumi.String("AWS Backup restores the bunker's Aurora recovery points with this role (restore workflow)"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("restore role: %w", err)
	}
	a := b.a
	restores := pulumi.All(a.SubnetGroupName, a.KeyArn).ApplyT(func(v []any) (string, error) {
		return awsiam.AuroraRestorePolicy(awsiam.AuroraRestore{
			Region: a.Region, Account: a.AccountID, ClusterPrefix: a.ClusterIdentifierPrefix,
			SubnetGroup: v[0].(string), KeyArns: []string{v[1].(string)},
		})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(b.ctx, b.child("restore-role-restores"), &iam.RolePolicyArgs{
		Role: role.Name, Policy: restores,
	}, b.parent); err != nil {
		return nil, fmt.Errorf("restore role policy: %w", err)
	}
	doc := b.a.KeyArn.ToStringOutput().ApplyT(func(key string) (string, error) {
		return awsiam.Policy(awsiam.Allow("UseRestoreKey", []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptFrom", "kms:ReEncryptTo"}, key))
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(b.ctx, b.child("restore-role-key"), &iam.RolePolicyArgs{Role: role.Name, Policy: doc}, b.parent); err != nil {
		return nil, fmt.Errorf("restore role key policy: %w", err)
	}
	return role, nil
}

// functionPolicy is the policy of one function's role: its own logs, VPC
// network interfaces and what the function calls.
func (b *builder) functionPolicy(fn, logGroupArn, vaultArn, keyArn string) (string, error) {
	sts := []map[string]any{
		awsiam.Allow("OwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroupArn+":*"),
		// Network interfaces of a VPC function: these actions have no
		// resource-level scoping (AWSLambdaVPCAccessExecutionRole grants the same).
		awsiam.Allow("VpcNetworkInterfaces", []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, "*"),
	}
	switch fn {
	case FunctionPick:
		rps, err := vaultOwnerRecoveryPoints(vaultArn)
		if err != nil {
			return "", err
		}
		sts = append(sts,
			awsiam.Allow("ListVault", []string{"backup:ListRecoveryPointsByBackupVault"}, vaultArn),
			awsiam.Allow("ReadRecoveryPoints", []string{"backup:DescribeRecoveryPoint", "backup:GetRecoveryPointRestoreMetadata"}, rps, vaultArn))
	case FunctionVerify:
		sts = append(sts,
			awsiam.Allow("DescribeRestored", []string{"rds:DescribeDBClusters"}, b.clusterPattern()),
			awsiam.Allow("DescribeRestoredInstances", []string{"rds:DescribeDBInstances"}, b.instancePattern()))
		if b.a.VerifyQuery != "" {
			sts = append(sts,
				awsiam.Allow("HealthQuery", []string{"rds-data:ExecuteStatement"}, b.clusterPattern()),
				awsiam.Allow("RestoredMasterSecret", []string{"secretsmanager:GetSecretValue"}, b.secretPattern()),
				awsiam.Allow("DecryptRestoredMasterSecret", []string{"kms:Decrypt"}, keyArn))
		}
	case FunctionMetrics:
		sts = append(sts, metricsStatements()...)
	}
	return awsiam.Policy(sts...)
}

func (b *builder) functions(archives map[string]lambdabuild.Artifact) error {
	a := b.a
	sg, err := ec2.NewSecurityGroup(b.ctx, b.child("functions-sg"), &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.String("Restore workflow functions: no ingress; egress inside the VPC to HTTPS endpoints and the database"),
		Egress: ec2.SecurityGroupEgressArray{
			ec2.SecurityGroupEgressArgs{Description: pulumi.String("VPC interface endpoints"), Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: pulumi.StringArray{pulumi.String(a.VpcCidrBlock)}},
			ec2.SecurityGroupEgressArgs{Description: pulumi.String("Restored database"), Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(a.DatabasePort), ToPort: pulumi.Int(a.DatabasePort), CidrBlocks: pulumi.StringArray{pulumi.String(a.VpcCidrBlock)}},
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("functions security group: %w", err)
	}
	if err := b.declarePaths(sg); err != nil {
		return err
	}
	trust, err := b.trust("lambda.amazonaws.com")
	if err != nil {
		return fmt.Errorf("function trust: %w", err)
	}
	descriptions := map[string]string{
		FunctionPick:    "Restore workflow: picks and checks the recovery point to restore from the shared vault",
		FunctionVerify:  "Restore workflow: verifies the restored Aurora cluster",
		FunctionMetrics: "Recovery objectives: RPO/RTO of restore workflow executions and restore tests as CloudWatch metrics",
	}
	arns := pulumi.StringMap{}
	for _, fn := range FunctionNames() {
		fnName := b.child(fn)
		logs, err := cloudwatch.NewLogGroup(b.ctx, b.child(fn+"-logs"), &cloudwatch.LogGroupArgs{
			Name:            pulumi.String("/aws/lambda/" + fnName),
			KmsKeyId:        a.LogsKeyArn,
			RetentionInDays: pulumi.Int(a.LogRetentionDays),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("%s log group: %w", fn, err)
		}
		role, err := iam.NewRole(b.ctx, b.child(fn+"-role"), &iam.RoleArgs{
			Description:      pulumi.String(descriptions[fn]),
			AssumeRolePolicy: pulumi.String(trust),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("%s role: %w", fn, err)
		}
		fnc := fn
		doc := pulumi.All(logs.Arn, a.VaultArn, a.KeyArn).ApplyT(func(v []any) (string, error) {
			return b.functionPolicy(fnc, v[0].(string), v[1].(string), v[2].(string))
		}).(pulumi.StringOutput)
		rp, err := iam.NewRolePolicy(b.ctx, b.child(fn+"-policy"), &iam.RolePolicyArgs{Role: role.Name, Policy: doc}, b.parent)
		if err != nil {
			return fmt.Errorf("%s role policy: %w", fn, err)
		}
		if err := b.functionFlows(fn, role.Arn); err != nil {
			return err
		}
		fargs := gofunction.FunctionArgs(fnName, descriptions[fn], archives[fn], role.Arn, 120, 256, a.KeyArn, logs.Name)
		fargs.VpcConfig = lambda.FunctionVpcConfigArgs{
			SubnetIds:        a.IsolatedSubnetIDs,
			SecurityGroupIds: pulumi.StringArray{sg.ID()},
		}
		f, err := lambda.NewFunction(b.ctx, b.child(fn), fargs, b.parent, pulumi.DependsOn([]pulumi.Resource{logs, rp}))
		if err != nil {
			return fmt.Errorf("%s function: %w", fn, err)
		}
		b.w.Functions[fn] = f
		arns[fn] = f.Arn
	}
	b.w.FunctionArns = arns.ToStringMapOutput()
	return nil
}

// resolved are the Input values the definition and the role policy need.
type resolved struct {
	DefinitionParams
	RecoveryPoints string
	ServiceArn     string
	RestoreRole    string
	LogGroupArn    string
	NotifyKeyArn   string
}

func (b *builder) resolve(restoreRole *iam.Role, topic *notifytopic.Topic, logs *cloudwatch.LogGroup) pulumi.AnyOutput {
	a := b.a
	return pulumi.All(a.VaultArn, a.SubnetGroupName, a.SecurityGroupIDs, a.KeyArn, a.EcsClusterArn, a.EcsServiceName,
		topic.Arn, b.w.Functions[FunctionPick].Arn, b.w.Functions[FunctionVerify].Arn, restoreRole.Arn, logs.Arn,
		a.NotificationKeyArn, b.w.Functions[FunctionMetrics].Arn, a.LogsKeyArn,
	).ApplyT(func(v []any) (resolved, error) {
		p := DefinitionParams{
			Region: a.Region, VaultArn: v[0].(string), SubnetGroupName: v[1].(string), SecurityGroupIDs: v[2].([]string),
			KeyArn: v[3].(string), EcsClusterArn: v[4].(string), EcsServiceName: v[5].(string), TopicArn: v[6].(string),
			PickFunctionArn: v[7].(string), VerifyFunctionArn: v[8].(string), RestoreRoleArn: v[9].(string),
			Engine: a.Engine, EngineVersion: a.EngineVersion, ClusterIdentifierPrefix: a.ClusterIdentifierPrefix,
			InstanceCount: a.InstanceCount, MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity,
			PollIntervalSeconds: a.PollIntervalSeconds, RestoreTimeoutSeconds: a.TimeoutSeconds,
			ApprovalTimeoutSeconds: a.ApprovalTimeoutSeconds, VerifyQuery: a.VerifyQuery, VerifyDatabase: a.VerifyDatabase,
			CutoverParameterName: a.CutoverParameterName,
			ParameterGroupName:   a.ParameterGroupName,
			MetricsFunctionArn:   v[12].(string), LogsKeyArn: v[13].(string),
			DatabaseLogRetentionDays: a.DatabaseLogRetentionDays,
		}
		if len(p.SecurityGroupIDs) == 0 {
			return resolved{}, fmt.Errorf("SecurityGroupIDs is empty")
		}
		rps, err := vaultOwnerRecoveryPoints(p.VaultArn)
		if err != nil {
			return resolved{}, err
		}
		svc, err := ecsServiceArn(p.EcsClusterArn, p.EcsServiceName)
		if err != nil {
			return resolved{}, err
		}
		return resolved{DefinitionParams: p, RecoveryPoints: rps, ServiceArn: svc, RestoreRole: v[9].(string), LogGroupArn: v[10].(string), NotifyKeyArn: v[11].(string)}, nil
	}).(pulumi.AnyOutput)
}

// RolePolicy is the state machine role's policy for resolved values.
func rolePolicy(r resolved, account, clusterPattern, instancePattern, secretPattern string) (string, error) {
	a := r.DefinitionParams
	sts := []map[string]any{
		awsiam.Allow("InvokeWorkflowFunctions", []string{"lambda:InvokeFunction"}, a.PickFunctionArn, a.VerifyFunctionArn, a.MetricsFunctionArn),
		awsiam.Allow("StartRestoreFromVault", []string{"backup:StartRestoreJob"}, r.RecoveryPoints),
		// DescribeRestoreJob has no resource-level permissions.
		awsiam.Allow("DescribeRestoreJobs", []string{"backup:DescribeRestoreJob"}, "*"),
		{
			"Sid": "PassRestoreRoleToBackup", "Effect": "Allow", "Action": []string{"iam:PassRole"}, "Resource": []string{r.RestoreRole},
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "backup.amazonaws.com"}},
		},
		awsiam.Allow("ConfigureRestoredCluster", []string{"rds:ModifyDBCluster", "rds:DescribeDBClusters"}, clusterPattern),
		awsiam.Allow("CreateRestoredInstances", []string{"rds:CreateDBInstance"}, instancePattern, clusterPattern,
			fmt.Sprintf("arn:aws:rds:%s:%s:subgrp:%s", a.Region, account, a.SubnetGroupName)),
		awsiam.Allow("WatchRestoredInstances", []string{"rds:DescribeDBInstances"}, instancePattern),
		// ModifyDBCluster with ManageMasterUserPassword creates the secret as the caller.
		awsiam.Allow("ManagedMasterSecret", []string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}, secretPattern),
		awsiam.Allow("UseRestoreKey", []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"}, a.KeyArn),
		awsiam.Allow("Notify", []string{"sns:Publish"}, a.TopicArn),
		// The topic is encrypted with the notifications key: SNS uses it as
		// the publisher, so every SNS Task needs it.
		{
			"Sid": "NotificationKeyThroughSNS", "Effect": "Allow",
			"Action": []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": []string{r.NotifyKeyArn},
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": fmt.Sprintf("sns.%s.amazonaws.com", a.Region)}},
		},
		awsiam.Allow("Cutover", []string{"ssm:PutParameter"}, ParameterArn(a.Region, account, a.CutoverParameterName)),
		awsiam.Allow("Redeploy", []string{"ecs:UpdateService"}, r.ServiceArn),
		// CloudWatch Logs vended delivery: these actions take no resource.
		awsiam.Allow("LogDelivery", []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, "*"),
	}
	sts = append(sts, postureStatements(a, account, clusterPattern)...)
	sts = append(sts, awsiam.Allow("RestoredClusterLogGroups", []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy"},
		clusterLogGroupPattern(a.Region, account, a.ClusterIdentifierPrefix)))
	if a.VerifyQuery != "" {
		sts = append(sts, awsiam.Allow("EnableDataApi", []string{"rds:EnableHttpEndpoint"}, clusterPattern))
	}
	return awsiam.Policy(sts...)
}

func (b *builder) stateMachine(restoreRole *iam.Role, topic *notifytopic.Topic) error {
	a := b.a
	smName := b.name
	logs, err := cloudwatch.NewLogGroup(b.ctx, b.child("logs"), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/vendedlogs/states/" + smName),
		KmsKeyId:        a.LogsKeyArn,
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("state machine log group: %w", err)
	}
	r := b.resolve(restoreRole, topic, logs)
	trust, err := b.trust("states.amazonaws.com")
	if err != nil {
		return fmt.Errorf("state machine trust: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("role"), &iam.RoleArgs{
		Description:      pulumi.String("Restore workflow state machine: restore, verify, cut over after approval"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("state machine role: %w", err)
	}
	account, clusters, instances, secrets := a.AccountID, b.clusterPattern(), b.instancePattern(), b.secretPattern()
	doc := r.ApplyT(func(v any) (string, error) {
		return rolePolicy(v.(resolved), account, clusters, instances, secrets)
	}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(b.ctx, b.child("role-policy"), &iam.RolePolicyArgs{Role: role.Name, Policy: doc}, b.parent)
	if err != nil {
		return fmt.Errorf("state machine role policy: %w", err)
	}
	definition := r.ApplyT(func(v any) (string, error) {
		sm, err := Definition(v.(resolved).DefinitionParams)
		if err != nil {
			return "", err
		}
		return asl.Marshal(sm)
	}).(pulumi.StringOutput)
	machine, err := sfn.NewStateMachine(b.ctx, b.child("state-machine"), &sfn.StateMachineArgs{
		Name:       pulumi.String(smName),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    role.Arn,
		Definition: definition,
		LoggingConfiguration: sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String("ALL"),
			IncludeExecutionData: pulumi.Bool(false),
			LogDestination:       pulumi.Sprintf("%s:*", logs.Arn),
		},
		EncryptionConfiguration: sfn.StateMachineEncryptionConfigurationArgs{
			Type:                         pulumi.String("CUSTOMER_MANAGED_KMS_KEY"),
			KmsKeyId:                     a.KeyArn,
			KmsDataKeyReusePeriodSeconds: pulumi.Int(300),
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rp}))
	if err != nil {
		return fmt.Errorf("state machine: %w", err)
	}
	if err := b.executionAlerts(machine); err != nil {
		return err
	}
	b.w.StateMachine = machine
	b.w.StateMachineArn = machine.Arn
	b.w.RoleArn = role.Arn
	return b.declareFlows(role, restoreRole)
}
