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
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
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
