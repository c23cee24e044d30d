package config

import (
	"fmt"
	"regexp"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// Backup is the workload account's backup configuration.
type Backup struct {
	VaultName string
	// LockMode is governance or compliance. Compliance cannot be undone once
	// LockGraceDays have passed.
	LockMode             string
	LockMinRetentionDays int
	LockMaxRetentionDays int
	LockGraceDays        int
	Schedule             string
	StartWindowMinutes   int
	CompletionWindowMins int
	RetentionDays        int
	Continuous           bool
	CopyRetentionDays    int
	SelectionTagKey      string
	SelectionTagValue    string
	// BunkerVaultArn (wins) or BunkerStack (a stack reference
	// "org/project/stack" whose output airGappedVaultArn is used).
	BunkerVaultArn string
	BunkerStack    string
}

// Recovery is the restore account's access to the bunker and its restore
// testing.
type Recovery struct {
	// BunkerVaultArn is the shared air-gapped vault (or from BunkerStack).
	BunkerVaultArn string
	// BunkerShareArn is the RAM share to accept (or from BunkerStack).
	BunkerShareArn string
	BunkerStack    string
	// RAMSharingWithOrganization says whether RAM sharing with AWS
	// Organizations is enabled in the organization's management account.
	// The bunker's share admits only accounts of its organization; with
	// sharing enabled they get it without an invitation, without it they
	// get an invitation that must be accepted (docs/decisions/0015).
	RAMSharingWithOrganization bool
	// AcceptShare creates the RAM share accepter: exactly when RAM sharing
	// with AWS Organizations is off (an invitation exists to accept).
	AcceptShare               bool
	TestSchedule              string
	TestSelectionWindowDays   int
	TestValidationWindowHours int
	// The restore workflow.
	ClusterPrefix          string
	Engine                 string
	EngineVersion          string
	InstanceCount          int
	MinCapacity            float64
	MaxCapacity            float64
	PollIntervalSeconds    int
	TimeoutSeconds         int
	ApprovalTimeoutSeconds int
	VerifyQuery            string
	VerifyDatabase         string
	// RPOTargetMinutes and RTOTargetMinutes are the recovery objectives the
	// restore workflow's and restore tests' measured RPO/RTO are alarmed
	// against.
	RPOTargetMinutes int
	RTOTargetMinutes int
	// DatabaseLogRetentionDays is the restored cluster's log retention: the
	// same key and value as the workload's (Database.LogRetentionDays).
	DatabaseLogRetentionDays int
	// ImageRepository is the repository of the API/batch image in the
	// restore account's own registry (from apiImage, pinned by digest).
	ImageRepository string
}

// Recovery objective defaults (minutes): a daily backup copied to the
// bunker is at most about a day and its copy window old (RPO 30 h); a
// restore verified and cut over within a working day (RTO 8 h).
const (
	DefaultRestoreRPOTargetMinutes = 30 * 60
	DefaultRestoreRTOTargetMinutes = 8 * 60
	MaxRecoveryTargetMinutes       = 7 * 24 * 60
)

// DefaultDatabaseLogRetentionDays is the database log retention of the
// workload and, with the same key, of the restored cluster.
const DefaultDatabaseLogRetentionDays = 731

var (
	cronRE        = regexp.MustCompile(`^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$`)
	vaultArnRE    = regexp.MustCompile(`^arn:aws:backup:([a-z0-9-]+):([0-9]{12}):backup-vault:[A-Za-z0-9_-]{2,50}$`)
	shareArnRE    = regexp.MustCompile(`^arn:aws:ram:([a-z0-9-]+):([0-9]{12}):resource-share/[A-Za-z0-9-]+$`)
	stackRefRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	tagKeyPartRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,43}$`)
	tagPartRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,50}$`)
	maxContinuous = 35
)

// has reports whether a problem is already recorded for key, so that one
// mistake is not reported again through the values that depend on it.
func (r *reader) has(key string) bool {
	for _, p := range r.problems {
		if p.Key == fullKey(key) {
			return true
		}
	}
	return false
}

func (r *reader) cron(key, def string) string {
	v := r.optStr(key, def)
	if !cronRE.MatchString(v) {
		r.fail(key, v, "is not an AWS cron expression with six fields, e.g. cron(0 18 * * ? *)")
	}
	return v
}

func (r *reader) stackRef(key string) string {
	v := r.optStr(key, "")
	if v != "" && !stackRefRE.MatchString(v) {
		r.fail(key, v, "is not a fully qualified stack name (expected org/project/stack)")
		return ""
	}
	return v
}

// bunkerVault reads the bunker vault ARN and checks it is in the bunker
// account.
func (r *reader) bunkerVault(bunkerAccount string) string {
	v := r.optStr("bunkerVaultArn", "")
	if v == "" {
		return ""
	}
	m := vaultArnRE.FindStringSubmatch(v)
	switch {
	case m == nil:
		r.fail("bunkerVaultArn", v, "is not a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)")
		return ""
	case bunkerAccount != "" && m[2] != bunkerAccount && !r.has("bunkerAccountId"):
		r.fail("bunkerVaultArn", v, fmt.Sprintf("is in account %s, not the bunker account %s", m[2], bunkerAccount))
		return ""
	}
	return v
}

func (r *reader) backup(c *Config) *Backup {
	b := &Backup{}
	b.VaultName = r.optStr("backupVaultName", "fintech-workload")
	if !vaultNameRE.MatchString(b.VaultName) {
		r.fail("backupVaultName", b.VaultName, "is not a vault name (2-50 letters, digits, '-' or '_')")
	}
	b.LockMode = r.oneOf("backupVaultLockMode", "governance", "governance", "compliance")
	b.LockMinRetentionDays = r.intIn("backupVaultLockMinRetentionDays", 7, 1, maxRetentionDays)
	b.LockMaxRetentionDays = r.intIn("backupVaultLockMaxRetentionDays", 400, 1, maxRetentionDays)
	if b.LockMaxRetentionDays < b.LockMinRetentionDays {
		r.fail("backupVaultLockMaxRetentionDays", fmt.Sprint(b.LockMaxRetentionDays),
			fmt.Sprintf("is below fintech-resilience:backupVaultLockMinRetentionDays (%d)", b.LockMinRetentionDays))
	}
	b.LockGraceDays = r.intIn("backupVaultLockGraceDays", 3, 3, 36500)
	b.Schedule = r.cron("backupSchedule", "cron(0 18 * * ? *)")
	b.StartWindowMinutes = r.intIn("backupStartWindowMinutes", 60, 60, 1440)
	b.CompletionWindowMins = r.intIn("backupCompletionWindowMinutes", 480, 120, 10080)
	if b.CompletionWindowMins < b.StartWindowMinutes+60 {
		r.fail("backupCompletionWindowMinutes", fmt.Sprint(b.CompletionWindowMins), "must be at least backupStartWindowMinutes + 60")
	}
	b.Continuous = r.optBool("backupContinuous", true)
	b.RetentionDays = r.intIn("backupRetentionDays", 35, 1, maxRetentionDays)
	if b.RetentionDays < b.LockMinRetentionDays || b.RetentionDays > b.LockMaxRetentionDays {
		r.fail("backupRetentionDays", fmt.Sprint(b.RetentionDays),
			fmt.Sprintf("is outside the vault lock's retention (%d to %d days)", b.LockMinRetentionDays, b.LockMaxRetentionDays))
	}
	if b.Continuous && b.RetentionDays > maxContinuous {
		r.fail("backupRetentionDays", fmt.Sprint(b.RetentionDays), "exceeds 35 days, the limit for continuous backups (set backupContinuous: false for longer)")
	}
	b.CopyRetentionDays = r.intIn("backupCopyRetentionDays", 90, 7, maxRetentionDays)
	b.SelectionTagKey = r.optStr("backupSelectionTagKey", "backup-policy")
	b.SelectionTagValue = r.optStr("backupSelectionTagValue", "fintech-daily")
	if !tagKeyPartRE.MatchString(b.SelectionTagKey) {
		r.fail("backupSelectionTagKey", b.SelectionTagKey, "must be 1-43 letters, digits, '.', '_' or '-' (it names the backup selection)")
	}
	if !tagPartRE.MatchString(b.SelectionTagValue) {
		r.fail("backupSelectionTagValue", b.SelectionTagValue, "must be 1-50 letters, digits, '.', '_' or '-' (it names the backup plan)")
	}
	b.BunkerVaultArn = r.bunkerVault(c.Accounts.Bunker)
	b.BunkerStack = r.stackRef("bunkerStack")
	r.checkStackReference("bunkerStack", b.BunkerStack, c.Prerequisites.StateBackend)
	if b.BunkerVaultArn == "" && b.BunkerStack == "" {
		if _, given := r.raw("bunkerVaultArn"); !given {
			r.missing("bunkerVaultArn", "the bunker's air-gapped vault ARN, or fintech-resilience:bunkerStack (org/project/stack) to read it from the bunker stack")
		}
	}
	return b
}

func (r *reader) recovery(c *Config) *Recovery {
	rc := &Recovery{}
	rc.BunkerVaultArn = r.bunkerVault(c.Accounts.Bunker)
	rc.BunkerStack = r.stackRef("bunkerStack")
	rc.BunkerShareArn = r.optStr("bunkerShareArn", "")
	if rc.BunkerShareArn != "" {
		m := shareArnRE.FindStringSubmatch(rc.BunkerShareArn)
		if m == nil {
			r.fail("bunkerShareArn", rc.BunkerShareArn, "is not a RAM resource share ARN")
			rc.BunkerShareArn = ""
		} else if c.Accounts.Bunker != "" && m[2] != c.Accounts.Bunker {
			r.fail("bunkerShareArn", rc.BunkerShareArn, fmt.Sprintf("is in account %s, not the bunker account %s", m[2], c.Accounts.Bunker))
		}
	}
	r.checkStackReference("bunkerStack", rc.BunkerStack, c.Prerequisites.StateBackend)
	rc.RAMSharingWithOrganization = r.optBool("ramSharingWithOrganization", true)
	rc.AcceptShare = !rc.RAMSharingWithOrganization
	if raw, given := r.raw("acceptBunkerShare"); given {
		switch accept := r.optBool("acceptBunkerShare", rc.AcceptShare); {
		case r.has("acceptBunkerShare"):
		case accept && rc.RAMSharingWithOrganization:
			r.fail("acceptBunkerShare", raw, "must not be true while fintech-resilience:ramSharingWithOrganization is true: with RAM sharing enabled for AWS Organizations no invitation is created and the accepter fails; remove acceptBunkerShare")
		case !accept && !rc.RAMSharingWithOrganization:
			r.fail("acceptBunkerShare", raw, "must not be false while fintech-resilience:ramSharingWithOrganization is false: the share arrives as an invitation that must be accepted; remove acceptBunkerShare")
		}
	}
	if rc.BunkerVaultArn == "" && rc.BunkerStack == "" {
		if _, given := r.raw("bunkerVaultArn"); !given {
			r.missing("bunkerVaultArn", "the bunker's air-gapped vault ARN, or fintech-resilience:bunkerStack (org/project/stack)")
		}
	}
	if rc.AcceptShare && rc.BunkerShareArn == "" && rc.BunkerStack == "" {
		r.missing("bunkerShareArn", "the bunker's RAM share ARN to accept, or fintech-resilience:bunkerStack")
	}
	rc.TestSchedule = r.cron("restoreTestSchedule", "cron(0 3 ? * SUN *)")
	rc.TestSelectionWindowDays = r.intIn("restoreTestSelectionWindowDays", 7, 1, 365)
	rc.TestValidationWindowHours = r.intIn("restoreTestValidationWindowHours", 4, 1, 168)

	rc.ClusterPrefix = r.optStr("restoreClusterPrefix", "restored-bank")
	if !clusterPrefixRE.MatchString(rc.ClusterPrefix) || len(rc.ClusterPrefix) > 24 {
		r.fail("restoreClusterPrefix", rc.ClusterPrefix, "must be 1-24 lower-case letters, digits or single hyphens, starting with a letter")
	}
	rc.Engine = r.oneOf("restoreEngine", "aurora-postgresql", "aurora-postgresql", "aurora-mysql")
	// The restored cluster gets the workload's TLS parameter group, made
	// for one engine version family: the version is the workload's.
	rc.EngineVersion = r.str("restoreEngineVersion", "the workload database's engine version (its databaseEngineVersion), e.g. 16.6: the restored cluster's TLS parameter group is made for it")
	switch {
	case rc.EngineVersion == "":
	case rc.Engine == "aurora-postgresql" && !pgVersionRE.MatchString(rc.EngineVersion):
		r.fail("restoreEngineVersion", rc.EngineVersion, "is not an aurora-postgresql version 13 or later (e.g. 16.6)")
	case rc.Engine == "aurora-mysql" && !myVersionRE.MatchString(rc.EngineVersion):
		r.fail("restoreEngineVersion", rc.EngineVersion, "is not a MySQL 8.0-compatible Aurora MySQL 3 version (e.g. 8.0.mysql_aurora.3.08.0)")
	}
	rc.InstanceCount = r.intIn("restoreInstanceCount", 2, 1, 9)
	rc.MinCapacity = r.floatIn("restoreMinCapacity", 0.5, 0.5, 256)
	rc.MaxCapacity = r.floatIn("restoreMaxCapacity", 16, 1, 256)
	if rc.MaxCapacity < rc.MinCapacity {
		r.fail("restoreMaxCapacity", fmt.Sprint(rc.MaxCapacity), "is below restoreMinCapacity")
	}
	rc.PollIntervalSeconds = r.intIn("restorePollIntervalSeconds", 60, 10, 3600)
	rc.TimeoutSeconds = r.intIn("restoreTimeoutSeconds", 21600, 600, 172800)
	rc.ApprovalTimeoutSeconds = r.intIn("restoreApprovalTimeoutSeconds", 86400, 300, 604800)
	if 2*rc.PollIntervalSeconds > rc.TimeoutSeconds && !r.has("restorePollIntervalSeconds") && !r.has("restoreTimeoutSeconds") {
		r.fail("restorePollIntervalSeconds", fmt.Sprint(rc.PollIntervalSeconds), fmt.Sprintf("must be at most half of restoreTimeoutSeconds (%d): the restore budget counts status polls", rc.TimeoutSeconds))
	}
	rc.VerifyQuery = r.optStr("restoreVerifyQuery", "SELECT 1")
	rc.VerifyDatabase = r.optStr("restoreVerifyDatabase", "bank")
	rc.RPOTargetMinutes = r.intIn("restoreRpoTargetMinutes", DefaultRestoreRPOTargetMinutes, 15, MaxRecoveryTargetMinutes)
	rc.RTOTargetMinutes = r.intIn("restoreRtoTargetMinutes", DefaultRestoreRTOTargetMinutes, 15, MaxRecoveryTargetMinutes)
	rc.DatabaseLogRetentionDays = r.retention("databaseLogRetentionDays", DefaultDatabaseLogRetentionDays)
	rc.ImageRepository = r.restoreImage(c)
	return rc
}

// restoreImage checks that the restore account runs exactly the image known
// good, from its own registry: during an incident the workload account's
// registry is compromised or gone, and a tag can be moved. It returns the
// repository name.
func (r *reader) restoreImage(c *Config) string {
	if c.App == nil || c.App.Image == "" || r.has("apiImage") {
		return ""
	}
	own := awsfacts.ECRImage{Account: c.AccountID, Region: c.Region}
	registry := own.Registry()
	img, ok := awsfacts.ParseECRImage(c.App.Image)
	if !ok || img.Digest == "" || img.Account != own.Account || img.Region != own.Region {
		r.fail("apiImage", c.App.Image, fmt.Sprintf("must be pinned by digest in the restore account's own registry (%s<repository>@sha256:<64 hex digits>): "+
			"the workload account's registry may be compromised or gone, and a tag can be moved", registry))
		return ""
	}
	return img.Repository
}

// ECRRepository is the repository of an image in an ECR registry
// (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:tag or @digest),
// false for another registry.
func ECRRepository(image string) (string, bool) {
	img, ok := awsfacts.ParseECRImage(image)
	if !ok || !img.Pinned() {
		return "", false
	}
	return img.Repository, true
}

var clusterPrefixRE = regexp.MustCompile(`^[a-z](-?[a-z0-9])*$`)
