package stacks

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/backupprotection"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/vaultwatch"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

func workload(ctx *pulumi.Context, cfg *config.Config) error {
	keys, vpc, err := commonWithNetwork(ctx, cfg)
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
	if err := app.admitClients(ctx, db); err != nil {
		return err
	}
	ctx.Export("databaseEndpoint", db.Endpoint)
	ctx.Export("databaseClusterArn", db.ClusterArn)
	return responder(ctx, cfg, keys, vpc, pulumi.StringArray{db.ClusterIdentifier})
}

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
