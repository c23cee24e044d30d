package rules

import "testing"

func TestResilienceRules(t *testing.T) { runCases(t, resilienceCases) }

const (
	ledgerArn      = "arn:aws:rds:ap-northeast-1:111111111111:cluster:ledger"
	bunkerVaultArn = "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:bunker-airgapped"
	localVaultArn  = "arn:aws:backup:ap-northeast-1:111111111111:backup-vault:workload"
)

var ledgerURN = U(typeRDSCluster, "ledger")

// ledger is the Aurora cluster to back up, tagged backup=bunker.
func ledger() node {
	return R(typeRDSCluster, "ledger", M{"tags": M{"backup": "bunker"}}).ID("ledger").ARN(ledgerArn)
}

// plan copies to dest (a vault ARN, or unk).
func plan(dest any) node {
	return R(typeBackupPlan, "plan", M{"rules": L{M{"ruleName": "daily", "targetVaultName": "workload",
		"copyActions": L{M{"destinationVaultArn": dest, "lifecycle": M{"deleteAfter": 35.0}}}}}}).ID("plan-0001")
}

// selection selects by inputs, with its plan by dependency.
func selection(in M) node {
	in["planId"] = unk
	in["iamRoleArn"] = "arn:aws:iam::111111111111:role/backup"
	return R(typeBackupSelection, "sel", in).Dep("planId", U(typeBackupPlan, "plan"))
}

var resilienceCases = []ruleCase{
	// guardduty-enabled
	{rule: "guardduty-enabled", kind: pass, name: "enabled detector",
		res: []node{R(typeDetector, "gd", M{"enable": true})}},
	{rule: "guardduty-enabled", kind: pass, name: "enable not set (AWS default on)",
		res: []node{R(typeDetector, "gd", M{"findingPublishingFrequency": "FIFTEEN_MINUTES"})}},
	{rule: "guardduty-enabled", kind: pass, name: "one of two detectors enabled",
		res: []node{R(typeDetector, "a", M{"enable": false}), R(typeDetector, "b", M{"enable": true})}},
	{rule: "guardduty-enabled", kind: fail, name: "no detector",
		res:  []node{R(typeVpc, "main", nil)},
		want: []want{{"", "the stack has no enabled GuardDuty detector"}}},
	{rule: "guardduty-enabled", kind: fail, name: "detector disabled",
		res:  []node{R(typeDetector, "gd", M{"enable": false})},
		want: []want{{"", "no enabled GuardDuty detector"}}},
	{rule: "guardduty-enabled", kind: unknown, name: "enable computed",
		res: []node{R(typeDetector, "gd", M{"enable": unk})}},

	// aurora-backup-copied-to-bunker
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "selected by dependency, copied to the bunker",
		res: []node{ledger(), plan(bunkerVaultArn), selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)}},
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "selected by tag",
		res: []node{ledger(), plan(bunkerVaultArn), selection(M{"selectionTags": L{M{"type": "STRINGEQUALS", "key": "backup", "value": "bunker"}}})}},
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "selected by condition on the tag",
		res: []node{ledger(), plan(bunkerVaultArn), selection(M{"condition": L{M{"stringEquals": L{M{"key": "aws:ResourceTag/backup", "value": "bunker"}}}}})}},
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "selected by wildcard",
		res: []node{ledger(), plan(bunkerVaultArn), selection(M{"resources": L{"arn:aws:rds:*:*:cluster:*"}})}},
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "cluster ARN and plan id (exported state)",
		res: []node{ledger(), plan(bunkerVaultArn),
			R(typeBackupSelection, "sel", M{"planId": "plan-0001", "resources": L{ledgerArn}, "iamRoleArn": "arn:aws:iam::111111111111:role/backup"})}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "no selection",
		res:  []node{ledger(), plan(bunkerVaultArn)},
		want: []want{{ledgerURN, "no backup selection covers this cluster (by ARN or by tag)"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "tag does not match",
		res:  []node{ledger(), plan(bunkerVaultArn), selection(M{"selectionTags": L{M{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}}})},
		want: []want{{ledgerURN, "no backup selection covers this cluster"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "copy to the same account (exported state)",
		res: []node{ledger(), plan("arn:aws:backup:ap-northeast-3:111111111111:backup-vault:dr"),
			R(typeBackupSelection, "sel", M{"planId": "plan-0001", "resources": L{ledgerArn}})},
		want: []want{{ledgerURN, "the backup plan covering this cluster has no copy action to a vault in another account"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "copy to a vault of this stack",
		res: []node{ledger(), plan(localVaultArn), R(typeVault, "workload", nil).ARN(localVaultArn),
			selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)},
		want: []want{{ledgerURN, "no copy action to a vault in another account"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: pass, name: "bunker vault declared in this program through a second provider",
		res: []node{ledger(), plan(bunkerVaultArn), R(typeLAGVault, "bunker", nil).ARN(bunkerVaultArn),
			selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "cluster account unknown: the plan's own vault gives it",
		res: []node{R(typeRDSCluster, "ledger", M{"tags": M{"backup": "bunker"}}), R(typeVault, "workload", nil).ARN(localVaultArn),
			R(typeBackupPlan, "plan", M{"rules": L{M{"ruleName": "daily", "targetVaultName": unk,
				"copyActions": L{M{"destinationVaultArn": "arn:aws:backup:ap-northeast-3:111111111111:backup-vault:dr"}}}}}).Dep("rules", U(typeVault, "workload")),
			selection(M{"selectionTags": L{M{"type": "STRINGEQUALS", "key": "backup", "value": "bunker"}}})},
		want: []want{{ledgerURN, "no copy action to a vault in another account"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: fail, name: "plan without copy action",
		res: []node{ledger(), R(typeBackupPlan, "plan", M{"rules": L{M{"ruleName": "daily", "targetVaultName": "workload"}}}),
			selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)},
		want: []want{{ledgerURN, "no copy action"}}},
	{rule: "aurora-backup-copied-to-bunker", kind: unknown, name: "plan rules computed",
		res: []node{ledger(), R(typeBackupPlan, "plan", M{"rules": unk}), selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)}},
	{rule: "aurora-backup-copied-to-bunker", kind: unknown, name: "copy destination computed",
		res: []node{ledger(), plan(unk), selection(M{"resources": L{unk}}).Dep("resources", ledgerURN)}},

	// air-gapped-vault-retention
	{rule: "air-gapped-vault-retention", kind: pass, name: "7 to 35 days",
		res: []node{R(typeLAGVault, "ag", M{"minRetentionDays": 7.0, "maxRetentionDays": 35.0})}},
	{rule: "air-gapped-vault-retention", kind: fail, name: "minimum 3 days",
		res:  []node{R(typeLAGVault, "ag", M{"minRetentionDays": 3.0, "maxRetentionDays": 35.0})},
		want: []want{{U(typeLAGVault, "ag"), "minimum retention 3 is below 7 days"}}},
	{rule: "air-gapped-vault-retention", kind: fail, name: "maximum below minimum",
		res:  []node{R(typeLAGVault, "ag", M{"minRetentionDays": 14.0, "maxRetentionDays": 10.0})},
		want: []want{{U(typeLAGVault, "ag"), "maximum retention 10 is below the minimum 14"}}},
	{rule: "air-gapped-vault-retention", kind: unknown, name: "minimum computed",
		res: []node{R(typeLAGVault, "ag", M{"minRetentionDays": unk, "maxRetentionDays": 35.0})}},
	{rule: "air-gapped-vault-retention", kind: unknown, name: "maximum computed",
		res: []node{R(typeLAGVault, "ag", M{"minRetentionDays": 7.0, "maxRetentionDays": unk})}},

	// backup-vault-locked
	{rule: "backup-vault-locked", kind: pass, name: "lock by dependency",
		res: []node{R(typeVault, "v", nil), R(typeVaultLock, "v-lock", M{"backupVaultName": unk, "minRetentionDays": 7.0}).Dep("backupVaultName", U(typeVault, "v"))}},
	{rule: "backup-vault-locked", kind: pass, name: "lock by vault name",
		res: []node{R(typeVault, "v", M{"name": "workload"}), R(typeVaultLock, "v-lock", M{"backupVaultName": "workload"})}},
	{rule: "backup-vault-locked", kind: pass, name: "lock by vault id (exported state)",
		res: []node{R(typeVault, "v", nil).ID("workload-3f2a"), R(typeVaultLock, "v-lock", M{"backupVaultName": "workload-3f2a"})}},
	{rule: "backup-vault-locked", kind: fail, name: "no lock",
		res:  []node{R(typeVault, "v", M{"name": "workload"})},
		want: []want{{U(typeVault, "v"), "backup vault has no vault lock configuration"}}},
	{rule: "backup-vault-locked", kind: fail, name: "lock of another vault",
		res: []node{
			R(typeVault, "a", M{"name": "a"}).ID("a"), R(typeVault, "b", M{"name": "b"}).ID("b"),
			R(typeVaultLock, "a-lock", M{"backupVaultName": "a"}),
		},
		want: []want{{U(typeVault, "b"), "backup vault has no vault lock configuration"}}},
	{rule: "backup-vault-locked", kind: unknown, name: "lock vault name computed",
		res: []node{R(typeVault, "v", M{"name": unk}), R(typeVaultLock, "v-lock", M{"backupVaultName": unk}).Dep("backupVaultName", U(typeVault, "v"))}},

	// ram-no-external-principals
	{rule: "ram-no-external-principals", kind: pass, name: "internal only",
		res: []node{R(typeResourceShare, "share", M{"allowExternalPrincipals": false})}},
	{rule: "ram-no-external-principals", kind: pass, name: "not set (provider default false)",
		res: []node{R(typeResourceShare, "share", nil)}},
	{rule: "ram-no-external-principals", kind: fail, name: "external principals allowed",
		res:  []node{R(typeResourceShare, "share", M{"allowExternalPrincipals": true})},
		want: []want{{U(typeResourceShare, "share"), "resource share allows external principals"}}},
	{rule: "ram-no-external-principals", kind: unknown, name: "computed",
		res: []node{R(typeResourceShare, "share", M{"allowExternalPrincipals": unk})}},
}
