package config

import (
	"fmt"
	"regexp"
	"strings"
)

// State backends a stack reference must match (docs/architecture.md,
// "State backend and stack references").
const (
	BackendPulumiCloud = "pulumi-cloud"
	BackendSelfManaged = "self-managed"
)

// SelfManagedOrganization is the fixed organization part of every fully
// qualified stack name in a self-managed (S3, Azure Blob, GCS or file)
// state backend: such a backend refuses any other.
const SelfManagedOrganization = "organization"

// Prerequisites are facts about the accounts that the stacks cannot create
// and `fincheck preflight` verifies before the first `pulumi up`.
type Prerequisites struct {
	// OrganizationID is the AWS Organization all three accounts belong to
	// ("" when not given; preflight then asks for it).
	OrganizationID string
	// GuardDutyDetectorID adopts an existing detector (created by the
	// organization's delegated administrator or by hand) instead of
	// creating one: an account has at most one detector per region.
	GuardDutyDetectorID string
	// StateBackend is pulumi-cloud, self-managed or "" (not stated).
	StateBackend string
}

var (
	orgIDRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	detectorIDRE = regexp.MustCompile(`^[a-z0-9]{32}$`)
)

func (r *reader) prerequisites() Prerequisites {
	p := Prerequisites{
		OrganizationID:      r.optStr("organizationId", ""),
		GuardDutyDetectorID: r.optStr("guardDutyDetectorId", ""),
	}
	if p.OrganizationID != "" && !orgIDRE.MatchString(p.OrganizationID) {
		r.fail("organizationId", p.OrganizationID, "is not an AWS Organizations id (o- and 10-32 lower-case letters or digits; aws organizations describe-organization)")
	}
	if p.GuardDutyDetectorID != "" && !detectorIDRE.MatchString(p.GuardDutyDetectorID) {
		r.fail("guardDutyDetectorId", p.GuardDutyDetectorID, "is not a GuardDuty detector id (32 lower-case letters or digits; aws guardduty list-detectors)")
	}
	if _, given := r.raw("stateBackend"); given {
		p.StateBackend = r.oneOf("stateBackend", "", BackendPulumiCloud, BackendSelfManaged)
	}
	return p
}

// checkStackReference checks a bunkerStack value against the project and
// the state backend: Pulumi Cloud takes <org>/fintech-resilience/bunker,
// a self-managed backend only organization/fintech-resilience/bunker.
func (r *reader) checkStackReference(key, ref, backend string) {
	if ref == "" {
		return
	}
	parts := strings.Split(ref, "/")
	if len(parts) != 3 {
		return // stackRef reported the form already
	}
	if parts[1] != Namespace {
		r.fail(key, ref, fmt.Sprintf("names project %q; the bunker is a stack of this project (expected <org>/%s/<stack>)", parts[1], Namespace))
	}
	if backend == BackendSelfManaged && parts[0] != SelfManagedOrganization {
		r.fail(key, ref, fmt.Sprintf("starts with %q, but fintech-resilience:stateBackend is self-managed, where every stack lives in the organization %q (expected %s/%s/%s)",
			parts[0], SelfManagedOrganization, SelfManagedOrganization, Namespace, parts[2]))
	}
}

// checkEdgeNeedsInternetGateway refuses apiMode ecs in a VPC without an
// internet gateway: CloudFront VPC origins require one attached to the
// origin's VPC (CloudFront developer guide, VPC origins prerequisites),
// and SecureVPC creates it only with a public tier.
func (r *reader) checkEdgeNeedsInternetGateway(a *App, n *Network) {
	if a == nil || n == nil || a.APIMode != APIModeECS || n.Public() || r.has("natGateways") || r.has("publicIngress") {
		return
	}
	r.fail("apiMode", a.APIMode, fmt.Sprintf(
		"needs an internet gateway in the VPC (CloudFront VPC origins require one), but %s:natGateways is none and %s:publicIngress is false, so none is created: set natGateways to single or perAz (recommended; the public subnets then hold only NAT gateways) or publicIngress: true",
		Namespace, Namespace))
}
