// Package vaultwatch provides VaultWatch: a backup account that reports
// attempts to tamper with its backups, and the day copies stop arriving.
//
// Guarantees:
//   - One EventBridge rule per attacked service on the CloudTrail management
//     events ("AWS API Call via CloudTrail") that weaken recovery: vault
//     access policy, lock or notification changes, deleting the vault or
//     recovery points, shortening their lifecycle (aws.backup); RAM share,
//     association or permission changes (aws.ram, when WatchResourceShares);
//     key policy changes, disabling a key or its rotation, scheduling its
//     deletion (aws.kms); disabling or deleting GuardDuty, suppressing its
//     findings or leaving the administrator (aws.guardduty); stopping,
//     deleting or narrowing CloudTrail (aws.cloudtrail). Failed attempts
//     (errorCode set, e.g. AccessDenied) match too: an attempt is the alert.
//   - Every rule delivers a readable line (event, caller, source address,
//     error code, runbook section) to the given SNS topic, which must be
//     encrypted with a customer-managed key and admit events.amazonaws.com
//     and cloudwatch.amazonaws.com as publishers (notifytopic does).
//   - A CloudWatch alarm fires when no copy job has completed into the copy
//     vault for CopyAlarmHours (AWS/Backup NumberOfCopyJobsCompleted, whose
//     BackupVaultName dimension is the destination vault of the copy); no
//     data counts as breaching, so silence is an alarm, not a pass.
//
// CloudTrail delivers management events to EventBridge only while a trail
// logs them in this account and region (an organization trail counts);
// `fincheck preflight` checks that. Runbook: docs/runbooks/bunker-alerts.md.
package vaultwatch

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:backup:VaultWatch"

// DetailType is the EventBridge detail-type of CloudTrail API call events.
const DetailType = "AWS API Call via CloudTrail"

// Metric of the missing-copy alarm.
const (
	MetricNamespace = "AWS/Backup"
	MetricName      = "NumberOfCopyJobsCompleted"
)

// Watch is one tamper rule: the CloudTrail events of one service.
type Watch struct {
	// Slug names the rule (<name>-<slug>) and the runbook section.
	Slug string
	// Title is the first words of the alert.
	Title string
	// Source and EventSource identify the service in the event.
	Source      string
	EventSource string
	// EventNames are the CloudTrail event names that match.
	EventNames []string
}

// Watches are the tamper rules. ResourceShareWatch is added only when
// WatchResourceShares is set.
var (
	BackupWatch = Watch{
		Slug: "backup-tamper", Title: "Backup vault or recovery point tampering",
		Source: "aws.backup", EventSource: "backup.amazonaws.com",
		EventNames: []string{
			"DeleteBackupVault", "DeleteBackupVaultAccessPolicy", "DeleteBackupVaultLockConfiguration",
			"DeleteBackupVaultNotifications", "DeleteRecoveryPoint", "DisassociateRecoveryPoint",
			"PutBackupVaultAccessPolicy", "PutBackupVaultLockConfiguration", "PutBackupVaultNotifications",
			"UpdateRecoveryPointLifecycle",
		},
	}
	ResourceShareWatch = Watch{
		Slug: "share-tamper", Title: "RAM share of the vault changed",
		Source: "aws.ram", EventSource: "ram.amazonaws.com",
		EventNames: []string{
			"AssociateResourceShare", "AssociateResourceSharePermission", "DeleteResourceShare",
			"DisassociateResourceShare", "DisassociateResourceSharePermission",
			"ReplacePermissionAssociations", "UpdateResourceShare",
		},
	}
	KeyWatch = Watch{
		Slug: "key-tamper", Title: "KMS key policy or key state changed",
		Source: "aws.kms", EventSource: "kms.amazonaws.com",
		EventNames: []string{"DisableKey", "DisableKeyRotation", "PutKeyPolicy", "ScheduleKeyDeletion"},
	}
	GuardDutyWatch = Watch{
		Slug: "guardduty-tamper", Title: "GuardDuty disabled, deleted or muted",
		Source: "aws.guardduty", EventSource: "guardduty.amazonaws.com",
		EventNames: []string{
			"CreateFilter", "DeleteDetector", "DeleteMembers", "DisassociateFromAdministratorAccount",
			"DisassociateFromMasterAccount", "DisassociateMembers", "StopMonitoringMembers",
			"UpdateDetector", "UpdateFilter",
		},
	}
	CloudTrailWatch = Watch{
		Slug: "cloudtrail-tamper", Title: "CloudTrail stopped, deleted or narrowed",
		Source: "aws.cloudtrail", EventSource: "cloudtrail.amazonaws.com",
		EventNames: []string{"DeleteTrail", "PutEventSelectors", "StopLogging", "UpdateTrail"},
	}
)

// Args configures a VaultWatch.
type Args struct {
	// AccountID is the watched account.
	AccountID string
	// TopicArn receives every alert (CMK-encrypted, events and cloudwatch
	// may publish).
	TopicArn pulumi.StringInput
	// WatchResourceShares adds the RAM rule (the bunker shares its vault).
	WatchResourceShares bool
	// CopyVaultName is the vault copies arrive in (the bunker vault, also
	// for the workload's alarm: copy metrics carry the destination name).
	CopyVaultName pulumi.StringInput
	// CopyAlarmHours: alarm when no copy completed for this many hours (2-168).
	CopyAlarmHours int
	// RunbookURL is the runbook the alerts point to.
	RunbookURL string
}

// VaultWatch is the tamper rules and the missing-copy alarm.
type VaultWatch struct {
	pulumi.ResourceState

	RuleNames pulumi.StringArrayOutput
	AlarmName pulumi.StringOutput
}

func (a *Args) validate() error {
	var p []string
	if !awsfacts.ValidAccountID(a.AccountID) {
		p = append(p, fmt.Sprintf("AccountID %q is not a 12-digit account id", a.AccountID))
	}
	if a.TopicArn == nil {
		p = append(p, "TopicArn (a CMK-encrypted SNS topic) is required")
	}
	if a.CopyVaultName == nil {
		p = append(p, "CopyVaultName (the vault copies arrive in) is required")
	}
	if a.CopyAlarmHours < 2 || a.CopyAlarmHours > 168 {
		p = append(p, fmt.Sprintf("CopyAlarmHours %d is not 2 to 168 (CloudWatch evaluates at most 7 days)", a.CopyAlarmHours))
	}
	if a.RunbookURL == "" {
		p = append(p, "RunbookURL is required: every alert names what to do")
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %v", p)
	}
	return nil
}

// Watches returns the tamper rules for the arguments, in a fixed order.
func (a *Args) Watches() []Watch {
	out := []Watch{BackupWatch}
	if a.WatchResourceShares {
		out = append(out, ResourceShareWatch)
	}
	return append(out, KeyWatch, GuardDutyWatch, CloudTrailWatch)
}

// Pattern is the EventBridge event pattern of a watch.
func (w Watch) Pattern() (string, error) {
	out, err := json.Marshal(map[string]any{
		"source":      []string{w.Source},
		"detail-type": []string{DetailType},
		"detail": map[string]any{
			"eventSource": []string{w.EventSource},
			"eventName":   w.EventNames,
		},
	})
	if err != nil {
		return "", fmt.Errorf("event pattern %s: %w", w.Slug, err)
	}
	return string(out), nil
}

// inputPaths are the event fields the alert text shows.
var inputPaths = map[string]string{
	"event": "$.detail.eventName", "caller": "$.detail.userIdentity.arn",
	"address": "$.detail.sourceIPAddress", "error": "$.detail.errorCode",
	"time": "$.time", "account": "$.account", "region": "$.region",
}

func (w Watch) template(runbook string) string {
	text := fmt.Sprintf("%s: <event> by <caller> from <address> at <time> in account <account>, <region>. "+
		"errorCode <error> (empty: the call succeeded). What to do: %s#%s", w.Title, runbook, w.Slug)
	out, _ := json.Marshal(text) // a string always marshals
	return string(out)
}

// NewVaultWatch creates the rules, their targets and the alarm.
func NewVaultWatch(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*VaultWatch, error) {
	if args == nil {
		return nil, fmt.Errorf("vaultwatch %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("vaultwatch %s: %w", name, err)
	}
	w := &VaultWatch{}
	if err := ctx.RegisterComponentResource(TypeToken, name, w, opts...); err != nil {
		return nil, fmt.Errorf("vaultwatch %s: register: %w", name, err)
	}
	parent := pulumi.Parent(w)
	var ruleNames pulumi.StringArray
	for _, watch := range args.Watches() {
		pattern, err := watch.Pattern()
		if err != nil {
			return nil, fmt.Errorf("vaultwatch %s: %w", name, err)
		}
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+watch.Slug, &cloudwatch.EventRuleArgs{
			Description:  pulumi.String(watch.Title + " (CloudTrail management events)"),
			EventPattern: pulumi.String(pattern),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("vaultwatch %s: rule %s: %w", name, watch.Slug, err)
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+watch.Slug+"-to-sns", &cloudwatch.EventTargetArgs{
			Rule: rule.Name,
			Arn:  args.TopicArn,
			InputTransformer: cloudwatch.EventTargetInputTransformerArgs{
				InputPaths:    pulumi.ToStringMap(inputPaths),
				InputTemplate: pulumi.String(watch.template(args.RunbookURL)),
			},
		}, parent); err != nil {
			return nil, fmt.Errorf("vaultwatch %s: target %s: %w", name, watch.Slug, err)
		}
		ruleNames = append(ruleNames, rule.Name)
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-no-copies", &cloudwatch.MetricAlarmArgs{
		AlarmDescription: pulumi.Sprintf("No backup copy has completed into the vault for %d hours: copies to the bunker stopped. What to do: %s#no-copies", args.CopyAlarmHours, args.RunbookURL),
		Namespace:        pulumi.String(MetricNamespace),
		MetricName:       pulumi.String(MetricName),
		Dimensions:       pulumi.StringMap{"BackupVaultName": args.CopyVaultName},
		Statistic:        pulumi.String("Sum"),
		Period:           pulumi.Int(3600),
		// Every hour of the window without a completed copy breaches; the
		// alarm fires only when all of them do.
		EvaluationPeriods:  pulumi.Int(args.CopyAlarmHours),
		DatapointsToAlarm:  pulumi.Int(args.CopyAlarmHours),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("LessThanThreshold"),
		TreatMissingData:   pulumi.String("breaching"),
		AlarmActions:       pulumi.Array{args.TopicArn},
		OkActions:          pulumi.Array{args.TopicArn},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("vaultwatch %s: alarm: %w", name, err)
	}
	w.RuleNames = ruleNames.ToStringArrayOutput()
	w.AlarmName = alarm.Name
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{"ruleNames": w.RuleNames, "alarmName": w.AlarmName}); err != nil {
		return nil, fmt.Errorf("vaultwatch %s: outputs: %w", name, err)
	}
	return w, nil
}
