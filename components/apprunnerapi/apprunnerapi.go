// Package apprunnerapi provides AppRunnerApi, the API server on AWS App
// Runner (seed 000 #4): AWS runs the load balancer, the scaling and the
// patching; this component adds what App Runner leaves to the customer.
//
// The service URL is public: App Runner has no private-only option that
// keeps the managed HTTPS endpoint, which is exactly why a WAF is not
// optional here. Guarantees:
//   - A REGIONAL WAF web ACL (App Runner supports regional web ACLs) is
//     always associated with the service: the AWS managed rule groups
//     Common, KnownBadInputs, AmazonIpReputationList and SQLi (more may be
//     added, none removed) and a per-IP rate limit that blocks.
//   - All outbound traffic leaves through a VPC connector in the private
//     subnets, behind a security group with no ingress whose only egress is
//     HTTPS (and, when a database security group is given, the database port
//     to that group).
//   - The service is encrypted with a customer-managed key. Secrets reach the
//     container only as runtime environment secrets (Secrets Manager or SSM
//     ARNs); the instance role may read exactly those and decrypt with that
//     key, nothing else. The ECR access role, when created here, carries only
//     AWSAppRunnerServicePolicyForECRAccess.
//   - An auto scaling configuration bounds instances and concurrency; a
//     health check is configured; observability stays off unless an
//     observability configuration is given.
package apprunnerapi

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apprunner"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/fargate"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:app:AppRunnerApi"

// ECRAccessPolicy is the only policy of the access role this component creates.
const ECRAccessPolicy = "arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess"

// BaselineRuleGroups are the AWS managed rule groups every web ACL has
// (the same as the CloudFront edge).
var BaselineRuleGroups = []string{
	"AWSManagedRulesCommonRuleSet",
	"AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesAmazonIpReputationList",
	"AWSManagedRulesSQLiRuleSet",
}

// MinRateLimit is the lowest per-IP limit (requests per 5 minutes) accepted.
const MinRateLimit = 100

// Args configures AppRunnerApi.
type Args struct {
	// ServiceName is 4-29 letters, digits, '-' or '_' (default: the
	// component name); the VPC connector and the auto scaling configuration
	// are named after it.
	ServiceName string
	// Image is an ECR image identifier: a private repository
	// (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>) or ECR Public.
	Image string
	// Port the container listens on.
	Port int
	// Cpu ("0.25 vCPU" ... "4 vCPU") and Memory ("0.5 GB" ... "12 GB") form
	// an App Runner combination.
	Cpu    string
	Memory string
	// Environment are plain, non-secret variables.
	Environment map[string]string
	// Secrets maps variable names to Secrets Manager secret ARNs or SSM
	// parameter ARNs (runtime environment secrets).
	Secrets map[string]string
	// PrivateSubnetIDs host the VPC connector; VpcID is their VPC.
	PrivateSubnetIDs pulumi.StringArrayInput
	VpcID            pulumi.StringInput
	// DatabaseSecurityGroupID, when set, allows egress on DatabasePort to it.
	DatabaseSecurityGroupID pulumi.StringInput
	DatabasePort            int
	// MinSize and MaxSize bound the instances (1-25); MaxConcurrency is
	// requests per instance before scaling out (1-200).
	MinSize        int
	MaxSize        int
	MaxConcurrency int
	// DataKeyArn is the customer-managed key of the service and of the
	// secrets.
	DataKeyArn pulumi.StringInput
	// AccessRoleArn is the ECR access role; nil creates one for a private
	// ECR image.
	AccessRoleArn pulumi.StringInput
	// HealthCheckPath makes the health check HTTP on that path; "" is TCP.
	HealthCheckPath string
	// ObservabilityConfigurationArn turns on tracing with that
	// configuration; nil leaves observability off.
	ObservabilityConfigurationArn pulumi.StringInput
	// ManagedRuleGroups are AWS managed rule group names; nil means
	// BaselineRuleGroups, and any list must contain all of them.
	ManagedRuleGroups []string
	// RateLimit is the per-IP limit per 5 minutes (>= 100).
	RateLimit int
	// AccountID of the stack.
	AccountID string
}

// AppRunnerApi is the service, its network and its WAF.
type AppRunnerApi struct {
	pulumi.ResourceState

	Service      *apprunner.Service
	VpcConnector *apprunner.VpcConnector
	ConnectorSG  *ec2.SecurityGroup
	WebAcl       *wafv2.WebAcl
	InstanceRole *iam.Role
	AccessRole   *iam.Role // nil when AccessRoleArn was given or the image is public

	ServiceArn      pulumi.StringOutput
	ServiceURL      pulumi.StringOutput
	WebAclArn       pulumi.StringOutput
	VpcConnectorArn pulumi.StringOutput
	// ConnectorSecurityGroupID is the source to admit on the database.
	ConnectorSecurityGroupID pulumi.StringOutput
}

var (
	serviceRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{3,28}$`)
	publicECRRE = regexp.MustCompile(`^public\.ecr\.aws/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$`)
	ruleGroupRE = regexp.MustCompile(`^AWSManagedRules[A-Za-z0-9]+$`)
	pathRE      = regexp.MustCompile(`^/[A-Za-z0-9/_.~%-]*$`)
)

// sizes maps an App Runner CPU to the memory sizes it accepts.
var sizes = map[string][]string{
	"0.25 vCPU": {"0.5 GB", "1 GB"},
	"0.5 vCPU":  {"1 GB"},
	"1 vCPU":    {"2 GB", "3 GB", "4 GB"},
	"2 vCPU":    {"4 GB", "6 GB"},
	"4 vCPU":    {"8 GB", "10 GB", "12 GB"},
}

// ValidSize reports whether cpu and memory are an App Runner combination.
func ValidSize(cpu, memory string) bool {
	for _, m := range sizes[cpu] {
		if m == memory {
			return true
		}
	}
	return false
}

// ruleGroups returns the managed rule groups to use.
func (a *Args) ruleGroups() []string {
	if a.ManagedRuleGroups == nil {
		return BaselineRuleGroups
	}
	return a.ManagedRuleGroups
}

// Validate checks the arguments for a component named name; all problems
// are reported together.
func (a *Args) Validate(name string) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if svc := a.serviceName(name); !serviceRE.MatchString(svc) {
		add("ServiceName %q must be 4-29 letters, digits, '-' or '_', starting with a letter or digit", svc)
	}
	if img, ok := awsfacts.ParseECRImage(a.Image); !(ok && img.Pinned()) && !publicECRRE.MatchString(a.Image) {
		add("Image %q is not an ECR image identifier with a tag or digest", a.Image)
	}
	if a.Port < 1 || a.Port > 65535 {
		add("Port %d is not a port", a.Port)
	}
	if !ValidSize(a.Cpu, a.Memory) {
		add("Cpu %q / Memory %q is not an App Runner combination (e.g. \"1 vCPU\" / \"2 GB\")", a.Cpu, a.Memory)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		if !awsiam.ValidEnvName(k) {
			add("Environment: %q is not an environment variable name", k)
		}
		if _, dup := a.Secrets[k]; dup {
			add("Environment: %q is also a secret", k)
		}
	}
	p = append(p, awsiam.SecretProblems(a.Secrets)...)
	if a.PrivateSubnetIDs == nil || a.VpcID == nil {
		add("PrivateSubnetIDs and VpcID are required (egress goes through a VPC connector)")
	}
	if a.DatabaseSecurityGroupID != nil && (a.DatabasePort < 1 || a.DatabasePort > 65535) {
		add("DatabasePort %d is not a port (required with DatabaseSecurityGroupID)", a.DatabasePort)
	}
	if a.MinSize < 1 || a.MinSize > 25 || a.MaxSize < a.MinSize || a.MaxSize > 25 {
		add("MinSize %d / MaxSize %d: need 1 <= MinSize <= MaxSize <= 25", a.MinSize, a.MaxSize)
	}
	if a.MaxConcurrency < 1 || a.MaxConcurrency > 200 {
		add("MaxConcurrency %d is not 1-200", a.MaxConcurrency)
	}
	if a.DataKeyArn == nil {
		add("DataKeyArn (customer-managed key) is required")
	}
	if a.HealthCheckPath != "" && !pathRE.MatchString(a.HealthCheckPath) {
		add("HealthCheckPath %q is not a URL path", a.HealthCheckPath)
	}
	groups := a.ruleGroups()
	seen := map[string]bool{}
	for _, g := range groups {
		if !ruleGroupRE.MatchString(g) {
			add("ManagedRuleGroups: %q is not an AWS managed rule group name", g)
		}
		if seen[g] {
			add("ManagedRuleGroups: %q is listed twice", g)
		}
		seen[g] = true
	}
	for _, g := range BaselineRuleGroups {
		if !seen[g] {
			add("ManagedRuleGroups must keep the baseline group %s", g)
		}
	}
	if a.RateLimit < MinRateLimit || a.RateLimit > 2000000000 {
		add("RateLimit %d is below %d requests per 5 minutes per IP (or too large)", a.RateLimit, MinRateLimit)
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

func (a *Args) serviceName(name string) string {
	if a.ServiceName != "" {
		return a.ServiceName
	}
	return name
}

// NewAppRunnerApi builds the service, its VPC connector, scaling and WAF.
func NewAppRunnerApi(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*AppRunnerApi, error) {
	if args == nil {
		return nil, fmt.Errorf("apprunnerapi %s: args are required", name)
	}
	if err := args.Validate(name); err != nil {
		return nil, fmt.Errorf("apprunnerapi %s: %w", name, err)
	}
	api := &AppRunnerApi{}
	if err := ctx.RegisterComponentResource(TypeToken, name, api, opts...); err != nil {
		return nil, fmt.Errorf("apprunnerapi %s: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, svc: args.serviceName(name), args: args, api: api, parent: pulumi.Parent(api)}
	for _, step := range []func() error{b.network, b.roles, b.service, b.waf} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("apprunnerapi %s: %w", name, err)
		}
	}
	api.ServiceArn = api.Service.Arn
	api.ServiceURL = api.Service.ServiceUrl
	api.WebAclArn = api.WebAcl.Arn
	api.VpcConnectorArn = api.VpcConnector.Arn
	api.ConnectorSecurityGroupID = api.ConnectorSG.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(api, pulumi.Map{
		"serviceArn":               api.ServiceArn,
		"serviceUrl":               api.ServiceURL,
		"webAclArn":                api.WebAclArn,
		"vpcConnectorArn":          api.VpcConnectorArn,
		"connectorSecurityGroupId": api.ConnectorSecurityGroupID,
	}); err != nil {
		return nil, fmt.Errorf("apprunnerapi %s: register outputs: %w", name, err)
	}
	return api, nil
}

type builder struct {
	ctx       *pulumi.Context
	name, svc string
	args      *Args
	api       *AppRunnerApi
	parent    pulumi.ResourceOption
}

func (b *builder) network() error {
	a := b.args
	sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-connector-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String("App Runner VPC connector: no ingress, HTTPS (and database) egress only"),
		VpcId:       a.VpcID,
		Egress:      fargate.EgressHTTPSAndDatabase("HTTPS to AWS APIs and partners", a.DatabaseSecurityGroupID, a.DatabasePort),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("connector security group: %w", err)
	}
	conn, err := apprunner.NewVpcConnector(b.ctx, b.name+"-connector", &apprunner.VpcConnectorArgs{
		VpcConnectorName: pulumi.String(b.svc + "-vpc"),
		Subnets:          a.PrivateSubnetIDs,
		SecurityGroups:   pulumi.StringArray{sg.ID()},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("VPC connector: %w", err)
	}
	b.api.ConnectorSG, b.api.VpcConnector = sg, conn
	return nil
}

func (b *builder) roles() error {
	a := b.args
	instTrust, err := awsiam.ServiceTrust("tasks.apprunner.amazonaws.com", "")
	if err != nil {
		return err
	}
	inst, err := iam.NewRole(b.ctx, b.name+"-instance-role", &iam.RoleArgs{
		Description:      pulumi.String("App Runner instances: read the service's secrets only"),
		AssumeRolePolicy: pulumi.String(instTrust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("instance role: %w", err)
	}
	b.api.InstanceRole = inst
	if len(a.Secrets) > 0 {
		secretArns, paramArns := awsiam.SecretResources(a.Secrets)
		doc := a.DataKeyArn.ToStringOutput().ApplyT(func(key string) (string, error) {
			var sts []awsiam.Statement
			if len(secretArns) > 0 {
				sts = append(sts, awsiam.Statement{"Sid": "ReadServiceSecrets", "Effect": "Allow", "Action": []string{"secretsmanager:GetSecretValue"}, "Resource": secretArns})
			}
			if len(paramArns) > 0 {
				sts = append(sts, awsiam.Statement{"Sid": "ReadServiceParameters", "Effect": "Allow", "Action": []string{"ssm:GetParameters"}, "Resource": paramArns})
			}
			sts = append(sts, awsiam.Statement{"Sid": "DecryptServiceSecrets", "Effect": "Allow", "Action": []string{"kms:Decrypt"}, "Resource": []string{key}})
			return awsiam.Policy(sts...)
		}).(pulumi.StringOutput)
		if _, err := iam.NewRolePolicy(b.ctx, b.name+"-instance-policy", &iam.RolePolicyArgs{Role: inst.Name, Policy: doc}, b.parent); err != nil {
			return fmt.Errorf("instance policy: %w", err)
		}
	}
	if _, private := awsfacts.ParseECRImage(a.Image); a.AccessRoleArn == nil && private {
		accTrust, err := awsiam.ServiceTrust("build.apprunner.amazonaws.com", "")
		if err != nil {
			return err
		}
		acc, err := iam.NewRole(b.ctx, b.name+"-access-role", &iam.RoleArgs{
			Description:      pulumi.String("App Runner: pull the service image from ECR"),
			AssumeRolePolicy: pulumi.String(accTrust),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("access role: %w", err)
		}
		if _, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-access-ecr", &iam.RolePolicyAttachmentArgs{
			Role: acc.Name, PolicyArn: pulumi.String(ECRAccessPolicy),
		}, b.parent); err != nil {
			return fmt.Errorf("access role policy: %w", err)
		}
		b.api.AccessRole = acc
	}
	return nil
}

func (b *builder) service() error {
	a := b.args
	scaling, err := apprunner.NewAutoScalingConfigurationVersion(b.ctx, b.name+"-scaling", &apprunner.AutoScalingConfigurationVersionArgs{
		AutoScalingConfigurationName: pulumi.String(b.svc + "-as"),
		MinSize:                      pulumi.Int(a.MinSize),
		MaxSize:                      pulumi.Int(a.MaxSize),
		MaxConcurrency:               pulumi.Int(a.MaxConcurrency),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("auto scaling configuration: %w", err)
	}

	repoType := "ECR"
	if publicECRRE.MatchString(a.Image) {
		repoType = "ECR_PUBLIC"
	}
	src := apprunner.ServiceSourceConfigurationArgs{
		AutoDeploymentsEnabled: pulumi.Bool(false), // deployments come from code
		ImageRepository: apprunner.ServiceSourceConfigurationImageRepositoryArgs{
			ImageIdentifier:     pulumi.String(a.Image),
			ImageRepositoryType: pulumi.String(repoType),
			ImageConfiguration: apprunner.ServiceSourceConfigurationImageRepositoryImageConfigurationArgs{
				Port:                        pulumi.String(fmt.Sprint(a.Port)),
				RuntimeEnvironmentVariables: pulumi.ToStringMap(a.Environment),
				RuntimeEnvironmentSecrets:   pulumi.ToStringMap(a.Secrets),
			},
		},
	}
	switch {
	case a.AccessRoleArn != nil:
		src.AuthenticationConfiguration = apprunner.ServiceSourceConfigurationAuthenticationConfigurationArgs{AccessRoleArn: a.AccessRoleArn}
	case b.api.AccessRole != nil:
		src.AuthenticationConfiguration = apprunner.ServiceSourceConfigurationAuthenticationConfigurationArgs{AccessRoleArn: b.api.AccessRole.Arn}
	}
	health := apprunner.ServiceHealthCheckConfigurationArgs{
		Protocol: pulumi.String("TCP"), Interval: pulumi.Int(10), Timeout: pulumi.Int(5),
		HealthyThreshold: pulumi.Int(1), UnhealthyThreshold: pulumi.Int(5),
	}
	if a.HealthCheckPath != "" {
		health.Protocol = pulumi.String("HTTP")
		health.Path = pulumi.String(a.HealthCheckPath)
	}
	obs := apprunner.ServiceObservabilityConfigurationArgs{ObservabilityEnabled: pulumi.Bool(false)}
	if a.ObservabilityConfigurationArn != nil {
		obs = apprunner.ServiceObservabilityConfigurationArgs{ObservabilityEnabled: pulumi.Bool(true), ObservabilityConfigurationArn: a.ObservabilityConfigurationArn}
	}
	svc, err := apprunner.NewService(b.ctx, b.name+"-service", &apprunner.ServiceArgs{
		ServiceName:                 pulumi.String(b.svc),
		SourceConfiguration:         src,
		AutoScalingConfigurationArn: scaling.Arn,
		InstanceConfiguration: apprunner.ServiceInstanceConfigurationArgs{
			Cpu: pulumi.String(a.Cpu), Memory: pulumi.String(a.Memory), InstanceRoleArn: b.api.InstanceRole.Arn,
		},
		NetworkConfiguration: apprunner.ServiceNetworkConfigurationArgs{
			EgressConfiguration: apprunner.ServiceNetworkConfigurationEgressConfigurationArgs{
				EgressType: pulumi.String("VPC"), VpcConnectorArn: b.api.VpcConnector.Arn,
			},
			// Public by design of App Runner's managed endpoint; the web
			// ACL below is what makes that acceptable.
			IngressConfiguration: apprunner.ServiceNetworkConfigurationIngressConfigurationArgs{IsPubliclyAccessible: pulumi.Bool(true)},
		},
		HealthCheckConfiguration:   health,
		EncryptionConfiguration:    apprunner.ServiceEncryptionConfigurationArgs{KmsKey: a.DataKeyArn},
		ObservabilityConfiguration: obs,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	b.api.Service = svc
	return nil
}

func visibility(metric string) wafv2.WebAclRuleVisibilityConfigArgs {
	return wafv2.WebAclRuleVisibilityConfigArgs{
		CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true), MetricName: pulumi.String(metric),
	}
}

func (b *builder) waf() error {
	a := b.args
	var rules wafv2.WebAclRuleArray
	groups := a.ruleGroups()
	for i, g := range groups {
		rules = append(rules, wafv2.WebAclRuleArgs{
			Name:           pulumi.String(g),
			Priority:       pulumi.Int(i),
			OverrideAction: wafv2.WebAclRuleOverrideActionArgs{None: wafv2.WebAclRuleOverrideActionNoneArgs{}},
			Statement: wafv2.WebAclRuleStatementArgs{
				ManagedRuleGroupStatement: wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
					Name: pulumi.String(g), VendorName: pulumi.String("AWS"),
				},
			},
			VisibilityConfig: visibility(g),
		})
	}
	rules = append(rules, wafv2.WebAclRuleArgs{
		Name:     pulumi.String("RateLimitPerIP"),
		Priority: pulumi.Int(len(groups)),
		Action:   wafv2.WebAclRuleActionArgs{Block: wafv2.WebAclRuleActionBlockArgs{}},
		Statement: wafv2.WebAclRuleStatementArgs{
			RateBasedStatement: wafv2.WebAclRuleStatementRateBasedStatementArgs{
				Limit: pulumi.Int(a.RateLimit), AggregateKeyType: pulumi.String("IP"),
			},
		},
		VisibilityConfig: visibility("RateLimitPerIP"),
	})
	acl, err := wafv2.NewWebAcl(b.ctx, b.name+"-waf", &wafv2.WebAclArgs{
		Description:   pulumi.String("App Runner service " + b.svc + ": its URL is public"),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: wafv2.WebAclDefaultActionArgs{Allow: wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:         rules,
		VisibilityConfig: wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true),
			MetricName: pulumi.String(b.svc + "-waf"),
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("web ACL: %w", err)
	}
	if _, err := wafv2.NewWebAclAssociation(b.ctx, b.name+"-waf-association", &wafv2.WebAclAssociationArgs{
		ResourceArn: b.api.Service.Arn,
		WebAclArn:   acl.Arn,
	}, b.parent); err != nil {
		return fmt.Errorf("web ACL association: %w", err)
	}
	b.api.WebAcl = acl
	return nil
}
