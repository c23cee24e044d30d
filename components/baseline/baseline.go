// Package baseline provides AccountBaseline, the account-wide security
// settings every stack's account gets.
//
// Guarantees: an enabled GuardDuty detector with every protection plan that
// applies to this architecture (S3 data events, EBS malware protection, RDS
// login events, Lambda network logs, runtime monitoring with the Fargate
// agent managed by GuardDuty); in accounts that run compute (a data key is
// given), EBS encryption by default with that customer-managed key, so no
// volume falls back to the AWS-managed key; and the account-wide S3 public
// access block. The bunker runs no compute and so gets no EBS setting.
//
// An account has at most one GuardDuty detector per region. When the account
// already has one (an organization that auto-enables GuardDuty creates it in
// every member account), ExistingDetectorID adopts it: the detector is
// imported, never deleted by this stack (retained on delete), and its
// protection plans are left to whoever created it (the organization's
// delegated administrator manages them for members).
package baseline

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:baseline:AccountBaseline"

// Feature names of the GuardDuty protection plans used here.
const (
	FeatureS3DataEvents      = "S3_DATA_EVENTS"
	FeatureEBSMalware        = "EBS_MALWARE_PROTECTION"
	FeatureRDSLoginEvents    = "RDS_LOGIN_EVENTS"
	FeatureLambdaNetworkLogs = "LAMBDA_NETWORK_LOGS"
	FeatureRuntimeMonitoring = "RUNTIME_MONITORING"
)

// DefaultFeatures are the protections that apply to ECS Fargate, Aurora,
// Lambda, S3 and EBS workloads.
var DefaultFeatures = []string{FeatureEBSMalware, FeatureLambdaNetworkLogs, FeatureRDSLoginEvents, FeatureRuntimeMonitoring, FeatureS3DataEvents}

var knownFeatures = map[string]bool{
	FeatureS3DataEvents: true, FeatureEBSMalware: true, FeatureRDSLoginEvents: true,
	FeatureLambdaNetworkLogs: true, FeatureRuntimeMonitoring: true,
	"EKS_AUDIT_LOGS": true, "EKS_RUNTIME_MONITORING": true,
}

var detectorIDRE = regexp.MustCompile(`^[a-z0-9]{32}$`)

// Args configures the baseline.
type Args struct {
	// FindingPublishingFrequency is FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS.
	FindingPublishingFrequency string
	// Features are GuardDuty protection plans to enable (default DefaultFeatures).
	Features []string
	// EbsKeyArn, when set, becomes the account's default EBS encryption key.
	EbsKeyArn pulumi.StringInput
	// ExistingDetectorID adopts this account's existing GuardDuty detector
	// (imported and retained) instead of creating one.
	ExistingDetectorID string
}

// AccountBaseline is the account-wide settings.
type AccountBaseline struct {
	pulumi.ResourceState

	Detector   *guardduty.Detector
	DetectorID pulumi.StringOutput
}

func (a *Args) validate() error {
	switch a.FindingPublishingFrequency {
	case "FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS":
	default:
		return fmt.Errorf("FindingPublishingFrequency %q is not FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS", a.FindingPublishingFrequency)
	}
	if a.ExistingDetectorID != "" && !detectorIDRE.MatchString(a.ExistingDetectorID) {
		return fmt.Errorf("ExistingDetectorID %q is not a GuardDuty detector id (32 lower-case letters or digits)", a.ExistingDetectorID)
	}
	seen := map[string]bool{}
	for _, f := range a.Features {
		if !knownFeatures[f] {
			return fmt.Errorf("GuardDuty feature %q is not known", f)
		}
		if seen[f] {
			return fmt.Errorf("GuardDuty feature %q is listed twice", f)
		}
		seen[f] = true
	}
	return nil
}

// NewAccountBaseline creates the detector, its features and the account
// settings.
func NewAccountBaseline(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*AccountBaseline, error) {
	if args == nil {
		return nil, fmt.Errorf("baseline %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", name, err)
	}
	features := args.Features
	if len(features) == 0 {
		features = DefaultFeatures
	}
	features = append([]string{}, features...)
	sort.Strings(features)

	b := &AccountBaseline{}
	if err := ctx.RegisterComponentResource(TypeToken, name, b, opts...); err != nil {
		return nil, fmt.Errorf("baseline %s: register: %w", name, err)
	}
	parent := pulumi.Parent(b)
	detOpts := []pulumi.ResourceOption{parent}
	if args.ExistingDetectorID != "" {
		detOpts = append(detOpts, pulumi.Import(pulumi.ID(args.ExistingDetectorID)), pulumi.RetainOnDelete(true))
		features = nil // the detector's owner manages its protection plans
	}
	det, err := guardduty.NewDetector(ctx, name+"-guardduty", &guardduty.DetectorArgs{
		Enable:                     pulumi.Bool(true),
		FindingPublishingFrequency: pulumi.String(args.FindingPublishingFrequency),
	}, detOpts...)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: guardduty detector: %w", name, err)
	}
	b.Detector = det
	b.DetectorID = det.ID().ToStringOutput()
	for _, f := range features {
		fa := &guardduty.DetectorFeatureArgs{
			DetectorId: det.ID(),
			Name:       pulumi.String(f),
			Status:     pulumi.String("ENABLED"),
		}
		if f == FeatureRuntimeMonitoring {
			fa.AdditionalConfigurations = guardduty.DetectorFeatureAdditionalConfigurationArray{
				guardduty.DetectorFeatureAdditionalConfigurationArgs{
					Name: pulumi.String("ECS_FARGATE_AGENT_MANAGEMENT"), Status: pulumi.String("ENABLED"),
				},
			}
		}
		if _, err := guardduty.NewDetectorFeature(ctx, fmt.Sprintf("%s-guardduty-%s", name, featureSlug(f)), fa, parent); err != nil {
			return nil, fmt.Errorf("baseline %s: guardduty feature %s: %w", name, f, err)
		}
	}
	if args.EbsKeyArn != nil {
		if _, err := ebs.NewEncryptionByDefault(ctx, name+"-ebs-encryption", &ebs.EncryptionByDefaultArgs{
			Enabled: pulumi.Bool(true),
		}, parent); err != nil {
			return nil, fmt.Errorf("baseline %s: ebs encryption by default: %w", name, err)
		}
		if _, err := ebs.NewDefaultKmsKey(ctx, name+"-ebs-default-key", &ebs.DefaultKmsKeyArgs{
			KeyArn: args.EbsKeyArn,
		}, parent); err != nil {
			return nil, fmt.Errorf("baseline %s: ebs default key: %w", name, err)
		}
	}
	if _, err := s3.NewAccountPublicAccessBlock(ctx, name+"-s3-public-access-block", &s3.AccountPublicAccessBlockArgs{
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, fmt.Errorf("baseline %s: s3 public access block: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"detectorId": b.DetectorID}); err != nil {
		return nil, fmt.Errorf("baseline %s: outputs: %w", name, err)
	}
	return b, nil
}

func featureSlug(f string) string {
	out := make([]byte, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '_':
			c = '-'
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}
