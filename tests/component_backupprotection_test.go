package tests

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/backupprotection"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	workloadAccount            = testkit.Account
	backupKey                  = "arn:aws:kms:ap-northeast-1:111111111111:key/backup"
	backupProtectionNotifyKey  = "arn:aws:kms:ap-northeast-1:111111111111:key/notifications"
	tVault                     = "aws:backup/vault:Vault"
	tLock                      = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
	tVaultPolicy               = "aws:backup/vaultPolicy:VaultPolicy"
	backupProtectionTPlan      = "aws:backup/plan:Plan"
	backupProtectionTSelection = "aws:backup/selection:Selection"
	tNotifications             = "aws:backup/vaultNotifications:VaultNotifications"
	tStackRef                  = "pulumi:pulumi:StackReference"
)

func backupProtectionValidArgs() *backupprotection.Args {
	return &backupprotection.Args{
		AccountID: workloadAccount, Region: region,
		VaultName: "fintech-workload", KeyArn: pulumi.String(backupKey),
		LockMode: backupprotection.LockGovernance, LockMinRetentionDays: 7, LockMaxRetentionDays: 400, LockGraceDays: 3,
		Schedule: "cron(0 18 * * ? *)", StartWindowMinutes: 60, CompletionWindowMinutes: 480,
		RetentionDays: 35, ContinuousBackup: true,
		CopyVaultArn: pulumi.String(bunkerVault), CopyRetentionDays: 90,
		SelectionTagKey: "backup-policy", SelectionTagValue: "fintech-daily",
		NotificationKeyArn: pulumi.String(backupProtectionNotifyKey),
		NotificationEmails: []string{"oncall@example.com"},
	}
}

func backupProtectionRun(t *testing.T, args *backupprotection.Args) (*graph.Graph, error) {
	t.Helper()
	return preview.Run(func(ctx *pulumi.Context) error {
		_, err := backupprotection.NewBackupProtection(ctx, "backup", args)
		return err
	}, testkit.Options())
}

type backupProtectionPolicyDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Principal map[string]any
		Action    any
		Resource  any
		Condition map[string]map[string]any
	}
}

func parsePolicy(t *testing.T, v any) backupProtectionPolicyDoc {
	t.Helper()
	var doc backupProtectionPolicyDoc
	require.NoError(t, json.Unmarshal([]byte(graph.Str(v)), &doc), "policy JSON: %v", v)
	return doc
}

func TestVaultEncryptedWithGivenKey(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	vault := testkit.One(t, g, tVault)
	assert.Equal(t, "fintech-workload", vault.Inputs["name"])
	assert.Equal(t, backupKey, vault.Inputs["kmsKeyArn"])
}

func TestGovernanceLockHasNoGracePeriod(t *testing.T) {
	args := backupProtectionValidArgs()
	args.LockGraceDays = 0 // not needed, not used in governance mode
	g, err := backupProtectionRun(t, args)
	require.NoError(t, err)
	vault := testkit.One(t, g, tVault)
	lock := testkit.One(t, g, tLock)
	assert.Equal(t, 7.0, lock.Inputs["minRetentionDays"])
	assert.Equal(t, 400.0, lock.Inputs["maxRetentionDays"])
	_, has := lock.Inputs["changeableForDays"]
	assert.False(t, has, "a changeableForDays would turn the lock into compliance mode")
	assert.Equal(t, "fintech-workload", lock.Inputs["backupVaultName"])
	assert.Equal(t, []string{vault.URN}, lock.PropertyDependencies["backupVaultName"])
}

func TestComplianceLockHasGracePeriod(t *testing.T) {
	args := backupProtectionValidArgs()
	args.LockMode, args.LockGraceDays = backupprotection.LockCompliance, 5
	args.LockMinRetentionDays, args.LockMaxRetentionDays = 30, 100
	g, err := backupProtectionRun(t, args)
	require.NoError(t, err)
	lock := testkit.One(t, g, tLock)
	assert.Equal(t, 30.0, lock.Inputs["minRetentionDays"])
	assert.Equal(t, 100.0, lock.Inputs["maxRetentionDays"])
	assert.Equal(t, 5.0, lock.Inputs["changeableForDays"])
}

func TestVaultPolicyDeniesDeletionAndShortening(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	vault := testkit.One(t, g, tVault)
	pol := testkit.One(t, g, tVaultPolicy)
	assert.Equal(t, []string{vault.URN}, pol.PropertyDependencies["backupVaultName"])
	doc := parsePolicy(t, pol.Inputs["policy"])
	assert.Equal(t, "2012-10-17", doc.Version)
	require.Len(t, doc.Statement, 1)
	st := doc.Statement[0]
	assert.Equal(t, "Deny", st.Effect)
	assert.Equal(t, map[string]any{"AWS": "*"}, st.Principal)
	assert.ElementsMatch(t, []any{"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}, st.Action)
	assert.Equal(t, "*", st.Resource)
	assert.Empty(t, st.Condition, "an unconditional deny: nobody is exempt")
}

func TestPlanRuleAndCopyToBunker(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	vault := testkit.One(t, g, tVault)
	plan := testkit.One(t, g, backupProtectionTPlan)
	rules := graph.List(plan.Inputs["rules"])
	require.Len(t, rules, 1)
	rule := graph.Map(rules[0])
	assert.Equal(t, "fintech-workload", rule["targetVaultName"])
	assert.Equal(t, "cron(0 18 * * ? *)", rule["schedule"])
	assert.Equal(t, 60.0, rule["startWindow"])
	assert.Equal(t, 480.0, rule["completionWindow"])
	assert.Equal(t, true, rule["enableContinuousBackup"])
	assert.Equal(t, map[string]any{"deleteAfter": 35.0}, rule["lifecycle"])

	copies := graph.List(rule["copyActions"])
	require.Len(t, copies, 1)
	copyAction := graph.Map(copies[0])
	assert.Equal(t, bunkerVault, copyAction["destinationVaultArn"])
	assert.Equal(t, map[string]any{"deleteAfter": 90.0}, copyAction["lifecycle"])

	// The rule targets the component's vault, by reference.
	assert.Contains(t, plan.PropertyDependencies["rules"], vault.URN)
}

func TestPlanWithoutContinuousBackup(t *testing.T) {
	args := backupProtectionValidArgs()
	args.ContinuousBackup, args.RetentionDays = false, 365
	g, err := backupProtectionRun(t, args)
	require.NoError(t, err)
	rule := graph.Map(graph.List(testkit.One(t, g, backupProtectionTPlan).Inputs["rules"])[0])
	assert.Equal(t, false, rule["enableContinuousBackup"])
	assert.Equal(t, map[string]any{"deleteAfter": 365.0}, rule["lifecycle"])
}

func TestSelectionByTagWithTheRole(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	role := testkit.One(t, g, tRole)
	plan := testkit.One(t, g, backupProtectionTPlan)
	sel := testkit.One(t, g, backupProtectionTSelection)
	assert.Equal(t, []any{map[string]any{"type": "STRINGEQUALS", "key": "backup-policy", "value": "fintech-daily"}},
		sel.Inputs["selectionTags"])
	_, hasResources := sel.Inputs["resources"]
	assert.False(t, hasResources, "selection is by tag only")
	assert.Equal(t, []string{role.URN}, sel.PropertyDependencies["iamRoleArn"])
	assert.Equal(t, []string{plan.URN}, sel.PropertyDependencies["planId"])
}

func TestRoleHasOnlyTheManagedBackupPolicy(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	role := testkit.One(t, g, tRole)

	trust := parsePolicy(t, role.Inputs["assumeRolePolicy"])
	require.Len(t, trust.Statement, 1)
	st := trust.Statement[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, "sts:AssumeRole", st.Action)
	assert.Equal(t, map[string]any{"Service": "backup.amazonaws.com"}, st.Principal)
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:SourceAccount": workloadAccount}}, st.Condition)

	for _, k := range []string{"inlinePolicies", "managedPolicyArns"} {
		_, has := role.Inputs[k]
		assert.False(t, has, "role has %s", k)
	}
	assert.Empty(t, g.OfType("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/policyAttachment:PolicyAttachment"))

	atts := g.OfType(tAttachment)
	// Not the managed restore policy: it grants iam:PassRole on every role.
	require.Len(t, atts, 1)
	var arns []string
	for _, a := range atts {
		arns = append(arns, graph.Str(a.Inputs["policyArn"]))
		assert.Equal(t, []string{role.URN}, a.PropertyDependencies["role"])
	}
	sort.Strings(arns)
	assert.Equal(t, []string{
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
	}, arns)
}

// supportedVaultEvents are the events AWS Backup still emits
// (PutBackupVaultNotifications); the rest of its enum is deprecated.
var supportedVaultEvents = map[string]bool{
	"BACKUP_JOB_STARTED": true, "BACKUP_JOB_COMPLETED": true,
	"COPY_JOB_STARTED": true, "COPY_JOB_SUCCESSFUL": true, "COPY_JOB_FAILED": true,
	"RESTORE_JOB_STARTED": true, "RESTORE_JOB_COMPLETED": true, "RECOVERY_POINT_MODIFIED": true,
	"S3_BACKUP_OBJECT_FAILED": true, "S3_RESTORE_OBJECT_FAILED": true,
}

func TestAlertsGoToTheEncryptedTopic(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	vault := testkit.One(t, g, tVault)
	topic := testkit.One(t, g, tTopic)
	assert.Equal(t, backupProtectionNotifyKey, topic.Inputs["kmsMasterKeyId"])

	notes := testkit.One(t, g, tNotifications)
	assert.Equal(t, []string{topic.URN}, notes.PropertyDependencies["snsTopicArn"])
	assert.Equal(t, []string{vault.URN}, notes.PropertyDependencies["backupVaultName"])
	events := graph.Strings(notes.Inputs["backupVaultEvents"])
	require.NotEmpty(t, events)
	for _, e := range events {
		assert.True(t, supportedVaultEvents[e], "vault event %s is deprecated or unknown: it never fires", e)
	}
	assert.Contains(t, events, "COPY_JOB_FAILED")
	assert.Contains(t, events, "BACKUP_JOB_COMPLETED")

	rule := testkit.One(t, g, tRule)
	var pattern struct {
		Source     []string `json:"source"`
		DetailType []string `json:"detail-type"`
		Detail     struct {
			State []string `json:"state"`
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	assert.Equal(t, []string{"aws.backup"}, pattern.Source)
	assert.ElementsMatch(t, []string{"Backup Job State Change", "Copy Job State Change", "Restore Job State Change"}, pattern.DetailType)
	assert.ElementsMatch(t, []string{"FAILED", "ABORTED", "EXPIRED"}, pattern.Detail.State)

	target := testkit.One(t, g, tTarget)
	assert.Equal(t, []string{rule.URN}, target.PropertyDependencies["rule"])
	assert.Equal(t, []string{topic.URN}, target.PropertyDependencies["arn"])
	assert.Equal(t, graph.Str(topic.Outputs["arn"]), target.Inputs["arn"])

	// Backup (vault notifications) and EventBridge may publish.
	pol := parsePolicy(t, testkit.One(t, g, "aws:sns/topicPolicy:TopicPolicy").Inputs["policy"])
	require.Len(t, pol.Statement, 1)
	assert.ElementsMatch(t, []any{"backup.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"}, pol.Statement[0].Principal["Service"])
	sub := testkit.One(t, g, "aws:sns/topicSubscription:TopicSubscription")
	assert.Equal(t, "oncall@example.com", sub.Inputs["endpoint"])
}

func TestBackupProtectionChildrenAreParentedToTheComponent(t *testing.T) {
	g, err := backupProtectionRun(t, backupProtectionValidArgs())
	require.NoError(t, err)
	comp := testkit.One(t, g, backupprotection.TypeToken)
	direct := map[string]bool{}
	for _, c := range g.Children(comp.URN) {
		direct[c.Type] = true
	}
	for _, typ := range []string{tVault, tLock, tVaultPolicy, backupProtectionTPlan, backupProtectionTSelection, tRole, tAttachment, tNotifications, tRule, tTarget, "fintech:notify:Topic"} {
		assert.True(t, direct[typ], "%s is not a direct child of the component", typ)
	}
	// Everything else descends from the component too.
	for _, r := range g.Resources {
		if r.URN == comp.URN {
			continue
		}
		p := g.ByURN(r.Parent)
		for p != nil && p.URN != comp.URN {
			p = g.ByURN(p.Parent)
		}
		assert.NotNil(t, p, "%s is outside the component", r.URN)
	}
}

func TestOutputsAndSelectionTags(t *testing.T) {
	var bp *backupprotection.BackupProtection
	_, err := preview.Run(func(ctx *pulumi.Context) error {
		var err error
		bp, err = backupprotection.NewBackupProtection(ctx, "backup", backupProtectionValidArgs())
		return err
	}, testkit.Options())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"backup-policy": "fintech-daily"}, bp.SelectionTags)
	assert.NotNil(t, bp.Vault)
	assert.NotNil(t, bp.Plan)
}

// The copy target usually comes from the bunker stack: an output, not a
// literal. The plan must carry it and record the dependency.
func TestCopyVaultArnFromStackReference(t *testing.T) {
	const ref = "acme/fintech-resilience/bunker"
	o := testkit.Options()
	o.StackOutputs = map[string]map[string]string{ref: {"airGappedVaultArn": bunkerVault}}
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		bunker, err := pulumi.NewStackReference(ctx, "bunker", &pulumi.StackReferenceArgs{Name: pulumi.String(ref)})
		if err != nil {
			return err
		}
		copyVault := bunker.GetStringOutput(pulumi.String("airGappedVaultArn")).ApplyT(func(v string) (string, error) {
			if v == "" {
				return "", fmt.Errorf("no airGappedVaultArn")
			}
			return v, nil
		}).(pulumi.StringOutput)
		args := backupProtectionValidArgs()
		args.CopyVaultArn = copyVault
		_, err = backupprotection.NewBackupProtection(ctx, "backup", args)
		return err
	}, o)
	require.NoError(t, err)
	stackRef := testkit.One(t, g, tStackRef)
	vault := testkit.One(t, g, tVault)
	plan := testkit.One(t, g, backupProtectionTPlan)
	assert.ElementsMatch(t, []string{stackRef.URN, vault.URN}, plan.PropertyDependencies["rules"])
	rule := graph.Map(graph.List(plan.Inputs["rules"])[0])
	copyAction := graph.Map(graph.List(rule["copyActions"])[0])
	assert.Equal(t, bunkerVault, copyAction["destinationVaultArn"])
}

func TestBackupProtectionRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *backupprotection.Args)
		want   string
	}{
		"compliance with grace 2": {func(a *backupprotection.Args) { a.LockMode, a.LockGraceDays = backupprotection.LockCompliance, 2 }, "LockGraceDays 2"},
		"unknown lock mode":       {func(a *backupprotection.Args) { a.LockMode = "COMPLIANCE" }, `LockMode "COMPLIANCE"`},
		"retention below lock":    {func(a *backupprotection.Args) { a.RetentionDays = 5 }, "RetentionDays 5 is outside the vault lock's 7..400"},
		"retention above lock": {func(a *backupprotection.Args) {
			a.ContinuousBackup, a.LockMaxRetentionDays, a.RetentionDays = false, 100, 120
		}, "RetentionDays 120 is outside the vault lock's 7..100"},
		"lock max below min":            {func(a *backupprotection.Args) { a.LockMinRetentionDays, a.LockMaxRetentionDays = 30, 20 }, "lock retention 30..20"},
		"continuous with retention 36":  {func(a *backupprotection.Args) { a.RetentionDays = 36 }, "RetentionDays 36 exceeds 35"},
		"bad cron":                      {func(a *backupprotection.Args) { a.Schedule = "0 18 * * ? *" }, "Schedule"},
		"cron with five fields":         {func(a *backupprotection.Args) { a.Schedule = "cron(0 18 * * ?)" }, "Schedule"},
		"start window below 60":         {func(a *backupprotection.Args) { a.StartWindowMinutes = 30 }, "StartWindowMinutes 30"},
		"completion below start+60":     {func(a *backupprotection.Args) { a.StartWindowMinutes, a.CompletionWindowMinutes = 120, 179 }, "CompletionWindowMinutes 179"},
		"nil CopyVaultArn":              {func(a *backupprotection.Args) { a.CopyVaultArn = nil }, "CopyVaultArn"},
		"copy retention 3":              {func(a *backupprotection.Args) { a.CopyRetentionDays = 3 }, "CopyRetentionDays 3"},
		"no backup key":                 {func(a *backupprotection.Args) { a.KeyArn = nil }, "KeyArn"},
		"no notification key":           {func(a *backupprotection.Args) { a.NotificationKeyArn = nil }, "NotificationKeyArn"},
		"bad account":                   {func(a *backupprotection.Args) { a.AccountID = "1111" }, `AccountID "1111"`},
		"bad vault name":                {func(a *backupprotection.Args) { a.VaultName = "x" }, `VaultName "x"`},
		"empty selection tag":           {func(a *backupprotection.Args) { a.SelectionTagValue = "" }, "selection tag"},
		"bad e-mail (from alert topic)": {func(a *backupprotection.Args) { a.NotificationEmails = []string{"Ops <ops@example.com>"} }, "e-mail"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := backupProtectionValidArgs()
			c.mutate(args)
			g, err := backupProtectionRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "backupprotection backup")
			assert.Nil(t, g)
		})
	}
}

// Validation errors are raised before anything is registered.
func TestInvalidArgsRegisterNothing(t *testing.T) {
	for name, mutate := range map[string]func(a *backupprotection.Args){
		"compliance with grace 2": func(a *backupprotection.Args) { a.LockMode, a.LockGraceDays = backupprotection.LockCompliance, 2 },
		"nil CopyVaultArn":        func(a *backupprotection.Args) { a.CopyVaultArn = nil },
		"copy retention 3":        func(a *backupprotection.Args) { a.CopyRetentionDays = 3 },
	} {
		t.Run(name, func(t *testing.T) {
			args := backupProtectionValidArgs()
			mutate(args)
			rec := &backupProtectionRecorder{}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				_, err := backupprotection.NewBackupProtection(ctx, "backup", args)
				return err
			}, pulumi.WithMocks("test", "test", rec))
			require.Error(t, err)
			assert.Empty(t, rec.types(), "registered before validation failed")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		g, err := preview.Run(func(ctx *pulumi.Context) error {
			_, err := backupprotection.NewBackupProtection(ctx, "backup", nil)
			return err
		}, testkit.Options())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "args are required")
		assert.Nil(t, g)
	})
}

// The vault is protected: `pulumi destroy` cannot remove it by accident.
// The preview graph does not carry resource options, so this reads the
// register request directly.
func TestVaultIsProtected(t *testing.T) {
	rec := &backupProtectionRecorder{}
	require.NoError(t, pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := backupprotection.NewBackupProtection(ctx, "backup", backupProtectionValidArgs())
		return err
	}, pulumi.WithMocks("test", "test", rec)))
	assert.Contains(t, rec.types(), backupprotection.TypeToken, "the recorder sees registrations")
	assert.Equal(t, []string{"backup-vault"}, rec.protectedNames())
}

// recorder is a minimal mock monitor that keeps the register requests.
type backupProtectionRecorder struct {
	mu        sync.Mutex
	registers []pulumi.MockResourceArgs
}

func (r *backupProtectionRecorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.registers = append(r.registers, args)
	r.mu.Unlock()
	out := args.Inputs.Copy()
	id := args.Name + "-id"
	if args.Custom {
		out["arn"] = resource.NewStringProperty("arn:aws:test:" + region + ":" + workloadAccount + ":" + args.Name)
		if _, ok := out["name"]; !ok {
			out["name"] = resource.NewStringProperty(args.Name)
		}
	}
	return id, out, nil
}

func (r *backupProtectionRecorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("no invokes: %s", args.Token)
}

func (r *backupProtectionRecorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.registers {
		if !strings.HasPrefix(a.TypeToken, "pulumi:pulumi:Stack") {
			out = append(out, a.TypeToken)
		}
	}
	return out
}

func (r *backupProtectionRecorder) protectedNames() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.registers {
		if a.RegisterRPC != nil && a.RegisterRPC.GetProtect() {
			out = append(out, a.Name)
		}
	}
	sort.Strings(out)
	return out
}
