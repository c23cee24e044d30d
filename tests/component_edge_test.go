package tests

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/apiservice"
	"github.com/fintech-resilience/fintech-resilience/components/edge"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tWafLogging        = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
	tVpcOrigin         = "aws:cloudfront/vpcOrigin:VpcOrigin"
	tDist              = "aws:cloudfront/distribution:Distribution"
	albArn             = "arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:loadbalancer/app/api/0123456789abcdef"
	albDNS             = "internal-api-123456.ap-northeast-1.elb.amazonaws.com"
	wafKey             = "arn:aws:kms:us-east-1:111111111111:key/waf"
	edgeCert           = "arn:aws:acm:us-east-1:111111111111:certificate/edge"
	usEast1ProviderURN = "urn:pulumi:test::test::pulumi:providers:aws::us-east-1"
)

// validArgs returns arguments without the provider; run adds it.
func edgeValidArgs() *edge.Args {
	return &edge.Args{
		AlbArn:        pulumi.String(albArn),
		AlbDnsName:    pulumi.String(albDNS),
		WafLogsKeyArn: pulumi.String(wafKey),
	}
}

// program creates the us-east-1 provider and the Edge "edge".
func program(args *edge.Args, withProvider bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if args != nil && withProvider {
			p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return err
			}
			args.EdgeProvider = p
		}
		_, err := edge.NewEdge(ctx, "edge", args)
		return err
	}
}

func edgeRun(t *testing.T, args *edge.Args) (*graph.Graph, error) {
	t.Helper()
	return preview.Run(program(args, true), testkit.Options())
}

func edgeIn(r *graph.Resource, path ...string) any {
	v, _ := r.Input(path...)
	return v
}

func m(v any) map[string]any { return graph.Map(v) }

// providerRecorder is a minimal mock that records the provider reference
// ("<provider urn>::<id>") each resource was registered with; the preview
// graph does not carry providers.
type providerRecorder struct {
	mu        sync.Mutex
	providers map[string]string
}

func (p *providerRecorder) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	p.mu.Lock()
	p.providers[a.TypeToken+"::"+a.Name] = a.Provider
	p.mu.Unlock()
	outs := a.Inputs.Copy()
	outs["arn"] = resource.NewStringProperty("arn:aws:mock:::" + a.Name)
	return a.Name + "-id", outs, nil
}

func (p *providerRecorder) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("no invokes offline: %s", a.Token)
}

func recordProviders(t *testing.T, prog pulumi.RunFunc) map[string]string {
	t.Helper()
	rec := &providerRecorder{providers: map[string]string{}}
	require.NoError(t, pulumi.RunErr(prog, pulumi.WithMocks("test", "test", rec)))
	return rec.providers
}

func TestEdge(t *testing.T) {
	g, err := edgeRun(t, edgeValidArgs())
	require.NoError(t, err)
	comp := testkit.One(t, g, edge.TypeToken)

	// Web ACL: CLOUDFRONT scope, allow by default, managed groups + rate rule.
	acl := testkit.One(t, g, tWebACL)
	assert.Equal(t, comp.URN, acl.Parent)
	assert.Equal(t, "CLOUDFRONT", edgeIn(acl, "scope"))
	assert.Equal(t, "edge", edgeIn(acl, "name"))
	assert.Equal(t, map[string]any{"allow": map[string]any{}}, edgeIn(acl, "defaultAction"))
	assert.Equal(t, map[string]any{"cloudwatchMetricsEnabled": true, "metricName": "edge", "sampledRequestsEnabled": true}, edgeIn(acl, "visibilityConfig"))
	rulesIn := graph.List(edgeIn(acl, "rules"))
	require.Len(t, rulesIn, 5)
	for i, want := range edge.DefaultManagedRuleGroups {
		r := m(rulesIn[i])
		assert.Equal(t, want, r["name"])
		assert.Equal(t, float64(10*(i+1)), r["priority"])
		assert.Equal(t, map[string]any{"none": map[string]any{}}, r["overrideAction"], want)
		assert.Nil(t, r["action"], want)
		assert.Equal(t, map[string]any{"name": want, "vendorName": "AWS"}, m(r["statement"])["managedRuleGroupStatement"])
		assert.Equal(t, want, m(r["visibilityConfig"])["metricName"])
		assert.Equal(t, true, m(r["visibilityConfig"])["cloudwatchMetricsEnabled"])
	}
	rate := m(rulesIn[4])
	assert.Equal(t, edge.RateLimitRuleName, rate["name"])
	assert.Equal(t, 50.0, rate["priority"])
	assert.Equal(t, map[string]any{"block": map[string]any{}}, rate["action"])
	rbs := m(m(rate["statement"])["rateBasedStatement"])
	assert.Equal(t, 2000.0, rbs["limit"])
	assert.Equal(t, "IP", rbs["aggregateKeyType"])

	// WAF logs: CMK log group aws-waf-logs-*.
	lg := testkit.One(t, g, tLogGroup)
	assert.Equal(t, comp.URN, lg.Parent)
	assert.Equal(t, "aws-waf-logs-edge", edgeIn(lg, "name"))
	assert.Equal(t, wafKey, edgeIn(lg, "kmsKeyId"))
	assert.Equal(t, 365.0, edgeIn(lg, "retentionInDays"))
	logging := testkit.One(t, g, tWafLogging)
	assert.Equal(t, []string{acl.URN}, logging.PropertyDependencies["resourceArn"])
	assert.Equal(t, []string{lg.URN}, logging.PropertyDependencies["logDestinationConfigs"])
	assert.Equal(t, acl.Outputs["arn"], edgeIn(logging, "resourceArn"))

	// VPC origin to the ALB, HTTP inside the VPC by default.
	vo := testkit.One(t, g, tVpcOrigin)
	assert.Equal(t, comp.URN, vo.Parent)
	assert.Equal(t, map[string]any{
		"name": "edge", "arn": albArn, "httpPort": 80.0, "httpsPort": 443.0,
		"originProtocolPolicy": "http-only",
		"originSslProtocols":   map[string]any{"items": []any{"TLSv1.2"}, "quantity": 1.0},
	}, edgeIn(vo, "vpcOriginEndpointConfig"))

	// Distribution.
	d := testkit.One(t, g, tDist)
	assert.Equal(t, comp.URN, d.Parent)
	assert.Equal(t, true, edgeIn(d, "enabled"))
	assert.Equal(t, "http2and3", edgeIn(d, "httpVersion"))
	assert.Equal(t, true, edgeIn(d, "isIpv6Enabled"))
	assert.Equal(t, "PriceClass_200", edgeIn(d, "priceClass"))
	assert.Equal(t, acl.Outputs["arn"], edgeIn(d, "webAclId"))
	assert.Equal(t, []string{acl.URN}, d.PropertyDependencies["webAclId"])
	assert.Equal(t, []*graph.Resource{acl}, g.Refs(d, "webAclId", tWebACL))
	origins := graph.List(edgeIn(d, "origins"))
	require.Len(t, origins, 1)
	o := m(origins[0])
	assert.Equal(t, edge.OriginID, o["originId"])
	assert.Equal(t, albDNS, o["domainName"])
	assert.Equal(t, map[string]any{"vpcOriginId": vo.ID, "originKeepaliveTimeout": 5.0, "originReadTimeout": 30.0}, o["vpcOriginConfig"])
	assert.Nil(t, o["customOriginConfig"])
	assert.Equal(t, []*graph.Resource{vo}, g.Refs(d, "origins", tVpcOrigin))
	dcb := m(edgeIn(d, "defaultCacheBehavior"))
	assert.Equal(t, edge.OriginID, dcb["targetOriginId"])
	assert.Equal(t, "redirect-to-https", dcb["viewerProtocolPolicy"])
	assert.ElementsMatch(t, []any{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}, dcb["allowedMethods"])
	assert.ElementsMatch(t, []any{"GET", "HEAD"}, dcb["cachedMethods"])
	assert.Equal(t, "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", dcb["cachePolicyId"])
	assert.Equal(t, "b689b0a8-53d0-40ab-baf2-68738e2966ac", dcb["originRequestPolicyId"])
	assert.Equal(t, "67f7725c-6f97-4210-82d7-5512b31e9d03", dcb["responseHeadersPolicyId"])
	assert.Nil(t, dcb["forwardedValues"])
	assert.Equal(t, map[string]any{"cloudfrontDefaultCertificate": true}, edgeIn(d, "viewerCertificate"))
	assert.Equal(t, map[string]any{"geoRestriction": map[string]any{"restrictionType": "none"}}, edgeIn(d, "restrictions"))
	assert.Nil(t, edgeIn(d, "aliases"))
	assert.Nil(t, edgeIn(d, "loggingConfig"))

	testkit.NoMandatoryViolations(t, g, accountLevel)
}

func TestEdgeOptions(t *testing.T) {
	zero := 0
	args := edgeValidArgs()
	args.WafLogsKeyArn = nil
	args.RateLimitPer5Min = &zero
	args.ManagedRuleGroups = []string{edge.CommonRuleSet, edge.SQLiRuleSet}
	args.OriginHTTPS = true
	args.OriginKeepaliveTimeout = 10
	args.OriginReadTimeout = 60
	args.Aliases = []string{"api.example.co.jp"}
	args.CertificateArn = pulumi.String(edgeCert)
	args.GeoRestrictionCountries = []string{"JP", "AU"}
	args.PriceClass = "PriceClass_All"
	args.LoggingBucket = "cf-logs.s3.amazonaws.com"
	args.LoggingPrefix = "edge/"
	g, err := edgeRun(t, args)
	require.NoError(t, err)

	assert.Empty(t, g.OfType(tLogGroup), "no WAF log group without a key")
	assert.Empty(t, g.OfType(tWafLogging))
	acl := testkit.One(t, g, tWebACL)
	rulesIn := graph.List(edgeIn(acl, "rules"))
	require.Len(t, rulesIn, 2, "two groups, no rate rule")
	assert.Equal(t, edge.CommonRuleSet, m(rulesIn[0])["name"])
	assert.Equal(t, edge.SQLiRuleSet, m(rulesIn[1])["name"])

	vo := testkit.One(t, g, tVpcOrigin)
	assert.Equal(t, "https-only", edgeIn(vo, "vpcOriginEndpointConfig", "originProtocolPolicy"))

	d := testkit.One(t, g, tDist)
	assert.Equal(t, []any{"api.example.co.jp"}, edgeIn(d, "aliases"))
	assert.Equal(t, map[string]any{
		"acmCertificateArn": edgeCert, "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1.2_2021",
	}, edgeIn(d, "viewerCertificate"))
	assert.Equal(t, map[string]any{"restrictionType": "whitelist", "locations": []any{"AU", "JP"}}, edgeIn(d, "restrictions", "geoRestriction"))
	assert.Equal(t, "PriceClass_All", edgeIn(d, "priceClass"))
	assert.Equal(t, map[string]any{"bucket": "cf-logs.s3.amazonaws.com", "prefix": "edge/", "includeCookies": false}, edgeIn(d, "loggingConfig"))
	assert.Equal(t, 10.0, edgeIn(d, "origins").([]any)[0].(map[string]any)["vpcOriginConfig"].(map[string]any)["originKeepaliveTimeout"])
	assert.Equal(t, 60.0, edgeIn(d, "origins").([]any)[0].(map[string]any)["vpcOriginConfig"].(map[string]any)["originReadTimeout"])
	testkit.NoMandatoryViolations(t, g, accountLevel)
}

func TestEdgeUsesTheUsEast1Provider(t *testing.T) {
	providers := recordProviders(t, program(edgeValidArgs(), true))
	for _, res := range []string{tWebACL + "::edge-waf", tLogGroup + "::edge-waf-logs", tWafLogging + "::edge-waf-logging"} {
		p, ok := providers[res]
		require.True(t, ok, res)
		assert.True(t, strings.HasPrefix(p, usEast1ProviderURN+"::"), "%s uses %q", res, p)
	}
	for _, res := range []string{tVpcOrigin + "::edge-vpc-origin", tDist + "::edge-cdn"} {
		assert.False(t, strings.HasPrefix(providers[res], usEast1ProviderURN), "%s is global, default provider", res)
	}
}

func TestEdgeRejectsBadArgs(t *testing.T) {
	neg, big := -1, 2000000001
	cases := map[string]struct {
		mutate func(a *edge.Args)
		want   string
	}{
		"no alb arn":            {func(a *edge.Args) { a.AlbArn = nil }, "AlbArn is required"},
		"no alb dns":            {func(a *edge.Args) { a.AlbDnsName = nil }, "AlbDnsName is required"},
		"empty groups":          {func(a *edge.Args) { a.ManagedRuleGroups = []string{} }, "ManagedRuleGroups must name at least one group"},
		"unknown group":         {func(a *edge.Args) { a.ManagedRuleGroups = []string{"AWSManagedRulesLinuxRuleSet"} }, `unknown group "AWSManagedRulesLinuxRuleSet"`},
		"duplicate group":       {func(a *edge.Args) { a.ManagedRuleGroups = []string{edge.SQLiRuleSet, edge.SQLiRuleSet} }, "listed twice"},
		"negative rate":         {func(a *edge.Args) { a.RateLimitPer5Min = &neg }, "RateLimitPer5Min -1"},
		"huge rate":             {func(a *edge.Args) { a.RateLimitPer5Min = &big }, "RateLimitPer5Min 2000000001"},
		"bad keepalive":         {func(a *edge.Args) { a.OriginKeepaliveTimeout = 61 }, "OriginKeepaliveTimeout 61"},
		"bad read timeout":      {func(a *edge.Args) { a.OriginReadTimeout = -5 }, "OriginReadTimeout -5"},
		"waf key not us-east-1": {func(a *edge.Args) { a.WafLogsKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/x") }, "must be a KMS key in us-east-1"},
		"bad waf retention":     {func(a *edge.Args) { a.WafLogRetentionDays = 10 }, "WafLogRetentionDays 10"},
		"retention no logging":  {func(a *edge.Args) { a.WafLogsKeyArn = nil; a.WafLogRetentionDays = 30 }, "WafLogRetentionDays is set but WafLogsKeyArn is not"},
		"cert not us-east-1": {func(a *edge.Args) {
			a.CertificateArn = pulumi.String("arn:aws:acm:ap-northeast-1:1:certificate/x")
			a.Aliases = []string{"a.example.com"}
		}, "must be an ACM certificate in us-east-1"},
		"cert without aliases":    {func(a *edge.Args) { a.CertificateArn = pulumi.String(edgeCert) }, "CertificateArn is set but Aliases is empty"},
		"aliases without cert":    {func(a *edge.Args) { a.Aliases = []string{"a.example.com"} }, "Aliases need CertificateArn"},
		"bad alias":               {func(a *edge.Args) { a.Aliases = []string{"not a host"}; a.CertificateArn = pulumi.String(edgeCert) }, `Aliases: "not a host"`},
		"bad country":             {func(a *edge.Args) { a.GeoRestrictionCountries = []string{"jpn"} }, `GeoRestrictionCountries: "jpn"`},
		"bad price class":         {func(a *edge.Args) { a.PriceClass = "PriceClass_50" }, `PriceClass "PriceClass_50"`},
		"bad logging bucket":      {func(a *edge.Args) { a.LoggingBucket = "cf-logs" }, `LoggingBucket "cf-logs"`},
		"prefix without bucket":   {func(a *edge.Args) { a.LoggingPrefix = "x/" }, "LoggingPrefix is set but LoggingBucket is not"},
		"two problems in one err": {func(a *edge.Args) { a.AlbArn = nil; a.PriceClass = "x" }, `AlbArn is required; PriceClass "x"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := edgeValidArgs()
			c.mutate(args)
			g, err := edgeRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
	t.Run("no provider", func(t *testing.T) {
		g, err := preview.Run(program(edgeValidArgs(), false), testkit.Options())
		require.ErrorContains(t, err, "EdgeProvider (an aws provider for us-east-1) is required")
		assert.Nil(t, g)
	})
	t.Run("bad name", func(t *testing.T) {
		_, err := preview.Run(func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return err
			}
			a := edgeValidArgs()
			a.EdgeProvider = p
			_, err = edge.NewEdge(ctx, "edge web", a)
			return err
		}, testkit.Options())
		require.ErrorContains(t, err, `name "edge web"`)
	})
	t.Run("nil args", func(t *testing.T) {
		_, err := preview.Run(program(nil, true), testkit.Options())
		require.ErrorContains(t, err, "args are required")
	})
}

// TestApiServiceBehindEdge wires SecureVPC, ApiService and Edge together the
// way the workload stack does and checks the combined graph.
func TestApiServiceBehindEdge(t *testing.T) {
	prog := func(ctx *pulumi.Context) error {
		east, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		keys, err := testkit.Keys(ctx, "logs-key", "data-key")
		if err != nil {
			return err
		}
		logsKey, dataKey := keys["logs-key"], keys["data-key"]
		wafKey, err := testkit.Key(ctx, "waf-logs-key", pulumi.Provider(east))
		if err != nil {
			return err
		}
		net, err := testkit.Network(ctx, "net", func(n *securevpc.Args) {
			n.NatGateways, n.FlowLogKeyArn = securevpc.NatNone, logsKey.Arn
		})
		if err != nil {
			return err
		}
		api, err := apiservice.NewApiService(ctx, "api", &apiservice.Args{
			ServiceName: "api", AccountID: "111111111111", Region: "ap-northeast-1",
			VpcID: net.VpcID, PrivateSubnetIDs: net.PrivateSubnetIDs,
			Image:           pulumi.String("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/api:1"),
			CpuArchitecture: apiservice.ArchARM64, Cpu: 512, Memory: 1024, AppPort: 8080, DesiredCount: 2,
			Environment: map[string]string{"APP_ENV": "prod"},
			DataKeyArn:  dataKey.Arn, LogsKeyArn: logsKey.Arn, LogRetentionDays: 365,
			ListenerPort: 443, CertificateArn: pulumi.String("arn:aws:acm:ap-northeast-1:111111111111:certificate/alb"),
			HealthCheckPath: "/healthz", CloudFrontPrefixListID: "pl-58a04531",
		})
		if err != nil {
			return err
		}
		_, err = edge.NewEdge(ctx, "edge", &edge.Args{
			EdgeProvider: east, AlbArn: api.AlbArn, AlbDnsName: api.AlbDnsName, OriginHTTPS: true,
			WafLogsKeyArn: wafKey.Arn,
		})
		return err
	}
	g, err := preview.Run(prog, testkit.Options())
	require.NoError(t, err)

	// No internet-facing load balancer.
	lbs := g.OfType(tLB, "aws:alb/loadBalancer:LoadBalancer")
	require.NotEmpty(t, lbs)
	for _, lb := range lbs {
		assert.Equal(t, true, edgeIn(lb, "internal"), lb.Name)
	}
	alb := lbs[0]

	// The distribution's web ACL is the Edge's CLOUDFRONT ACL...
	d := testkit.One(t, g, tDist)
	acls := g.Refs(d, "webAclId", tWebACL)
	require.Len(t, acls, 1)
	assert.Equal(t, "CLOUDFRONT", edgeIn(acls[0], "scope"))
	assert.Equal(t, testkit.One(t, g, edge.TypeToken).URN, acls[0].Parent)
	// ...created with the us-east-1 provider (recorded by a second run).
	providers := recordProviders(t, prog)
	assert.True(t, strings.HasPrefix(providers[tWebACL+"::edge-waf"], usEast1ProviderURN+"::"), providers[tWebACL+"::edge-waf"])

	// The distribution reaches the ALB only through the VPC origin.
	vo := testkit.One(t, g, tVpcOrigin)
	assert.Equal(t, []*graph.Resource{vo}, g.Refs(d, "origins", tVpcOrigin))
	assert.Equal(t, []*graph.Resource{alb}, g.Refs(vo, "vpcOriginEndpointConfig", tLB))
	assert.Equal(t, "https-only", edgeIn(vo, "vpcOriginEndpointConfig", "originProtocolPolicy"))
	assert.Equal(t, alb.Outputs["arn"], edgeIn(vo, "vpcOriginEndpointConfig", "arn"))

	// The ALB's security group admits no CIDR, only the CloudFront prefix list.
	sgs := g.Refs(alb, "securityGroups", "aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, sgs, 1)
	albSG := sgs[0]
	assert.Empty(t, edgeIn(albSG, "ingress"))
	assert.Empty(t, g.ReferencedBy(albSG, "aws:ec2/securityGroupRule:SecurityGroupRule", "securityGroupId"))
	ingress := g.ReferencedBy(albSG, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "securityGroupId")
	require.Len(t, ingress, 1)
	assert.Equal(t, "pl-58a04531", edgeIn(ingress[0], "prefixListId"))
	assert.Empty(t, edgeIn(ingress[0], "cidrIpv4"))
	assert.Empty(t, edgeIn(ingress[0], "cidrIpv6"))
	assert.Empty(t, edgeIn(ingress[0], "referencedSecurityGroupId"))
	assert.Equal(t, 443.0, edgeIn(ingress[0], "fromPort"))

	// The tasks run in the VPC's private subnets.
	svc := testkit.One(t, g, "aws:ecs/service:Service")
	var private []any
	for _, sn := range g.OfType("aws:ec2/subnet:Subnet") {
		if strings.Contains(sn.Name, "private") {
			private = append(private, sn.ID)
		}
	}
	require.Len(t, private, 2)
	assert.ElementsMatch(t, private, edgeIn(svc, "networkConfiguration", "subnets"))
	assert.ElementsMatch(t, private, edgeIn(alb, "subnets"))

	// The origin's domain name is the ALB's DNS name (not computed by the
	// mocks, so checked through the dependency).
	assert.ElementsMatch(t, []string{alb.URN, vo.URN}, d.PropertyDependencies["origins"])

	// The rules that guard this design pass, and nothing mandatory fails.
	testkit.NoMandatoryViolations(t, g, accountLevel)
}
