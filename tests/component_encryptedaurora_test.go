package tests

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/backupprotection"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	encryptedAuroraAccount = testkit.Account
	tInstance              = "aws:rds/clusterInstance:ClusterInstance"
	tParamGroup            = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
	tSGRule                = "aws:ec2/securityGroupRule:SecurityGroupRule"
)

var zones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}

// baseArgs are valid arguments without the resource inputs (keys, VPC,
// subnets, client groups), which the environment fills in.
func encryptedAuroraBaseArgs() *encryptedaurora.Args {
	return &encryptedaurora.Args{
		ClusterIdentifier: "fintech-core",
		Engine:            encryptedaurora.EnginePostgres, EngineVersion: "16.6",
		MinCapacity: 0.5, MaxCapacity: 16,
		InstanceCount: 3, AvailabilityZones: zones,
		BackupRetentionDays: 14,
		BackupTags:          map[string]string{"backup-policy": "fintech-daily"},
		Tags:                map[string]string{"project": "fintech"},
		LogRetentionDays:    731,
	}
}

// env is the world a test builds around the component: a SecureVPC like
// internal/stacks network(), keys, two client security groups, the backup
// protection that selects by tag, and a GuardDuty detector, so the policy
// pack can judge the whole graph.
type encryptedAuroraEnv struct {
	// useSubnets picks the subnets given to the component (default: the
	// VPC's isolated subnets).
	useSubnets func(v *securevpc.SecureVPC) pulumi.StringArrayInput
	// mutate changes the component args after the environment is wired.
	mutate func(a *encryptedaurora.Args)
	// got receives the component.
	got *encryptedaurora.EncryptedAurora
	// after runs once the component exists.
	after func(ctx *pulumi.Context, a *encryptedaurora.EncryptedAurora) error
}

func (e *encryptedAuroraEnv) program(ctx *pulumi.Context) error {
	keys, err := testkit.Keys(ctx, "logs-key", "data-key", "backup-key", "notify-key")
	if err != nil {
		return err
	}
	logsKey, dataKey, backupKey, notifyKey := keys["logs-key"], keys["data-key"], keys["backup-key"], keys["notify-key"]
	vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) {
		n.AvailabilityZones, n.NatGateways = zones, securevpc.NatPerAZ
		n.FlowLogRetentionDays, n.FlowLogKeyArn = 731, logsKey.Arn
	})
	if err != nil {
		return err
	}
	var clients []pulumi.StringInput
	for _, n := range []string{"app-sg", "restore-check-sg"} {
		sg, err := ec2.NewSecurityGroup(ctx, n, &ec2.SecurityGroupArgs{
			VpcId: vpc.VpcID, Description: pulumi.String(n),
		})
		if err != nil {
			return err
		}
		clients = append(clients, sg.ID().ToStringOutput())
	}
	bp, err := backupprotection.NewBackupProtection(ctx, "backup", &backupprotection.Args{
		AccountID: encryptedAuroraAccount, Region: region,
		VaultName: "fintech-workload", KeyArn: backupKey.Arn,
		LockMode: backupprotection.LockGovernance, LockMinRetentionDays: 7, LockMaxRetentionDays: 400,
		Schedule: "cron(0 18 * * ? *)", StartWindowMinutes: 60, CompletionWindowMinutes: 480,
		RetentionDays: 35, ContinuousBackup: true,
		CopyVaultArn: pulumi.String(bunkerVault), CopyRetentionDays: 90,
		SelectionTagKey: "backup-policy", SelectionTagValue: "fintech-daily",
		NotificationKeyArn: notifyKey.Arn, NotificationEmails: []string{"oncall@example.com"},
	})
	if err != nil {
		return err
	}
	if _, err := guardduty.NewDetector(ctx, "guardduty", &guardduty.DetectorArgs{Enable: pulumi.Bool(true)}); err != nil {
		return err
	}
	args := encryptedAuroraBaseArgs()
	args.BackupTags = bp.SelectionTags
	args.VpcID = vpc.VpcID
	args.IsolatedSubnetIDs = vpc.IsolatedSubnetIDs
	if e.useSubnets != nil {
		args.IsolatedSubnetIDs = e.useSubnets(vpc)
	}
	args.ClientSecurityGroupIDs = clients
	args.DataKeyArn = dataKey.Arn
	args.LogsKeyArn = logsKey.Arn
	if e.mutate != nil {
		e.mutate(args)
	}
	e.got, err = encryptedaurora.NewEncryptedAurora(ctx, "aurora", args)
	if err != nil || e.after == nil {
		return err
	}
	return e.after(ctx, e.got)
}

func encryptedAuroraBuild(t *testing.T, mutate func(a *encryptedaurora.Args)) (*graph.Graph, *encryptedaurora.EncryptedAurora) {
	t.Helper()
	e := &encryptedAuroraEnv{mutate: mutate}
	g, err := preview.Run(e.program, testkit.Options())
	require.NoError(t, err)
	require.NotNil(t, e.got)
	return g, e.got
}

func mysql(a *encryptedaurora.Args) {
	a.Engine, a.EngineVersion = encryptedaurora.EngineMySQL, "8.0.mysql_aurora.3.08.0"
}

// children returns the component's resources of the given types.
func children(g *graph.Graph, types ...string) []*graph.Resource {
	var out []*graph.Resource
	comps := g.OfType(encryptedaurora.TypeToken)
	if len(comps) == 0 {
		return nil
	}
	for _, r := range g.OfType(types...) {
		if r.Parent == comps[0].URN {
			out = append(out, r)
		}
	}
	return out
}

func urns(rs []*graph.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.URN)
	}
	sort.Strings(out)
	return out
}

func ids(rs []*graph.Resource) []any {
	out := []any{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func encryptedAuroraKeyArn(t *testing.T, g *graph.Graph, name string) string {
	t.Helper()
	v, ok := testkit.Named(t, g, tKey, name).Output("arn")
	require.True(t, ok)
	return graph.Str(v)
}

func TestClusterIsServerlessV2AndEncryptedWithTheDataKey(t *testing.T) {
	g, a := encryptedAuroraBuild(t, nil)
	require.NotNil(t, a.Cluster)
	comp := testkit.One(t, g, encryptedaurora.TypeToken)
	c := testkit.One(t, g, tRDSCluster)
	dataKey := testkit.Named(t, g, tKey, "data-key")
	dataArn := encryptedAuroraKeyArn(t, g, "data-key")

	assert.Equal(t, comp.URN, c.Parent)
	assert.Equal(t, "aurora-cluster", c.Name)
	assert.Equal(t, "fintech-core", c.Inputs["clusterIdentifier"])
	assert.Equal(t, "aurora-postgresql", c.Inputs["engine"])
	assert.Equal(t, "16.6", c.Inputs["engineVersion"])
	assert.Equal(t, "provisioned", c.Inputs["engineMode"])
	assert.Equal(t, map[string]any{"minCapacity": 0.5, "maxCapacity": 16.0}, c.Inputs["serverlessv2ScalingConfiguration"])
	assert.Equal(t, 5432.0, c.Inputs["port"])

	// Encryption at creation with the CMK.
	assert.Equal(t, true, c.Inputs["storageEncrypted"])
	assert.Equal(t, dataArn, c.Inputs["kmsKeyId"])
	assert.Equal(t, []string{dataKey.URN}, c.PropertyDependencies["kmsKeyId"])

	// Master password managed by RDS, its secret under the CMK.
	assert.Equal(t, true, c.Inputs["manageMasterUserPassword"])
	assert.Equal(t, dataArn, c.Inputs["masterUserSecretKmsKeyId"])
	assert.Equal(t, []string{dataKey.URN}, c.PropertyDependencies["masterUserSecretKmsKeyId"])
	assert.Equal(t, encryptedaurora.DefaultMasterUsername, c.Inputs["masterUsername"])

	// Protection and backups.
	assert.Equal(t, true, c.Inputs["deletionProtection"])
	assert.Equal(t, 14.0, c.Inputs["backupRetentionPeriod"])
	assert.Equal(t, true, c.Inputs["copyTagsToSnapshot"])
	assert.Equal(t, false, c.Inputs["skipFinalSnapshot"])
	assert.Equal(t, "fintech-core-final", c.Inputs["finalSnapshotIdentifier"])
	assert.Equal(t, false, c.Inputs["deleteAutomatedBackups"])
	assert.Equal(t, false, c.Inputs["allowMajorVersionUpgrade"])
	assert.Equal(t, map[string]any{"backup-policy": "fintech-daily", "project": "fintech"}, c.Inputs["tags"])

	// Authentication and logs.
	assert.Equal(t, true, c.Inputs["iamDatabaseAuthenticationEnabled"])
	assert.Equal(t, []any{"postgresql"}, c.Inputs["enabledCloudwatchLogsExports"])

	// Wiring to the component's subnet group, security group and parameter group.
	assert.Equal(t, []string{testkit.One(t, g, tSubnetGroup).URN}, c.PropertyDependencies["dbSubnetGroupName"])
	assert.Equal(t, []string{testkit.Named(t, g, tSG, "aurora-sg").URN}, c.PropertyDependencies["vpcSecurityGroupIds"])
	assert.Equal(t, []string{testkit.One(t, g, tParamGroup).URN}, c.PropertyDependencies["dbClusterParameterGroupName"])

	// Optional windows stay unset unless given.
	_, hasWindow := c.Inputs["preferredBackupWindow"]
	assert.False(t, hasWindow)
}

func TestWindowsAndDatabaseNameWhenGiven(t *testing.T) {
	g, _ := encryptedAuroraBuild(t, func(a *encryptedaurora.Args) {
		a.PreferredBackupWindow = "17:00-18:00"
		a.PreferredMaintenanceWindow = "sun:19:00-sun:20:00"
		a.DatabaseName = "ledger"
		a.MasterUsername = "owner"
		a.Port = 15432
	})
	c := testkit.One(t, g, tRDSCluster)
	assert.Equal(t, "17:00-18:00", c.Inputs["preferredBackupWindow"])
	assert.Equal(t, "sun:19:00-sun:20:00", c.Inputs["preferredMaintenanceWindow"])
	assert.Equal(t, "ledger", c.Inputs["databaseName"])
	assert.Equal(t, "owner", c.Inputs["masterUsername"])
	assert.Equal(t, 15432.0, c.Inputs["port"])
	for _, in := range g.OfType(tInstance) {
		assert.Equal(t, "sun:19:00-sun:20:00", in.Inputs["preferredMaintenanceWindow"])
	}
	for _, ing := range g.OfType(tIngressRule) {
		assert.Equal(t, 15432.0, ing.Inputs["fromPort"])
		assert.Equal(t, 15432.0, ing.Inputs["toPort"])
	}
	assert.NotEmpty(t, g.OfType(tIngressRule))
}

// noPasswordKeys walks a value for any key that carries a password.
func noPasswordKeys(t *testing.T, where string, v any) {
	t.Helper()
	switch x := graph.Unwrap(v).(type) {
	case map[string]any:
		for k, e := range x {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "password") && lk != "managemasteruserpassword" {
				t.Errorf("%s has a password input %q", where, k)
			}
			noPasswordKeys(t, where+"."+k, e)
		}
	case []any:
		for i, e := range x {
			noPasswordKeys(t, fmt.Sprintf("%s[%d]", where, i), e)
		}
	}
}

func TestNoPasswordAnywhere(t *testing.T) {
	for name, mutate := range map[string]func(*encryptedaurora.Args){"postgres": nil, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			g, _ := encryptedAuroraBuild(t, mutate)
			for _, r := range g.Resources {
				noPasswordKeys(t, r.Name, r.Inputs)
			}
			assert.Empty(t, g.OfType("aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion",
				"random:index/randomPassword:RandomPassword"), "the secret is RDS-managed")
		})
	}
}

func TestSubnetGroupHasExactlyTheIsolatedSubnets(t *testing.T) {
	g, a := encryptedAuroraBuild(t, nil)
	sg := testkit.One(t, g, tSubnetGroup)
	assert.Equal(t, testkit.One(t, g, encryptedaurora.TypeToken).URN, sg.Parent)
	isolated := []*graph.Resource{}
	for _, z := range []string{"a", "c", "d"} {
		isolated = append(isolated, testkit.Named(t, g, tSubnet, "net-isolated-"+z))
	}
	assert.Equal(t, urns(isolated), urns(g.Refs(sg, "subnetIds", tSubnet)))
	assert.ElementsMatch(t, ids(isolated), sg.Inputs["subnetIds"])
	assert.Equal(t, []string{sg.URN}, testkit.Named(t, g, tRDSCluster, "aurora-cluster").PropertyDependencies["dbSubnetGroupName"])
	assert.NotNil(t, a.SubnetGroup)
}

func TestSecurityGroupAdmitsOnlyClientGroupsOnTheDatabasePort(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*encryptedaurora.Args)
		port   float64
	}{"postgres": {nil, 5432}, "mysql": {mysql, 3306}} {
		t.Run(name, func(t *testing.T) {
			g, _ := encryptedAuroraBuild(t, c.mutate)
			sg := testkit.Named(t, g, tSG, "aurora-sg")
			assert.Equal(t, testkit.One(t, g, encryptedaurora.TypeToken).URN, sg.Parent)
			clients := []*graph.Resource{testkit.Named(t, g, tSG, "app-sg"), testkit.Named(t, g, tSG, "restore-check-sg")}
			vpc := testkit.Named(t, g, "aws:ec2/vpc:Vpc", "net-vpc")
			assert.Equal(t, []string{vpc.URN}, sg.PropertyDependencies["vpcId"])

			// One ingress rule per client security group, the DB port only.
			assert.Empty(t, sg.Inputs["ingress"], "no inline ingress")
			rules := g.OfType(tIngressRule)
			require.Len(t, rules, len(clients))
			var from []string
			for _, r := range rules {
				assert.Equal(t, testkit.One(t, g, encryptedaurora.TypeToken).URN, r.Parent)
				assert.Equal(t, "tcp", r.Inputs["ipProtocol"])
				assert.Equal(t, c.port, r.Inputs["fromPort"])
				assert.Equal(t, c.port, r.Inputs["toPort"])
				assert.Empty(t, r.Inputs["cidrIpv4"])
				assert.Empty(t, r.Inputs["cidrIpv6"])
				assert.Equal(t, []string{sg.URN}, r.PropertyDependencies["securityGroupId"])
				from = append(from, r.PropertyDependencies["referencedSecurityGroupId"]...)
			}
			assert.ElementsMatch(t, urns(clients), from)

			// No egress, and no other rule resources open it up.
			assert.Equal(t, []any{}, sg.Inputs["egress"])
			assert.Empty(t, g.OfType(tSGRule, tEgressRule))
		})
	}
}

func TestParameterGroupRequiresTLS(t *testing.T) {
	cases := map[string]struct {
		mutate func(*encryptedaurora.Args)
		family string
		want   map[string]string
	}{
		"postgres": {nil, "aurora-postgresql16", map[string]string{"rds.force_ssl": "1"}},
		"mysql": {mysql, "aurora-mysql8.0", map[string]string{
			"require_secure_transport": "ON", "server_audit_logging": "1",
			"server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL", "slow_query_log": "1",
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			g, _ := encryptedAuroraBuild(t, c.mutate)
			pg := testkit.One(t, g, tParamGroup)
			assert.Equal(t, c.family, pg.Inputs["family"])
			got := map[string]string{}
			for _, p := range graph.List(pg.Inputs["parameters"]) {
				m := graph.Map(p)
				got[graph.Str(m["name"])] = graph.Str(m["value"])
			}
			assert.Equal(t, c.want, got)
			assert.Equal(t, []string{pg.URN}, testkit.One(t, g, tRDSCluster).PropertyDependencies["dbClusterParameterGroupName"])
		})
	}
}

func TestParameterGroupFamily(t *testing.T) {
	for _, c := range []struct{ engine, version, want string }{
		{encryptedaurora.EnginePostgres, "16.6", "aurora-postgresql16"},
		{encryptedaurora.EnginePostgres, "13.12", "aurora-postgresql13"},
		{encryptedaurora.EngineMySQL, "8.0.mysql_aurora.3.08.0", "aurora-mysql8.0"},
		{encryptedaurora.EngineMySQL, "8.4.mysql_aurora.4.0.0", "aurora-mysql8.4"},
	} {
		got, err := encryptedaurora.ParameterGroupFamily(c.engine, c.version)
		require.NoError(t, err, c.version)
		assert.Equal(t, c.want, got)
	}
	for _, c := range []struct{ engine, version string }{
		{encryptedaurora.EnginePostgres, "12.9"}, {encryptedaurora.EnginePostgres, "16"}, {encryptedaurora.EngineMySQL, "5.7.mysql_aurora.2.11.2"},
		{encryptedaurora.EngineMySQL, "8.0.mysql_aurora.2.0.0"}, {encryptedaurora.EngineMySQL, "8.0.32"}, {"mysql", "8.0.35"},
	} {
		_, err := encryptedaurora.ParameterGroupFamily(c.engine, c.version)
		assert.Error(t, err, "%s %s", c.engine, c.version)
	}
}

func TestInstancesAreServerlessAcrossZonesWithPerformanceInsights(t *testing.T) {
	for _, count := range []int{1, 3, 4} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			g, a := encryptedAuroraBuild(t, func(a *encryptedaurora.Args) { a.InstanceCount = count })
			require.Len(t, a.Instances, count)
			c := testkit.One(t, g, tRDSCluster)
			dataKey := testkit.Named(t, g, tKey, "data-key")
			dataArn := encryptedAuroraKeyArn(t, g, "data-key")
			insts := g.OfType(tInstance)
			require.Len(t, insts, count)
			for i := 0; i < count; i++ {
				in := testkit.Named(t, g, tInstance, fmt.Sprintf("aurora-instance-%d", i+1))
				assert.Equal(t, testkit.One(t, g, encryptedaurora.TypeToken).URN, in.Parent)
				assert.Equal(t, fmt.Sprintf("fintech-core-%d", i+1), in.Inputs["identifier"])
				assert.Equal(t, zones[i%len(zones)], in.Inputs["availabilityZone"])
				assert.Equal(t, "db.serverless", in.Inputs["instanceClass"])
				assert.Equal(t, "aurora-postgresql", in.Inputs["engine"])
				assert.Equal(t, "16.6", in.Inputs["engineVersion"])
				assert.Equal(t, []string{c.URN}, in.PropertyDependencies["clusterIdentifier"])
				assert.Equal(t, "fintech-core", in.Inputs["clusterIdentifier"])
				assert.Equal(t, false, in.Inputs["publiclyAccessible"])
				assert.Equal(t, true, in.Inputs["autoMinorVersionUpgrade"])
				assert.Equal(t, true, in.Inputs["performanceInsightsEnabled"])
				assert.Equal(t, dataArn, in.Inputs["performanceInsightsKmsKeyId"])
				assert.Equal(t, []string{dataKey.URN}, in.PropertyDependencies["performanceInsightsKmsKeyId"])
				assert.Equal(t, 7.0, in.Inputs["performanceInsightsRetentionPeriod"])
				_, monitored := in.Inputs["monitoringInterval"]
				assert.False(t, monitored, "enhanced monitoring is off by default")
				// Backup tags stay on the cluster: AWS Backup protects Aurora there.
				assert.Equal(t, map[string]any{"project": "fintech"}, in.Inputs["tags"])
			}
			if count >= 3 {
				zs := map[any]bool{}
				for _, in := range insts {
					zs[in.Inputs["availabilityZone"]] = true
				}
				assert.Len(t, zs, 3, "instances spread over every zone")
			}
			assert.Empty(t, children(g, tRole, tAttachment), "no monitoring role unless asked")
		})
	}
}

func TestEnhancedMonitoringRoleIsLeastPrivilege(t *testing.T) {
	g, _ := encryptedAuroraBuild(t, func(a *encryptedaurora.Args) { a.EnhancedMonitoringIntervalSeconds = 60 })
	var role *graph.Resource
	for _, r := range g.OfType(tRole) {
		if r.Name == "aurora-monitoring" {
			role = r
		}
	}
	require.NotNil(t, role)
	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    string
			Condition map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(role.Inputs["assumeRolePolicy"])), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "Allow", trust.Statement[0].Effect)
	assert.Equal(t, map[string]any{"Service": "monitoring.rds.amazonaws.com"}, trust.Statement[0].Principal)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)
	_, inline := role.Inputs["inlinePolicies"]
	assert.False(t, inline)
	assert.Empty(t, role.Inputs["managedPolicyArns"])

	var atts []*graph.Resource
	for _, at := range g.OfType(tAttachment) {
		if len(g.Refs(at, "role", tRole)) > 0 && g.Refs(at, "role", tRole)[0].URN == role.URN {
			atts = append(atts, at)
		}
	}
	require.Len(t, atts, 1)
	assert.Equal(t, encryptedaurora.EnhancedMonitoringPolicy, atts[0].Inputs["policyArn"])
	assert.Empty(t, children(g, "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"))
	assert.Len(t, children(g, tRole), 1)
	assert.Len(t, children(g, tAttachment), 1)

	for _, in := range g.OfType(tInstance) {
		assert.Equal(t, 60.0, in.Inputs["monitoringInterval"])
		assert.Equal(t, []string{role.URN}, in.PropertyDependencies["monitoringRoleArn"])
	}
	assert.Empty(t, testkit.Mandatory(g))
}

func TestLogGroupsEncryptedAndCreatedBeforeTheCluster(t *testing.T) {
	cases := map[string]struct {
		mutate func(*encryptedaurora.Args)
		logs   []string
	}{
		"postgres": {nil, []string{"postgresql"}},
		"mysql":    {mysql, []string{"audit", "error", "slowquery"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			g, a := encryptedAuroraBuild(t, c.mutate)
			logsKey := testkit.Named(t, g, tKey, "logs-key")
			comp := testkit.One(t, g, encryptedaurora.TypeToken)
			var mine []*graph.Resource
			for _, lg := range g.OfType(tLogGroup) {
				if lg.Parent == comp.URN {
					mine = append(mine, lg)
				}
			}
			require.Len(t, mine, len(c.logs))
			require.Len(t, a.LogGroups, len(c.logs))
			for _, log := range c.logs {
				lg := testkit.Named(t, g, tLogGroup, "aurora-log-"+log)
				assert.Equal(t, "/aws/rds/cluster/fintech-core/"+log, lg.Inputs["name"])
				assert.Equal(t, 731.0, lg.Inputs["retentionInDays"])
				assert.Equal(t, encryptedAuroraKeyArn(t, g, "logs-key"), lg.Inputs["kmsKeyId"])
				assert.Equal(t, []string{logsKey.URN}, lg.PropertyDependencies["kmsKeyId"])
			}
			exports := []string{}
			for _, e := range graph.List(testkit.One(t, g, tRDSCluster).Inputs["enabledCloudwatchLogsExports"]) {
				exports = append(exports, graph.Str(e))
			}
			assert.Equal(t, c.logs, exports)

			// The cluster waits for its log groups (dependsOn is not in the
			// graph, so it is read from the registration itself).
			rec := record(t, (&encryptedAuroraEnv{mutate: c.mutate}).program)
			for _, log := range c.logs {
				suffix := "$" + tLogGroup + "::aurora-log-" + log
				found := false
				for _, d := range rec.deps["aurora-cluster"] {
					found = found || strings.HasSuffix(d, suffix)
				}
				assert.True(t, found, "cluster depends on log group %s: %v", log, rec.deps["aurora-cluster"])
			}
		})
	}
}

func TestEncryptedAuroraOutputs(t *testing.T) {
	type got struct {
		mu                                            sync.Mutex
		endpoint, reader, secret, sg, arn, identifier string
		port                                          int
	}
	var out got
	e := &encryptedAuroraEnv{}
	program := func(ctx *pulumi.Context) error {
		if err := e.program(ctx); err != nil {
			return err
		}
		a := e.got
		set := func(dst *string) func(string) string {
			return func(s string) string {
				out.mu.Lock()
				defer out.mu.Unlock()
				*dst = s
				return s
			}
		}
		a.Endpoint.ApplyT(set(&out.endpoint))
		a.ReaderEndpoint.ApplyT(set(&out.reader))
		a.SecretArn.ApplyT(set(&out.secret))
		a.SecurityGroupID.ApplyT(set(&out.sg))
		a.ClusterArn.ApplyT(set(&out.arn))
		a.ClusterIdentifier.ApplyT(set(&out.identifier))
		a.Port.ApplyT(func(p int) int {
			out.mu.Lock()
			defer out.mu.Unlock()
			out.port = p
			return p
		})
		return nil
	}
	g, err := preview.Run(program, testkit.Options())
	require.NoError(t, err)
	c := testkit.One(t, g, tRDSCluster)
	sg := testkit.Named(t, g, tSG, "aurora-sg")
	out.mu.Lock()
	defer out.mu.Unlock()
	assert.Equal(t, graph.Str(c.Outputs["endpoint"]), out.endpoint)
	assert.True(t, strings.HasPrefix(out.endpoint, "fintech-core.cluster-"), out.endpoint)
	assert.True(t, strings.HasPrefix(out.reader, "fintech-core.cluster-ro-"), out.reader)
	assert.Equal(t, 5432, out.port)
	// The mocks report the RDS-managed secret like RDS does.
	assert.True(t, strings.HasPrefix(out.secret, "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:rds!cluster-"), out.secret)
	assert.Equal(t, sg.ID, out.sg)
	assert.Equal(t, "arn:aws:rds:ap-northeast-1:111111111111:cluster:fintech-core", out.arn)
	assert.Equal(t, "fintech-core", out.identifier)
	assert.NotNil(t, e.got.Cluster)
	assert.NotNil(t, e.got.SecurityGroup)
	assert.NotNil(t, e.got.ParameterGroup)
}

func TestSecretArnFromManagedSecret(t *testing.T) {
	var secret string
	var mu sync.Mutex
	rec := &encryptedAuroraRecorder{outputs: map[string]resource.PropertyMap{
		"aurora-cluster": {"masterUserSecrets": resource.NewPropertyValue([]any{
			map[string]any{"secretArn": "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:rds!cluster-abc", "secretStatus": "active"},
		})},
	}}
	e := &encryptedAuroraEnv{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := e.program(ctx); err != nil {
			return err
		}
		e.got.SecretArn.ApplyT(func(s string) string {
			mu.Lock()
			defer mu.Unlock()
			secret = s
			return s
		})
		return nil
	}, pulumi.WithMocks("test", "test", rec))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:rds!cluster-abc", secret)
}

func TestEncryptedAuroraNoMandatoryPolicyViolations(t *testing.T) {
	for name, mutate := range map[string]func(*encryptedaurora.Args){"postgres": nil, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			g, _ := encryptedAuroraBuild(t, mutate)
			for _, v := range testkit.Mandatory(g) {
				t.Errorf("%s: %s: %s", v.Policy, v.URN, v.Message)
			}
		})
	}
}

// The isolated-subnet rule is really exercised: private subnets (routed
// to NAT) in the subnet group are caught.
func TestPolicyCatchesPrivateSubnets(t *testing.T) {
	e := &encryptedAuroraEnv{useSubnets: func(v *securevpc.SecureVPC) pulumi.StringArrayInput { return v.PrivateSubnetIDs }}
	g, err := preview.Run(e.program, testkit.Options())
	require.NoError(t, err)
	var policies []string
	for _, v := range testkit.Mandatory(g) {
		policies = append(policies, v.Policy)
	}
	require.NotEmpty(t, policies)
	for _, p := range policies {
		assert.Equal(t, "database-in-isolated-subnets", p)
	}
}

func TestEncryptedAuroraRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *encryptedaurora.Args)
		want   []string
	}{
		"engine": {func(a *encryptedaurora.Args) { a.Engine = "mysql" }, []string{`Engine "mysql" is not aurora-postgresql or aurora-mysql`}},
		"mysql 5.7": {func(a *encryptedaurora.Args) {
			a.Engine, a.EngineVersion = encryptedaurora.EngineMySQL, "5.7.mysql_aurora.2.11.2"
		}, []string{"is not MySQL 8.0-compatible"}},
		"mysql aurora 2": {func(a *encryptedaurora.Args) {
			a.Engine, a.EngineVersion = encryptedaurora.EngineMySQL, "8.0.mysql_aurora.2.0.0"
		}, []string{"is not MySQL 8.0-compatible"}},
		"mysql bad format":  {func(a *encryptedaurora.Args) { a.Engine, a.EngineVersion = encryptedaurora.EngineMySQL, "8.0.35" }, []string{`EngineVersion "8.0.35" is not an aurora-mysql version`}},
		"postgres version":  {func(a *encryptedaurora.Args) { a.EngineVersion = "sixteen" }, []string{`EngineVersion "sixteen" is not an aurora-postgresql version`}},
		"min capacity":      {func(a *encryptedaurora.Args) { a.MinCapacity = 0.25 }, []string{"MinCapacity 0.25 must be at least 0.5"}},
		"max below min":     {func(a *encryptedaurora.Args) { a.MinCapacity, a.MaxCapacity = 8, 4 }, []string{"MaxCapacity 4 must be between MinCapacity 8 and 256"}},
		"max above 256":     {func(a *encryptedaurora.Args) { a.MaxCapacity = 512 }, []string{"MaxCapacity 512"}},
		"half steps":        {func(a *encryptedaurora.Args) { a.MaxCapacity = 3.3 }, []string{"MaxCapacity 3.3"}},
		"retention low":     {func(a *encryptedaurora.Args) { a.BackupRetentionDays = 6 }, []string{"BackupRetentionDays 6 must be 7-35"}},
		"retention high":    {func(a *encryptedaurora.Args) { a.BackupRetentionDays = 36 }, []string{"BackupRetentionDays 36 must be 7-35"}},
		"no instances":      {func(a *encryptedaurora.Args) { a.InstanceCount = 0 }, []string{"InstanceCount 0 must be 1-15"}},
		"too many":          {func(a *encryptedaurora.Args) { a.InstanceCount = 16 }, []string{"InstanceCount 16 must be 1-15"}},
		"no zones":          {func(a *encryptedaurora.Args) { a.AvailabilityZones = nil }, []string{"AvailabilityZones must name at least one zone"}},
		"zone twice":        {func(a *encryptedaurora.Args) { a.AvailabilityZones = []string{zones[0], zones[0]} }, []string{"listed twice"}},
		"no data key":       {func(a *encryptedaurora.Args) { a.DataKeyArn = nil }, []string{"DataKeyArn"}},
		"no logs key":       {func(a *encryptedaurora.Args) { a.LogsKeyArn = nil }, []string{"LogsKeyArn"}},
		"no subnets":        {func(a *encryptedaurora.Args) { a.IsolatedSubnetIDs = nil }, []string{"IsolatedSubnetIDs"}},
		"one subnet":        {func(a *encryptedaurora.Args) { a.IsolatedSubnetIDs = pulumi.StringArray{pulumi.String("subnet-1")} }, []string{"IsolatedSubnetIDs must name at least 2"}},
		"nil client":        {func(a *encryptedaurora.Args) { a.ClientSecurityGroupIDs = []pulumi.StringInput{nil} }, []string{"ClientSecurityGroupIDs[0] is nil"}},
		"no vpc":            {func(a *encryptedaurora.Args) { a.VpcID = nil }, []string{"VpcID is required"}},
		"upper identifier":  {func(a *encryptedaurora.Args) { a.ClusterIdentifier = "Fintech" }, []string{`ClusterIdentifier "Fintech"`}},
		"digit identifier":  {func(a *encryptedaurora.Args) { a.ClusterIdentifier = "1fintech" }, []string{`ClusterIdentifier "1fintech"`}},
		"hyphen identifier": {func(a *encryptedaurora.Args) { a.ClusterIdentifier = "fintech-" }, []string{`ClusterIdentifier "fintech-"`}},
		"long identifier":   {func(a *encryptedaurora.Args) { a.ClusterIdentifier = "a" + strings.Repeat("b", 63) }, []string{"longer than 63"}},
		"no room":           {func(a *encryptedaurora.Args) { a.ClusterIdentifier = "a" + strings.Repeat("b", 61) }, []string{"leaves no room"}},
		"port low":          {func(a *encryptedaurora.Args) { a.Port = 80 }, []string{"Port 80 must be 1024-65535"}},
		"port high":         {func(a *encryptedaurora.Args) { a.Port = 70000 }, []string{"Port 70000 must be 1024-65535"}},
		"no backup tags":    {func(a *encryptedaurora.Args) { a.BackupTags = nil }, []string{"BackupTags must name"}},
		"tag conflict":      {func(a *encryptedaurora.Args) { a.Tags = map[string]string{"backup-policy": "none"} }, []string{`conflicts with BackupTags["backup-policy"]`}},
		"log retention":     {func(a *encryptedaurora.Args) { a.LogRetentionDays = 10 }, []string{"LogRetentionDays 10"}},
		"monitoring":        {func(a *encryptedaurora.Args) { a.EnhancedMonitoringIntervalSeconds = 7 }, []string{"EnhancedMonitoringIntervalSeconds 7"}},
		"username":          {func(a *encryptedaurora.Args) { a.MasterUsername = "rdsadmin" }, []string{`MasterUsername "rdsadmin"`}},
		"backup window":     {func(a *encryptedaurora.Args) { a.PreferredBackupWindow = "5pm" }, []string{`PreferredBackupWindow "5pm"`}},
		"maint window":      {func(a *encryptedaurora.Args) { a.PreferredMaintenanceWindow = "Sun:19:00-Sun:20:00" }, []string{"PreferredMaintenanceWindow"}},
		"everything at once": {func(a *encryptedaurora.Args) {
			a.Engine, a.BackupRetentionDays, a.InstanceCount, a.DataKeyArn = "oracle", 1, 0, nil
		}, []string{`Engine "oracle"`, "BackupRetentionDays 1", "InstanceCount 0", "DataKeyArn"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var a *encryptedaurora.EncryptedAurora
			var err error
			rec := record(t, func(ctx *pulumi.Context) error {
				args := encryptedAuroraBaseArgs()
				args.VpcID = pulumi.String("vpc-1")
				args.IsolatedSubnetIDs = pulumi.StringArray{pulumi.String("subnet-1"), pulumi.String("subnet-2")}
				args.ClientSecurityGroupIDs = []pulumi.StringInput{pulumi.String("sg-1")}
				args.DataKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/data")
				args.LogsKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/logs")
				c.mutate(args)
				a, err = encryptedaurora.NewEncryptedAurora(ctx, "aurora", args)
				return nil
			})
			require.Error(t, err)
			assert.Nil(t, a)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), "encryptedaurora aurora: invalid arguments")
			assert.Empty(t, rec.names, "nothing is registered when the arguments are invalid")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		var err error
		rec := record(t, func(ctx *pulumi.Context) error {
			_, err = encryptedaurora.NewEncryptedAurora(ctx, "aurora", nil)
			return nil
		})
		assert.ErrorContains(t, err, "args are required")
		assert.Empty(t, rec.names)
	})
}

// recorder is a minimal mock monitor that keeps what preview's graph does
// not: the explicit dependencies of each registration. outputs adds
// provider outputs by logical name.
type encryptedAuroraRecorder struct {
	mu      sync.Mutex
	names   []string
	deps    map[string][]string
	outputs map[string]resource.PropertyMap
}

func (r *encryptedAuroraRecorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deps == nil {
		r.deps = map[string][]string{}
	}
	r.names = append(r.names, args.Name)
	if rpc := args.RegisterRPC; rpc != nil {
		deps := append([]string(nil), rpc.GetDependencies()...)
		sort.Strings(deps)
		r.deps[args.Name] = deps
	}
	outs := args.Inputs.Copy()
	for k, v := range r.outputs[args.Name] {
		outs[k] = v
	}
	return args.Name + "-id", outs, nil
}

func (r *encryptedAuroraRecorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("offline: %s", args.Token)
}

func record(t *testing.T, program pulumi.RunFunc) *encryptedAuroraRecorder {
	t.Helper()
	rec := &encryptedAuroraRecorder{}
	require.NoError(t, pulumi.RunErr(program, pulumi.WithMocks("test", "test", rec)))
	return rec
}

// AllowClient admits one more client after construction (the stack uses it
// for the API and batch task security groups, which need the database's
// security group first).
func TestAllowClient(t *testing.T) {
	g, _ := encryptedAuroraBuild(t, func(a *encryptedaurora.Args) { a.ClientSecurityGroupIDs = nil })
	assert.Empty(t, g.OfType(tIngressRule), "no client, no way in")

	var badLabel error
	e := &encryptedAuroraEnv{
		mutate: func(a *encryptedaurora.Args) { a.ClientSecurityGroupIDs = nil },
		after: func(ctx *pulumi.Context, a *encryptedaurora.EncryptedAurora) error {
			late, err := ec2.NewSecurityGroup(ctx, "late-client-sg", &ec2.SecurityGroupArgs{VpcId: pulumi.String("vpc-1")})
			if err != nil {
				return err
			}
			badLabel = a.AllowClient(ctx, "Bad Label", late.ID())
			return a.AllowClient(ctx, "late", late.ID())
		},
	}
	g, err := preview.Run(e.program, testkit.Options())
	require.NoError(t, err)
	rule := testkit.Named(t, g, tIngressRule, "aurora-from-late")
	assert.Equal(t, testkit.One(t, g, encryptedaurora.TypeToken).URN, rule.Parent)
	assert.Equal(t, []string{testkit.Named(t, g, tSG, "late-client-sg").URN}, rule.PropertyDependencies["referencedSecurityGroupId"])
	assert.Equal(t, 5432.0, rule.Inputs["fromPort"])
	assert.Empty(t, rule.Inputs["cidrIpv4"])
	require.Error(t, badLabel)
	assert.Contains(t, badLabel.Error(), `"Bad Label"`)
}
