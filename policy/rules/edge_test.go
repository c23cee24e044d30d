package rules

import "testing"

func TestEdgeRules(t *testing.T) { runCases(t, edgeCases) }

const (
	regionalACLArn = "arn:aws:wafv2:ap-northeast-1:111111111111:regional/webacl/app/0001"
	edgeACLArn     = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/0002"
	lbArn          = "arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:loadbalancer/app/app/50dc6c495c0c9188"
	appRunnerArn   = "arn:aws:apprunner:ap-northeast-1:111111111111:service/api/8fe1e10304f84fd2b0df550fe98a71fa"
)

var (
	regionalACL = R(typeWebACL, "regional", M{"scope": "REGIONAL"}).ARN(regionalACLArn)
	edgeACL     = R(typeWebACL, "edge", M{"scope": "CLOUDFRONT"}).ARN(edgeACLArn)
	appLB       = R(typeALB, "app", M{"internal": true}).ARN(lbArn)
	// regionalOnLB associates the REGIONAL ACL with the load balancer by
	// property dependencies, as in a preview.
	regionalOnLB = R(typeWebACLAssoc, "app-waf", M{"webAclArn": unk, "resourceArn": unk}).
			Dep("webAclArn", U(typeWebACL, "regional")).Dep("resourceArn", U(typeALB, "app"))
	vpcOrigin = R(typeVpcOrigin, "app-origin", M{"vpcOriginEndpointConfig": M{"arn": unk, "name": "app"}}).
			Dep("vpcOriginEndpointConfig", U(typeALB, "app")).ID("vo-0001")
	apiService = func(egress any) node {
		return R(typeAppRunner, "api", M{"networkConfiguration": M{"egressConfiguration": M{"egressType": egress}}}).ARN(appRunnerArn)
	}
)

var edgeCases = []ruleCase{
	// lb-internal-only
	{rule: "lb-internal-only", kind: pass, name: "internal load balancer",
		res: []node{R(typeLB, "lb", M{"internal": true, "loadBalancerType": "application"})}},
	{rule: "lb-internal-only", kind: fail, name: "internet-facing ALB",
		res:  []node{R(typeALB, "alb", M{"internal": false})},
		want: []want{{U(typeALB, "alb"), "load balancer is internet-facing"}}},
	{rule: "lb-internal-only", kind: fail, name: "internal not set (AWS default internet-facing)",
		res:  []node{R(typeLB, "lb", M{"loadBalancerType": "network"})},
		want: []want{{U(typeLB, "lb"), "internal must be true"}}},
	{rule: "lb-internal-only", kind: unknown, name: "internal computed",
		res: []node{R(typeLB, "lb", M{"internal": unk})}},

	// cloudfront-has-waf
	{rule: "cloudfront-has-waf", kind: pass, name: "CLOUDFRONT web ACL by dependency",
		res: []node{edgeACL, R(typeDistribution, "cdn", M{"webAclId": unk}).Dep("webAclId", U(typeWebACL, "edge"))}},
	{rule: "cloudfront-has-waf", kind: pass, name: "CLOUDFRONT web ACL by ARN (exported state)",
		res: []node{edgeACL, R(typeDistribution, "cdn", M{"webAclId": edgeACLArn})}},
	{rule: "cloudfront-has-waf", kind: pass, name: "web ACL managed outside the stack",
		res: []node{R(typeDistribution, "cdn", M{"webAclId": "arn:aws:wafv2:us-east-1:999999999999:global/webacl/shared/1"})}},
	{rule: "cloudfront-has-waf", kind: fail, name: "no web ACL",
		res:  []node{R(typeDistribution, "cdn", M{"enabled": true})},
		want: []want{{U(typeDistribution, "cdn"), "distribution has no WAF web ACL (webAclId)"}}},
	{rule: "cloudfront-has-waf", kind: fail, name: "empty web ACL",
		res:  []node{R(typeDistribution, "cdn", M{"webAclId": ""})},
		want: []want{{U(typeDistribution, "cdn"), "no WAF web ACL"}}},
	{rule: "cloudfront-has-waf", kind: fail, name: "REGIONAL web ACL by ARN (exported state)",
		res:  []node{regionalACL, R(typeDistribution, "cdn", M{"webAclId": regionalACLArn})},
		want: []want{{U(typeDistribution, "cdn"), `distribution's web ACL regional has scope "REGIONAL", not CLOUDFRONT`}}},
	{rule: "cloudfront-has-waf", kind: unknown, name: "web ACL computed, no dependency recorded",
		res: []node{R(typeDistribution, "cdn", M{"webAclId": unk})}},
	{rule: "cloudfront-has-waf", kind: unknown, name: "web ACL scope computed",
		res: []node{R(typeWebACL, "edge", M{"scope": unk}), R(typeDistribution, "cdn", M{"webAclId": unk}).Dep("webAclId", U(typeWebACL, "edge"))}},

	// waf-at-the-edge
	{rule: "waf-at-the-edge", kind: pass, name: "CloudFront with WAF in front through a VPC origin",
		res: []node{regionalACL, appLB, regionalOnLB, vpcOrigin,
			R(typeDistribution, "cdn", M{"webAclId": edgeACLArn, "origins": L{M{"vpcOriginConfig": M{"vpcOriginId": unk}}}}).Dep("origins", U(typeVpcOrigin, "app-origin"))}},
	{rule: "waf-at-the-edge", kind: pass, name: "CloudFront with WAF in front, load balancer as direct origin",
		res: []node{regionalACL, appLB, regionalOnLB,
			R(typeDistribution, "cdn", M{"webAclId": unk, "origins": L{M{"domainName": unk}}}).Dep("origins", U(typeALB, "app"))}},
	{rule: "waf-at-the-edge", kind: pass, name: "CLOUDFRONT-scoped association is not regional",
		res: []node{edgeACL, appLB, R(typeWebACLAssoc, "x", M{"webAclArn": edgeACLArn, "resourceArn": lbArn})}},
	{rule: "waf-at-the-edge", kind: pass, name: "REGIONAL web ACL on an App Runner service",
		res: []node{regionalACL, apiService("VPC"), R(typeWebACLAssoc, "api-waf", M{"webAclArn": regionalACLArn, "resourceArn": appRunnerArn})}},
	{rule: "waf-at-the-edge", kind: fail, name: "REGIONAL web ACL on a load balancer, no CloudFront",
		res:  []node{regionalACL, appLB, regionalOnLB},
		want: []want{{U(typeWebACLAssoc, "app-waf"), "REGIONAL web ACL on load balancer app with no CloudFront + WAF in front"}}},
	{rule: "waf-at-the-edge", kind: fail, name: "CloudFront in front has no WAF",
		res: []node{regionalACL, appLB, regionalOnLB,
			R(typeDistribution, "cdn", M{"webAclId": "", "origins": L{M{"domainName": unk}}}).Dep("origins", U(typeALB, "app"))},
		want: []want{{U(typeWebACLAssoc, "app-waf"), "move the WAF to the edge"}}},
	{rule: "waf-at-the-edge", kind: fail, name: "ARNs only (exported state)",
		res:  []node{regionalACL, appLB, R(typeWebACLAssoc, "app-waf", M{"webAclArn": regionalACLArn, "resourceArn": lbArn})},
		want: []want{{U(typeWebACLAssoc, "app-waf"), "REGIONAL web ACL on load balancer app"}}},
	{rule: "waf-at-the-edge", kind: fail, name: "load balancer outside the stack",
		res: []node{regionalACL, R(typeWebACLAssoc, "ext-waf", M{"webAclArn": regionalACLArn,
			"resourceArn": "arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:loadbalancer/app/ext/1"})},
		want: []want{{U(typeWebACLAssoc, "ext-waf"), "REGIONAL web ACL on a load balancer outside this stack"}}},
	{rule: "waf-at-the-edge", kind: unknown, name: "web ACL computed, no dependency recorded",
		res: []node{appLB, R(typeWebACLAssoc, "app-waf", M{"webAclArn": unk, "resourceArn": lbArn})}},
	{rule: "waf-at-the-edge", kind: unknown, name: "web ACL scope computed",
		res: []node{R(typeWebACL, "regional", M{"scope": unk}), appLB, regionalOnLB}},
	{rule: "waf-at-the-edge", kind: pass, name: "nested ids only: VPC origin id and load balancer ARN (exported state)",
		res: []node{regionalACL, appLB, R(typeWebACLAssoc, "app-waf", M{"webAclArn": regionalACLArn, "resourceArn": lbArn}),
			R(typeVpcOrigin, "app-origin", M{"vpcOriginEndpointConfig": M{"arn": lbArn, "name": "app"}}).ID("vo-0001"),
			R(typeDistribution, "cdn", M{"webAclId": edgeACLArn, "origins": L{M{"vpcOriginConfig": M{"vpcOriginId": "vo-0001"}}}})}},

	// apprunner-waf-and-vpc-egress
	{rule: "apprunner-waf-and-vpc-egress", kind: pass, name: "WAF by dependency and VPC egress",
		res: []node{regionalACL, apiService("VPC"), R(typeWebACLAssoc, "api-waf", M{"webAclArn": unk, "resourceArn": unk}).
			Dep("webAclArn", U(typeWebACL, "regional")).Dep("resourceArn", U(typeAppRunner, "api"))}},
	{rule: "apprunner-waf-and-vpc-egress", kind: pass, name: "WAF by service ARN (exported state)",
		res: []node{apiService("VPC"), R(typeWebACLAssoc, "api-waf", M{"webAclArn": regionalACLArn, "resourceArn": appRunnerArn})}},
	{rule: "apprunner-waf-and-vpc-egress", kind: fail, name: "no WAF association",
		res:  []node{apiService("VPC")},
		want: []want{{U(typeAppRunner, "api"), "App Runner service has no WAF web ACL association"}}},
	{rule: "apprunner-waf-and-vpc-egress", kind: fail, name: "default egress",
		res:  []node{apiService("DEFAULT"), R(typeWebACLAssoc, "api-waf", M{"resourceArn": appRunnerArn})},
		want: []want{{U(typeAppRunner, "api"), "App Runner service egress is not through a VPC connector"}}},
	{rule: "apprunner-waf-and-vpc-egress", kind: fail, name: "nothing configured",
		res: []node{R(typeAppRunner, "api", nil)},
		want: []want{
			{U(typeAppRunner, "api"), "no WAF web ACL association"},
			{U(typeAppRunner, "api"), "egress is not through a VPC connector"},
		}},
	{rule: "apprunner-waf-and-vpc-egress", kind: unknown, name: "egress and association computed",
		res: []node{apiService(unk), R(typeWebACLAssoc, "api-waf", M{"resourceArn": unk}).Dep("resourceArn", U(typeAppRunner, "api"))}},
}
