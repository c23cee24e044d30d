package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/airgappedvault"
	"github.com/fintech-resilience/fintech-resilience/components/vaultwatch"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

// Outputs of the bunker stack that the workload and restore stacks read.
const (
	OutputAirGappedVaultArn = "airGappedVaultArn"
	OutputResourceShareArn  = "resourceShareArn"
)

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
