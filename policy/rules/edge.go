package rules

import (
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func edgeRules() []Rule {
	return []Rule{
		{
			Name:        "lb-internal-only",
			Description: "Load balancers are internal; users reach them only through CloudFront.",
			Enforcement: Mandatory, Family: "edge", Scope: ResourceScope,
			Practice: "seed 000 #5, #8", Controls: ctlNetwork,
			Types: []string{typeLB, typeALB},
			Check: perResource([]string{typeLB, typeALB}, func(_ *graph.Graph, r *graph.Resource) []string {
				v, known := isTrue(r, "internal")
				if known && !v {
					return []string{"load balancer is internet-facing (internal must be true; put CloudFront with a VPC origin in front)"}
				}
				return nil
			}),
		},
		{
			Name:        "cloudfront-has-waf",
			Description: "Every CloudFront distribution has a WAF web ACL of scope CLOUDFRONT.",
			Enforcement: Mandatory, Family: "edge", Scope: StackScope,
			Practice: "seed 000 #8", Controls: ctlNetwork,
			Types: []string{typeDistribution},
			Check: perResource([]string{typeDistribution}, func(g *graph.Graph, d *graph.Resource) []string {
				v, known := d.Input("webAclId")
				if known && graph.Str(v) == "" {
					return []string{"distribution has no WAF web ACL (webAclId)"}
				}
				for _, acl := range g.Refs(d, "webAclId", typeWebACL) {
					if s, k := acl.Input("scope"); k && graph.Str(s) != "CLOUDFRONT" {
						return []string{fmt.Sprintf("distribution's web ACL %s has scope %q, not CLOUDFRONT", acl.Name, graph.Str(s))}
					}
				}
				return nil
			}),
		},
		{
			Name:        "waf-at-the-edge",
			Description: "A REGIONAL web ACL on a load balancer needs CloudFront with a WAF in front: the WAF belongs at the edge.",
			Enforcement: Mandatory, Family: "edge", Scope: StackScope,
			Practice: "seed 000 #8", Controls: ctlNetwork,
			Types: []string{typeWebACLAssoc},
			Check: wafAtEdgeCheck,
		},
		{
			Name:        "apprunner-waf-and-vpc-egress",
			Description: "App Runner services have a WAF web ACL associated and egress through a VPC connector.",
			Enforcement: Advisory, Family: "edge", Scope: StackScope,
			Practice: "seed 000 #4", Controls: ctlNetwork,
			Types: []string{typeAppRunner},
			Check: perResource([]string{typeAppRunner}, func(g *graph.Graph, s *graph.Resource) []string {
				var out []string
				if len(g.ReferencedBy(s, typeWebACLAssoc, "resourceArn")) == 0 {
					out = append(out, "App Runner service has no WAF web ACL association (its URL is public)")
				}
				egress, known := s.Input("networkConfiguration", "egressConfiguration", "egressType")
				if known && graph.Str(egress) != "VPC" {
					out = append(out, "App Runner service egress is not through a VPC connector")
				}
				return out
			}),
		},
	}
}

// frontedByCloudFront reports whether a CloudFront distribution with a WAF
// has lb as an origin, directly or through a VPC origin.
func frontedByCloudFront(g *graph.Graph, lb *graph.Resource) bool {
	origins := map[string]bool{lb.URN: true}
	for _, vo := range g.OfType(typeVpcOrigin) {
		for _, dep := range g.Refs(vo, "vpcOriginEndpointConfig") {
			if dep.URN == lb.URN {
				origins[vo.URN] = true
			}
		}
	}
	for _, d := range g.OfType(typeDistribution) {
		acl, known := d.Input("webAclId")
		if known && graph.Str(acl) == "" {
			continue
		}
		for _, dep := range g.Refs(d, "origins") {
			if origins[dep.URN] {
				return true
			}
		}
	}
	return false
}

func wafAtEdgeCheck(g *graph.Graph) []Finding {
	var out []Finding
	for _, assoc := range g.OfType(typeWebACLAssoc) {
		regional := false
		for _, acl := range g.Refs(assoc, "webAclArn", typeWebACL) {
			if s, k := acl.Input("scope"); k && graph.Str(s) == "REGIONAL" {
				regional = true
			}
		}
		if !regional {
			continue
		}
		for _, lb := range g.Refs(assoc, "resourceArn", typeLB, typeALB) {
			if !frontedByCloudFront(g, lb) {
				out = append(out, Finding{URN: assoc.URN, Message: fmt.Sprintf("REGIONAL web ACL on load balancer %s with no CloudFront + WAF in front; move the WAF to the edge", lb.Name)})
			}
		}
		if arn, k := assoc.Input("resourceArn"); k && strings.Contains(graph.Str(arn), ":loadbalancer/") && len(g.Refs(assoc, "resourceArn", typeLB, typeALB)) == 0 {
			out = append(out, Finding{URN: assoc.URN, Message: "REGIONAL web ACL on a load balancer outside this stack; the WAF belongs on CloudFront"})
		}
	}
	return out
}
