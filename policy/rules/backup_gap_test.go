package rules

import "testing"

func TestBackupGapRules(t *testing.T) { runCases(t, backupGapCases) }

// lockedPlan targets vault "workload" locked to 7..400 days and keeps days.
func lockedPlan(days any, vault any) []node {
	return []node{
		R(typeVaultLock, "lock", M{"backupVaultName": "workload", "minRetentionDays": 7.0, "maxRetentionDays": 400.0}),
		R(typeBackupPlan, "p", M{"rules": L{M{"ruleName": "daily", "targetVaultName": vault, "lifecycle": M{"deleteAfter": days}}}}),
	}
}

var backupGapCases = []ruleCase{
	{rule: "backup-vault-notification-events", kind: pass, name: "supported events",
		res: []node{R(typeVaultNotifications, "n", M{"backupVaultEvents": L{"COPY_JOB_FAILED", "BACKUP_JOB_COMPLETED"}})}},
	{rule: "backup-vault-notification-events", kind: fail, name: "deprecated BACKUP_JOB_FAILED",
		res:  []node{R(typeVaultNotifications, "n", M{"backupVaultEvents": L{"COPY_JOB_FAILED", "BACKUP_JOB_FAILED"}})},
		want: []want{{U(typeVaultNotifications, "n"), `"BACKUP_JOB_FAILED" is not emitted`}}},
	{rule: "backup-vault-notification-events", kind: unknown, name: "events computed",
		res: []node{R(typeVaultNotifications, "n", M{"backupVaultEvents": unk})}},
	{rule: "backup-vault-notification-events", kind: unknown, name: "one event computed",
		res: []node{R(typeVaultNotifications, "n", M{"backupVaultEvents": L{unk, "COPY_JOB_FAILED"}})}},

	{rule: "backup-retention-within-lock", kind: pass, name: "35 days in 7..400",
		res: lockedPlan(35.0, "workload")},
	{rule: "backup-retention-within-lock", kind: fail, name: "3 days below the lock minimum",
		res:  lockedPlan(3.0, "workload"),
		want: []want{{U(typeBackupPlan, "p"), "below the vault lock minimum 7"}},
	},
	{rule: "backup-retention-within-lock", kind: fail, name: "500 days above the lock maximum",
		res:  lockedPlan(500.0, "workload"),
		want: []want{{U(typeBackupPlan, "p"), "above the vault lock maximum 400"}},
	},
	{rule: "backup-retention-within-lock", kind: pass, name: "vault without a lock here",
		res: lockedPlan(3.0, "other")},
	{rule: "backup-retention-within-lock", kind: unknown, name: "target vault computed",
		res: lockedPlan(3.0, unk)},
}
