// Package backupprotection provides BackupProtection, the workload
// account's AWS Backup setup.
//
// Guarantees:
//   - A backup vault encrypted with a customer-managed key, with a vault
//     lock: governance mode, or compliance mode with a grace period after
//     which the lock can never be removed (not by root, not by AWS). A vault
//     access policy denies deleting recovery points or shortening their
//     lifecycle to everyone.
//   - A backup plan: schedule, start and completion windows, retention,
//     continuous backup (point-in-time recovery) for the resource types that
//     support it, and a copy action to the bunker's logically air-gapped
//     vault in another account with its own retention.
//   - A selection by tag (<SelectionTagKey>=<SelectionTagValue>) with a role
//     holding only the AWS-managed backup and restore service policies, so
//     every resource a component tags is protected without touching the plan.
//   - Vault notifications and an EventBridge rule for failed, aborted or
//     expired backup, copy and restore jobs, to an SNS topic encrypted with a
//     customer-managed key; CloudWatch alarms may publish to it too
//     (TopicArn, for vaultwatch).
package backupprotection

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/flow"

	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:backup:BackupProtection"

// Lock modes.
const (
	LockGovernance = "governance"
	LockCompliance = "compliance"
)

// MaxContinuousRetentionDays is AWS Backup's limit for continuous backups.
const MaxContinuousRetentionDays = 35

// BackupServicePolicy is the only (AWS-managed) policy of the backup role.
const BackupServicePolicy = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"

// VaultEvents are the vault notifications (events AWS Backup still emits).
var VaultEvents = []string{"BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "COPY_JOB_SUCCESSFUL", "RECOVERY_POINT_MODIFIED", "RESTORE_JOB_COMPLETED"}

// Args configures BackupProtection.
type Args struct {
	AccountID string
	Region    string
	// VaultName names the local vault; KeyArn is its customer-managed key.
	VaultName string
	KeyArn    pulumi.StringInput
	// LockMode is governance or compliance; LockGraceDays (>= 3) applies to
	// compliance only: after it, the lock is permanent.
	LockMode             string
	LockMinRetentionDays int
	LockMaxRetentionDays int
	LockGraceDays        int
	// Schedule is an AWS Backup cron expression, e.g. cron(0 18 * * ? *).
	Schedule                string
	StartWindowMinutes      int
	CompletionWindowMinutes int
	// RetentionDays keeps local recovery points (inside the lock's bounds).
	RetentionDays int
	// ContinuousBackup enables point-in-time recovery where supported.
	ContinuousBackup bool
	// CopyVaultArn is the bunker's logically air-gapped vault.
	CopyVaultArn pulumi.StringInput
	// CopyRetentionDays keeps copies in the bunker (inside its min/max).
	CopyRetentionDays int
	// SelectionTagKey/Value select the protected resources.
	SelectionTagKey   string
	SelectionTagValue string
	// NotificationKeyArn encrypts the alert topic; NotificationEmails subscribe.
	NotificationKeyArn pulumi.StringInput
	NotificationEmails []string
}

// BackupProtection is the vault, plan, selection and alerts.
type BackupProtection struct {
	pulumi.ResourceState

	Vault    *backup.Vault
	Plan     *backup.Plan
	VaultArn pulumi.StringOutput
	PlanArn  pulumi.StringOutput
	TopicArn pulumi.StringOutput
	// Tags to put on a resource so the plan protects it.
	SelectionTags map[string]string
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{2,50}$`)
	cronRE = regexp.MustCompile(`^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$`)
	// The plan is named after the tag value and the selection after the key
	// (by-tag-<key>): AWS allows 1-50 of [A-Za-z0-9_.-] in both names.
	tagKeyRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,43}$`)
	tagValueRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,50}$`)
)

// Validate checks the arguments; all problems are reported together.
func (a *Args) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if !nameRE.MatchString(a.VaultName) {
		add("VaultName %q must be 2-50 letters, digits, '-' or '_'", a.VaultName)
	}
	if a.KeyArn == nil || a.NotificationKeyArn == nil {
		add("KeyArn and NotificationKeyArn (customer-managed keys) are required")
	}
	switch a.LockMode {
	case LockGovernance:
	case LockCompliance:
		if a.LockGraceDays < 3 {
			add("LockGraceDays %d: compliance mode needs a grace period of at least 3 days", a.LockGraceDays)
		}
	default:
		add("LockMode %q is not governance or compliance", a.LockMode)
	}
	if a.LockMinRetentionDays < 1 || a.LockMaxRetentionDays < a.LockMinRetentionDays {
		add("lock retention %d..%d: minimum must be at least 1 and maximum not below it", a.LockMinRetentionDays, a.LockMaxRetentionDays)
	}
	if a.RetentionDays < a.LockMinRetentionDays || a.RetentionDays > a.LockMaxRetentionDays {
		add("RetentionDays %d is outside the vault lock's %d..%d", a.RetentionDays, a.LockMinRetentionDays, a.LockMaxRetentionDays)
	}
	if a.ContinuousBackup && a.RetentionDays > MaxContinuousRetentionDays {
		add("RetentionDays %d exceeds %d, the limit for continuous backups", a.RetentionDays, MaxContinuousRetentionDays)
	}
	if !cronRE.MatchString(a.Schedule) {
		add("Schedule %q is not an AWS Backup cron expression such as cron(0 18 * * ? *)", a.Schedule)
	}
	if a.StartWindowMinutes < 60 {
		add("StartWindowMinutes %d is below 60", a.StartWindowMinutes)
	}
	if a.CompletionWindowMinutes < a.StartWindowMinutes+60 {
		add("CompletionWindowMinutes %d must be at least StartWindowMinutes + 60", a.CompletionWindowMinutes)
	}
	if a.CopyVaultArn == nil {
		add("CopyVaultArn (the bunker's air-gapped vault) is required")
	}
	if a.CopyRetentionDays < 7 {
		add("CopyRetentionDays %d is below 7", a.CopyRetentionDays)
	}
	if !tagKeyRE.MatchString(a.SelectionTagKey) || !tagValueRE.MatchString(a.SelectionTagValue) {
		add("selection tag %q=%q: key 1-43 and value 1-50 of letters, digits, '.', '_' or '-' (they name the selection and the plan)", a.SelectionTagKey, a.SelectionTagValue)
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %v", p)
	}
	return nil
}

func mustJSON(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return "{}" // maps of strings built here: cannot fail
	}
	return string(out)
}

// NewBackupProtection builds the vault, lock, plan, selection and alerts.
func NewBackupProtection(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*BackupProtection, error) {
	if args == nil {
		return nil, fmt.Errorf("backupprotection %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("backupprotection %s: %w", name, err)
	}
	bp := &BackupProtection{SelectionTags: map[string]string{args.SelectionTagKey: args.SelectionTagValue}}
	if err := ctx.RegisterComponentResource(TypeToken, name, bp, opts...); err != nil {
		return nil, fmt.Errorf("backupprotection %s: register: %w", name, err)
	}
	parent := pulumi.Parent(bp)
	wrap := func(what string, err error) error { return fmt.Errorf("backupprotection %s: %s: %w", name, what, err) }

	vault, err := backup.NewVault(ctx, name+"-vault", &backup.VaultArgs{
		Name:      pulumi.String(args.VaultName),
		KmsKeyArn: args.KeyArn,
	}, parent, pulumi.Protect(true))
	if err != nil {
		return nil, wrap("vault", err)
	}
	bp.Vault, bp.VaultArn = vault, vault.Arn
	lock := &backup.VaultLockConfigurationArgs{
		BackupVaultName:  vault.Name,
		MinRetentionDays: pulumi.Int(args.LockMinRetentionDays),
		MaxRetentionDays: pulumi.Int(args.LockMaxRetentionDays),
	}
	if args.LockMode == LockCompliance {
		// Setting a grace period is what makes the lock compliance mode.
		lock.ChangeableForDays = pulumi.Int(args.LockGraceDays)
	}
	if _, err := backup.NewVaultLockConfiguration(ctx, name+"-vault-lock", lock, parent); err != nil {
		return nil, wrap("vault lock", err)
	}
	if _, err := backup.NewVaultPolicy(ctx, name+"-vault-policy", &backup.VaultPolicyArgs{
		BackupVaultName: vault.Name,
		Policy: vault.Arn.ApplyT(func(arn string) (string, error) {
			return awsiam.Policy(awsiam.Statement{
				"Sid":       "NoOneDeletesRecoveryPoints",
				"Effect":    "Deny",
				"Principal": map[string]any{"AWS": "*"},
				"Action":    []string{"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"},
				"Resource":  "*",
			})
		}).(pulumi.StringOutput),
	}, parent); err != nil {
		return nil, wrap("vault policy", err)
	}

	plan, err := backup.NewPlan(ctx, name+"-plan", &backup.PlanArgs{
		Name: pulumi.String(args.SelectionTagValue),
		Rules: backup.PlanRuleArray{backup.PlanRuleArgs{
			RuleName:               pulumi.String("daily-with-bunker-copy"),
			TargetVaultName:        vault.Name,
			Schedule:               pulumi.String(args.Schedule),
			StartWindow:            pulumi.Int(args.StartWindowMinutes),
			CompletionWindow:       pulumi.Int(args.CompletionWindowMinutes),
			EnableContinuousBackup: pulumi.Bool(args.ContinuousBackup),
			Lifecycle:              backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(args.RetentionDays)},
			CopyActions: backup.PlanRuleCopyActionArray{backup.PlanRuleCopyActionArgs{
				DestinationVaultArn: args.CopyVaultArn,
				Lifecycle:           backup.PlanRuleCopyActionLifecycleArgs{DeleteAfter: pulumi.Int(args.CopyRetentionDays)},
			}},
			RecoveryPointTags: pulumi.StringMap{"backup-plan": pulumi.String(args.SelectionTagValue)},
		}},
	}, parent)
	if err != nil {
		return nil, wrap("plan", err)
	}
	bp.Plan, bp.PlanArn = plan, plan.Arn

	trust, err := awsiam.ServiceTrust("backup.amazonaws.com", args.AccountID)
	if err != nil {
		return nil, wrap("role", err)
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("AWS Backup: back up and restore the resources the plan selects"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, wrap("role", err)
	}
	// Only the backup policy: the AWS-managed restore policy grants
	// iam:PassRole on every role, and restores happen in the restore account
	// (docs/decisions/0018-bunker-vault-explicit-deny-and-scoped-restore-roles.md).
	for suffix, arn := range map[string]string{"backup": BackupServicePolicy} {
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-role-"+suffix, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, parent); err != nil {
			return nil, wrap("role policy "+suffix, err)
		}
	}
	if err := flow.Require(ctx, bp, name, "copy-to-bunker", flow.Access{
		Principal: role.Arn, Actions: []string{"backup:CopyIntoBackupVault"}, Resource: args.CopyVaultArn,
		Caller: "AWS Backup copy action of plan " + name + " (with the backup role)",
		Reason: "every recovery point is copied into the bunker's air-gapped vault",
	}); err != nil {
		return nil, wrap("flows", err)
	}
	if _, err := backup.NewSelection(ctx, name+"-selection", &backup.SelectionArgs{
		Name:       pulumi.String("by-tag-" + args.SelectionTagKey),
		PlanId:     plan.ID(),
		IamRoleArn: role.Arn,
		SelectionTags: backup.SelectionSelectionTagArray{backup.SelectionSelectionTagArgs{
			Type: pulumi.String("STRINGEQUALS"), Key: pulumi.String(args.SelectionTagKey), Value: pulumi.String(args.SelectionTagValue),
		}},
	}, parent); err != nil {
		return nil, wrap("selection", err)
	}

	topic, err := notifytopic.NewTopic(ctx, name+"-alerts", &notifytopic.Args{
		AccountID: args.AccountID, KeyArn: args.NotificationKeyArn,
		Publishers: []string{"backup.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"},
		Emails:     args.NotificationEmails,
	}, parent)
	if err != nil {
		return nil, wrap("alerts", err)
	}
	bp.TopicArn = topic.Arn
	if _, err := backup.NewVaultNotifications(ctx, name+"-vault-notifications", &backup.VaultNotificationsArgs{
		BackupVaultName:   vault.Name,
		SnsTopicArn:       topic.Arn,
		BackupVaultEvents: pulumi.ToStringArray(VaultEvents),
	}, parent); err != nil {
		return nil, wrap("vault notifications", err)
	}
	rule, err := cloudwatch.NewEventRule(ctx, name+"-job-failures", &cloudwatch.EventRuleArgs{
		Description: pulumi.String("AWS Backup jobs that failed, were aborted or expired"),
		EventPattern: pulumi.String(mustJSON(map[string]any{
			"source":      []string{"aws.backup"},
			"detail-type": []string{"Backup Job State Change", "Copy Job State Change", "Restore Job State Change"},
			"detail":      map[string]any{"state": []string{"FAILED", "ABORTED", "EXPIRED"}},
		})),
	}, parent)
	if err != nil {
		return nil, wrap("failure rule", err)
	}
	if _, err := cloudwatch.NewEventTarget(ctx, name+"-job-failures-to-sns", &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  topic.Arn,
	}, parent); err != nil {
		return nil, wrap("failure target", err)
	}
	if err := ctx.RegisterResourceOutputs(bp, pulumi.Map{
		"vaultArn": bp.VaultArn, "planArn": bp.PlanArn, "topicArn": bp.TopicArn,
	}); err != nil {
		return nil, wrap("outputs", err)
	}
	return bp, nil
}
