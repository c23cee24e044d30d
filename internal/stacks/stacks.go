// Package stacks composes the components of each role. It holds no
// resource details: those belong to the components.
//
// One file per role: bunker.go (the air-gapped vault, and the outputs the
// other stacks read from it), workload.go (backups copied to the bunker,
// the database and the application) and restore.go (the clean room that
// restores from the bunker). This file holds Run and the wiring every role
// shares (keys, baseline, network, isolation responder); app.go the
// application of the workload and restore accounts, images.go the restore
// account's image registry.
package stacks

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/baseline"
	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/components/keyring"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
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

// commonWithNetwork builds common and the account's VPC (workload and
// restore).
func commonWithNetwork(ctx *pulumi.Context, cfg *config.Config) (*keyring.KeyRing, *securevpc.SecureVPC, error) {
	keys, err := common(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	vpc, err := network(ctx, cfg, keys)
	if err != nil {
		return nil, nil, err
	}
	return keys, vpc, nil
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

func moduleRoot(ctx *pulumi.Context) string {
	if root := ctx.RootDirectory(); root != "" {
		return root
	}
	return "."
}
