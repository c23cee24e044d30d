// Package edge provides Edge: CloudFront in front of an internal load
// balancer through a CloudFront VPC origin, with an AWS WAF web ACL at the
// edge.
//
// Guarantees:
//   - The distribution reaches the load balancer only through a VPC origin
//     (the load balancer stays internal; nothing on the internet reaches it
//     directly), over HTTPS when OriginHTTPS is set (TLS 1.2).
//   - Every request passes a WAF web ACL of scope CLOUDFRONT (created with
//     the us-east-1 provider given in Args.EdgeProvider): AWS managed rule
//     groups (by default Common, KnownBadInputs, AmazonIpReputationList and
//     SQLi, each blocking as the group says) and a per-IP rate limit that
//     blocks (on by default). WAF metrics and sampled requests are on.
//   - When Args.WafLogsKeyArn is given, WAF logs go to a CloudWatch log group
//     aws-waf-logs-<name> in us-east-1 encrypted with that customer-managed
//     key (which must live in us-east-1). Without it WAF logging is off.
//   - Viewers are redirected to HTTPS; with a certificate, TLS 1.2 (2021
//     policy) at least, SNI only. HTTP/2 and HTTP/3, IPv6 on. Dynamic
//     content: the managed CachingDisabled, AllViewerExceptHostHeader and
//     SecurityHeadersPolicy policies.
package edge

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:edge:Edge"

// AWS managed CloudFront policies.
const (
	CachingDisabledPolicyID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	AllViewerExceptHostHeaderPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	SecurityHeadersPolicyID           = "67f7725c-6f97-4210-82d7-5512b31e9d03"
)

// Managed rule groups that may be turned on.
const (
	CommonRuleSet         = "AWSManagedRulesCommonRuleSet"
	KnownBadInputsRuleSet = "AWSManagedRulesKnownBadInputsRuleSet"
	IPReputationList      = "AWSManagedRulesAmazonIpReputationList"
	SQLiRuleSet           = "AWSManagedRulesSQLiRuleSet"
)

// DefaultManagedRuleGroups are the managed rule groups used when
// Args.ManagedRuleGroups is nil, in priority order.
var DefaultManagedRuleGroups = []string{IPReputationList, CommonRuleSet, KnownBadInputsRuleSet, SQLiRuleSet}

// DefaultRateLimitPer5Min is the per-IP request limit per 5 minutes.
const DefaultRateLimitPer5Min = 2000

// DefaultPriceClass is the price class when none is given.
const DefaultPriceClass = "PriceClass_200"

// DefaultWafLogRetentionDays is the WAF log retention when none is given.
const DefaultWafLogRetentionDays = 365

// RateLimitRuleName is the name of the rate-based rule.
const RateLimitRuleName = "RateLimitPerIP"

// OriginID is the distribution's only origin.
const OriginID = "alb"

// Args configures an Edge.
type Args struct {
	// EdgeProvider is an aws provider for us-east-1 (CLOUDFRONT-scope web
	// ACLs and their log groups live there). Required.
	EdgeProvider pulumi.ProviderResource
	// AlbArn is the internal load balancer's ARN. AlbDnsName is the
	// origin's domain name: the load balancer's DNS name, or with
	// OriginHTTPS a host name its certificate covers.
	AlbArn     pulumi.StringInput
	AlbDnsName pulumi.StringInput
	// OriginHTTPS makes CloudFront talk HTTPS (443, TLS 1.2) to the load
	// balancer, which then needs an HTTPS listener on 443 whose certificate
	// matches AlbDnsName; otherwise HTTP (80) inside the VPC, and the load
	// balancer's listener must be on 80.
	OriginHTTPS bool
	// OriginKeepaliveTimeout and OriginReadTimeout in seconds (defaults 5
	// and 30; AWS allows 1-60 without a quota increase).
	OriginKeepaliveTimeout int
	OriginReadTimeout      int

	// ManagedRuleGroups are the AWS managed rule groups to use; nil means
	// DefaultManagedRuleGroups. At least one is required.
	ManagedRuleGroups []string
	// RateLimitPer5Min is the per-IP limit per 5 minutes; nil means
	// DefaultRateLimitPer5Min, 0 turns the rate rule off.
	RateLimitPer5Min *int
	// WafLogsKeyArn, a customer-managed key in us-east-1, turns WAF logging
	// on; nil leaves WAF logging off.
	WafLogsKeyArn pulumi.StringInput
	// WafLogRetentionDays is the WAF log retention (default 365).
	WafLogRetentionDays int

	// Aliases are the distribution's host names; they need CertificateArn.
	Aliases []string
	// CertificateArn is an ACM certificate in us-east-1 for the aliases;
	// nil uses the CloudFront default certificate (*.cloudfront.net).
	CertificateArn pulumi.StringInput
	// GeoRestrictionCountries, when set, is the allow list of viewer
	// countries (ISO 3166-1 alpha-2).
	GeoRestrictionCountries []string
	// PriceClass is PriceClass_All, PriceClass_200 (default) or PriceClass_100.
	PriceClass string
	// LoggingBucket (a bucket domain name such as
	// logs.s3.amazonaws.com) turns standard access logs on.
	LoggingBucket string
	LoggingPrefix string

	// Origin, when set, is where the load balancer's nodes are (its subnets
	// and security groups): CloudFront creates the VPC origin's network
	// interfaces in those subnets, and the path from them to the listener
	// is declared required. OriginPrefixListID is the CloudFront
	// origin-facing managed prefix list the origin's security group admits.
	Origin             *flow.Endpoint
	OriginPrefixListID string
}

// Edge is the distribution, its VPC origin and its web ACL.
type Edge struct {
	pulumi.ResourceState

	Distribution *cloudfront.Distribution
	VpcOrigin    *cloudfront.VpcOrigin
	WebAcl       *wafv2.WebAcl
	WafLogGroup  *cloudwatch.LogGroup // nil when WAF logging is off

	DistributionID         pulumi.StringOutput
	DistributionDomainName pulumi.StringOutput
	WebAclArn              pulumi.StringOutput
	VpcOriginID            pulumi.StringOutput
}

var (
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
	hostRE      = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	countryRE   = regexp.MustCompile(`^[A-Z]{2}$`)
	logBucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\.s3(\.[a-z0-9-]+)?\.amazonaws\.com$`)
	usEast1ARN  = regexp.MustCompile(`^arn:aws:(acm|kms):us-east-1:`)
)

var managedGroups = map[string]bool{CommonRuleSet: true, KnownBadInputsRuleSet: true, IPReputationList: true, SQLiRuleSet: true}

var priceClasses = map[string]bool{"PriceClass_All": true, "PriceClass_200": true, "PriceClass_100": true}

// settings are the arguments with defaults applied.
type settings struct {
	groups          []string
	rateLimit       int
	keepalive, read int
	priceClass      string
	wafRetention    int
}

func (a *Args) resolve(name string) (settings, error) {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	s := settings{
		groups: a.ManagedRuleGroups, rateLimit: DefaultRateLimitPer5Min,
		keepalive: a.OriginKeepaliveTimeout, read: a.OriginReadTimeout,
		priceClass: a.PriceClass, wafRetention: a.WafLogRetentionDays,
	}
	if !nameRE.MatchString(name) {
		add("name %q must be 1-100 letters, digits, '-' or '_' (it names the web ACL)", name)
	}
	if a.EdgeProvider == nil {
		add("EdgeProvider (an aws provider for us-east-1) is required")
	}
	if a.AlbArn == nil {
		add("AlbArn is required")
	}
	if a.AlbDnsName == nil {
		add("AlbDnsName is required")
	}
	if s.groups == nil {
		s.groups = DefaultManagedRuleGroups
	}
	if len(s.groups) == 0 {
		add("ManagedRuleGroups must name at least one group (nil means the default four)")
	}
	seen := map[string]bool{}
	for _, g := range s.groups {
		if !managedGroups[g] {
			add("ManagedRuleGroups: unknown group %q (allowed: %s)", g, strings.Join(sortedSet(managedGroups), ", "))
		}
		if seen[g] {
			add("ManagedRuleGroups: %s listed twice", g)
		}
		seen[g] = true
	}
	if a.RateLimitPer5Min != nil {
		s.rateLimit = *a.RateLimitPer5Min
		if s.rateLimit != 0 && (s.rateLimit < 10 || s.rateLimit > 2000000000) {
			add("RateLimitPer5Min %d must be 0 (off) or 10 to 2000000000", s.rateLimit)
		}
	}
	if s.keepalive == 0 {
		s.keepalive = 5
	}
	if s.read == 0 {
		s.read = 30
	}
	if s.keepalive < 1 || s.keepalive > 60 {
		add("OriginKeepaliveTimeout %d must be 1-60 seconds", s.keepalive)
	}
	if s.read < 1 || s.read > 60 {
		add("OriginReadTimeout %d must be 1-60 seconds", s.read)
	}
	if a.WafLogsKeyArn != nil {
		if v, ok := a.WafLogsKeyArn.(pulumi.String); ok && !usEast1ARN.MatchString(string(v)) {
			add("WafLogsKeyArn %q must be a KMS key in us-east-1", string(v))
		}
		if s.wafRetention == 0 {
			s.wafRetention = DefaultWafLogRetentionDays
		}
		if !awsfacts.ValidLogRetention(s.wafRetention) {
			add("WafLogRetentionDays %d is not a CloudWatch retention value", s.wafRetention)
		}
	} else if s.wafRetention != 0 {
		add("WafLogRetentionDays is set but WafLogsKeyArn is not (WAF logging is off)")
	}
	if a.CertificateArn != nil {
		if v, ok := a.CertificateArn.(pulumi.String); ok && !usEast1ARN.MatchString(string(v)) {
			add("CertificateArn %q must be an ACM certificate in us-east-1", string(v))
		}
		if len(a.Aliases) == 0 {
			add("CertificateArn is set but Aliases is empty")
		}
	} else if len(a.Aliases) > 0 {
		add("Aliases need CertificateArn (an ACM certificate in us-east-1)")
	}
	for _, h := range a.Aliases {
		if !hostRE.MatchString(h) {
			add("Aliases: %q is not a host name", h)
		}
	}
	for _, c := range a.GeoRestrictionCountries {
		if !countryRE.MatchString(c) {
			add("GeoRestrictionCountries: %q is not an ISO 3166-1 alpha-2 code", c)
		}
	}
	if s.priceClass == "" {
		s.priceClass = DefaultPriceClass
	}
	if !priceClasses[s.priceClass] {
		add("PriceClass %q must be PriceClass_All, PriceClass_200 or PriceClass_100", s.priceClass)
	}
	if a.LoggingBucket != "" && !logBucketRE.MatchString(a.LoggingBucket) {
		add("LoggingBucket %q must be a bucket domain name (<bucket>.s3.amazonaws.com)", a.LoggingBucket)
	}
	if a.LoggingBucket == "" && a.LoggingPrefix != "" {
		add("LoggingPrefix is set but LoggingBucket is not")
	}
	if len(problems) > 0 {
		return settings{}, fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func visibility(metric string) wafv2.WebAclRuleVisibilityConfigArgs {
	return wafv2.WebAclRuleVisibilityConfigArgs{
		CloudwatchMetricsEnabled: pulumi.Bool(true),
		MetricName:               pulumi.String(metric),
		SampledRequestsEnabled:   pulumi.Bool(true),
	}
}

// webAclRules returns the managed rule group rules (override none: each
// group's own actions, i.e. block) followed by the rate rule.
func webAclRules(s settings) wafv2.WebAclRuleArray {
	var rules wafv2.WebAclRuleArray
	for i, g := range s.groups {
		rules = append(rules, wafv2.WebAclRuleArgs{
			Name:     pulumi.String(g),
			Priority: pulumi.Int(10 * (i + 1)),
			OverrideAction: &wafv2.WebAclRuleOverrideActionArgs{
				None: &wafv2.WebAclRuleOverrideActionNoneArgs{},
			},
			Statement: &wafv2.WebAclRuleStatementArgs{
				ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
					Name:       pulumi.String(g),
					VendorName: pulumi.String("AWS"),
				},
			},
			VisibilityConfig: visibility(g),
		})
	}
	if s.rateLimit > 0 {
		rules = append(rules, wafv2.WebAclRuleArgs{
			Name:     pulumi.String(RateLimitRuleName),
			Priority: pulumi.Int(10 * (len(s.groups) + 1)),
			Action: &wafv2.WebAclRuleActionArgs{
				Block: &wafv2.WebAclRuleActionBlockArgs{},
			},
			Statement: &wafv2.WebAclRuleStatementArgs{
				RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
					Limit:               pulumi.Int(s.rateLimit),
					AggregateKeyType:    pulumi.String("IP"),
					EvaluationWindowSec: pulumi.Int(300),
				},
			},
			VisibilityConfig: visibility(RateLimitRuleName),
		})
	}
	return rules
}

// NewEdge creates the web ACL (us-east-1), the VPC origin and the
// distribution.
func NewEdge(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Edge, error) {
	if args == nil {
		return nil, fmt.Errorf("edge %s: args are required", name)
	}
	s, err := args.resolve(name)
	if err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	e := &Edge{}
	if err := ctx.RegisterComponentResource(TypeToken, name, e, opts...); err != nil {
		return nil, fmt.Errorf("edge %s: register: %w", name, err)
	}
	parent := pulumi.Parent(e)
	edgeOpts := []pulumi.ResourceOption{parent, pulumi.Provider(args.EdgeProvider)}

	acl, err := wafv2.NewWebAcl(ctx, name+"-waf", &wafv2.WebAclArgs{
		Name:        pulumi.String(name),
		Description: pulumi.String("Edge web ACL of " + name),
		Scope:       pulumi.String("CLOUDFRONT"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{
			Allow: &wafv2.WebAclDefaultActionAllowArgs{},
		},
		Rules: webAclRules(s),
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true),
			MetricName:               pulumi.String(name),
			SampledRequestsEnabled:   pulumi.Bool(true),
		},
	}, edgeOpts...)
	if err != nil {
		return nil, fmt.Errorf("edge %s: web acl: %w", name, err)
	}
	e.WebAcl = acl

	if args.WafLogsKeyArn != nil {
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-waf-logs", &cloudwatch.LogGroupArgs{
			Name:            pulumi.String("aws-waf-logs-" + name),
			KmsKeyId:        args.WafLogsKeyArn,
			RetentionInDays: pulumi.Int(s.wafRetention),
		}, edgeOpts...)
		if err != nil {
			return nil, fmt.Errorf("edge %s: waf log group: %w", name, err)
		}
		e.WafLogGroup = lg
		if _, err := wafv2.NewWebAclLoggingConfiguration(ctx, name+"-waf-logging", &wafv2.WebAclLoggingConfigurationArgs{
			ResourceArn:           acl.Arn,
			LogDestinationConfigs: pulumi.StringArray{lg.Arn},
			RedactedFields: wafv2.WebAclLoggingConfigurationRedactedFieldArray{
				wafv2.WebAclLoggingConfigurationRedactedFieldArgs{
					SingleHeader: &wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs{Name: pulumi.String("authorization")},
				},
				wafv2.WebAclLoggingConfigurationRedactedFieldArgs{
					SingleHeader: &wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs{Name: pulumi.String("cookie")},
				},
			},
		}, edgeOpts...); err != nil {
			return nil, fmt.Errorf("edge %s: waf logging: %w", name, err)
		}
	}

	protocol := "http-only"
	if args.OriginHTTPS {
		protocol = "https-only"
	}
	origin, err := cloudfront.NewVpcOrigin(ctx, name+"-vpc-origin", &cloudfront.VpcOriginArgs{
		VpcOriginEndpointConfig: &cloudfront.VpcOriginVpcOriginEndpointConfigArgs{
			Name:                 pulumi.String(name),
			Arn:                  args.AlbArn,
			HttpPort:             pulumi.Int(OriginHTTPPort),
			HttpsPort:            pulumi.Int(OriginHTTPSPort),
			OriginProtocolPolicy: pulumi.String(protocol),
			OriginSslProtocols: &cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs{
				Items:    pulumi.StringArray{pulumi.String("TLSv1.2")},
				Quantity: pulumi.Int(1),
			},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("edge %s: vpc origin: %w", name, err)
	}
	e.VpcOrigin = origin

	cert := &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)}
	if args.CertificateArn != nil {
		cert = &cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      args.CertificateArn,
			SslSupportMethod:       pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String("TLSv1.2_2021"),
		}
	}
	geo := &cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")}
	if len(args.GeoRestrictionCountries) > 0 {
		countries := append([]string(nil), args.GeoRestrictionCountries...)
		sort.Strings(countries)
		geo = &cloudfront.DistributionRestrictionsGeoRestrictionArgs{
			RestrictionType: pulumi.String("whitelist"),
			Locations:       pulumi.ToStringArray(countries),
		}
	}
	distArgs := &cloudfront.DistributionArgs{
		Enabled:       pulumi.Bool(true),
		Comment:       pulumi.String("Edge of " + name),
		HttpVersion:   pulumi.String("http2and3"),
		IsIpv6Enabled: pulumi.Bool(true),
		PriceClass:    pulumi.String(s.priceClass),
		WebAclId:      acl.Arn,
		Origins: cloudfront.DistributionOriginArray{cloudfront.DistributionOriginArgs{
			OriginId:   pulumi.String(OriginID),
			DomainName: args.AlbDnsName,
			VpcOriginConfig: &cloudfront.DistributionOriginVpcOriginConfigArgs{
				VpcOriginId:            origin.ID().ToStringOutput(),
				OriginKeepaliveTimeout: pulumi.Int(s.keepalive),
				OriginReadTimeout:      pulumi.Int(s.read),
			},
		}},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:       pulumi.String(OriginID),
			ViewerProtocolPolicy: pulumi.String("redirect-to-https"),
			AllowedMethods: pulumi.ToStringArray([]string{
				"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
			}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           pulumi.String(CachingDisabledPolicyID),
			OriginRequestPolicyId:   pulumi.String(AllViewerExceptHostHeaderPolicyID),
			ResponseHeadersPolicyId: pulumi.String(SecurityHeadersPolicyID),
			Compress:                pulumi.Bool(true),
		},
		ViewerCertificate: cert,
		Restrictions:      &cloudfront.DistributionRestrictionsArgs{GeoRestriction: geo},
	}
	if len(args.Aliases) > 0 {
		distArgs.Aliases = pulumi.ToStringArray(args.Aliases)
	}
	if args.LoggingBucket != "" {
		distArgs.LoggingConfig = &cloudfront.DistributionLoggingConfigArgs{
			Bucket:         pulumi.String(args.LoggingBucket),
			Prefix:         pulumi.String(args.LoggingPrefix),
			IncludeCookies: pulumi.Bool(false),
		}
	}
	dist, err := cloudfront.NewDistribution(ctx, name+"-cdn", distArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("edge %s: distribution: %w", name, err)
	}
	e.Distribution = dist

	e.DistributionID = dist.ID().ToStringOutput()
	e.DistributionDomainName = dist.DomainName
	e.WebAclArn = acl.Arn
	e.VpcOriginID = origin.ID().ToStringOutput()
	if err := e.paths(ctx, name, args); err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{
		"distributionId": e.DistributionID, "distributionDomainName": e.DistributionDomainName,
		"webAclArn": e.WebAclArn, "vpcOriginId": e.VpcOriginID,
	}); err != nil {
		return nil, fmt.Errorf("edge %s: outputs: %w", name, err)
	}
	return e, nil
}
