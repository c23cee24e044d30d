package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ns = "fintech-resilience:"

func TestBackupDefaults(t *testing.T) {
	c, err := Load(getter(goodWorkload()), "workload")
	require.NoError(t, err)
	require.NotNil(t, c.Backup)
	b := c.Backup
	assert.Equal(t, "governance", b.LockMode)
	assert.Equal(t, 7, b.LockMinRetentionDays)
	assert.Equal(t, 400, b.LockMaxRetentionDays)
	assert.Equal(t, "cron(0 18 * * ? *)", b.Schedule)
	assert.Equal(t, 35, b.RetentionDays)
	assert.True(t, b.Continuous)
	assert.Equal(t, 90, b.CopyRetentionDays)
	assert.Equal(t, "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker", b.BunkerVaultArn)
	assert.Equal(t, "backup-policy", b.SelectionTagKey)
}

func TestBackupConfigProblems(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		del  []string
		want string
	}{
		{"no bunker vault at all", nil, []string{ns + "bunkerVaultArn"},
			"fintech-resilience:bunkerVaultArn: is required: the bunker's air-gapped vault ARN, or fintech-resilience:bunkerStack"},
		{"vault in the workload account", map[string]string{ns + "bunkerVaultArn": "arn:aws:backup:ap-northeast-1:111111111111:backup-vault:xy"}, nil,
			"is in account 111111111111, not the bunker account 222222222222"},
		{"not a vault ARN", map[string]string{ns + "bunkerVaultArn": "fintech-bunker"}, nil,
			`fintech-resilience:bunkerVaultArn: "fintech-bunker" is not a backup vault ARN`},
		{"vault of another partition (ADR 0020)", map[string]string{ns + "bunkerVaultArn": "arn:aws-us-gov:backup:us-gov-west-1:222222222222:backup-vault:fintech-bunker"}, nil,
			`fintech-resilience:bunkerVaultArn: "arn:aws-us-gov:backup:us-gov-west-1:222222222222:backup-vault:fintech-bunker" is not a backup vault ARN (arn:aws:backup:`},
		{"bad stack reference", map[string]string{ns + "bunkerStack": "bunker"}, []string{ns + "bunkerVaultArn"},
			`fintech-resilience:bunkerStack: "bunker" is not a fully qualified stack name`},
		{"unknown lock mode", map[string]string{ns + "backupVaultLockMode": "strict"}, nil,
			`fintech-resilience:backupVaultLockMode: "strict" is not one of governance, compliance`},
		{"grace period too short", map[string]string{ns + "backupVaultLockGraceDays": "1"}, nil,
			`fintech-resilience:backupVaultLockGraceDays: "1" is out of range (expected 3 to 36500)`},
		{"lock max below min", map[string]string{ns + "backupVaultLockMinRetentionDays": "30", ns + "backupVaultLockMaxRetentionDays": "20"}, nil,
			"is below fintech-resilience:backupVaultLockMinRetentionDays (30)"},
		{"retention outside the lock", map[string]string{ns + "backupRetentionDays": "3"}, nil,
			`fintech-resilience:backupRetentionDays: "3" is outside the vault lock's retention (7 to 400 days)`},
		{"continuous beyond 35 days", map[string]string{ns + "backupRetentionDays": "60"}, nil,
			"exceeds 35 days, the limit for continuous backups"},
		{"bad cron", map[string]string{ns + "backupSchedule": "daily"}, nil,
			`fintech-resilience:backupSchedule: "daily" is not an AWS cron expression`},
		{"completion window too short", map[string]string{ns + "backupCompletionWindowMinutes": "120", ns + "backupStartWindowMinutes": "90"}, nil,
			"must be at least backupStartWindowMinutes + 60"},
		{"copy retention below 7", map[string]string{ns + "backupCopyRetentionDays": "3"}, nil,
			`fintech-resilience:backupCopyRetentionDays: "3" is out of range (expected 7 to 36500)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(getter(with(goodWorkload(), c.set, c.del...)), "workload")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestBunkerStackReferenceInsteadOfArn(t *testing.T) {
	c, err := Load(getter(with(goodWorkload(), map[string]string{ns + "bunkerStack": "acme/fintech-resilience/bunker"}, ns+"bunkerVaultArn")), "workload")
	require.NoError(t, err)
	assert.Equal(t, "", c.Backup.BunkerVaultArn)
	assert.Equal(t, "acme/fintech-resilience/bunker", c.Backup.BunkerStack)
}

const restoreImage = "333333333333.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"

func goodRestore() map[string]string {
	return with(goodWorkload(), map[string]string{
		ns + "role":                       "restore",
		"aws:allowedAccountIds":           `["333333333333"]`,
		"aws:assumeRole":                  `{"roleArn":"arn:aws:iam::333333333333:role/fintech-deployer"}`,
		ns + "bunkerStack":                "acme/fintech-resilience/bunker",
		ns + "ramSharingWithOrganization": "false",
		ns + "restoreEngineVersion":       "16.6",
		ns + "apiImage":                   restoreImage,
	}, ns+"bunkerVaultArn")
}

func TestRecoveryConfig(t *testing.T) {
	c, err := Load(getter(goodRestore()), "restore")
	require.NoError(t, err)
	require.NotNil(t, c.Recovery)
	assert.True(t, c.Recovery.AcceptShare, "RAM sharing with Organizations off: accept the invitation")
	assert.False(t, c.Recovery.RAMSharingWithOrganization)
	assert.Equal(t, "acme/fintech-resilience/bunker", c.Recovery.BunkerStack)
	assert.Equal(t, "cron(0 3 ? * SUN *)", c.Recovery.TestSchedule)
	assert.Equal(t, 7, c.Recovery.TestSelectionWindowDays)
	assert.Equal(t, 4, c.Recovery.TestValidationWindowHours)

	assert.Equal(t, "16.6", c.Recovery.EngineVersion)

	// The engine version is required (the TLS parameter group is made for
	// it) and must fit the engine.
	_, err = Load(getter(with(goodRestore(), nil, ns+"restoreEngineVersion")), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fintech-resilience:restoreEngineVersion: is required")
	_, err = Load(getter(with(goodRestore(), map[string]string{ns + "restoreEngineVersion": "8.0.mysql_aurora.3.08.0"})), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not an aurora-postgresql version")

	assert.Equal(t, "bank-api", c.Recovery.ImageRepository)

	// The image is pinned by digest in the restore account's own registry:
	// a tag, or the workload account's registry, is refused, naming the key.
	for _, img := range []string{
		"333333333333.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:1.4.2",
		"111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
	} {
		_, err = Load(getter(with(goodRestore(), map[string]string{ns + "apiImage": img})), "restore")
		require.Error(t, err, img)
		assert.Contains(t, err.Error(), "fintech-resilience:apiImage")
		assert.Contains(t, err.Error(), "pinned by digest in the restore account's own registry")
	}

	// The restore budget must allow a status poll.
	_, err = Load(getter(with(goodRestore(), map[string]string{ns + "restorePollIntervalSeconds": "600", ns + "restoreTimeoutSeconds": "900"})), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fintech-resilience:restorePollIntervalSeconds")

	// Recovery objectives: defaults, and bad values name the key and the range.
	assert.Equal(t, 1800, c.Recovery.RPOTargetMinutes)
	assert.Equal(t, 480, c.Recovery.RTOTargetMinutes)
	assert.Equal(t, DefaultDatabaseLogRetentionDays, c.Recovery.DatabaseLogRetentionDays)
	for key, bad := range map[string]string{"restoreRpoTargetMinutes": "5", "restoreRtoTargetMinutes": "20000"} {
		_, err = Load(getter(with(goodRestore(), map[string]string{ns + key: bad})), "restore")
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "fintech-resilience:"+key)
		assert.Contains(t, err.Error(), "15")
	}
	_, err = Load(getter(with(goodRestore(), map[string]string{ns + "databaseLogRetentionDays": "700"})), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fintech-resilience:databaseLogRetentionDays")

	// Accepting a share needs its ARN or the bunker stack.
	_, err = Load(getter(with(goodRestore(), map[string]string{ns + "bunkerVaultArn": "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:b"}, ns+"bunkerStack")), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fintech-resilience:bunkerShareArn: is required")

	// A share ARN from another account is refused.
	_, err = Load(getter(with(goodRestore(), map[string]string{ns + "bunkerShareArn": "arn:aws:ram:ap-northeast-1:111111111111:resource-share/abc"})), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is in account 111111111111, not the bunker account 222222222222")
}
