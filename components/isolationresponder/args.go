package isolationresponder

import (
	"fmt"
	"maps"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// Defaults.
const (
	DefaultSeverityThreshold    = contract.IsolationDefaultSeverityThreshold
	DefaultImmediateSeverity    = contract.IsolationDefaultImmediateSeverity
	DefaultApprovalTimeoutHours = 4
	DefaultLogRetentionDays     = 365
	DefaultReservedConcurrency  = 5
	// MinLogRetentionDays is the shortest retention of evidence and logs.
	MinLogRetentionDays = 365
	// DenyAllRuleNo numbers the explicit deny-all entries of the quarantine
	// network ACL.
	DenyAllRuleNo = 32000
)

// Tiers a blast radius may name (securevpc tiers).
var knownTiers = map[string]bool{"public": true, "private": true, "isolated": true}

// Args configures an IsolationResponder.
type Args struct {
	// AccountID is the only account whose findings are acted on.
	AccountID string
	// Region is the region of the VPC and of the findings acted on.
	Region string
	// VpcID is the VPC the quarantine network ACL belongs to.
	VpcID pulumi.StringInput
	// TierSubnetIDs are the VPC's subnets per tier ("public", "private",
	// "isolated"), e.g. from securevpc SubnetIDs.
	TierSubnetIDs map[string]pulumi.StringArrayInput
	// BlastRadiusTiers are isolated when a finding names no network
	// resource (default ["private"]).
	BlastRadiusTiers []string
	// ForensicsCIDRs may still reach quarantined subnets (TCP in, ephemeral
	// TCP out); IPv4 CIDRs, default none.
	ForensicsCIDRs []string
	// SeverityThreshold: findings below it are ignored (default 7 = high).
	SeverityThreshold float64
	// FindingTypePrefixes limit the finding types (empty: all types).
	FindingTypePrefixes []string
	// ImmediateSeverity: findings at or above it isolate at once; below it a
	// human approves first (default 9 = critical).
	ImmediateSeverity float64
	// ApprovalTimeoutHours is how long an approval request waits (default 4).
	ApprovalTimeoutHours int
	// AuroraClusterIDs are snapshotted as evidence on isolation (optional).
	AuroraClusterIDs pulumi.StringArrayInput
	// ReleaseRoleTrustAccountID is the account whose principals may assume
	// the incident-release role, with MFA (default AccountID).
	ReleaseRoleTrustAccountID string
	// DataKeyArn encrypts the state table and the functions' environment.
	DataKeyArn pulumi.StringInput
	// LogsKeyArn encrypts the log groups.
	LogsKeyArn pulumi.StringInput
	// NotificationKeyArn encrypts the SNS topic and the dead-letter queue.
	NotificationKeyArn pulumi.StringInput
	// NotificationEmails are subscribed to the topic.
	NotificationEmails []string
	// ModuleRoot is the directory of go.mod, for building the functions
	// (default ".", the Pulumi program's directory).
	ModuleRoot string
	// LogRetentionDays of every log group (default 365, at least 365).
	LogRetentionDays int
	// ReservedConcurrency of each function (default 5; negative: none, for
	// accounts whose concurrency quota cannot spare a reservation).
	ReservedConcurrency int
	// FunctionArchives, when set, are prebuilt packages by function name
	// (FunctionIsolate, FunctionRelease): the component then builds nothing. Useful in
	// tests and for pipelines that build the zips in an earlier step (with
	// components/lambdabuild, so the hashes match a local build).
	FunctionArchives map[string]lambdabuild.Artifact
}

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9:/._!-]+$`)
)

// withDefaults returns a copy with defaults filled in.
func (a Args) withDefaults() Args {
	if a.BlastRadiusTiers == nil {
		a.BlastRadiusTiers = []string{"private"}
	}
	if a.SeverityThreshold == 0 {
		a.SeverityThreshold = DefaultSeverityThreshold
	}
	if a.ImmediateSeverity == 0 {
		a.ImmediateSeverity = DefaultImmediateSeverity
	}
	if a.ApprovalTimeoutHours == 0 {
		a.ApprovalTimeoutHours = DefaultApprovalTimeoutHours
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultLogRetentionDays
	}
	if a.ReservedConcurrency == 0 {
		a.ReservedConcurrency = DefaultReservedConcurrency
	}
	if a.ReleaseRoleTrustAccountID == "" {
		a.ReleaseRoleTrustAccountID = a.AccountID
	}
	if a.ModuleRoot == "" {
		a.ModuleRoot = "."
	}
	return a
}

func (a *Args) validate(name string) error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if !nameRE.MatchString(name) {
		add("name %q must be 1-40 lower-case letters, digits or '-', starting with a letter", name)
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if p := awsfacts.RegionProblem(a.Region); p != "" {
		add("Region %q %s", a.Region, p)
	}
	if a.VpcID == nil {
		add("VpcID is required")
	}
	if len(a.BlastRadiusTiers) == 0 {
		add("BlastRadiusTiers must name at least one tier")
	}
	for _, t := range a.BlastRadiusTiers {
		switch {
		case !knownTiers[t]:
			add("BlastRadiusTiers: %q is not a tier (public, private, isolated)", t)
		case a.TierSubnetIDs[t] == nil:
			add("BlastRadiusTiers: tier %q has no subnets in TierSubnetIDs", t)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(a.TierSubnetIDs)) {
		if !knownTiers[t] {
			add("TierSubnetIDs: %q is not a tier (public, private, isolated)", t)
		}
	}
	for _, c := range a.ForensicsCIDRs {
		ip, ipnet, err := net.ParseCIDR(c)
		switch {
		case err != nil || ip.To4() == nil:
			add("ForensicsCIDRs: %q is not an IPv4 CIDR", c)
		case ipnet.String() != c:
			add("ForensicsCIDRs: %q has host bits set (use %s)", c, ipnet.String())
		default:
			if ones, _ := ipnet.Mask.Size(); ones < 16 {
				add("ForensicsCIDRs: %q is wider than /16; a quarantine admits forensics hosts only", c)
			}
		}
	}
	if len(a.ForensicsCIDRs) > 10 {
		add("ForensicsCIDRs: at most 10 (network ACL quota)")
	}
	if a.SeverityThreshold < 1 || a.SeverityThreshold > 10 {
		add("SeverityThreshold %v must be between 1 and 10", a.SeverityThreshold)
	}
	if a.ImmediateSeverity < a.SeverityThreshold || a.ImmediateSeverity > 10 {
		add("ImmediateSeverity %v must be between SeverityThreshold %v and 10", a.ImmediateSeverity, a.SeverityThreshold)
	}
	for _, p := range a.FindingTypePrefixes {
		if !prefixRE.MatchString(p) {
			add("FindingTypePrefixes: %q is not a GuardDuty finding type prefix (e.g. UnauthorizedAccess:EC2/)", p)
		}
	}
	if a.ApprovalTimeoutHours < 1 || a.ApprovalTimeoutHours > 168 {
		add("ApprovalTimeoutHours %d must be between 1 and 168", a.ApprovalTimeoutHours)
	}
	if !awsfacts.ValidAccountID(a.ReleaseRoleTrustAccountID) {
		add("ReleaseRoleTrustAccountID %q is not a 12-digit account id", a.ReleaseRoleTrustAccountID)
	}
	if a.DataKeyArn == nil {
		add("DataKeyArn (a customer-managed key) is required")
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (a customer-managed key) is required")
	}
	if a.NotificationKeyArn == nil {
		add("NotificationKeyArn (a customer-managed key) is required")
	}
	for _, e := range a.NotificationEmails {
		if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e {
			add("NotificationEmails: %q is not a plain address", e)
		}
	}
	if !awsfacts.ValidLogRetention(a.LogRetentionDays) || a.LogRetentionDays < MinLogRetentionDays {
		add("LogRetentionDays %d must be a CloudWatch Logs retention of at least %d (365, 400, 545, 731, ...)", a.LogRetentionDays, MinLogRetentionDays)
	}
	if a.FunctionArchives != nil {
		for _, fn := range []string{FunctionIsolate, FunctionRelease} {
			art, ok := a.FunctionArchives[fn]
			if !ok || art.ZipPath == "" || art.SHA256Base64 == "" {
				add("FunctionArchives: %q needs a zip path and its SHA-256", fn)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return nil
}
