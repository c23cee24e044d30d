// Package preflight checks, read-only and before the first `pulumi up`,
// that the prerequisites of a stack which no stack can create hold in the
// real account: the caller is the stack's account; the account is in the
// configured AWS Organization; cross-account backup and RAM sharing with
// Organizations are as the configuration assumes; AWS Backup is opted in
// for the resource types the plan protects; an existing GuardDuty detector
// is adopted through configuration rather than duplicated; a CloudTrail
// trail logs in the region (the tamper alerts of components/vaultwatch
// depend on it); the bunker vault
// exists and is shared (restore); the CloudFront origin-facing prefix list
// is the region's; and the quotas a first deployment hits (VPCs, Elastic
// IPs for NAT) have room.
//
// Every check calls AWS through a small interface with only the operations
// it uses, so tests run the real SDK clients against a local fake endpoint.
// A failed check says what is wrong and how to fix it. Nothing is written.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ram"
	ramtypes "github.com/aws/aws-sdk-go-v2/service/ram/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

// The interfaces preflight calls AWS through: one per service, only the
// operations it uses (all read-only).
type (
	STSAPI interface {
		GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
	OrganizationsAPI interface {
		DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	}
	BackupAPI interface {
		DescribeGlobalSettings(context.Context, *backup.DescribeGlobalSettingsInput, ...func(*backup.Options)) (*backup.DescribeGlobalSettingsOutput, error)
		DescribeRegionSettings(context.Context, *backup.DescribeRegionSettingsInput, ...func(*backup.Options)) (*backup.DescribeRegionSettingsOutput, error)
		DescribeBackupVault(context.Context, *backup.DescribeBackupVaultInput, ...func(*backup.Options)) (*backup.DescribeBackupVaultOutput, error)
	}
	RAMAPI interface {
		GetResourceShares(context.Context, *ram.GetResourceSharesInput, ...func(*ram.Options)) (*ram.GetResourceSharesOutput, error)
		GetResourceShareInvitations(context.Context, *ram.GetResourceShareInvitationsInput, ...func(*ram.Options)) (*ram.GetResourceShareInvitationsOutput, error)
		GetResourceShareAssociations(context.Context, *ram.GetResourceShareAssociationsInput, ...func(*ram.Options)) (*ram.GetResourceShareAssociationsOutput, error)
	}
	GuardDutyAPI interface {
		ListDetectors(context.Context, *guardduty.ListDetectorsInput, ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error)
	}
	EC2API interface {
		DescribeManagedPrefixLists(context.Context, *ec2.DescribeManagedPrefixListsInput, ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error)
		DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
		DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	}
	CloudTrailAPI interface {
		DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
		GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	}
	QuotasAPI interface {
		GetServiceQuota(context.Context, *servicequotas.GetServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	}
)

// Clients are the AWS clients of one stack's account and region.
type Clients struct {
	STS           STSAPI
	Organizations OrganizationsAPI
	Backup        BackupAPI
	RAM           RAMAPI
	GuardDuty     GuardDutyAPI
	EC2           EC2API
	Quotas        QuotasAPI
	CloudTrail    CloudTrailAPI
}

// NewClients builds the clients from an SDK configuration (credentials,
// region and AWS_ENDPOINT_URL as the standard chain resolved them).
func NewClients(cfg aws.Config) Clients {
	return Clients{
		STS: sts.NewFromConfig(cfg), Organizations: organizations.NewFromConfig(cfg),
		Backup: backup.NewFromConfig(cfg), RAM: ram.NewFromConfig(cfg),
		GuardDuty: guardduty.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg),
		Quotas: servicequotas.NewFromConfig(cfg), CloudTrail: cloudtrail.NewFromConfig(cfg),
	}
}

// Status of one check.
type Status string

// Check outcomes. Skip is not a failure: the check does not apply, or
// another stack's preflight makes it.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check's outcome.
type Result struct {
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	// Fix is the command or console path that fixes a failure.
	Fix string `json:"fix,omitempty"`
}

// Report is the outcome of every check of one stack.
type Report struct {
	Stack   string   `json:"stack"`
	Role    string   `json:"role"`
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Results []Result `json:"results"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// CredentialsError means the caller's identity could not be read: no or
// expired credentials, or no network path to STS. Nothing else was checked.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("reading the caller identity (sts:GetCallerIdentity): %v; check the AWS credentials (AWS_PROFILE, aws sso login, or the deployer role's session)", e.Err)
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Names of the checks, in the order they run.
const (
	CheckCaller         = "caller-account"
	CheckOrganization   = "organization"
	CheckCrossAccount   = "cross-account-backup"
	CheckBackupOptIn    = "backup-opt-in"
	CheckRAMSharing     = "ram-sharing"
	CheckBunkerVault    = "bunker-vault"
	CheckGuardDuty      = "guardduty-detector"
	CheckTrail          = "cloudtrail-logging"
	CheckPrefixList     = "cloudfront-prefix-list"
	CheckQuotaVPCs      = "quota-vpcs"
	CheckQuotaElasticIP = "quota-elastic-ips"
)

// Quotas that a first deployment hits (Service Quotas codes).
const (
	vpcQuotaService = "vpc"
	vpcQuotaCode    = "L-F678F1CE" // VPCs per Region
	eipQuotaService = "ec2"
	eipQuotaCode    = "L-0263D0A3" // EC2-VPC Elastic IPs
)

// CloudFrontOriginFacing is the name of the AWS-managed prefix list of
// CloudFront's origin-facing addresses.
const CloudFrontOriginFacing = "com.amazonaws.global.cloudfront.origin-facing"

// BackupResourceTypes are the AWS Backup resource types the workload's plan
// protects (the Aurora cluster).
var BackupResourceTypes = []string{"Aurora"}

// Run runs every check that applies to the stack's role. It returns a
// *CredentialsError when the caller's identity cannot be read; every other
// AWS error becomes a failed check that names the missing permission.
func Run(ctx context.Context, cfg *config.Config, c Clients) (Report, error) {
	rep := Report{Stack: cfg.Stack, Role: string(cfg.Role), Account: cfg.AccountID, Region: cfg.Region}
	add := func(r Result) { rep.Results = append(rep.Results, r) }

	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return rep, &CredentialsError{Err: err}
	}
	caller := aws.ToString(id.Account)
	if caller != cfg.AccountID {
		add(Result{Check: CheckCaller, Status: Fail,
			Message: fmt.Sprintf("the credentials are for account %s (%s), not the %s account %s; every other check would look at the wrong account, so none ran", caller, aws.ToString(id.Arn), cfg.Role, cfg.AccountID),
			Fix:     fmt.Sprintf("use credentials of the %s account, e.g. a profile that assumes %s (AWS_PROFILE=<profile> fincheck preflight --stack %s)", cfg.Role, orDefault(cfg.AssumeRoleArn, "the deployer role"), cfg.Stack)})
		return rep, nil
	}
	add(Result{Check: CheckCaller, Status: Pass, Message: fmt.Sprintf("credentials are for the %s account %s (%s)", cfg.Role, caller, aws.ToString(id.Arn))})

	add(checkOrganization(ctx, cfg, c.Organizations))
	if cfg.Role == config.RoleWorkload || cfg.Role == config.RoleBunker {
		add(checkCrossAccountBackup(ctx, cfg, c.Backup))
	}
	if cfg.Role == config.RoleWorkload {
		add(checkOptIn(ctx, cfg, c.Backup))
	}
	switch cfg.Role {
	case config.RoleRestore:
		sharing, share := checkRAMSharing(ctx, cfg, c.RAM)
		add(sharing)
		add(checkSharedVault(ctx, cfg, c.RAM, c.Backup, sharing, share))
	case config.RoleBunker:
		add(checkOwnVault(ctx, cfg, c.Backup))
	case config.RoleWorkload:
		add(Result{Check: CheckBunkerVault, Status: Skip,
			Message: "the workload account cannot read the bunker's vault (its access policy grants only backup:CopyIntoBackupVault); `fincheck preflight --stack bunker` checks the vault, and the missing-copy alarm watches the copies"})
	}
	add(checkGuardDuty(ctx, cfg, c.GuardDuty))
	if cfg.Role == config.RoleWorkload || cfg.Role == config.RoleBunker {
		add(checkTrail(ctx, cfg, c.CloudTrail))
	}
	if cfg.Network != nil {
		if cfg.App != nil && cfg.App.APIMode == config.APIModeECS {
			add(checkPrefixList(ctx, cfg, c.EC2))
		}
		add(checkVPCQuota(ctx, c))
		add(checkElasticIPQuota(ctx, cfg, c))
	}
	return rep, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// apiFailure is a failed check for an AWS error other than the ones the
// check understands: it names the call so the operator can grant it.
func apiFailure(check, action string, err error) Result {
	return Result{Check: check, Status: Fail,
		Message: fmt.Sprintf("could not check: %s failed: %s", action, errorText(err)),
		Fix:     fmt.Sprintf("run preflight with the deployer role of this account; it needs %s (read-only)", action)}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func checkOrganization(ctx context.Context, cfg *config.Config, api OrganizationsAPI) Result {
	const check = CheckOrganization
	out, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if errorCode(err) == "AWSOrganizationsNotInUseException" {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("account %s is in no AWS Organization; the bunker's RAM share admits only accounts of its organization and cross-account backup works only inside one", cfg.AccountID),
			Fix:     "invite the account from the organization's management account: AWS Organizations console > AWS accounts > Add an AWS account > Invite, or aws organizations invite-account-to-organization --target Id=" + cfg.AccountID + ",Type=ACCOUNT"}
	}
	if err != nil {
		return apiFailure(check, "organizations:DescribeOrganization", err)
	}
	org := aws.ToString(out.Organization.Id)
	want := cfg.Prerequisites.OrganizationID
	switch {
	case want == "":
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the account is in organization %s, but fintech-resilience:organizationId is not set, so nothing proves the three accounts share it", org),
			Fix:     fmt.Sprintf("set fintech-resilience:organizationId: %s in Pulumi.workload.yaml, Pulumi.bunker.yaml and Pulumi.restore.yaml, and run preflight for all three stacks", org)}
	case want != org:
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the account is in organization %s, not %s (fintech-resilience:organizationId); the bunker shares only inside its own organization", org, want),
			Fix:     fmt.Sprintf("move account %s into %s (AWS Organizations console of the management account), or correct organizationId in all three stack files", cfg.AccountID, want)}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("the account is in organization %s (management account %s); run preflight for all three stacks to prove all three are", org, aws.ToString(out.Organization.MasterAccountId))}
}

func checkCrossAccountBackup(ctx context.Context, cfg *config.Config, api BackupAPI) Result {
	const check = CheckCrossAccount
	out, err := api.DescribeGlobalSettings(ctx, &backup.DescribeGlobalSettingsInput{})
	if err != nil {
		return apiFailure(check, "backup:DescribeGlobalSettings", err)
	}
	if out.GlobalSettings["isCrossAccountBackupEnabled"] != "true" {
		return Result{Check: check, Status: Fail,
			Message: "cross-account backup is off in the organization: every copy job from the workload into the bunker would fail",
			Fix:     fmt.Sprintf("in the organization's management account: aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true --region %s (console: AWS Backup > Settings > Cross-account management > Cross-account backup > Turn on)", cfg.Region)}
	}
	return Result{Check: check, Status: Pass, Message: "cross-account backup is enabled in the organization"}
}

func checkOptIn(ctx context.Context, cfg *config.Config, api BackupAPI) Result {
	const check = CheckBackupOptIn
	out, err := api.DescribeRegionSettings(ctx, &backup.DescribeRegionSettingsInput{})
	if err != nil {
		return apiFailure(check, "backup:DescribeRegionSettings", err)
	}
	var off []string
	for _, t := range BackupResourceTypes {
		if !out.ResourceTypeOptInPreference[t] {
			off = append(off, t)
		}
	}
	if len(off) > 0 {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("AWS Backup is not opted in for %s in %s: the plan would silently skip those resources", strings.Join(off, ", "), cfg.Region),
			Fix:     fmt.Sprintf("aws backup update-region-settings --region %s --resource-type-opt-in-preference %s (console: AWS Backup > Settings > Service opt-in > Configure resources)", cfg.Region, optInArg(off))}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("AWS Backup is opted in for %s", strings.Join(BackupResourceTypes, ", "))}
}

func optInArg(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = t + "=true"
	}
	return strings.Join(parts, ",")
}

// checkRAMSharing decides, from what the restore account sees of the
// bunker's share, whether RAM sharing with Organizations is as configured.
// It returns the active share from the bunker, if any.
func checkRAMSharing(ctx context.Context, cfg *config.Config, api RAMAPI) (Result, *ramtypes.ResourceShare) {
	const check = CheckRAMSharing
	bunker := cfg.Accounts.Bunker
	inv, err := api.GetResourceShareInvitations(ctx, &ram.GetResourceShareInvitationsInput{})
	if err != nil {
		return apiFailure(check, "ram:GetResourceShareInvitations", err), nil
	}
	var pending *ramtypes.ResourceShareInvitation
	for i, v := range inv.ResourceShareInvitations {
		if aws.ToString(v.SenderAccountId) == bunker && v.Status == ramtypes.ResourceShareInvitationStatusPending {
			pending = &inv.ResourceShareInvitations[i]
		}
	}
	shares, err := api.GetResourceShares(ctx, &ram.GetResourceSharesInput{ResourceOwner: ramtypes.ResourceOwnerOtherAccounts})
	if err != nil {
		return apiFailure(check, "ram:GetResourceShares", err), nil
	}
	var active *ramtypes.ResourceShare
	for i, s := range shares.ResourceShares {
		if aws.ToString(s.OwningAccountId) == bunker && s.Status == ramtypes.ResourceShareStatusActive &&
			(cfg.Recovery.BunkerShareArn == "" || aws.ToString(s.ResourceShareArn) == cfg.Recovery.BunkerShareArn) {
			active = &shares.ResourceShares[i]
		}
	}
	orgSharing := cfg.Recovery.RAMSharingWithOrganization
	switch {
	case pending != nil && orgSharing:
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the bunker's share %s arrived as an invitation, so RAM sharing with AWS Organizations is not enabled, but fintech-resilience:ramSharingWithOrganization is true: nothing would accept it and the restore account would never see the vault", aws.ToString(pending.ResourceShareName)),
			Fix:     "either enable it in the management account (aws ram enable-sharing-with-aws-organization; console: Resource Access Manager > Settings > Enable sharing with AWS Organizations), then re-share from the bunker (pulumi up -s bunker), or set fintech-resilience:ramSharingWithOrganization: false in Pulumi.restore.yaml so this stack accepts the invitation"}, nil
	case pending != nil:
		return Result{Check: check, Status: Pass, Message: fmt.Sprintf("the bunker's share %s is a pending invitation; this stack accepts it (ramSharingWithOrganization: false)", aws.ToString(pending.ResourceShareName))}, nil
	case active != nil:
		msg := "the bunker's share " + aws.ToString(active.Name) + " is active without an invitation: RAM sharing with AWS Organizations is on, as configured"
		if !orgSharing {
			msg = "the bunker's share " + aws.ToString(active.Name) + " is already active (accepted); ramSharingWithOrganization: false keeps the accepter that accepted it"
		}
		return Result{Check: check, Status: Pass, Message: msg}, active
	}
	return Result{Check: check, Status: Fail,
		Message: fmt.Sprintf("no resource share from the bunker account %s reaches this account (neither active nor invited)", bunker),
		Fix:     "deploy the bunker first (pulumi up -s bunker), then run this preflight again; if the bunker is deployed, check its share fintech-bunker-restore names this account (fincheck preflight --stack bunker)"}, nil
}

// checkSharedVault follows the active share to the vault and describes it
// in the bunker account.
func checkSharedVault(ctx context.Context, cfg *config.Config, ramAPI RAMAPI, backupAPI BackupAPI, sharing Result, share *ramtypes.ResourceShare) Result {
	const check = CheckBunkerVault
	if share == nil {
		msg := "not checked: no active share from the bunker yet"
		if sharing.Status == Pass {
			msg = "not checked: the share is accepted during pulumi up -s restore; run preflight again afterwards"
		}
		return Result{Check: check, Status: Skip, Message: msg}
	}
	assoc, err := ramAPI.GetResourceShareAssociations(ctx, &ram.GetResourceShareAssociationsInput{
		AssociationType: ramtypes.ResourceShareAssociationTypeResource, ResourceShareArns: []string{aws.ToString(share.ResourceShareArn)},
	})
	if err != nil {
		return apiFailure(check, "ram:GetResourceShareAssociations", err)
	}
	var vaultArn string
	for _, a := range assoc.ResourceShareAssociations {
		if a.Status == ramtypes.ResourceShareAssociationStatusAssociated && strings.Contains(aws.ToString(a.AssociatedEntity), ":backup-vault:") {
			vaultArn = aws.ToString(a.AssociatedEntity)
		}
	}
	if vaultArn == "" {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the bunker's share %s holds no backup vault", aws.ToString(share.Name)),
			Fix:     "run pulumi up -s bunker (it associates the air-gapped vault with the share)"}
	}
	if want := cfg.Recovery.BunkerVaultArn; want != "" && want != vaultArn {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the share holds %s, but fintech-resilience:bunkerVaultArn is %s", vaultArn, want),
			Fix:     "set bunkerVaultArn to " + vaultArn + " in Pulumi.restore.yaml, or remove it to read the bunker stack's output"}
	}
	name := vaultArn[strings.LastIndex(vaultArn, ":")+1:]
	out, err := backupAPI.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(name), BackupVaultAccountId: aws.String(cfg.Accounts.Bunker)})
	if err != nil {
		return apiFailure(check, "backup:DescribeBackupVault (shared vault "+vaultArn+")", err)
	}
	if out.VaultType != backuptypes.VaultTypeLogicallyAirGappedBackupVault {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the shared vault %s is a %s, not a logically air-gapped vault", vaultArn, out.VaultType),
			Fix:     "point the bunker stack at the air-gapped vault (airGappedVaultName) and pulumi up -s bunker"}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("the bunker's air-gapped vault %s is shared with this account (%s, %d recovery points)", vaultArn, out.VaultState, out.NumberOfRecoveryPoints)}
}

func checkOwnVault(ctx context.Context, cfg *config.Config, api BackupAPI) Result {
	const check = CheckBunkerVault
	name := cfg.Bunker.VaultName
	out, err := api.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(name)})
	switch {
	case errorCode(err) == "ResourceNotFoundException":
		return Result{Check: check, Status: Pass, Message: fmt.Sprintf("no vault %s yet: pulumi up -s bunker creates it", name)}
	case err != nil:
		return apiFailure(check, "backup:DescribeBackupVault", err)
	case out.VaultType != backuptypes.VaultTypeLogicallyAirGappedBackupVault:
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("a %s named %s already exists: the air-gapped vault cannot be created under that name", out.VaultType, name),
			Fix:     "choose another fintech-resilience:airGappedVaultName in Pulumi.bunker.yaml (and bunkerVaultArn in Pulumi.workload.yaml)"}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("the air-gapped vault %s exists (%s, %d recovery points)", aws.ToString(out.BackupVaultArn), out.VaultState, out.NumberOfRecoveryPoints)}
}

func checkGuardDuty(ctx context.Context, cfg *config.Config, api GuardDutyAPI) Result {
	const check = CheckGuardDuty
	out, err := api.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		return apiFailure(check, "guardduty:ListDetectors", err)
	}
	adopt := cfg.Prerequisites.GuardDutyDetectorID
	ids := out.DetectorIds
	switch {
	case len(ids) == 0 && adopt == "":
		return Result{Check: check, Status: Pass, Message: "no GuardDuty detector yet: the stack creates it"}
	case len(ids) == 0:
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("fintech-resilience:guardDutyDetectorId is %s, but the account has no detector in %s: the import would fail", adopt, cfg.Region),
			Fix:     "remove guardDutyDetectorId from Pulumi." + cfg.Stack + ".yaml (the stack then creates the detector)"}
	case adopt == "":
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("the account already has GuardDuty detector %s (one per account and region; an organization that auto-enables GuardDuty creates it): creating another fails. If an earlier pulumi up of this stack created it, ignore this", ids[0]),
			Fix:     fmt.Sprintf("adopt it: set fintech-resilience:guardDutyDetectorId: %s in Pulumi.%s.yaml, and guardDutyFindingFrequency to its current value (aws guardduty get-detector --detector-id %s)", ids[0], cfg.Stack, ids[0])}
	case ids[0] != adopt:
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("fintech-resilience:guardDutyDetectorId is %s, but the account's detector is %s", adopt, ids[0]),
			Fix:     fmt.Sprintf("set guardDutyDetectorId: %s in Pulumi.%s.yaml", ids[0], cfg.Stack)}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("the existing detector %s is adopted through guardDutyDetectorId", adopt)}
}

func checkPrefixList(ctx context.Context, cfg *config.Config, api EC2API) Result {
	const check = CheckPrefixList
	out, err := api.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
		Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{CloudFrontOriginFacing}}},
	})
	if err != nil {
		return apiFailure(check, "ec2:DescribeManagedPrefixLists", err)
	}
	want := cfg.App.OriginPrefixListID
	if len(out.PrefixLists) == 0 {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("%s has no %s prefix list: CloudFront VPC origins are not available there", cfg.Region, CloudFrontOriginFacing),
			Fix:     "deploy to a region that supports CloudFront VPC origins, or use apiMode: apprunner (workload only)"}
	}
	got := aws.ToString(out.PrefixLists[0].PrefixListId)
	if got != want {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("fintech-resilience:cloudFrontOriginPrefixListId is %s, but %s's %s list is %s: the ALB would admit the wrong sources and CloudFront none", want, cfg.Region, CloudFrontOriginFacing, got),
			Fix:     fmt.Sprintf("set fintech-resilience:cloudFrontOriginPrefixListId: %s in Pulumi.%s.yaml", got, cfg.Stack)}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("%s is %s's CloudFront origin-facing prefix list", got, cfg.Region)}
}

// quota reads a quota's applied value.
func quota(ctx context.Context, api QuotasAPI, service, code string) (int, error) {
	out, err := api.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String(service), QuotaCode: aws.String(code)})
	if err != nil {
		return 0, err
	}
	if out.Quota == nil || out.Quota.Value == nil {
		return 0, fmt.Errorf("quota %s/%s has no value", service, code)
	}
	return int(*out.Quota.Value), nil
}

func checkVPCQuota(ctx context.Context, c Clients) Result {
	const check = CheckQuotaVPCs
	limit, err := quota(ctx, c.Quotas, vpcQuotaService, vpcQuotaCode)
	if err != nil {
		return apiFailure(check, "servicequotas:GetServiceQuota (vpc "+vpcQuotaCode+")", err)
	}
	used := 0
	var token *string
	for {
		out, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{NextToken: token})
		if err != nil {
			return apiFailure(check, "ec2:DescribeVpcs", err)
		}
		used += len(out.Vpcs)
		if token = out.NextToken; token == nil {
			break
		}
	}
	return quotaResult(check, "VPCs per Region", used, 1, limit, vpcQuotaService, vpcQuotaCode)
}

func checkElasticIPQuota(ctx context.Context, cfg *config.Config, c Clients) Result {
	const check = CheckQuotaElasticIP
	need := 0
	switch cfg.Network.NatGateways {
	case config.NatSingle:
		need = 1
	case config.NatPerAZ:
		need = len(cfg.AvailabilityZones)
	}
	if need == 0 {
		return Result{Check: check, Status: Skip, Message: "natGateways is none: the stack allocates no Elastic IP"}
	}
	limit, err := quota(ctx, c.Quotas, eipQuotaService, eipQuotaCode)
	if err != nil {
		return apiFailure(check, "servicequotas:GetServiceQuota (ec2 "+eipQuotaCode+")", err)
	}
	out, err := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return apiFailure(check, "ec2:DescribeAddresses", err)
	}
	return quotaResult(check, fmt.Sprintf("Elastic IPs (one per NAT gateway, natGateways: %s)", cfg.Network.NatGateways), len(out.Addresses), need, limit, eipQuotaService, eipQuotaCode)
}

func quotaResult(check, what string, used, need, limit int, service, code string) Result {
	if used+need > limit {
		return Result{Check: check, Status: Fail,
			Message: fmt.Sprintf("%s: %d in use + %d for this stack > quota %d", what, used, need, limit),
			Fix:     fmt.Sprintf("aws service-quotas request-service-quota-increase --service-code %s --quota-code %s --desired-value %d (console: Service Quotas > AWS services), or release unused ones", service, code, used+need)}
	}
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf("%s: %d in use + %d for this stack <= quota %d", what, used, need, limit)}
}

// checkTrail finds a trail that logs management events of this region:
// EventBridge receives "AWS API Call via CloudTrail" events only while one
// does, so without it the tamper alerts never fire.
func checkTrail(ctx context.Context, cfg *config.Config, api CloudTrailAPI) Result {
	const check = CheckTrail
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return apiFailure(check, "cloudtrail:DescribeTrails", err)
	}
	var stopped []string
	for _, tr := range out.TrailList {
		if !aws.ToBool(tr.IsMultiRegionTrail) && aws.ToString(tr.HomeRegion) != cfg.Region {
			continue
		}
		name := aws.ToString(tr.Name)
		st, err := api.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: tr.TrailARN})
		switch {
		case err != nil && aws.ToBool(tr.IsOrganizationTrail):
			return Result{Check: check, Status: Pass, Message: fmt.Sprintf("organization trail %s covers %s (its status is readable only in the management account: confirm there that it is logging)", name, cfg.Region)}
		case err != nil:
			return apiFailure(check, "cloudtrail:GetTrailStatus", err)
		case aws.ToBool(st.IsLogging):
			return Result{Check: check, Status: Pass, Message: fmt.Sprintf("trail %s logs %s: the tamper alerts receive CloudTrail events", name, cfg.Region)}
		}
		stopped = append(stopped, name)
	}
	msg := fmt.Sprintf("no CloudTrail trail logs %s: EventBridge gets no \"AWS API Call via CloudTrail\" events, so the tamper alerts would never fire", cfg.Region)
	if len(stopped) > 0 {
		msg += fmt.Sprintf(" (trail %s exists but is stopped)", strings.Join(stopped, ", "))
	}
	return Result{Check: check, Status: Fail, Message: msg,
		Fix: "start it (aws cloudtrail start-logging --name <trail>), or create an organization trail in the management account (CloudTrail console > Trails > Create trail > Enable for all accounts in my organization)"}
}
