package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/apiservice"
	"github.com/fintech-resilience/fintech-resilience/components/apprunnerapi"
	"github.com/fintech-resilience/fintech-resilience/components/batch"
	"github.com/fintech-resilience/fintech-resilience/components/edge"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/components/frontend"
	"github.com/fintech-resilience/fintech-resilience/components/keyring"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	cfgpkg "github.com/fintech-resilience/fintech-resilience/internal/config"
)

// ServiceName names the API's ECS cluster, service and task family in both
// the workload and the restore account.
const ServiceName = "bank-api"

// dbAccess is how the application reaches its database.
type dbAccess struct {
	// EndpointParameterArn is the SSM parameter with the writer endpoint.
	EndpointParameterArn pulumi.StringInput
	// SecretArn is the RDS-managed master secret ("" when not known, as in
	// the restore account, where the application uses IAM authentication).
	SecretArn pulumi.StringInput
	// SecurityGroupID is the database's security group (egress target).
	SecurityGroupID pulumi.StringInput
	Port            int
	Name            string
}

// appOut is what the application exposes to the rest of the stack.
type appOut struct {
	// ClientSecurityGroups must be admitted by the database.
	ClientSecurityGroups map[string]pulumi.StringOutput
	// Clients are the same clients as network path endpoints (subnets and
	// security group), by the same labels.
	Clients map[string]flow.Endpoint
	// EcsClusterArn and EcsServiceName are the API service the restore
	// cut-over redeploys (empty in App Runner mode).
	EcsClusterArn  pulumi.StringOutput
	EcsServiceName pulumi.StringOutput
}

// databaseGate is the network side of the application's database: its
// security group and the paths its clients must have (EncryptedAurora in the
// workload account, DatabaseFirewall in the restore account).
type databaseGate interface {
	AllowClient(ctx *pulumi.Context, label string, sg pulumi.StringInput) error
	RequireClient(ctx *pulumi.Context, label string, client flow.Endpoint) error
}

// admitClients lets every client of the application reach db, in label
// order.
func (o *appOut) admitClients(ctx *pulumi.Context, db databaseGate) error {
	for _, label := range sortedLabels(o.ClientSecurityGroups) {
		if err := db.AllowClient(ctx, label, o.ClientSecurityGroups[label]); err != nil {
			return err
		}
		if err := db.RequireClient(ctx, label, o.Clients[label]); err != nil {
			return err
		}
	}
	return nil
}

// usEast1 is an aws provider for CloudFront-scope resources, pinned to the
// same account and role as the stack's default provider.
func usEast1(ctx *pulumi.Context, cfg *cfgpkg.Config) (*aws.Provider, error) {
	args := &aws.ProviderArgs{
		Region:            pulumi.String("us-east-1"),
		AllowedAccountIds: pulumi.StringArray{pulumi.String(cfg.AccountID)},
	}
	if cfg.AssumeRoleArn != "" {
		args.AssumeRole = aws.ProviderAssumeRoleArgs{
			RoleArn:     pulumi.String(cfg.AssumeRoleArn),
			SessionName: pulumi.String(cfg.AssumeRoleSession),
		}
	}
	if cfg.Profile != "" {
		args.Profile = pulumi.String(cfg.Profile)
	}
	if len(cfg.DefaultTags) > 0 {
		args.DefaultTags = aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(cfg.DefaultTags)}
	}
	p, err := aws.NewProvider(ctx, "us-east-1", args)
	if err != nil {
		return nil, fmt.Errorf("us-east-1 provider: %w", err)
	}
	return p, nil
}

// application builds the API (ECS behind CloudFront + WAF, or App Runner),
// the optional front end and the scheduled batch.
func application(ctx *pulumi.Context, cfg *cfgpkg.Config, keys *keyring.KeyRing, vpc *securevpc.SecureVPC, db dbAccess) (*appOut, error) {
	a := cfg.App
	dataKey, err := keys.Key(KeyData)
	if err != nil {
		return nil, err
	}
	logsKey, err := keys.Key(KeyLogs)
	if err != nil {
		return nil, err
	}
	notifyKey, err := keys.Key(KeyNotifications)
	if err != nil {
		return nil, err
	}
	out := &appOut{ClientSecurityGroups: map[string]pulumi.StringOutput{}, Clients: map[string]flow.Endpoint{}}
	endpoints := vpc.InterfaceEndpoints()

	// Database settings reach the containers as ECS secrets (SSM / Secrets
	// Manager references), never as plain environment values.
	secrets := map[string]pulumi.StringInput{"DB_HOST": db.EndpointParameterArn}
	secretArns := []pulumi.StringInput{db.EndpointParameterArn}
	env := map[string]string{"DB_PORT": fmt.Sprint(db.Port), "DB_NAME": db.Name}
	if db.SecretArn != nil {
		secrets["DB_USER"] = pulumi.Sprintf("%s:username::", db.SecretArn)
		secrets["DB_PASSWORD"] = pulumi.Sprintf("%s:password::", db.SecretArn)
		secretArns = append(secretArns, db.SecretArn)
		env["DB_AUTH"] = "password"
	} else {
		// No password crosses from the compromised account: the restored
		// database is reached with IAM database authentication.
		env["DB_AUTH"] = "iam"
		env["DB_USER"] = IAMDatabaseUser
	}
	for k, v := range a.Environment {
		env[k] = v
	}

	switch a.APIMode {
	case cfgpkg.APIModeAppRunner:
		plain := map[string]string{}
		for k, v := range env {
			plain[k] = v
		}
		api, err := apprunnerapi.NewAppRunnerApi(ctx, "api", &apprunnerapi.Args{
			ServiceName: ServiceName, Image: a.Image, Port: cfg.Network.AppPort,
			Cpu: "1 vCPU", Memory: "2 GB", Environment: plain, HealthCheckPath: a.HealthCheckPath,
			PrivateSubnetIDs: vpc.PrivateSubnetIDs, VpcID: vpc.VpcID,
			DatabaseSecurityGroupID: db.SecurityGroupID, DatabasePort: db.Port,
			MinSize: a.AppRunnerMinSize, MaxSize: a.AppRunnerMaxSize, MaxConcurrency: 100,
			DataKeyArn: dataKey.Arn, ManagedRuleGroups: a.WafManagedGroups, RateLimit: a.WafRateLimit,
			AccountID: cfg.AccountID,
		})
		if err != nil {
			return nil, err
		}
		out.ClientSecurityGroups["api"] = api.ConnectorSecurityGroupID
		out.Clients["api"] = flow.Endpoint{
			Label: "App Runner VPC connector", SubnetIDs: vpc.PrivateSubnetIDs,
			SecurityGroupIDs: pulumi.StringArray{api.ConnectorSecurityGroupID},
		}
		ctx.Export("apiUrl", api.ServiceURL)
	default:
		taskPolicy, err := iamAuthPolicy(cfg, db)
		if err != nil {
			return nil, err
		}
		api, err := apiservice.NewApiService(ctx, "api", &apiservice.Args{
			ServiceName: ServiceName, AccountID: cfg.AccountID, Region: cfg.Region,
			VpcID: vpc.VpcID, PrivateSubnetIDs: vpc.PrivateSubnetIDs,
			Image: pulumi.String(a.Image), CpuArchitecture: a.CpuArchitecture,
			Cpu: a.Cpu, Memory: a.Memory, AppPort: cfg.Network.AppPort, DesiredCount: a.DesiredCount,
			Environment: env, Secrets: secrets, SecretArns: secretArns,
			DataKeyArn: dataKey.Arn, LogsKeyArn: logsKey.Arn, LogRetentionDays: a.LogRetentionDays,
			ListenerPort: listenerPort(a), CertificateArn: optString(a.AlbCertificateArn),
			HealthCheckPath: a.HealthCheckPath, CloudFrontPrefixListID: a.OriginPrefixListID,
			DatabaseSecurityGroupID: db.SecurityGroupID, DatabasePort: db.Port,
			TaskPolicyJSON: taskPolicy, InterfaceEndpoints: &endpoints,
		})
		if err != nil {
			return nil, err
		}
		out.ClientSecurityGroups["api"] = api.TaskSecurityGroupID
		out.Clients["api"] = api.Tasks()
		origin := api.AlbNodes()
		out.EcsClusterArn, out.EcsServiceName = api.ClusterArn, api.ServiceName
		provider, err := usEast1(ctx, cfg)
		if err != nil {
			return nil, err
		}
		rate := a.WafRateLimit
		e, err := edge.NewEdge(ctx, "edge", &edge.Args{
			EdgeProvider: provider, AlbArn: api.AlbArn, AlbDnsName: api.AlbDnsName,
			OriginHTTPS: a.AlbCertificateArn != "", ManagedRuleGroups: a.WafManagedGroups, RateLimitPer5Min: &rate,
			Aliases: a.EdgeAliases, CertificateArn: optString(a.EdgeCertificateArn),
			Origin: &origin, OriginPrefixListID: a.OriginPrefixListID,
		})
		if err != nil {
			return nil, err
		}
		ctx.Export("cloudFrontDomain", e.DistributionDomainName)
		ctx.Export("webAclArn", e.WebAclArn)

		if len(a.BatchJobs) > 0 {
			jobs := make([]batch.Job, 0, len(a.BatchJobs))
			for _, j := range a.BatchJobs {
				jobs = append(jobs, batch.Job{Name: j.Name, Schedule: j.Schedule, Command: j.Command})
			}
			// Jobs read the database host from the same SSM parameter and
			// connect with IAM database authentication as BatchDatabaseUser.
			batchSecrets := map[string]string{"DB_HOST": endpointParameterArn(cfg)}
			batchEnv := map[string]string{
				"DB_PORT": fmt.Sprint(db.Port), "DB_NAME": db.Name, "DB_AUTH": "iam", "DB_USER": BatchDatabaseUser,
			}
			batchPolicy, err := rdsConnectPolicy(cfg, BatchDatabaseUser)
			if err != nil {
				return nil, err
			}
			b, err := batch.NewBatch(ctx, "batch", &batch.Args{
				Secrets: batchSecrets, Environment: batchEnv, SecretsKeyArn: dataKey.Arn,
				TaskPolicyJSON: batchPolicy,
				ClusterArn:     api.ClusterArn, PrivateSubnetIDs: vpc.PrivateSubnetIDs, VpcID: vpc.VpcID,
				Image: a.Image, CpuArchitecture: a.CpuArchitecture, Cpu: a.BatchCpu, Memory: a.BatchMem,
				LogsKeyArn: logsKey.Arn, QueueKeyArn: notifyKey.Arn, LogRetentionDays: a.LogRetentionDays,
				DatabaseSecurityGroupID: db.SecurityGroupID, DatabasePort: db.Port,
				Jobs: jobs, AccountID: cfg.AccountID, Region: cfg.Region,
				InterfaceEndpoints: &endpoints,
			})
			if err != nil {
				return nil, err
			}
			out.ClientSecurityGroups["batch"] = b.TaskSecurityGroupID
			out.Clients["batch"] = b.Tasks()
		}
	}

	if a.FrontendRepository != "" {
		// Validated present by config.Load; it stays a secret end to end.
		token := pulumi.ToSecret(pulumi.String(a.FrontendAccessToken.Reveal())).(pulumi.StringOutput)
		if _, err := frontend.NewFrontend(ctx, "web", &frontend.Args{
			Name: "bank-web", Repository: a.FrontendRepository, Branch: a.FrontendBranch,
			AccessTokenSecret: token,
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listenerPort is the internal ALB's port: HTTPS when it has a certificate,
// else HTTP inside the VPC (CloudFront's VPC origin reaches it privately).
// The private tier's network ACL admits the same port.
func listenerPort(a *cfgpkg.App) int {
	if a != nil && a.AlbCertificateArn != "" {
		return 443
	}
	return 80
}

// Database users that connect with IAM authentication: the application in
// the restore account (no password crosses from the compromised account)
// and the batch jobs everywhere. Both need the rds_iam grant in the database.
const (
	IAMDatabaseUser   = "bank_app"
	BatchDatabaseUser = "bank_batch"
)

// iamAuthPolicy lets the application's task role connect as
// IAMDatabaseUser with IAM authentication, when it has no password.
func iamAuthPolicy(cfg *cfgpkg.Config, db dbAccess) (pulumi.StringInput, error) {
	if db.SecretArn != nil {
		return nil, nil
	}
	return rdsConnectPolicy(cfg, IAMDatabaseUser)
}

// rdsConnectPolicy allows rds-db:connect as one database user on any
// cluster of this account and region (restored clusters get new ids).
func rdsConnectPolicy(cfg *cfgpkg.Config, user string) (pulumi.StringInput, error) {
	doc, err := encryptedaurora.ConnectPolicy(cfg.Region, cfg.AccountID, user)
	if err != nil {
		return nil, fmt.Errorf("database user %s: %w", user, err)
	}
	return pulumi.String(doc), nil
}

// endpointParameterArn is the ARN of DatabaseEndpointParameter.
func endpointParameterArn(cfg *cfgpkg.Config) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", cfg.Region, cfg.AccountID, DatabaseEndpointParameter)
}

func optString(s string) pulumi.StringInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}
