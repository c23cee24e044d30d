package encryptedaurora

// The steps NewEncryptedAurora takes, in order.

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// builder carries what the steps share: the arguments with defaults
// applied and the resources earlier steps made.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	a      *EncryptedAurora
	parent pulumi.ResourceOption
	tags   pulumi.StringMap

	id, username string
	port         int
	posture      Posture

	logDeps           []pulumi.Resource     // the log groups, created before the cluster
	monitoringRoleArn pulumi.StringPtrInput // nil without enhanced monitoring
}

func newBuilder(ctx *pulumi.Context, name string, args *Args, a *EncryptedAurora) *builder {
	b := &builder{
		ctx: ctx, name: name, args: args, a: a, parent: pulumi.Parent(a),
		tags: pulumi.ToStringMap(args.Tags), id: args.ClusterIdentifier,
		port: args.Port, username: args.MasterUsername, posture: PostureFor(args.Engine),
	}
	if b.port == 0 {
		b.port = DefaultPort(args.Engine)
	}
	if b.username == "" {
		b.username = DefaultMasterUsername
	}
	return b
}

func (b *builder) wrap(what string, err error) error {
	return fmt.Errorf("encryptedaurora %s: %s: %w", b.name, what, err)
}

// logGroups creates one encrypted log group per log export, with the
// retention, before the cluster exports to it.
func (b *builder) logGroups() error {
	for _, log := range LogExports(b.args.Engine) {
		lg, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-log-"+log, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(fmt.Sprintf("/aws/rds/cluster/%s/%s", b.id, log)),
			RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
			KmsKeyId:        b.args.LogsKeyArn,
			Tags:            b.tags,
		}, b.parent)
		if err != nil {
			return b.wrap("log group "+log, err)
		}
		b.a.LogGroups[log] = lg
		b.logDeps = append(b.logDeps, lg)
	}
	return nil
}

// subnetGroup places the cluster in the isolated subnets only.
func (b *builder) subnetGroup() error {
	subnets, err := rds.NewSubnetGroup(b.ctx, b.name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String(fmt.Sprintf("Aurora %s: isolated subnets only", b.id)),
		SubnetIds:   b.args.IsolatedSubnetIDs,
		Tags:        b.tags,
	}, b.parent)
	if err != nil {
		return b.wrap("subnet group", err)
	}
	b.a.SubnetGroup = subnets
	return nil
}

// securityGroup creates the database security group (no inline ingress, no
// egress) and admits each client security group.
func (b *builder) securityGroup() error {
	sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       b.args.VpcID,
		Description: pulumi.String(fmt.Sprintf("Aurora %s: port %d from client security groups only", b.id, b.port)),
		// Ingress comes only from separate rules, one per client security
		// group (never inline: inline and separate rules fight).
		// The database opens no connections: no egress at all.
		Egress:              ec2.SecurityGroupEgressArray{},
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                b.tags,
	}, b.parent)
	if err != nil {
		return b.wrap("security group", err)
	}
	a := b.a
	a.SecurityGroup, a.SecurityGroupID = sg, sg.ID().ToStringOutput()
	a.name, a.port, a.subnets = b.name, b.port, b.args.IsolatedSubnetIDs
	for i, c := range b.args.ClientSecurityGroupIDs {
		if err := a.AllowClient(b.ctx, fmt.Sprintf("client-%d", i), c); err != nil {
			return err
		}
	}
	return nil
}

// parameterGroup creates the cluster parameter group that requires TLS.
func (b *builder) parameterGroup() error {
	pg, err := NewTLSParameterGroup(b.ctx, b.name+"-params", "", b.id, b.args.Engine, b.args.EngineVersion, b.tags, b.parent)
	if err != nil {
		return b.wrap("parameter group", err)
	}
	b.a.ParameterGroup = pg
	return nil
}

// monitoringRole creates the enhanced monitoring role, when monitoring is on.
func (b *builder) monitoringRole() error {
	if b.args.EnhancedMonitoringIntervalSeconds <= 0 {
		return nil
	}
	trust, err := awsiam.ServiceTrust("monitoring.rds.amazonaws.com", "")
	if err != nil {
		return b.wrap("monitoring role", err)
	}
	role, err := iam.NewRole(b.ctx, b.name+"-monitoring", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("RDS enhanced monitoring of %s", b.id)),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             b.tags,
	}, b.parent)
	if err != nil {
		return b.wrap("monitoring role", err)
	}
	if _, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-monitoring-policy", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(EnhancedMonitoringPolicy),
	}, b.parent); err != nil {
		return b.wrap("monitoring policy", err)
	}
	b.monitoringRoleArn = role.Arn
	return nil
}

// cluster creates the encrypted Aurora Serverless v2 cluster after its log
// groups, and sets the component's cluster outputs.
func (b *builder) cluster() error {
	args, posture := b.args, b.posture
	clusterTags := maps.Clone(args.Tags)
	if clusterTags == nil {
		clusterTags = map[string]string{}
	}
	maps.Copy(clusterTags, args.BackupTags)
	clusterArgs := &rds.ClusterArgs{
		ClusterIdentifier: pulumi.String(b.id),
		Engine:            pulumi.String(args.Engine),
		EngineVersion:     pulumi.String(args.EngineVersion),
		EngineMode:        pulumi.String("provisioned"),
		Serverlessv2ScalingConfiguration: &rds.ClusterServerlessv2ScalingConfigurationArgs{
			MinCapacity: pulumi.Float64(args.MinCapacity),
			MaxCapacity: pulumi.Float64(args.MaxCapacity),
		},
		Port:                             pulumi.Int(b.port),
		MasterUsername:                   pulumi.String(b.username),
		ManageMasterUserPassword:         pulumi.Bool(posture.ManagedMasterPassword),
		MasterUserSecretKmsKeyId:         args.DataKeyArn,
		StorageEncrypted:                 pulumi.Bool(true),
		KmsKeyId:                         args.DataKeyArn,
		DbSubnetGroupName:                b.a.SubnetGroup.Name,
		VpcSecurityGroupIds:              pulumi.StringArray{b.a.SecurityGroup.ID().ToStringOutput()},
		DbClusterParameterGroupName:      b.a.ParameterGroup.Name,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(posture.IAMDatabaseAuthentication),
		EnabledCloudwatchLogsExports:     pulumi.ToStringArray(posture.LogExports),
		DeletionProtection:               pulumi.Bool(posture.DeletionProtection),
		BackupRetentionPeriod:            pulumi.Int(args.BackupRetentionDays),
		CopyTagsToSnapshot:               pulumi.Bool(posture.CopyTagsToSnapshot),
		DeleteAutomatedBackups:           pulumi.Bool(false),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(b.id + "-final"),
		AllowMajorVersionUpgrade:         pulumi.Bool(false),
		Tags:                             pulumi.ToStringMap(clusterTags),
	}
	if args.DatabaseName != "" {
		clusterArgs.DatabaseName = pulumi.String(args.DatabaseName)
	}
	if args.PreferredBackupWindow != "" {
		clusterArgs.PreferredBackupWindow = pulumi.String(args.PreferredBackupWindow)
	}
	if args.PreferredMaintenanceWindow != "" {
		clusterArgs.PreferredMaintenanceWindow = pulumi.String(args.PreferredMaintenanceWindow)
	}
	cluster, err := rds.NewCluster(b.ctx, b.name+"-cluster", clusterArgs, b.parent, pulumi.DependsOn(b.logDeps))
	if err != nil {
		return b.wrap("cluster", err)
	}
	a := b.a
	a.Cluster = cluster
	a.Endpoint = cluster.Endpoint
	a.ReaderEndpoint = cluster.ReaderEndpoint
	a.Port = cluster.Port
	a.ClusterArn = cluster.Arn
	a.ClusterIdentifier = cluster.ClusterIdentifier
	a.SecretArn = cluster.MasterUserSecrets.ApplyT(func(secrets []rds.ClusterMasterUserSecret) string {
		if len(secrets) == 0 || secrets[0].SecretArn == nil {
			return "" // not known until RDS has created the secret
		}
		return *secrets[0].SecretArn
	}).(pulumi.StringOutput)
	return nil
}

// instances creates the cluster's instances, spread over the zones.
func (b *builder) instances() error {
	args, cluster := b.args, b.a.Cluster
	for i := 0; i < args.InstanceCount; i++ {
		ia := &rds.ClusterInstanceArgs{
			Identifier:                         pulumi.String(fmt.Sprintf("%s-%d", b.id, i+1)),
			ClusterIdentifier:                  cluster.ID(),
			Engine:                             cluster.Engine,
			EngineVersion:                      cluster.EngineVersion,
			InstanceClass:                      pulumi.String(InstanceClass),
			AvailabilityZone:                   pulumi.String(args.AvailabilityZones[i%len(args.AvailabilityZones)]),
			DbSubnetGroupName:                  b.a.SubnetGroup.Name,
			PubliclyAccessible:                 pulumi.Bool(false),
			AutoMinorVersionUpgrade:            pulumi.Bool(true),
			PerformanceInsightsEnabled:         pulumi.Bool(b.posture.PerformanceInsights),
			PerformanceInsightsKmsKeyId:        args.DataKeyArn,
			PerformanceInsightsRetentionPeriod: pulumi.Int(b.posture.PerformanceInsightsRetentionDays),
			CopyTagsToSnapshot:                 pulumi.Bool(true),
			// Readers in tier 1 fail over before any later ones; the
			// writer created first is tier 0.
			PromotionTier: pulumi.Int(min(i, 1)),
			Tags:          b.tags,
		}
		if args.PreferredMaintenanceWindow != "" {
			ia.PreferredMaintenanceWindow = pulumi.String(args.PreferredMaintenanceWindow)
		}
		if b.monitoringRoleArn != nil {
			ia.MonitoringInterval = pulumi.Int(args.EnhancedMonitoringIntervalSeconds)
			ia.MonitoringRoleArn = b.monitoringRoleArn
		}
		inst, err := rds.NewClusterInstance(b.ctx, fmt.Sprintf("%s-instance-%d", b.name, i+1), ia, b.parent)
		if err != nil {
			return b.wrap(fmt.Sprintf("instance %d", i+1), err)
		}
		b.a.Instances = append(b.a.Instances, inst)
	}
	return nil
}

// endpointParameter publishes the writer endpoint in SSM, when a parameter
// name is given.
func (b *builder) endpointParameter() error {
	b.a.EndpointParameterArn = pulumi.String("").ToStringOutput()
	if b.args.EndpointParameterName == "" {
		return nil
	}
	param, err := ssm.NewParameter(b.ctx, b.name+"-endpoint", &ssm.ParameterArgs{
		Name:        pulumi.String(b.args.EndpointParameterName),
		Type:        pulumi.String("String"),
		Value:       b.a.Endpoint,
		Description: pulumi.String("Writer endpoint of " + b.id + " (read by the application)"),
		Tags:        b.tags,
	}, b.parent)
	if err != nil {
		return b.wrap("endpoint parameter", err)
	}
	b.a.EndpointParameterArn = param.Arn
	return nil
}
