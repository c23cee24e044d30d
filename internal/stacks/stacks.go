// Package stacks composes the components of each role. It holds no
// resource details: those belong to the components.
package stacks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ram"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/airgappedvault"
	"github.com/fintech-resilience/fintech-resilience/components/backupprotection"
	"github.com/fintech-resilience/fintech-resilience/components/baseline"
	"github.com/fintech-resilience/fintech-resilience/components/dbfirewall"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/components/keyring"
	"github.com/fintech-resilience/fintech-resilience/components/restoretesting"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/components/vaultwatch"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Run is the Pulumi program: it validates the configuration before
// registering anything, then builds the stack of the configured role.
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx.GetConfig, ctx.Stack())
	if err != nil {
		return err
	}
	switch cfg.Role {
	case config.RoleWorkload:
		return workload(ctx, cfg)
	case config.RoleBunker:
		return bunker(ctx, cfg)
	case config.RoleRestore:
		return restore(ctx, cfg)
	}
	return fmt.Errorf("unknown role %q", cfg.Role)
}

// Key purposes.
const (
	KeyData          = "data"
	KeyLogs          = "logs"
	KeyBackup        = "backup"
	KeyNotifications = "notifications"
)

// purposes returns the keys a role needs.
func purposes(cfg *config.Config) []keyring.Purpose {
	logs := keyring.Purpose{Name: KeyLogs, Description: "CloudWatch log groups", ServicePrincipals: []string{"logs"}}
	notify := keyring.Purpose{
		Name: KeyNotifications, Description: "SNS topics and SQS queues",
		ViaServices:       []string{"scheduler", "sns", "sqs"},
		ServicePrincipals: []string{"backup", "cloudwatch", "events"},
	}
	backup := keyring.Purpose{Name: KeyBackup, Description: "AWS Backup vaults", ViaServices: []string{"backup"}}
	data := keyring.Purpose{
		Name: KeyData, Description: "Databases, secrets, volumes and container storage",
		ViaServices:       []string{"apprunner", "backup", "dynamodb", "ec2", "ecs", "lambda", "rds", "secretsmanager", "ssm", "states"},
		ServicePrincipals: []string{"fargate"},
	}
	switch cfg.Role {
	case config.RoleBunker:
		return []keyring.Purpose{backup, logs, notify}
	case config.RoleWorkload:
		// Recovery points keep the key of the resource (Aurora: the data
		// key) or of the vault; the bunker copies them through AWS Backup.
		data.CrossAccountPrincipals = []string{cfg.Accounts.Bunker}
		backup.CrossAccountPrincipals = []string{cfg.Accounts.Bunker}
		return []keyring.Purpose{backup, data, logs, notify}
	default:
		return []keyring.Purpose{backup, data, logs, notify}
	}
}

// common builds what every account gets: keys and the account baseline.
func common(ctx *pulumi.Context, cfg *config.Config) (*keyring.KeyRing, error) {
	keys, err := keyring.NewKeyRing(ctx, "keys", &keyring.Args{
		AccountID:          cfg.AccountID,
		Region:             cfg.Region,
		AliasPrefix:        fmt.Sprintf("fintech/%s", cfg.Role),
		DeletionWindowDays: cfg.KMSDeletionWindow,
		Purposes:           purposes(cfg),
	})
	if err != nil {
		return nil, err
	}
	var ebsKey pulumi.StringInput
	if k, ok := keys.Keys[KeyData]; ok {
		ebsKey = k.Arn
	}
	if _, err := baseline.NewAccountBaseline(ctx, "baseline", &baseline.Args{
		FindingPublishingFrequency: cfg.GuardDutyFrequency,
		EbsKeyArn:                  ebsKey,
		ExistingDetectorID:         cfg.Prerequisites.GuardDutyDetectorID,
	}); err != nil {
		return nil, err
	}
	ctx.Export("role", pulumi.String(string(cfg.Role)))
	ctx.Export("accountId", pulumi.String(cfg.AccountID))
	ctx.Export("keyArns", keys.Arns)
	return keys, nil
}

func network(ctx *pulumi.Context, cfg *config.Config, keys *keyring.KeyRing) (*securevpc.SecureVPC, error) {
	logsKey, err := keys.Key(KeyLogs)
	if err != nil {
		return nil, err
	}
	n := cfg.Network
	vpc, err := securevpc.NewSecureVPC(ctx, "net", &securevpc.Args{
		CidrBlock:            n.VpcCIDR,
		AvailabilityZones:    cfg.AvailabilityZones,
		SubnetPrefixLength:   n.SubnetPrefixLength,
		NatGateways:          n.NatGateways,
		PublicIngress:        n.PublicIngress,
		ListenerPort:         listenerPort(cfg.App),
		AppPort:              n.AppPort,
		DatabasePort:         n.DatabasePort,
		AccountID:            cfg.AccountID,
		Region:               cfg.Region,
		FlowLogRetentionDays: n.FlowLogRetentionDays,
		FlowLogKeyArn:        logsKey.Arn,

		ReconcileNaclAssociations: n.ReconcileNaclAssociations,
		InterfaceEndpoints:        extraEndpoints(cfg),
	})
	if err != nil {
		return nil, err
	}
	ctx.Export("vpcId", vpc.VpcID)
	ctx.Export("subnetIds", vpc.SubnetIDs)
	ctx.Export("networkAclIds", vpc.NetworkAclIDs)
	ctx.Export("routeTableIds", vpc.RouteTableIDs)
	return vpc, nil
}

// extraEndpoints are the interface endpoints beyond SecureVPC's defaults:
// the restore workflow's functions run in the isolated tier.
func extraEndpoints(cfg *config.Config) []string {
	if cfg.Role == config.RoleRestore {
		// monitoring: restoremetrics puts the recovery objectives.
		return []string{"backup", "monitoring", "rds", "rds-data"}
	}
	return nil
}

func workload(ctx *pulumi.Context, cfg *config.Config) error {
	keys, err := common(ctx, cfg)
	if err != nil {
		return err
	}
	vpc, err := network(ctx, cfg, keys)
	if err != nil {
		return err
	}
	b := cfg.Backup
	bunker := &bunkerRef{name: b.BunkerStack}
	copyVault, err := bunker.value(ctx, b.BunkerVaultArn, OutputAirGappedVaultArn)
	if err != nil {
		return err
	}
	backupKey, err := keys.Key(KeyBackup)
	if err != nil {
		return err
	}
	notifyKey, err := keys.Key(KeyNotifications)
	if err != nil {
		return err
	}
	if err := replicateImagesToRestore(ctx, cfg); err != nil {
		return err
	}
	bp, err := backupprotection.NewBackupProtection(ctx, "backup", &backupprotection.Args{
		AccountID: cfg.AccountID, Region: cfg.Region,
		VaultName: b.VaultName, KeyArn: backupKey.Arn,
		LockMode: b.LockMode, LockMinRetentionDays: b.LockMinRetentionDays,
		LockMaxRetentionDays: b.LockMaxRetentionDays, LockGraceDays: b.LockGraceDays,
		Schedule: b.Schedule, StartWindowMinutes: b.StartWindowMinutes,
		CompletionWindowMinutes: b.CompletionWindowMins,
		RetentionDays:           b.RetentionDays, ContinuousBackup: b.Continuous,
		CopyVaultArn: copyVault, CopyRetentionDays: b.CopyRetentionDays,
		SelectionTagKey: b.SelectionTagKey, SelectionTagValue: b.SelectionTagValue,
		NotificationKeyArn: notifyKey.Arn, NotificationEmails: cfg.NotificationEmails,
	})
	if err != nil {
		return err
	}
	ctx.Export("backupVaultArn", bp.VaultArn)
	ctx.Export("backupPlanArn", bp.PlanArn)
	ctx.Export("bunkerCopyVaultArn", copyVault.ToStringOutput())
	if _, err := vaultwatch.NewVaultWatch(ctx, "backup-watch", &vaultwatch.Args{
		AccountID: cfg.AccountID, TopicArn: bp.TopicArn,
		CopyVaultName:  vaultNameOf(copyVault),
		CopyAlarmHours: workloadCopyAlarmHours(b), RunbookURL: BunkerAlertsRunbook,
	}); err != nil {
		return err
	}

	dataKey, err := keys.Key(KeyData)
	if err != nil {
		return err
	}
	logsKey, err := keys.Key(KeyLogs)
	if err != nil {
		return err
	}
	d := cfg.Database
	db, err := encryptedaurora.NewEncryptedAurora(ctx, "db", &encryptedaurora.Args{
		ClusterIdentifier: "fintech-bank", Engine: d.Engine, EngineVersion: d.EngineVersion,
		MinCapacity: d.MinCapacity, MaxCapacity: d.MaxCapacity, InstanceCount: d.InstanceCount,
		AvailabilityZones: cfg.AvailabilityZones, Port: cfg.Network.DatabasePort, DatabaseName: d.Name,
		BackupRetentionDays: d.BackupRetentionDays, BackupTags: bp.SelectionTags,
		LogRetentionDays: d.LogRetentionDays, VpcID: vpc.VpcID, IsolatedSubnetIDs: vpc.IsolatedSubnetIDs,
		EndpointParameterName: DatabaseEndpointParameter, DataKeyArn: dataKey.Arn, LogsKeyArn: logsKey.Arn,
	})
	if err != nil {
		return err
	}
	app, err := application(ctx, cfg, keys, vpc, dbAccess{
		EndpointParameterArn: db.EndpointParameterArn, SecretArn: db.SecretArn,
		SecurityGroupID: db.SecurityGroupID, Port: cfg.Network.DatabasePort, Name: d.Name,
	})
	if err != nil {
		return err
	}
	for _, label := range sortedLabels(app.ClientSecurityGroups) {
		if err := db.AllowClient(ctx, label, app.ClientSecurityGroups[label]); err != nil {
			return err
		}
		if err := db.RequireClient(ctx, label, app.Clients[label]); err != nil {
			return err
		}
	}
	ctx.Export("databaseEndpoint", db.Endpoint)
	ctx.Export("databaseClusterArn", db.ClusterArn)
	return responder(ctx, cfg, keys, vpc, pulumi.StringArray{db.ClusterIdentifier})
}

// responder builds the GuardDuty isolation responder for the stack's VPC.
func responder(ctx *pulumi.Context, cfg *config.Config, keys *keyring.KeyRing, vpc *securevpc.SecureVPC, clusters pulumi.StringArrayInput) error {
	iso := cfg.Isolation
	tiers := map[string]pulumi.StringArrayInput{}
	for _, t := range []string{"public", "private", "isolated"} {
		if t == "public" && !cfg.Network.Public() {
			continue
		}
		tiers[t] = vpc.SubnetIDs.MapIndex(pulumi.String(t))
	}
	root := moduleRoot(ctx)
	r, err := isolationresponder.NewIsolationResponder(ctx, "isolation", &isolationresponder.Args{
		AccountID: cfg.AccountID, Region: cfg.Region, VpcID: vpc.VpcID, TierSubnetIDs: tiers,
		BlastRadiusTiers: iso.BlastRadiusTiers, ForensicsCIDRs: iso.ForensicsCIDRs,
		SeverityThreshold: iso.SeverityThreshold, ImmediateSeverity: iso.ImmediateSeverity,
		FindingTypePrefixes: iso.FindingTypePrefixes, ApprovalTimeoutHours: iso.ApprovalTimeoutHours,
		AuroraClusterIDs: clusters,
		DataKeyArn:       keys.Arns.MapIndex(pulumi.String(KeyData)), LogsKeyArn: keys.Arns.MapIndex(pulumi.String(KeyLogs)),
		NotificationKeyArn: keys.Arns.MapIndex(pulumi.String(KeyNotifications)),
		NotificationEmails: cfg.NotificationEmails, ModuleRoot: root, LogRetentionDays: 731,
	})
	if err != nil {
		return err
	}
	ctx.Export("quarantineNaclId", r.QuarantineNaclID)
	ctx.Export("isolationFunctionArns", r.FunctionArns)
	ctx.Export("isolationReleaseRoleArn", r.ReleaseRoleArn)
	return nil
}

// DatabaseEndpointParameter is the SSM parameter the application reads its
// database host from, in the workload and (after cut-over) restore account.
const DatabaseEndpointParameter = "/fintech/bank/db-endpoint"

func sortedLabels(m map[string]pulumi.StringOutput) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Outputs of the bunker stack that the workload and restore stacks read.
const (
	OutputAirGappedVaultArn = "airGappedVaultArn"
	OutputResourceShareArn  = "resourceShareArn"
)

// BunkerOutputs are the values the bunker stack exports under
// OutputAirGappedVaultArn and OutputResourceShareArn, read from its
// (offline) resource graph: fincheck answers stack references with them.
func BunkerOutputs(g *graph.Graph) map[string]string {
	out := map[string]string{}
	for typ, key := range map[string]string{
		"aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault": OutputAirGappedVaultArn,
		"aws:ram/resourceShare:ResourceShare":                        OutputResourceShareArn,
	} {
		for _, r := range g.OfType(typ) {
			if v, ok := r.Output("arn"); ok {
				out[key] = graph.Str(v)
			}
		}
	}
	return out
}

// bunkerRef reads outputs of the bunker stack, creating the stack reference
// only when a value is not given in configuration (configuration wins).
type bunkerRef struct {
	name string
	ref  *pulumi.StackReference
}

func (b *bunkerRef) value(ctx *pulumi.Context, configured, output string) (pulumi.StringInput, error) {
	if configured != "" {
		return pulumi.String(configured), nil
	}
	if b.name == "" {
		return nil, fmt.Errorf("no %s: set it in configuration or set fintech-resilience:bunkerStack", output)
	}
	if b.ref == nil {
		ref, err := pulumi.NewStackReference(ctx, "bunker", &pulumi.StackReferenceArgs{Name: pulumi.String(b.name)})
		if err != nil {
			return nil, fmt.Errorf("stack reference %s: %w", b.name, err)
		}
		b.ref = ref
	}
	name, dryRun := b.name, ctx.DryRun()
	return b.ref.GetOutput(pulumi.String(output)).ApplyT(func(v any) (string, error) {
		s, _ := v.(string)
		if s == "" && !dryRun {
			return "", fmt.Errorf("bunker stack %s has no output %s; deploy the bunker stack first", name, output)
		}
		return s, nil
	}).(pulumi.StringOutput), nil
}

func bunker(ctx *pulumi.Context, cfg *config.Config) error {
	keys, err := common(ctx, cfg)
	if err != nil {
		return err
	}
	notifyKey, err := keys.Key(KeyNotifications)
	if err != nil {
		return err
	}
	vault, err := airgappedvault.NewAirGappedVault(ctx, "bunker", &airgappedvault.Args{
		VaultName:           cfg.Bunker.VaultName,
		MinRetentionDays:    cfg.Bunker.MinRetentionDays,
		MaxRetentionDays:    cfg.Bunker.MaxRetentionDays,
		AccountID:           cfg.AccountID,
		SourceAccountIDs:    []string{cfg.Accounts.Workload},
		ShareWithAccountIDs: []string{cfg.Accounts.Restore},
		NotificationKeyArn:  notifyKey.Arn,
		NotificationEmails:  cfg.NotificationEmails,
	})
	if err != nil {
		return err
	}
	ctx.Export(OutputAirGappedVaultArn, vault.VaultArn)
	ctx.Export(OutputResourceShareArn, vault.ResourceShareArn)
	// The bunker watches itself: tampering and missing copies go to the
	// vault's CMK-encrypted topic.
	if _, err := vaultwatch.NewVaultWatch(ctx, "bunker-watch", &vaultwatch.Args{
		AccountID: cfg.AccountID, TopicArn: vault.TopicArn, WatchResourceShares: true,
		CopyVaultName:  pulumi.String(cfg.Bunker.VaultName),
		CopyAlarmHours: cfg.Bunker.CopyAlarmHours, RunbookURL: BunkerAlertsRunbook,
	}); err != nil {
		return err
	}
	return nil
}

// BunkerAlertsRunbook is where every tamper alert and missing-copy alarm
// points: what each alert means and what to do.
const BunkerAlertsRunbook = "docs/runbooks/bunker-alerts.md"

// vaultNameOf is the vault name in a backup vault ARN
// (arn:aws:backup:<region>:<account>:backup-vault:<name>).
func vaultNameOf(arn pulumi.StringInput) pulumi.StringOutput {
	return arn.ToStringOutput().ApplyT(func(a string) string {
		return a[strings.LastIndex(a, ":")+1:]
	}).(pulumi.StringOutput)
}

// workloadCopyAlarmHours is how long the workload may go without a
// completed copy: a daily schedule's 24 hours, plus the completion window,
// plus 4 hours for the copy itself; a schedule that is not daily gets the
// longest window CloudWatch evaluates (7 days).
func workloadCopyAlarmHours(b *config.Backup) int {
	const week = 168
	fields := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(b.Schedule, "cron("), ")"))
	daily := len(fields) == 6 && !strings.ContainsAny(fields[1], ",/-*") &&
		(fields[2] == "*" || fields[2] == "?") && (fields[4] == "*" || fields[4] == "?")
	if !daily {
		return week
	}
	return min(24+(b.CompletionWindowMins+59)/60+4, week)
}

func restore(ctx *pulumi.Context, cfg *config.Config) error {
	keys, err := common(ctx, cfg)
	if err != nil {
		return err
	}
	vpc, err := network(ctx, cfg, keys)
	if err != nil {
		return err
	}
	rc := cfg.Recovery
	bunker := &bunkerRef{name: rc.BunkerStack}
	if rc.AcceptShare {
		shareArn, err := bunker.value(ctx, rc.BunkerShareArn, OutputResourceShareArn)
		if err != nil {
			return err
		}
		if _, err := ram.NewResourceShareAccepter(ctx, "bunker-share-accepter", &ram.ResourceShareAccepterArgs{
			ShareArn: shareArn,
		}); err != nil {
			return err
		}
	}
	vaultArn, err := bunker.value(ctx, rc.BunkerVaultArn, OutputAirGappedVaultArn)
	if err != nil {
		return err
	}
	dataKey, err := keys.Key(KeyData)
	if err != nil {
		return err
	}
	rt, err := restoretesting.NewRestoreTesting(ctx, "restore-testing", &restoretesting.Args{
		AccountID:             cfg.AccountID,
		PlanName:              "fintech_bunker_restore_test",
		Schedule:              rc.TestSchedule,
		SelectionWindowDays:   rc.TestSelectionWindowDays,
		ValidationWindowHours: rc.TestValidationWindowHours,
		VaultArn:              vaultArn,
		VpcID:                 vpc.VpcID,
		IsolatedSubnetIDs:     vpc.IsolatedSubnetIDs,
		KeyArn:                dataKey.Arn,
	})
	if err != nil {
		return err
	}
	ctx.Export("bunkerVaultArn", vaultArn.ToStringOutput())
	ctx.Export("restoreTestingPlan", rt.PlanName)

	// The rebuilt application: same components and config shape as the
	// workload, but no database: the restore workflow creates it from a
	// recovery point, and only an approved cut-over points the application
	// at it (through the SSM parameter the workflow owns).
	fw, err := dbfirewall.NewDatabaseFirewall(ctx, "restored-db", &dbfirewall.Args{
		VpcID: vpc.VpcID, Port: cfg.Network.DatabasePort,
		// The restore workflow restores into the isolated subnets.
		SubnetIDs: vpc.IsolatedSubnetIDs,
	})
	if err != nil {
		return err
	}
	logsKey, err := keys.Key(KeyLogs)
	if err != nil {
		return err
	}
	notifyKey, err := keys.Key(KeyNotifications)
	if err != nil {
		return err
	}
	app, err := application(ctx, cfg, keys, vpc, dbAccess{
		EndpointParameterArn: pulumi.String(endpointParameterArn(cfg)),
		SecurityGroupID:      fw.SecurityGroupID, Port: cfg.Network.DatabasePort, Name: rc.VerifyDatabase,
	})
	if err != nil {
		return err
	}
	for _, label := range sortedLabels(app.ClientSecurityGroups) {
		if err := fw.AllowClient(ctx, label, app.ClientSecurityGroups[label]); err != nil {
			return err
		}
		if err := fw.RequireClient(ctx, label, app.Clients[label]); err != nil {
			return err
		}
	}
	endpoints := vpc.InterfaceEndpoints()
	// The TLS-enforcing parameter group of the workload cluster's posture,
	// for every cluster the restore workflow restores.
	if err := restoreRegistry(ctx, cfg); err != nil {
		return err
	}
	restoredParamsName := rc.ClusterPrefix + "-tls"
	restoredParams, err := encryptedaurora.NewTLSParameterGroup(ctx, "restored-db-params", restoredParamsName,
		rc.ClusterPrefix+"-*", rc.Engine, rc.EngineVersion, nil)
	if err != nil {
		return err
	}
	wf, err := restoreworkflow.NewRestoreWorkflow(ctx, "restore-workflow", &restoreworkflow.Args{
		AccountID: cfg.AccountID, Region: cfg.Region, VaultArn: vaultArn,
		SubnetGroupName: rt.SubnetGroupName, SecurityGroupIDs: pulumi.StringArray{fw.SecurityGroupID},
		KeyArn: dataKey.Arn, LogsKeyArn: logsKey.Arn, NotificationKeyArn: notifyKey.Arn,
		NotificationEmails: cfg.NotificationEmails, ClusterIdentifierPrefix: rc.ClusterPrefix,
		Engine: rc.Engine, EngineVersion: rc.EngineVersion, InstanceCount: rc.InstanceCount,
		MinCapacity: rc.MinCapacity, MaxCapacity: rc.MaxCapacity, PollIntervalSeconds: rc.PollIntervalSeconds,
		TimeoutSeconds: rc.TimeoutSeconds, ApprovalTimeoutSeconds: rc.ApprovalTimeoutSeconds,
		VerifyQuery: rc.VerifyQuery, VerifyDatabase: rc.VerifyDatabase,
		CutoverParameterName: DatabaseEndpointParameter,
		EcsClusterArn:        app.EcsClusterArn,
		EcsServiceName:       app.EcsServiceName,
		VpcID:                vpc.VpcID, VpcCidrBlock: cfg.Network.VpcCIDR, IsolatedSubnetIDs: vpc.IsolatedSubnetIDs,
		DatabasePort: cfg.Network.DatabasePort, LogRetentionDays: 731, ModuleRoot: moduleRoot(ctx),
		ParameterGroupName: restoredParamsName,
		InterfaceEndpoints: &endpoints,
		RPOTargetMinutes:   rc.RPOTargetMinutes, RTOTargetMinutes: rc.RTOTargetMinutes,
		DatabaseLogRetentionDays: rc.DatabaseLogRetentionDays,
	}, pulumi.DependsOn([]pulumi.Resource{restoredParams}))
	if err != nil {
		return err
	}
	ctx.Export("restoreStateMachineArn", wf.StateMachineArn)
	ctx.Export("restoreTopicArn", wf.TopicArn)
	ctx.Export("cutoverParameterName", wf.CutoverParameterName)
	return responder(ctx, cfg, keys, vpc, pulumi.StringArray{})
}

func moduleRoot(ctx *pulumi.Context) string {
	if root := ctx.RootDirectory(); root != "" {
		return root
	}
	return "."
}
