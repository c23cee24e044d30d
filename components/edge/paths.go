package edge

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// Ports CloudFront uses towards the VPC origin.
const (
	OriginHTTPPort  = 80
	OriginHTTPSPort = 443
)

// paths declares the path from the VPC origin's network interfaces to the
// load balancer's listener, when the caller says where the load balancer
// is.
func (e *Edge) paths(ctx *pulumi.Context, name string, args *Args) error {
	if args.Origin == nil {
		return nil
	}
	port := OriginHTTPPort
	if args.OriginHTTPS {
		port = OriginHTTPSPort
	}
	var prefixLists []string
	if args.OriginPrefixListID != "" {
		prefixLists = []string{args.OriginPrefixListID}
	}
	return flow.RequirePath(ctx, e, name, "vpc-origin-to-alb", flow.Path{
		From: flow.Endpoint{
			Label: "CloudFront VPC origin interfaces", SubnetIDs: args.Origin.SubnetIDs,
			PrefixListIDs: prefixLists,
		},
		To: *args.Origin, Ports: flow.Port(port),
		Caller: "CloudFront VPC origin (interfaces in the load balancer's subnets, every zone)",
		Reason: "every viewer request reaches the application through this path; a closed pair means intermittent 502/504s",
	})
}
