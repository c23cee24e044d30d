// Package encryptedaurora provides EncryptedAurora, an Aurora Serverless v2
// cluster (aurora-postgresql or aurora-mysql 8.0-compatible) laid out the way
// the FinTech best practices ask.
//
// Guarantees:
//   - Serverless v2 (engineMode provisioned, instances of class
//     db.serverless) with the given minimum and maximum ACU capacity; a
//     writer plus readers, each pinned to an availability zone in turn.
//   - Storage encrypted at creation with the customer-managed data key; the
//     master password is generated and kept by RDS in Secrets Manager,
//     encrypted with the same key (no password appears anywhere in code,
//     configuration or state); Performance Insights on every instance,
//     encrypted with the data key.
//   - A DB subnet group of exactly the isolated subnets given, and a security
//     group that admits the database port only from the client security
//     groups given: no CIDR ingress at all and no egress. No instance is
//     publicly accessible.
//   - TLS required by a cluster parameter group (rds.force_ssl=1 for
//     PostgreSQL, require_secure_transport=ON for MySQL); IAM database
//     authentication on.
//   - Deletion protection always on, automated backups kept 7-35 days and
//     kept after deletion, tags copied to snapshots, a final snapshot on
//     deletion, and the backup tags on the cluster so the AWS Backup
//     selection by tag copies it to the bunker. Instances do not carry the
//     backup tags (AWS Backup protects Aurora at cluster level).
//   - Database logs exported to CloudWatch log groups the component creates
//     before the cluster, encrypted with the customer-managed logs key and
//     with a set retention.
//   - Automatic minor version upgrades on; major version upgrades off.
//   - Enhanced monitoring off unless asked for; when on, its role carries
//     only the AWS-managed AmazonRDSEnhancedMonitoringRole policy.
package encryptedaurora

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/internal/dbclients"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:database:EncryptedAurora"

// Engines.
const (
	EnginePostgres = "aurora-postgresql"
	EngineMySQL    = "aurora-mysql"
)

// InstanceClass is the Serverless v2 instance class.
const InstanceClass = "db.serverless"

// EnhancedMonitoringPolicy is the only policy of the enhanced monitoring role.
const EnhancedMonitoringPolicy = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"

// Limits.
const (
	MinBackupRetentionDays = 7
	MaxBackupRetentionDays = 35
	MinCapacity            = 0.5
	MaxCapacity            = 256
	MaxInstances           = 15
	// PerformanceInsightsRetentionDays is the free retention tier.
	PerformanceInsightsRetentionDays = 7
	// DefaultMasterUsername is used when Args.MasterUsername is empty.
	DefaultMasterUsername = "dbadmin"
)

// LogExports returns the CloudWatch log exports of an engine.
func LogExports(engine string) []string {
	switch engine {
	case EnginePostgres:
		return []string{"postgresql"}
	case EngineMySQL:
		return []string{"audit", "error", "slowquery"}
	}
	return nil
}

// DefaultPort returns an engine's standard port.
func DefaultPort(engine string) int {
	if engine == EngineMySQL {
		return 3306
	}
	return 5432
}

// Args configures an EncryptedAurora.
type Args struct {
	// ClusterIdentifier names the cluster: lower-case letters, digits and
	// hyphens, starting with a letter, at most 63 characters. Instances are
	// <ClusterIdentifier>-<n>, log groups /aws/rds/cluster/<ClusterIdentifier>/<log>.
	ClusterIdentifier string
	// Engine is aurora-postgresql or aurora-mysql.
	Engine string
	// EngineVersion is e.g. "16.6" (PostgreSQL, major 13 or later) or
	// "8.0.mysql_aurora.3.08.0" (MySQL 8.0-compatible, Aurora MySQL 3 or later).
	EngineVersion string
	// MinCapacity and MaxCapacity are the Serverless v2 ACU bounds
	// (0.5..256, steps of 0.5).
	MinCapacity float64
	MaxCapacity float64
	// InstanceCount is the number of instances (1 writer + readers), 1-15.
	InstanceCount int
	// AvailabilityZones are the zones instances are pinned to in turn
	// (instance i in AvailabilityZones[i % len]).
	AvailabilityZones []string
	// Port is the database port (1024-65535); 0 means the engine's default
	// (5432 or 3306).
	Port int
	// MasterUsername is the master user (default dbadmin). Its password is
	// managed by RDS in Secrets Manager.
	MasterUsername string
	// DatabaseName is an optional initial database.
	DatabaseName string
	// BackupRetentionDays keeps automated backups, 7-35 days.
	BackupRetentionDays int
	// PreferredBackupWindow ("hh24:mi-hh24:mi", UTC) and
	// PreferredMaintenanceWindow ("ddd:hh24:mi-ddd:hh24:mi", UTC) are
	// optional.
	PreferredBackupWindow      string
	PreferredMaintenanceWindow string
	// BackupTags are put on the cluster so the AWS Backup selection by tag
	// protects it (e.g. backupprotection.BackupProtection.SelectionTags).
	BackupTags map[string]string
	// Tags are put on every resource that takes tags.
	Tags map[string]string
	// LogRetentionDays is the retention of the exported log groups (a
	// CloudWatch Logs retention value such as 365 or 731).
	LogRetentionDays int
	// EnhancedMonitoringIntervalSeconds turns enhanced monitoring on
	// (1, 5, 10, 15, 30 or 60); 0 (the default) leaves it off.
	EnhancedMonitoringIntervalSeconds int

	// VpcID is the VPC of the security group.
	VpcID pulumi.StringInput
	// IsolatedSubnetIDs are the subnets of the DB subnet group: isolated
	// subnets only (securevpc.SecureVPC.IsolatedSubnetIDs).
	IsolatedSubnetIDs pulumi.StringArrayInput
	// ClientSecurityGroupIDs are the only sources admitted, on Port (one
	// ingress rule each). More clients can be admitted later with
	// AllowClient, which breaks the cycle "clients need the database's
	// security group, the database needs theirs".
	ClientSecurityGroupIDs []pulumi.StringInput
	// EndpointParameterName, when set, publishes the writer endpoint in an
	// SSM String parameter the application reads (as an ECS secret), so the
	// restore account's cut-over can repoint the same setting.
	EndpointParameterName string
	// DataKeyArn is the customer-managed key of storage, the master user
	// secret and Performance Insights.
	DataKeyArn pulumi.StringInput
	// LogsKeyArn is the customer-managed key of the log groups.
	LogsKeyArn pulumi.StringInput
}

// EncryptedAurora is the cluster and what guards it.
type EncryptedAurora struct {
	pulumi.ResourceState

	Cluster        *rds.Cluster
	Instances      []*rds.ClusterInstance
	SecurityGroup  *ec2.SecurityGroup
	name           string
	port           int
	subnets        pulumi.StringArrayInput
	SubnetGroup    *rds.SubnetGroup
	ParameterGroup *rds.ClusterParameterGroup
	// LogGroups by log export name (postgresql, audit, error, slowquery).
	LogGroups map[string]*cloudwatch.LogGroup

	Endpoint          pulumi.StringOutput
	ReaderEndpoint    pulumi.StringOutput
	Port              pulumi.IntOutput
	SecretArn         pulumi.StringOutput
	SecurityGroupID   pulumi.StringOutput
	ClusterArn        pulumi.StringOutput
	ClusterIdentifier pulumi.StringOutput
	// EndpointParameterArn is the SSM parameter holding Endpoint (empty
	// when EndpointParameterName is not set).
	EndpointParameterArn pulumi.StringOutput
}

var (
	identifierRE   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	usernameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	dbNameRE       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	postgresVerRE  = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)
	mysqlVerRE     = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.mysql_aurora\.([0-9]+)\.[0-9]+\.[0-9]+$`)
	backupWindowRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	maintWindowRE  = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	tagKeyRE       = regexp.MustCompile(`^[A-Za-z0-9 _.:/=+@-]{1,128}$`)
)

// logRetentionValues are the retentions CloudWatch Logs accepts.
var logRetentionValues = map[int]bool{
	1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true,
	180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true,
	2557: true, 2922: true, 3288: true, 3653: true,
}

// ValidLogRetention reports whether days is a retention CloudWatch Logs
// accepts for the exported log groups (Args.LogRetentionDays).
func ValidLogRetention(days int) bool { return logRetentionValues[days] }

var monitoringIntervals = map[int]bool{0: true, 1: true, 5: true, 10: true, 15: true, 30: true, 60: true}

// reservedUsernames cannot be the master user.
var reservedUsernames = map[string]bool{"rdsadmin": true, "rdsrepladmin": true, "rds_superuser": true}

// ParameterGroupFamily returns the cluster parameter group family of an
// engine and version, e.g. aurora-postgresql16 or aurora-mysql8.0.
func ParameterGroupFamily(engine, version string) (string, error) {
	switch engine {
	case EnginePostgres:
		m := postgresVerRE.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("EngineVersion %q is not an aurora-postgresql version such as 16.6", version)
		}
		major, _ := strconv.Atoi(m[1])
		if major < 13 {
			return "", fmt.Errorf("EngineVersion %q: aurora-postgresql Serverless v2 needs major version 13 or later", version)
		}
		return fmt.Sprintf("%s%d", EnginePostgres, major), nil
	case EngineMySQL:
		m := mysqlVerRE.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("EngineVersion %q is not an aurora-mysql version such as 8.0.mysql_aurora.3.08.0", version)
		}
		mysqlMajor, _ := strconv.Atoi(m[1])
		auroraMajor, _ := strconv.Atoi(m[3])
		if mysqlMajor < 8 || auroraMajor < 3 {
			return "", fmt.Errorf("EngineVersion %q is not MySQL 8.0-compatible (needs 8.0.mysql_aurora.3.x or later)", version)
		}
		minor, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("%s%d.%d", EngineMySQL, mysqlMajor, minor), nil
	}
	return "", fmt.Errorf("Engine %q is not %s or %s", engine, EnginePostgres, EngineMySQL)
}

// TLSParameters returns the cluster parameters that require TLS (and, for
// MySQL, turn on the audit and slow query logs that are exported).
func TLSParameters(engine string) map[string]string {
	if engine == EngineMySQL {
		return map[string]string{
			"require_secure_transport": "ON",
			"server_audit_logging":     "1",
			"server_audit_events":      "CONNECT,QUERY_DCL,QUERY_DDL",
			"slow_query_log":           "1",
		}
	}
	return map[string]string{"rds.force_ssl": "1"}
}

func halfStep(v float64) bool { return math.Mod(v*2, 1) == 0 }

// Validate checks the arguments; all problems are reported together.
func (a *Args) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	id := a.ClusterIdentifier
	switch {
	case !identifierRE.MatchString(id) || strings.Contains(id, "--") || strings.HasSuffix(id, "-"):
		add("ClusterIdentifier %q must be lower-case letters, digits and single hyphens, start with a letter and not end with a hyphen", id)
	case len(id) > 63:
		add("ClusterIdentifier %q is longer than 63 characters", id)
	case a.InstanceCount >= 1 && len(fmt.Sprintf("%s-%d", id, a.InstanceCount)) > 63:
		add("ClusterIdentifier %q leaves no room for instance identifiers %s-<n> within 63 characters", id, id)
	}
	if a.Engine != EnginePostgres && a.Engine != EngineMySQL {
		add("Engine %q is not %s or %s", a.Engine, EnginePostgres, EngineMySQL)
	} else if _, err := ParameterGroupFamily(a.Engine, a.EngineVersion); err != nil {
		add("%s", err.Error())
	}
	if a.MinCapacity < MinCapacity || !halfStep(a.MinCapacity) {
		add("MinCapacity %g must be at least %g ACU in steps of 0.5", a.MinCapacity, MinCapacity)
	}
	if a.MaxCapacity < a.MinCapacity || a.MaxCapacity > MaxCapacity || !halfStep(a.MaxCapacity) {
		add("MaxCapacity %g must be between MinCapacity %g and %d ACU in steps of 0.5", a.MaxCapacity, a.MinCapacity, MaxCapacity)
	}
	if a.InstanceCount < 1 || a.InstanceCount > MaxInstances {
		add("InstanceCount %d must be 1-%d", a.InstanceCount, MaxInstances)
	}
	if len(a.AvailabilityZones) == 0 {
		add("AvailabilityZones must name at least one zone")
	}
	seen := map[string]bool{}
	for _, z := range a.AvailabilityZones {
		if z == "" {
			add("AvailabilityZones has an empty zone name")
		} else if seen[z] {
			add("availability zone %q is listed twice", z)
		}
		seen[z] = true
	}
	if a.Port != 0 && (a.Port < 1024 || a.Port > 65535) {
		add("Port %d must be 1024-65535 (or 0 for the engine default)", a.Port)
	}
	if u := a.MasterUsername; u != "" && (!usernameRE.MatchString(u) || reservedUsernames[strings.ToLower(u)]) {
		add("MasterUsername %q must be 1-16 letters, digits or '_', start with a letter and not be reserved", u)
	}
	if a.DatabaseName != "" && !dbNameRE.MatchString(a.DatabaseName) {
		add("DatabaseName %q must be 1-63 letters, digits or '_' and start with a letter", a.DatabaseName)
	}
	if a.BackupRetentionDays < MinBackupRetentionDays || a.BackupRetentionDays > MaxBackupRetentionDays {
		add("BackupRetentionDays %d must be %d-%d", a.BackupRetentionDays, MinBackupRetentionDays, MaxBackupRetentionDays)
	}
	if w := a.PreferredBackupWindow; w != "" && !backupWindowRE.MatchString(w) {
		add("PreferredBackupWindow %q is not hh24:mi-hh24:mi", w)
	}
	if w := a.PreferredMaintenanceWindow; w != "" && !maintWindowRE.MatchString(w) {
		add("PreferredMaintenanceWindow %q is not ddd:hh24:mi-ddd:hh24:mi (lower-case days)", w)
	}
	if len(a.BackupTags) == 0 {
		add("BackupTags must name the tag the AWS Backup selection uses")
	}
	for _, tags := range []map[string]string{a.BackupTags, a.Tags} {
		for _, k := range sortedKeys(tags) {
			if !tagKeyRE.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") || len(tags[k]) > 256 {
				add("tag %q=%q is not a valid tag", k, tags[k])
			}
		}
	}
	for _, k := range sortedKeys(a.BackupTags) {
		if v, ok := a.Tags[k]; ok && v != a.BackupTags[k] {
			add("Tags[%q]=%q conflicts with BackupTags[%q]=%q", k, v, k, a.BackupTags[k])
		}
	}
	if !logRetentionValues[a.LogRetentionDays] {
		add("LogRetentionDays %d is not a CloudWatch Logs retention value (e.g. 365, 731)", a.LogRetentionDays)
	}
	if !monitoringIntervals[a.EnhancedMonitoringIntervalSeconds] {
		add("EnhancedMonitoringIntervalSeconds %d must be 0 (off), 1, 5, 10, 15, 30 or 60", a.EnhancedMonitoringIntervalSeconds)
	}
	if a.VpcID == nil {
		add("VpcID is required")
	}
	if a.IsolatedSubnetIDs == nil {
		add("IsolatedSubnetIDs (the isolated subnets) are required")
	} else if s, ok := a.IsolatedSubnetIDs.(pulumi.StringArray); ok && len(s) < 2 {
		add("IsolatedSubnetIDs must name at least 2 subnets (a DB subnet group spans two zones), got %d", len(s))
	}
	for i, c := range a.ClientSecurityGroupIDs {
		if c == nil {
			add("ClientSecurityGroupIDs[%d] is nil", i)
		}
	}

	if a.DataKeyArn == nil {
		add("DataKeyArn (a customer-managed key) is required")
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (a customer-managed key) is required")
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mustJSON(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return "{}" // maps of strings built here: cannot fail
	}
	return string(out)
}

// NewEncryptedAurora builds the cluster, its instances and what guards them.
func NewEncryptedAurora(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*EncryptedAurora, error) {
	if args == nil {
		return nil, fmt.Errorf("encryptedaurora %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("encryptedaurora %s: %w", name, err)
	}
	port := args.Port
	if port == 0 {
		port = DefaultPort(args.Engine)
	}
	username := args.MasterUsername
	if username == "" {
		username = DefaultMasterUsername
	}
	id := args.ClusterIdentifier

	a := &EncryptedAurora{LogGroups: map[string]*cloudwatch.LogGroup{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, a, opts...); err != nil {
		return nil, fmt.Errorf("encryptedaurora %s: register: %w", name, err)
	}
	parent := pulumi.Parent(a)
	wrap := func(what string, err error) error { return fmt.Errorf("encryptedaurora %s: %s: %w", name, what, err) }
	tags := pulumi.ToStringMap(args.Tags)
	clusterTags := map[string]string{}
	for k, v := range args.Tags {
		clusterTags[k] = v
	}
	for k, v := range args.BackupTags {
		clusterTags[k] = v
	}

	// Log groups first: RDS would otherwise create them unencrypted with
	// no retention on the first export.
	var logDeps []pulumi.Resource
	exports := LogExports(args.Engine)
	for _, log := range exports {
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-log-"+log, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(fmt.Sprintf("/aws/rds/cluster/%s/%s", id, log)),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        args.LogsKeyArn,
			Tags:            tags,
		}, parent)
		if err != nil {
			return nil, wrap("log group "+log, err)
		}
		a.LogGroups[log] = lg
		logDeps = append(logDeps, lg)
	}

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String(fmt.Sprintf("Aurora %s: isolated subnets only", id)),
		SubnetIds:   args.IsolatedSubnetIDs,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, wrap("subnet group", err)
	}
	a.SubnetGroup = subnets

	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String(fmt.Sprintf("Aurora %s: port %d from client security groups only", id, port)),
		// Ingress comes only from separate rules, one per client security
		// group (never inline: inline and separate rules fight).
		// The database opens no connections: no egress at all.
		Egress:              ec2.SecurityGroupEgressArray{},
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                tags,
	}, parent)
	if err != nil {
		return nil, wrap("security group", err)
	}
	a.SecurityGroup, a.SecurityGroupID = sg, sg.ID().ToStringOutput()
	a.name, a.port, a.subnets = name, port, args.IsolatedSubnetIDs
	for i, c := range args.ClientSecurityGroupIDs {
		if err := a.AllowClient(ctx, fmt.Sprintf("client-%d", i), c); err != nil {
			return nil, err
		}
	}

	posture := PostureFor(args.Engine)
	pg, err := NewTLSParameterGroup(ctx, name+"-params", "", id, args.Engine, args.EngineVersion, tags, parent)
	if err != nil {
		return nil, wrap("parameter group", err)
	}
	a.ParameterGroup = pg

	var monitoringRole pulumi.StringPtrInput
	if args.EnhancedMonitoringIntervalSeconds > 0 {
		role, err := iam.NewRole(ctx, name+"-monitoring", &iam.RoleArgs{
			Description: pulumi.String(fmt.Sprintf("RDS enhanced monitoring of %s", id)),
			AssumeRolePolicy: pulumi.String(mustJSON(map[string]any{
				"Version": "2012-10-17",
				"Statement": []map[string]any{{
					"Effect":    "Allow",
					"Principal": map[string]any{"Service": "monitoring.rds.amazonaws.com"},
					"Action":    "sts:AssumeRole",
				}},
			})),
			Tags: tags,
		}, parent)
		if err != nil {
			return nil, wrap("monitoring role", err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-monitoring-policy", &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(EnhancedMonitoringPolicy),
		}, parent); err != nil {
			return nil, wrap("monitoring policy", err)
		}
		monitoringRole = role.Arn
	}

	clusterArgs := &rds.ClusterArgs{
		ClusterIdentifier: pulumi.String(id),
		Engine:            pulumi.String(args.Engine),
		EngineVersion:     pulumi.String(args.EngineVersion),
		EngineMode:        pulumi.String("provisioned"),
		Serverlessv2ScalingConfiguration: &rds.ClusterServerlessv2ScalingConfigurationArgs{
			MinCapacity: pulumi.Float64(args.MinCapacity),
			MaxCapacity: pulumi.Float64(args.MaxCapacity),
		},
		Port:                             pulumi.Int(port),
		MasterUsername:                   pulumi.String(username),
		ManageMasterUserPassword:         pulumi.Bool(posture.ManagedMasterPassword),
		MasterUserSecretKmsKeyId:         args.DataKeyArn,
		StorageEncrypted:                 pulumi.Bool(true),
		KmsKeyId:                         args.DataKeyArn,
		DbSubnetGroupName:                subnets.Name,
		VpcSecurityGroupIds:              pulumi.StringArray{sg.ID().ToStringOutput()},
		DbClusterParameterGroupName:      pg.Name,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(posture.IAMDatabaseAuthentication),
		EnabledCloudwatchLogsExports:     pulumi.ToStringArray(posture.LogExports),
		DeletionProtection:               pulumi.Bool(posture.DeletionProtection),
		BackupRetentionPeriod:            pulumi.Int(args.BackupRetentionDays),
		CopyTagsToSnapshot:               pulumi.Bool(posture.CopyTagsToSnapshot),
		DeleteAutomatedBackups:           pulumi.Bool(false),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(id + "-final"),
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
	cluster, err := rds.NewCluster(ctx, name+"-cluster", clusterArgs, parent, pulumi.DependsOn(logDeps))
	if err != nil {
		return nil, wrap("cluster", err)
	}
	a.Cluster = cluster

	for i := 0; i < args.InstanceCount; i++ {
		ia := &rds.ClusterInstanceArgs{
			Identifier:                         pulumi.String(fmt.Sprintf("%s-%d", id, i+1)),
			ClusterIdentifier:                  cluster.ID(),
			Engine:                             cluster.Engine,
			EngineVersion:                      cluster.EngineVersion,
			InstanceClass:                      pulumi.String(InstanceClass),
			AvailabilityZone:                   pulumi.String(args.AvailabilityZones[i%len(args.AvailabilityZones)]),
			DbSubnetGroupName:                  subnets.Name,
			PubliclyAccessible:                 pulumi.Bool(false),
			AutoMinorVersionUpgrade:            pulumi.Bool(true),
			PerformanceInsightsEnabled:         pulumi.Bool(posture.PerformanceInsights),
			PerformanceInsightsKmsKeyId:        args.DataKeyArn,
			PerformanceInsightsRetentionPeriod: pulumi.Int(posture.PerformanceInsightsRetentionDays),
			CopyTagsToSnapshot:                 pulumi.Bool(true),
			// Readers in tier 1 fail over before any later ones; the
			// writer created first is tier 0.
			PromotionTier: pulumi.Int(min(i, 1)),
			Tags:          tags,
		}
		if args.PreferredMaintenanceWindow != "" {
			ia.PreferredMaintenanceWindow = pulumi.String(args.PreferredMaintenanceWindow)
		}
		if monitoringRole != nil {
			ia.MonitoringInterval = pulumi.Int(args.EnhancedMonitoringIntervalSeconds)
			ia.MonitoringRoleArn = monitoringRole
		}
		inst, err := rds.NewClusterInstance(ctx, fmt.Sprintf("%s-instance-%d", name, i+1), ia, parent)
		if err != nil {
			return nil, wrap(fmt.Sprintf("instance %d", i+1), err)
		}
		a.Instances = append(a.Instances, inst)
	}

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

	a.EndpointParameterArn = pulumi.String("").ToStringOutput()
	if args.EndpointParameterName != "" {
		param, err := ssm.NewParameter(ctx, name+"-endpoint", &ssm.ParameterArgs{
			Name:        pulumi.String(args.EndpointParameterName),
			Type:        pulumi.String("String"),
			Value:       a.Endpoint,
			Description: pulumi.String("Writer endpoint of " + id + " (read by the application)"),
			Tags:        tags,
		}, parent)
		if err != nil {
			return nil, wrap("endpoint parameter", err)
		}
		a.EndpointParameterArn = param.Arn
	}
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{
		"endpoint": a.Endpoint, "readerEndpoint": a.ReaderEndpoint, "port": a.Port,
		"secretArn": a.SecretArn, "securityGroupId": a.SecurityGroupID,
		"clusterArn": a.ClusterArn, "clusterIdentifier": a.ClusterIdentifier,
	}); err != nil {
		return nil, wrap("outputs", err)
	}
	return a, nil
}

// AllowClient admits the database port from one more client security group
// (a child ingress rule named <name>-from-<label>). It is the only way in:
// no CIDR is ever admitted.
func (a *EncryptedAurora) AllowClient(ctx *pulumi.Context, label string, clientSecurityGroupID pulumi.StringInput) error {
	if err := dbclients.Allow(ctx, a.name, label, a.SecurityGroup.ID(), clientSecurityGroupID, a.port, a); err != nil {
		return fmt.Errorf("encryptedaurora %w", err)
	}
	return nil
}
