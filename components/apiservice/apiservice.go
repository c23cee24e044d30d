// Package apiservice provides ApiService, the API server: an ECS Fargate
// service in the private subnets behind an internal Application Load
// Balancer that only CloudFront can reach.
//
// Guarantees:
//   - The load balancer is internal (never internet-facing), in the private
//     subnets, drops invalid header fields, and listens on 443 (HTTPS with the
//     given certificate and a TLS 1.2+ policy) or 80 (HTTP, only when no
//     certificate is given). Access logs go to S3 only when a bucket is given.
//   - The load balancer's security group admits only the CloudFront
//     origin-facing managed prefix list on the listener port (no CIDR
//     ingress at all) and sends only to the tasks on the application port.
//     The tasks' security group admits only the load balancer on the
//     application port, and sends only HTTPS (AWS APIs through endpoints or
//     NAT) and, when a database security group is given, the database port
//     to that group.
//   - Tasks run on Fargate in the private subnets with no public IP, a
//     read-only root file system (a writable /tmp on the encrypted ephemeral
//     storage), no privileged mode, and ECS Exec off. The cluster encrypts
//     Fargate ephemeral storage and managed storage with a customer-managed
//     key and has Container Insights on.
//   - Container logs go to a CloudWatch log group encrypted with a
//     customer-managed key, with a fixed retention.
//   - Secrets reach the container only as ECS secrets (resolved by the
//     agent from Secrets Manager), never as plain environment values.
//   - The task execution role trusts ecs-tasks.amazonaws.com for this
//     account only and may do no more than pull the image, write to its log
//     group, read exactly the listed secrets and decrypt with the data key.
//     The task role has no permissions unless a policy is given.
//   - Deployments roll back automatically when they fail (circuit breaker).
package apiservice

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/components/internal/fargate"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:app:ApiService"

// CPU architectures of the task.
const (
	ArchARM64 = "ARM64"
	ArchX8664 = "X86_64"
)

// HTTPSListenerPolicy is the TLS policy of an HTTPS listener (TLS 1.2 and 1.3).
const HTTPSListenerPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// ContainerName is the name of the single container in the task.
const ContainerName = "app"

// Args configures an ApiService.
type Args struct {
	// ServiceName names the ECS cluster, service, task family and the log
	// group (/ecs/<ServiceName>): 2-28 lower-case letters, digits or '-'.
	ServiceName string
	// AccountID and Region of the stack (role trust condition, log driver).
	AccountID string
	Region    string

	// VpcID is the VPC of the security groups and target group.
	VpcID pulumi.StringInput
	// PrivateSubnetIDs hold the tasks and the internal load balancer.
	PrivateSubnetIDs pulumi.StringArrayInput

	// Image is the container image (an ECR image gets pull permission on
	// exactly its repository).
	Image pulumi.StringInput
	// CpuArchitecture is ARM64 or X86_64 (must match the image).
	CpuArchitecture string
	// Cpu (CPU units) and Memory (MiB) form a valid Fargate combination.
	Cpu    int
	Memory int
	// AppPort is the container port.
	AppPort int
	// DesiredCount is the number of tasks (0 keeps the service idle).
	DesiredCount int
	// Environment are plain environment variables (never secrets).
	Environment map[string]string
	// Secrets are environment variables resolved from Secrets Manager:
	// variable name to valueFrom (a secret ARN, optionally with
	// ":json-key:version-stage:version-id").
	Secrets map[string]pulumi.StringInput
	// SecretArns are the secrets and SSM parameters the execution role may
	// read (secretsmanager:GetSecretValue / ssm:GetParameters on exactly
	// these ARNs); required when Secrets is not empty.
	SecretArns []pulumi.StringInput
	// TaskPolicyJSON is an optional IAM policy for the application's own
	// role; without it the task role has no permissions.
	TaskPolicyJSON pulumi.StringInput

	// DataKeyArn is the customer-managed key of Fargate ephemeral storage,
	// managed storage, ECS Exec sessions and the secrets (kms:Decrypt).
	DataKeyArn pulumi.StringInput
	// LogsKeyArn is the customer-managed key of the container log group.
	LogsKeyArn pulumi.StringInput
	// LogRetentionDays is the log group's retention (a CloudWatch value).
	LogRetentionDays int

	// ListenerPort is 443 (HTTPS, needs CertificateArn) or 80 (HTTP).
	ListenerPort int
	// CertificateArn is the load balancer's ACM certificate (regional).
	CertificateArn pulumi.StringInput
	// HealthCheckPath is the target group's health check path.
	HealthCheckPath string
	// CloudFrontPrefixListID is the id of the managed prefix list
	// com.amazonaws.global.cloudfront.origin-facing in this region
	// (pl-...), the only source admitted to the load balancer.
	CloudFrontPrefixListID string
	// AccessLogsBucket turns on load balancer access logs to that S3
	// bucket (its policy must admit the ELB log delivery); AccessLogsPrefix
	// is optional.
	AccessLogsBucket string
	AccessLogsPrefix string

	// DatabaseSecurityGroupID, when set, lets the tasks reach that security
	// group on DatabasePort.
	DatabaseSecurityGroupID pulumi.StringInput
	DatabasePort            int

	// InterfaceEndpoints, when set, are the VPC interface endpoints the
	// tasks must reach on 443 (a required network path).
	InterfaceEndpoints *flow.Endpoint
}

// ApiService is the Fargate service and its internal load balancer.
type ApiService struct {
	pulumi.ResourceState

	Cluster           *ecs.Cluster
	Service           *ecs.Service
	TaskDefinition    *ecs.TaskDefinition
	LogGroup          *cloudwatch.LogGroup
	ExecutionRole     *iam.Role
	TaskRole          *iam.Role
	LoadBalancer      *lb.LoadBalancer
	TargetGroup       *lb.TargetGroup
	Listener          *lb.Listener
	AlbSecurityGroup  *ec2.SecurityGroup
	TaskSecurityGroup *ec2.SecurityGroup

	ClusterName         pulumi.StringOutput
	ClusterArn          pulumi.StringOutput
	ServiceName         pulumi.StringOutput
	AlbArn              pulumi.StringOutput
	AlbDnsName          pulumi.StringOutput
	ListenerArn         pulumi.StringOutput
	AlbSecurityGroupID  pulumi.StringOutput
	TaskSecurityGroupID pulumi.StringOutput
	TaskDefinitionArn   pulumi.StringOutput
	LogGroupName        pulumi.StringOutput

	// subnets are the private subnets of the load balancer and the tasks.
	subnets pulumi.StringArrayInput
}

var (
	serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,27}$`)
	prefixListRE  = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	bucketRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ValidFargateSize reports whether cpu units and memory MiB are a Fargate
// task size.
func ValidFargateSize(cpu, memory int) bool { return fargate.ValidSize(cpu, memory) }

func validPort(p int) bool { return p >= 1 && p <= 65535 }

// concreteString returns the value of an input given as a plain
// pulumi.String (known at program time).
func concreteString(in pulumi.StringInput) (string, bool) {
	s, ok := in.(pulumi.String)
	return string(s), ok
}

func (a *Args) validate() error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if !serviceNameRE.MatchString(a.ServiceName) {
		add("ServiceName %q must be 2-28 lower-case letters, digits or '-', starting with a letter", a.ServiceName)
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if p := awsfacts.RegionProblem(a.Region); p != "" {
		add("Region %q %s", a.Region, p)
	}
	if a.VpcID == nil {
		add("VpcID is required")
	}
	if a.PrivateSubnetIDs == nil {
		add("PrivateSubnetIDs is required")
	}
	if a.Image == nil {
		add("Image is required")
	}
	if a.CpuArchitecture != ArchARM64 && a.CpuArchitecture != ArchX8664 {
		add("CpuArchitecture %q must be %s or %s", a.CpuArchitecture, ArchARM64, ArchX8664)
	}
	if !ValidFargateSize(a.Cpu, a.Memory) {
		add("Cpu %d / Memory %d is not a Fargate task size", a.Cpu, a.Memory)
	}
	if !validPort(a.AppPort) {
		add("AppPort %d is not a port", a.AppPort)
	}
	if a.DesiredCount < 0 {
		add("DesiredCount %d is negative", a.DesiredCount)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		if !envNameRE.MatchString(k) {
			add("Environment: %q is not a variable name", k)
		}
		v := a.Environment[k]
		if strings.HasPrefix(v, "arn:aws:secretsmanager:") || strings.HasPrefix(v, "arn:aws:ssm:") {
			add("Environment: %s holds a secret reference; put it in Secrets", k)
		}
	}
	secretNames := make([]string, 0, len(a.Secrets))
	for k := range a.Secrets {
		secretNames = append(secretNames, k)
	}
	sort.Strings(secretNames)
	for _, k := range secretNames {
		if !envNameRE.MatchString(k) {
			add("Secrets: %q is not a variable name", k)
		}
		if _, dup := a.Environment[k]; dup {
			add("Secrets: %s is also in Environment", k)
		}
		v := a.Secrets[k]
		if v == nil {
			add("Secrets: %s has no valueFrom", k)
			continue
		}
		if s, ok := concreteString(v); ok && !strings.HasPrefix(s, "arn:aws:secretsmanager:") && !strings.HasPrefix(s, "arn:aws:ssm:") {
			add("Secrets: %s valueFrom %q is not a Secrets Manager secret or SSM parameter ARN", k, s)
		}
	}
	if len(a.Secrets) > 0 && len(a.SecretArns) == 0 {
		add("SecretArns must list the secrets named in Secrets")
	}
	for i, s := range a.SecretArns {
		if s == nil {
			add("SecretArns[%d] is nil", i)
			continue
		}
		if v, ok := concreteString(s); ok && !strings.HasPrefix(v, "arn:aws:secretsmanager:") && !strings.HasPrefix(v, "arn:aws:ssm:") {
			add("SecretArns[%d] %q is not a Secrets Manager secret or SSM parameter ARN", i, v)
		}
	}
	if a.TaskPolicyJSON != nil {
		if s, ok := concreteString(a.TaskPolicyJSON); ok && !json.Valid([]byte(s)) {
			add("TaskPolicyJSON is not valid JSON")
		}
	}
	if a.DataKeyArn == nil {
		add("DataKeyArn (a customer-managed key) is required")
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (a customer-managed key) is required")
	}
	if !awsfacts.ValidLogRetention(a.LogRetentionDays) {
		add("LogRetentionDays %d is not a CloudWatch retention value", a.LogRetentionDays)
	}
	switch a.ListenerPort {
	case 443:
		if a.CertificateArn == nil {
			add("ListenerPort 443 requires CertificateArn")
		}
	case 80:
		if a.CertificateArn != nil {
			add("CertificateArn is set but ListenerPort is 80; use 443")
		}
	default:
		add("ListenerPort %d must be 443 (HTTPS) or 80 (HTTP)", a.ListenerPort)
	}
	if !strings.HasPrefix(a.HealthCheckPath, "/") || len(a.HealthCheckPath) > 1024 {
		add("HealthCheckPath %q must start with '/' (at most 1024 characters)", a.HealthCheckPath)
	}
	if !prefixListRE.MatchString(a.CloudFrontPrefixListID) {
		add("CloudFrontPrefixListID %q is not a prefix list id (pl-...)", a.CloudFrontPrefixListID)
	}
	if a.AccessLogsBucket != "" && !bucketRE.MatchString(a.AccessLogsBucket) {
		add("AccessLogsBucket %q is not a bucket name", a.AccessLogsBucket)
	}
	if a.AccessLogsBucket == "" && a.AccessLogsPrefix != "" {
		add("AccessLogsPrefix is set but AccessLogsBucket is not")
	}
	if a.DatabaseSecurityGroupID != nil && !validPort(a.DatabasePort) {
		add("DatabasePort %d is not a port (required with DatabaseSecurityGroupID)", a.DatabasePort)
	}
	if a.DatabaseSecurityGroupID == nil && a.DatabasePort != 0 {
		add("DatabasePort is set but DatabaseSecurityGroupID is not")
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ContainerSpec is what ContainerDefinitions needs, all values known.
type ContainerSpec struct {
	Image        string
	Port         int
	Environment  map[string]string
	Secrets      map[string]string
	LogGroupName string
	Region       string
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type nameValueFrom struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// ContainerDefinitions returns the task's container definitions JSON: one
// essential container with a read-only root file system (and a writable
// /tmp volume), not privileged, plain environment values, secrets as ECS
// secrets and awslogs logging.
func ContainerDefinitions(s ContainerSpec) (string, error) {
	env := []nameValue{}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		env = append(env, nameValue{Name: k, Value: s.Environment[k]})
	}
	secrets := []nameValueFrom{}
	for _, k := range slices.Sorted(maps.Keys(s.Secrets)) {
		secrets = append(secrets, nameValueFrom{Name: k, ValueFrom: s.Secrets[k]})
	}
	def := []map[string]any{{
		"name":                   ContainerName,
		"image":                  s.Image,
		"essential":              true,
		"readonlyRootFilesystem": true,
		"privileged":             false,
		"portMappings": []map[string]any{{
			"containerPort": s.Port, "hostPort": s.Port, "protocol": "tcp",
		}},
		"environment": env,
		"secrets":     secrets,
		"mountPoints": []map[string]any{{
			"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": false,
		}},
		"logConfiguration": map[string]any{
			"logDriver": "awslogs",
			"options": map[string]string{
				"awslogs-group":         s.LogGroupName,
				"awslogs-region":        s.Region,
				"awslogs-stream-prefix": ContainerName,
			},
		},
	}}
	out, err := json.Marshal(def)
	if err != nil {
		return "", fmt.Errorf("marshal container definitions: %w", err)
	}
	return string(out), nil
}

// ECRRepositoryArn returns the repository ARN of a private ECR image URI,
// or "" when the image is not in ECR.
func ECRRepositoryArn(image string) string { return fargate.ECRRepositoryArn(image) }

type policyStatement struct {
	Sid       string   `json:"Sid"`
	Effect    string   `json:"Effect"`
	Action    []string `json:"Action"`
	Resource  []string `json:"Resource"`
	Principal any      `json:"Principal,omitempty"`
	Condition any      `json:"Condition,omitempty"`
}

type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

// ExecutionPolicy returns the execution role's policy: ECR pull of the
// image's repository (when in ECR), log writes to the log group, read of
// exactly the given secrets and kms:Decrypt with the data key.
func ExecutionPolicy(image, logGroupArn string, secretArns []string, dataKeyArn string) (string, error) {
	var sts []policyStatement
	if repo := ECRRepositoryArn(image); repo != "" {
		sts = append(sts,
			// GetAuthorizationToken has no resource-level permissions.
			policyStatement{Sid: "EcrAuth", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
			policyStatement{Sid: "EcrPull", Effect: "Allow", Action: []string{
				"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
			}, Resource: []string{repo}},
		)
	}
	sts = append(sts, policyStatement{Sid: "Logs", Effect: "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: []string{logGroupArn, logGroupArn + ":log-stream:*"}})
	var secrets, params []string
	for _, a := range secretArns {
		if strings.HasPrefix(a, "arn:aws:ssm:") {
			params = append(params, a)
		} else {
			secrets = append(secrets, a)
		}
	}
	if len(secrets) > 0 {
		sort.Strings(secrets)
		sts = append(sts, policyStatement{Sid: "Secrets", Effect: "Allow",
			Action: []string{"secretsmanager:GetSecretValue"}, Resource: secrets})
	}
	if len(params) > 0 {
		sort.Strings(params)
		sts = append(sts, policyStatement{Sid: "Parameters", Effect: "Allow",
			Action: []string{"ssm:GetParameters"}, Resource: params})
	}
	sts = append(sts, policyStatement{Sid: "DataKey", Effect: "Allow",
		Action: []string{"kms:Decrypt"}, Resource: []string{dataKeyArn}})
	out, err := json.Marshal(policyDoc{Version: "2012-10-17", Statement: sts})
	if err != nil {
		return "", fmt.Errorf("marshal execution policy: %w", err)
	}
	return string(out), nil
}

// TrustPolicy returns the trust policy of the task roles: ECS tasks of
// this account only.
func TrustPolicy(accountID, region string) (string, error) {
	out, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": accountID},
				"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:aws:ecs:%s:%s:*", region, accountID)},
			},
		}},
	})
	if err != nil {
		return "", fmt.Errorf("marshal trust policy: %w", err)
	}
	return string(out), nil
}

// NewApiService creates the cluster, service, task definition, roles, log
// group, internal load balancer and security groups.
func NewApiService(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ApiService, error) {
	if args == nil {
		return nil, fmt.Errorf("apiservice %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("apiservice %s: %w", name, err)
	}
	trust, err := TrustPolicy(args.AccountID, args.Region)
	if err != nil {
		return nil, fmt.Errorf("apiservice %s: %w", name, err)
	}
	s := &ApiService{}
	if err := ctx.RegisterComponentResource(TypeToken, name, s, opts...); err != nil {
		return nil, fmt.Errorf("apiservice %s: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: args, s: s, parent: pulumi.Parent(s), trust: trust}
	for _, step := range []func() error{b.logGroup, b.cluster, b.roles, b.taskDefinition, b.securityGroups, b.loadBalancer, b.service, b.paths, b.flows} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("apiservice %s: %w", name, err)
		}
	}
	s.ClusterName = s.Cluster.Name
	s.ClusterArn = s.Cluster.Arn
	s.ServiceName = s.Service.Name
	s.AlbArn = s.LoadBalancer.Arn
	s.AlbDnsName = s.LoadBalancer.DnsName
	s.ListenerArn = s.Listener.Arn
	s.AlbSecurityGroupID = s.AlbSecurityGroup.ID().ToStringOutput()
	s.TaskSecurityGroupID = s.TaskSecurityGroup.ID().ToStringOutput()
	s.TaskDefinitionArn = s.TaskDefinition.Arn
	s.LogGroupName = s.LogGroup.Name
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"clusterName": s.ClusterName, "clusterArn": s.ClusterArn, "serviceName": s.ServiceName,
		"albArn": s.AlbArn, "albDnsName": s.AlbDnsName, "listenerArn": s.ListenerArn,
		"albSecurityGroupId": s.AlbSecurityGroupID, "taskSecurityGroupId": s.TaskSecurityGroupID,
		"taskDefinitionArn": s.TaskDefinitionArn, "logGroupName": s.LogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("apiservice %s: outputs: %w", name, err)
	}
	return s, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	s      *ApiService
	parent pulumi.ResourceOption
	trust  string
}

func (b *builder) logGroup() error {
	lg, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/ecs/" + b.args.ServiceName),
		KmsKeyId:        b.args.LogsKeyArn,
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("log group: %w", err)
	}
	b.s.LogGroup = lg
	return nil
}

func (b *builder) cluster() error {
	c, err := ecs.NewCluster(b.ctx, b.name+"-cluster", &ecs.ClusterArgs{
		Name: pulumi.String(b.args.ServiceName),
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled"),
		}},
		Configuration: &ecs.ClusterConfigurationArgs{
			ManagedStorageConfiguration: &ecs.ClusterConfigurationManagedStorageConfigurationArgs{
				FargateEphemeralStorageKmsKeyId: b.args.DataKeyArn,
				KmsKeyId:                        b.args.DataKeyArn,
			},
			// ECS Exec is off on the service; should it be turned on, its
			// sessions are encrypted with the data key and logged to the
			// encrypted log group.
			ExecuteCommandConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationArgs{
				KmsKeyId: b.args.DataKeyArn,
				Logging:  pulumi.String("OVERRIDE"),
				LogConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs{
					CloudWatchEncryptionEnabled: pulumi.Bool(true),
					CloudWatchLogGroupName:      b.s.LogGroup.Name,
				},
			},
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	b.s.Cluster = c
	return nil
}

func (b *builder) roles() error {
	exec, err := iam.NewRole(b.ctx, b.name+"-execution-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(b.trust),
		Description:      pulumi.String("ECS task execution role of " + b.args.ServiceName),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("execution role: %w", err)
	}
	b.s.ExecutionRole = exec
	secretArns := make([]any, 0, len(b.args.SecretArns))
	for _, a := range b.args.SecretArns {
		secretArns = append(secretArns, a)
	}
	inputs := append([]any{b.args.Image, b.s.LogGroup.Arn, b.args.DataKeyArn}, secretArns...)
	policy := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		arns := make([]string, 0, len(v)-3)
		for _, a := range v[3:] {
			arns = append(arns, a.(string))
		}
		return ExecutionPolicy(v[0].(string), v[1].(string), arns, v[2].(string))
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(b.ctx, b.name+"-execution-policy", &iam.RolePolicyArgs{
		Role:   exec.ID(),
		Policy: policy,
	}, b.parent); err != nil {
		return fmt.Errorf("execution policy: %w", err)
	}
	task, err := iam.NewRole(b.ctx, b.name+"-task-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(b.trust),
		Description:      pulumi.String("Application role of " + b.args.ServiceName),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task role: %w", err)
	}
	b.s.TaskRole = task
	if b.args.TaskPolicyJSON != nil {
		if _, err := iam.NewRolePolicy(b.ctx, b.name+"-task-policy", &iam.RolePolicyArgs{
			Role:   task.ID(),
			Policy: b.args.TaskPolicyJSON,
		}, b.parent); err != nil {
			return fmt.Errorf("task policy: %w", err)
		}
	}
	return nil
}

func (b *builder) taskDefinition() error {
	names := make([]string, 0, len(b.args.Secrets))
	for k := range b.args.Secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	inputs := []any{b.args.Image, b.s.LogGroup.Name}
	for _, k := range names {
		inputs = append(inputs, b.args.Secrets[k])
	}
	env := b.args.Environment
	port, region := b.args.AppPort, b.args.Region
	defs := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		secrets := make(map[string]string, len(names))
		for i, k := range names {
			secrets[k] = v[2+i].(string)
		}
		return ContainerDefinitions(ContainerSpec{
			Image: v[0].(string), Port: port, Environment: env, Secrets: secrets,
			LogGroupName: v[1].(string), Region: region,
		})
	}).(pulumi.StringOutput)
	td, err := ecs.NewTaskDefinition(b.ctx, b.name+"-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(b.args.ServiceName),
		Cpu:                     pulumi.String(strconv.Itoa(b.args.Cpu)),
		Memory:                  pulumi.String(strconv.Itoa(b.args.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(b.args.CpuArchitecture),
		},
		ExecutionRoleArn:     b.s.ExecutionRole.Arn,
		TaskRoleArn:          b.s.TaskRole.Arn,
		ContainerDefinitions: defs,
		Volumes:              ecs.TaskDefinitionVolumeArray{ecs.TaskDefinitionVolumeArgs{Name: pulumi.String("tmp")}},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task definition: %w", err)
	}
	b.s.TaskDefinition = td
	return nil
}

func (b *builder) securityGroups() error {
	a := b.args
	albSG, err := ec2.NewSecurityGroup(b.ctx, b.name+"-alb-sg", &ec2.SecurityGroupArgs{
		VpcId:               a.VpcID,
		Description:         pulumi.String("Internal ALB of " + a.ServiceName + ": CloudFront origin-facing only"),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(a.ServiceName + "-alb")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("alb security group: %w", err)
	}
	taskSG, err := ec2.NewSecurityGroup(b.ctx, b.name+"-task-sg", &ec2.SecurityGroupArgs{
		VpcId:               a.VpcID,
		Description:         pulumi.String("Tasks of " + a.ServiceName + ": from the ALB only"),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(a.ServiceName + "-tasks")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task security group: %w", err)
	}
	b.s.AlbSecurityGroup, b.s.TaskSecurityGroup = albSG, taskSG
	tcp := pulumi.String("tcp")
	if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-alb-from-cloudfront", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: albSG.ID(),
		Description:     pulumi.String("CloudFront origin-facing"),
		PrefixListId:    pulumi.String(a.CloudFrontPrefixListID),
		IpProtocol:      tcp,
		FromPort:        pulumi.Int(a.ListenerPort),
		ToPort:          pulumi.Int(a.ListenerPort),
	}, b.parent); err != nil {
		return fmt.Errorf("alb ingress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-alb-to-tasks", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           albSG.ID(),
		Description:               pulumi.String("to the tasks"),
		ReferencedSecurityGroupId: taskSG.ID(),
		IpProtocol:                tcp,
		FromPort:                  pulumi.Int(a.AppPort),
		ToPort:                    pulumi.Int(a.AppPort),
	}, b.parent); err != nil {
		return fmt.Errorf("alb egress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-tasks-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           taskSG.ID(),
		Description:               pulumi.String("from the ALB"),
		ReferencedSecurityGroupId: albSG.ID(),
		IpProtocol:                tcp,
		FromPort:                  pulumi.Int(a.AppPort),
		ToPort:                    pulumi.Int(a.AppPort),
	}, b.parent); err != nil {
		return fmt.Errorf("task ingress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-tasks-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: taskSG.ID(),
		Description:     pulumi.String("HTTPS to AWS APIs (endpoints or NAT)"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		IpProtocol:      tcp,
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
	}, b.parent); err != nil {
		return fmt.Errorf("task https egress: %w", err)
	}
	if a.DatabaseSecurityGroupID != nil {
		if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-tasks-to-db", &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           taskSG.ID(),
			Description:               pulumi.String("to the database"),
			ReferencedSecurityGroupId: a.DatabaseSecurityGroupID,
			IpProtocol:                tcp,
			FromPort:                  pulumi.Int(a.DatabasePort),
			ToPort:                    pulumi.Int(a.DatabasePort),
		}, b.parent); err != nil {
			return fmt.Errorf("task database egress: %w", err)
		}
	}
	return nil
}

func (b *builder) loadBalancer() error {
	a := b.args
	lbArgs := &lb.LoadBalancerArgs{
		Internal:                pulumi.Bool(true),
		LoadBalancerType:        pulumi.String("application"),
		Subnets:                 a.PrivateSubnetIDs,
		SecurityGroups:          pulumi.StringArray{b.s.AlbSecurityGroup.ID()},
		DropInvalidHeaderFields: pulumi.Bool(true),
		DesyncMitigationMode:    pulumi.String("strictest"),
		Tags:                    pulumi.StringMap{"Name": pulumi.String(a.ServiceName)},
	}
	if a.AccessLogsBucket != "" {
		lbArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  pulumi.String(a.AccessLogsBucket),
			Prefix:  pulumi.String(a.AccessLogsPrefix),
			Enabled: pulumi.Bool(true),
		}
	}
	alb, err := lb.NewLoadBalancer(b.ctx, b.name+"-alb", lbArgs, b.parent)
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	b.s.LoadBalancer = alb
	tg, err := lb.NewTargetGroup(b.ctx, b.name+"-tg", &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(a.AppPort),
		Protocol:            pulumi.String("HTTP"),
		VpcId:               a.VpcID,
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Path:               pulumi.String(a.HealthCheckPath),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200-399"),
			Interval:           pulumi.Int(15),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(3),
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("target group: %w", err)
	}
	b.s.TargetGroup = tg
	lnArgs := &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(a.ListenerPort),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: tg.Arn,
		}},
	}
	if a.ListenerPort == 443 {
		lnArgs.Protocol = pulumi.String("HTTPS")
		lnArgs.CertificateArn = a.CertificateArn
		lnArgs.SslPolicy = pulumi.String(HTTPSListenerPolicy)
	}
	ln, err := lb.NewListener(b.ctx, b.name+"-listener", lnArgs, b.parent)
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	b.s.Listener = ln
	return nil
}

func (b *builder) service() error {
	a := b.args
	svc, err := ecs.NewService(b.ctx, b.name+"-service", &ecs.ServiceArgs{
		Name:            pulumi.String(a.ServiceName),
		Cluster:         b.s.Cluster.Arn,
		TaskDefinition:  b.s.TaskDefinition.Arn,
		DesiredCount:    pulumi.Int(a.DesiredCount),
		LaunchType:      pulumi.String("FARGATE"),
		PlatformVersion: pulumi.String("LATEST"),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{b.s.TaskSecurityGroup.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: b.s.TargetGroup.Arn,
			ContainerName:  pulumi.String(ContainerName),
			ContainerPort:  pulumi.Int(a.AppPort),
		}},
		HealthCheckGracePeriodSeconds: pulumi.Int(60),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		EnableExecuteCommand: pulumi.Bool(false),
		PropagateTags:        pulumi.String("SERVICE"),
		EnableEcsManagedTags: pulumi.Bool(true),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{b.s.Listener}))
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	b.s.Service = svc
	return nil
}
