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
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/components/dbclients"
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
	identifierRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	usernameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	// sqlNameRE is a database or user name this module creates: a letter,
	// then letters, digits or '_', at most 63 characters.
	sqlNameRE      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	postgresVerRE  = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)
	mysqlVerRE     = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.mysql_aurora\.([0-9]+)\.[0-9]+\.[0-9]+$`)
	backupWindowRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	maintWindowRE  = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	tagKeyRE       = regexp.MustCompile(`^[A-Za-z0-9 _.:/=+@-]{1,128}$`)
)

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
	if a.DatabaseName != "" && !sqlNameRE.MatchString(a.DatabaseName) {
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
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			if !tagKeyRE.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") || len(tags[k]) > 256 {
				add("tag %q=%q is not a valid tag", k, tags[k])
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.BackupTags)) {
		if v, ok := a.Tags[k]; ok && v != a.BackupTags[k] {
			add("Tags[%q]=%q conflicts with BackupTags[%q]=%q", k, v, k, a.BackupTags[k])
		}
	}
	if !awsfacts.ValidLogRetention(a.LogRetentionDays) {
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

// NewEncryptedAurora builds the cluster, its instances and what guards them.
func NewEncryptedAurora(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*EncryptedAurora, error) {
	if args == nil {
		return nil, fmt.Errorf("encryptedaurora %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("encryptedaurora %s: %w", name, err)
	}
	a := &EncryptedAurora{LogGroups: map[string]*cloudwatch.LogGroup{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, a, opts...); err != nil {
		return nil, fmt.Errorf("encryptedaurora %s: register: %w", name, err)
	}
	b := newBuilder(ctx, name, args, a)
	// Log groups first: RDS would otherwise create them unencrypted with
	// no retention on the first export.
	for _, step := range []func() error{
		b.logGroups, b.subnetGroup, b.securityGroup, b.parameterGroup, b.monitoringRole,
		b.cluster, b.instances, b.endpointParameter,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{
		"endpoint": a.Endpoint, "readerEndpoint": a.ReaderEndpoint, "port": a.Port,
		"secretArn": a.SecretArn, "securityGroupId": a.SecurityGroupID,
		"clusterArn": a.ClusterArn, "clusterIdentifier": a.ClusterIdentifier,
	}); err != nil {
		return nil, b.wrap("outputs", err)
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
