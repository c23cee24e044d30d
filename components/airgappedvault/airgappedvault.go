// Package airgappedvault provides AirGappedVault, the data bunker's AWS
// Backup logically air-gapped vault.
//
// Guarantees:
//   - The vault is logically air-gapped (compliance-locked by AWS, so no one,
//     including the bunker's own administrators, can delete a recovery point
//     before its retention ends); minimum retention at least 7 days, maximum
//     not below the minimum.
//   - Its access policy allows backup:CopyIntoBackupVault to the configured
//     workload account(s) and nothing else.
//   - Vault events (copy and restore outcomes, recovery point changes) go to
//     an SNS topic encrypted with a customer-managed key, which EventBridge
//     and CloudWatch may publish to as well (TopicArn, for vaultwatch).
//   - The vault is shared through AWS RAM with the restore account(s) only,
//     external principals off: the only way the restore account reaches the
//     backups. Nobody logs into the bunker to restore.
//
// AWS encrypts a logically air-gapped vault with an AWS-owned key; pulumi-aws
// v6 offers no customer-managed key for this vault type (docs/decisions).
package airgappedvault

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ram"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:backup:AirGappedVault"

// MinRetentionFloor is the shortest minimum retention accepted.
const MinRetentionFloor = 7

// VaultEvents are the vault notifications sent to the topic (only events
// AWS Backup still emits; *_FAILED job events other than copy are
// deprecated and never fire).
var VaultEvents = []string{
	"COPY_JOB_FAILED", "COPY_JOB_SUCCESSFUL", "RECOVERY_POINT_MODIFIED",
	"RESTORE_JOB_COMPLETED", "RESTORE_JOB_STARTED",
}

// Args configures an AirGappedVault.
type Args struct {
	// VaultName is the vault's name.
	VaultName string
	// MinRetentionDays and MaxRetentionDays bound every recovery point.
	MinRetentionDays int
	MaxRetentionDays int
	// AccountID is the bunker account.
	AccountID string
	// SourceAccountIDs may copy into the vault (the workload account).
	SourceAccountIDs []string
	// ShareWithAccountIDs receive the vault through AWS RAM (the restore account).
	ShareWithAccountIDs []string
	// NotificationKeyArn encrypts the notification topic.
	NotificationKeyArn pulumi.StringInput
	// NotificationEmails are subscribed to the topic.
	NotificationEmails []string
}

// AirGappedVault is the bunker vault with its policy, notifications and share.
type AirGappedVault struct {
	pulumi.ResourceState

	Vault            *backup.LogicallyAirGappedVault
	VaultArn         pulumi.StringOutput
	ResourceShareArn pulumi.StringOutput
	TopicArn         pulumi.StringOutput
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{2,50}$`)
)

func (a *Args) validate() error {
	var problems []string
	if !nameRE.MatchString(a.VaultName) {
		problems = append(problems, fmt.Sprintf("VaultName %q must be 2-50 letters, digits, '-' or '_'", a.VaultName))
	}
	if a.MinRetentionDays < MinRetentionFloor {
		problems = append(problems, fmt.Sprintf("MinRetentionDays %d is below %d", a.MinRetentionDays, MinRetentionFloor))
	}
	if a.MaxRetentionDays < a.MinRetentionDays {
		problems = append(problems, fmt.Sprintf("MaxRetentionDays %d is below MinRetentionDays %d", a.MaxRetentionDays, a.MinRetentionDays))
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		problems = append(problems, fmt.Sprintf("AccountID %q is not a 12-digit account id", a.AccountID))
	}
	check := func(field string, ids []string) {
		if len(ids) == 0 {
			problems = append(problems, field+" must name at least one account")
		}
		for _, id := range ids {
			if !awsfacts.ValidAccountID(id) {
				problems = append(problems, fmt.Sprintf("%s: %q is not a 12-digit account id", field, id))
			}
			if id == a.AccountID {
				problems = append(problems, fmt.Sprintf("%s: %s is the bunker account itself", field, id))
			}
		}
	}
	check("SourceAccountIDs", a.SourceAccountIDs)
	check("ShareWithAccountIDs", a.ShareWithAccountIDs)
	if a.NotificationKeyArn == nil {
		problems = append(problems, "NotificationKeyArn (a customer-managed key) is required")
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %v", problems)
	}
	return nil
}

// ProtectedActions are denied to every principal of every account by the
// vault access policy: deleting or shortening recovery points, deleting the
// vault and rewriting or removing its access policy or lock. An explicit
// Deny in the resource policy wins over any Allow, an administrator's or
// the account root's included, so the guarantee holds in IAM and not only
// through the vault lock. Consequence: the access policy itself cannot be
// changed after creation (docs/decisions/0018-bunker-vault-explicit-deny-and-scoped-restore-roles.md).
var ProtectedActions = []string{
	"backup:DeleteBackupVault",
	"backup:DeleteBackupVaultAccessPolicy",
	"backup:DeleteBackupVaultLockConfiguration",
	"backup:DeleteRecoveryPoint",
	"backup:PutBackupVaultAccessPolicy",
	"backup:PutBackupVaultLockConfiguration",
	"backup:UpdateRecoveryPointLifecycle",
}

// AccessPolicy returns the vault access policy: CopyIntoBackupVault for the
// source accounts, and an explicit Deny of ProtectedActions for everyone.
func AccessPolicy(sourceAccounts []string) (string, error) {
	principals := make([]string, 0, len(sourceAccounts))
	for _, a := range sourceAccounts {
		principals = append(principals, fmt.Sprintf("arn:aws:iam::%s:root", a))
	}
	sort.Strings(principals)
	out, err := awsiam.Policy(awsiam.Statement{
		"Sid":       "WorkloadAccountsCopyIn",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": principals},
		"Action":    "backup:CopyIntoBackupVault",
		"Resource":  "*",
	}, awsiam.Statement{
		// Not even the bunker's own principals plant recovery points.
		"Sid":       "OnlyWorkloadAccountsCopyIn",
		"Effect":    "Deny",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "backup:CopyIntoBackupVault",
		"Resource":  "*",
		"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalAccount": sorted(sourceAccounts)}},
	}, awsiam.Statement{
		"Sid":       "NoOneDeletesOrRewrites",
		"Effect":    "Deny",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    ProtectedActions,
		"Resource":  "*",
	})
	if err != nil {
		return "", fmt.Errorf("access policy: %w", err)
	}
	return out, nil
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// NewAirGappedVault creates the vault, its access policy, notifications and
// the RAM share.
func NewAirGappedVault(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*AirGappedVault, error) {
	if args == nil {
		return nil, fmt.Errorf("airgappedvault %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: %w", name, err)
	}
	policy, err := AccessPolicy(args.SourceAccountIDs)
	if err != nil {
		return nil, fmt.Errorf("airgappedvault %s: %w", name, err)
	}
	v := &AirGappedVault{}
	if err := ctx.RegisterComponentResource(TypeToken, name, v, opts...); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: register: %w", name, err)
	}
	parent := pulumi.Parent(v)
	vault, err := backup.NewLogicallyAirGappedVault(ctx, name+"-vault", &backup.LogicallyAirGappedVaultArgs{
		Name:             pulumi.String(args.VaultName),
		MinRetentionDays: pulumi.Int(args.MinRetentionDays),
		MaxRetentionDays: pulumi.Int(args.MaxRetentionDays),
	}, parent, pulumi.Protect(true))
	if err != nil {
		return nil, fmt.Errorf("airgappedvault %s: vault: %w", name, err)
	}
	v.Vault = vault
	v.VaultArn = vault.Arn
	if _, err := backup.NewVaultPolicy(ctx, name+"-access-policy", &backup.VaultPolicyArgs{
		BackupVaultName: vault.Name,
		Policy:          pulumi.String(policy),
	}, parent); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: access policy: %w", name, err)
	}
	topic, err := notifytopic.NewTopic(ctx, name+"-notifications", &notifytopic.Args{
		AccountID: args.AccountID,
		KeyArn:    args.NotificationKeyArn,
		// EventBridge and CloudWatch deliver the tamper alerts and the
		// missing-copy alarm (components/vaultwatch) to the same topic.
		Publishers: []string{"backup.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"},
		Emails:     args.NotificationEmails,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("airgappedvault %s: %w", name, err)
	}
	v.TopicArn = topic.Arn
	if _, err := backup.NewVaultNotifications(ctx, name+"-vault-notifications", &backup.VaultNotificationsArgs{
		BackupVaultName:   vault.Name,
		SnsTopicArn:       topic.Arn,
		BackupVaultEvents: pulumi.ToStringArray(VaultEvents),
	}, parent); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: vault notifications: %w", name, err)
	}
	share, err := ram.NewResourceShare(ctx, name+"-share", &ram.ResourceShareArgs{
		Name:                    pulumi.String(args.VaultName + "-restore"),
		AllowExternalPrincipals: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("airgappedvault %s: resource share: %w", name, err)
	}
	v.ResourceShareArn = share.Arn
	if _, err := ram.NewResourceAssociation(ctx, name+"-share-vault", &ram.ResourceAssociationArgs{
		ResourceArn:      vault.Arn,
		ResourceShareArn: share.Arn,
	}, parent); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: share association: %w", name, err)
	}
	for _, acct := range args.ShareWithAccountIDs {
		if _, err := ram.NewPrincipalAssociation(ctx, name+"-share-"+acct, &ram.PrincipalAssociationArgs{
			Principal:        pulumi.String(acct),
			ResourceShareArn: share.Arn,
		}, parent); err != nil {
			return nil, fmt.Errorf("airgappedvault %s: share principal %s: %w", name, acct, err)
		}
	}
	if err := declareFlows(ctx, v, name, args); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"vaultArn": v.VaultArn, "resourceShareArn": v.ResourceShareArn, "topicArn": v.TopicArn,
	}); err != nil {
		return nil, fmt.Errorf("airgappedvault %s: outputs: %w", name, err)
	}
	return v, nil
}
