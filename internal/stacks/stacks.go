// Package stacks composes the components of each role. It holds no
// resource details: those belong to the components.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/airgappedvault"
	"github.com/fintech-resilience/fintech-resilience/components/baseline"
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
		ViaServices:       []string{"sns", "sqs"},
		ServicePrincipals: []string{"backup", "cloudwatch", "events"},
	}
	backup := keyring.Purpose{Name: KeyBackup, Description: "AWS Backup vaults", ViaServices: []string{"backup"}}
	data := keyring.Purpose{
		Name: KeyData, Description: "Databases, secrets, volumes and container storage",
		ViaServices: []string{"ec2", "ecs", "rds", "secretsmanager", "ssm"},
	}
	switch cfg.Role {
	case config.RoleBunker:
		return []keyring.Purpose{backup, logs, notify}
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
		ListenerPort:         443,
		AppPort:              n.AppPort,
		DatabasePort:         n.DatabasePort,
		AccountID:            cfg.AccountID,
		Region:               cfg.Region,
		FlowLogRetentionDays: n.FlowLogRetentionDays,
		FlowLogKeyArn:        logsKey.Arn,
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

func workload(ctx *pulumi.Context, cfg *config.Config) error {
	keys, err := common(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = network(ctx, cfg, keys)
	return err
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
	ctx.Export("airGappedVaultArn", vault.VaultArn)
	ctx.Export("resourceShareArn", vault.ResourceShareArn)
	return nil
}

func restore(ctx *pulumi.Context, cfg *config.Config) error {
	keys, err := common(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = network(ctx, cfg, keys)
	return err
}
