package rules

import "testing"

func TestNetworkRules(t *testing.T) { runCases(t, networkCases) }

// dbSubnet is an RDS subnet group over subnet db-a, associated with route
// table rt (property dependencies, as in a preview), plus extra nodes.
func dbSubnet(extra ...node) []node {
	return append([]node{
		R(typeSubnet, "db-a", M{"vpcId": unk}),
		R(typeRouteTable, "rt", M{"vpcId": unk}),
		R(typeRouteTableAssoc, "db-a-rt", M{"subnetId": unk, "routeTableId": unk}).
			Dep("subnetId", U(typeSubnet, "db-a")).Dep("routeTableId", U(typeRouteTable, "rt")),
		R(typeRDSSubnetGroup, "dbsg", M{"subnetIds": L{unk}}).Dep("subnetIds", U(typeSubnet, "db-a")),
	}, extra...)
}

// publicSubnet is a subnet that maps public IPs, associated with route
// table rt (which must be named "rt").
func publicSubnet(rt node, extra ...node) []node {
	return append([]node{
		R(typeSubnet, "pub", M{"mapPublicIpOnLaunch": true}),
		rt,
		R(typeRouteTableAssoc, "pub-rt", M{"subnetId": unk, "routeTableId": unk}).
			Dep("subnetId", U(typeSubnet, "pub")).Dep("routeTableId", U(typeRouteTable, "rt")),
	}, extra...)
}

var (
	igw         = R(typeIGW, "igw", M{"vpcId": unk})
	nat         = R(typeNAT, "nat", M{"subnetId": unk})
	igwRoute    = R(typeRoute, "default", M{"routeTableId": unk, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": unk}).Dep("routeTableId", U(typeRouteTable, "rt")).Dep("gatewayId", U(typeIGW, "igw"))
	lbForSG     = R(typeALB, "alb", M{"internal": true, "securityGroups": L{unk}}).Dep("securityGroups", U(typeSG, "lb"))
	openIngress = func(port float64) M {
		return M{"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": L{"0.0.0.0/0"}}
	}
	vpcEndpointT = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

var networkCases = append(append([]ruleCase{}, pathCases...), []ruleCase{
	// database-in-isolated-subnets
	{rule: "database-in-isolated-subnets", kind: pass, name: "route table without egress",
		res: dbSubnet()},
	{rule: "database-in-isolated-subnets", kind: fail, name: "route resource to an internet gateway",
		res:  dbSubnet(igw, igwRoute),
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "subnet db-a: route table rt routes to internet gateway igw"}}},
	{rule: "database-in-isolated-subnets", kind: fail, name: "route resource to a NAT gateway",
		res: dbSubnet(nat, R(typeRoute, "nat-route", M{"routeTableId": unk, "natGatewayId": unk}).
			Dep("routeTableId", U(typeRouteTable, "rt")).Dep("natGatewayId", U(typeNAT, "nat"))),
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "subnet db-a: route table rt routes to NAT gateway nat"}}},
	{rule: "database-in-isolated-subnets", kind: fail, name: "inline route to a NAT gateway id",
		res: []node{
			R(typeSubnet, "db-a", nil),
			R(typeRouteTable, "rt", M{"routes": L{M{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0abc"}}}),
			R(typeRouteTableAssoc, "db-a-rt", nil).Dep("subnetId", U(typeSubnet, "db-a")).Dep("routeTableId", U(typeRouteTable, "rt")),
			R(typeRDSSubnetGroup, "dbsg", nil).Dep("subnetIds", U(typeSubnet, "db-a")),
		},
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "route table rt routes to NAT gateway nat-0abc"}}},
	{rule: "database-in-isolated-subnets", kind: fail, name: "subnet on the main route table",
		res: []node{
			R(typeSubnet, "db-a", nil),
			R(typeRDSSubnetGroup, "dbsg", M{"subnetIds": L{unk}}).Dep("subnetIds", U(typeSubnet, "db-a")),
		},
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "subnet db-a: has no explicit route table association"}}},
	{rule: "database-in-isolated-subnets", kind: fail, name: "ids only, route to an internet gateway (exported state)",
		res: []node{
			R(typeSubnet, "db-a", nil).ID("subnet-0aaa"),
			R(typeRouteTable, "rt", M{"vpcId": "vpc-1"}).ID("rtb-0aaa"),
			R(typeIGW, "igw", M{"vpcId": "vpc-1"}).ID("igw-0aaa"),
			R(typeRouteTableAssoc, "db-a-rt", M{"subnetId": "subnet-0aaa", "routeTableId": "rtb-0aaa"}).ID("rtbassoc-1"),
			R(typeRoute, "default", M{"routeTableId": "rtb-0aaa", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0aaa"}).ID("r-rtb-0aaa1080289494"),
			R(typeRDSSubnetGroup, "dbsg", M{"subnetIds": L{"subnet-0aaa"}}).ID("dbsg"),
		},
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "subnet db-a: route table rt routes to internet gateway igw"}}},
	{rule: "database-in-isolated-subnets", kind: pass, name: "ids only, isolated (exported state)",
		res: []node{
			R(typeSubnet, "db-a", nil).ID("subnet-0aaa"),
			R(typeRouteTable, "rt", M{"routes": L{}}).ID("rtb-0aaa"),
			R(typeRouteTableAssoc, "db-a-rt", M{"subnetId": "subnet-0aaa", "routeTableId": "rtb-0aaa"}),
			R(typeRDSSubnetGroup, "dbsg", M{"subnetIds": L{"subnet-0aaa"}}),
		}},
	{rule: "database-in-isolated-subnets", kind: unknown, name: "subnet ids computed, no dependency recorded",
		res: []node{R(typeRDSSubnetGroup, "dbsg", M{"subnetIds": unk})}},
	{rule: "database-in-isolated-subnets", kind: unknown, name: "route gateway computed from a VPC endpoint",
		res: dbSubnet(R(vpcEndpointT, "s3", nil), R(typeRoute, "s3", M{"routeTableId": unk, "gatewayId": unk}).
			Dep("routeTableId", U(typeRouteTable, "rt")).Dep("gatewayId", U(vpcEndpointT, "s3")))},
	{rule: "database-in-isolated-subnets", kind: fail, name: "inline routes computed, internet gateway by dependency",
		res: []node{
			igw,
			R(typeSubnet, "db-a", nil),
			R(typeRouteTable, "rt", M{"routes": unk}).Dep("routes", U(typeIGW, "igw")),
			R(typeRouteTableAssoc, "db-a-rt", nil).Dep("subnetId", U(typeSubnet, "db-a")).Dep("routeTableId", U(typeRouteTable, "rt")),
			R(typeRDSSubnetGroup, "dbsg", nil).Dep("subnetIds", U(typeSubnet, "db-a")),
		},
		want: []want{{U(typeRDSSubnetGroup, "dbsg"), "routes to internet gateway igw"}}},

	// subnet-explicit-nacl
	{rule: "subnet-explicit-nacl", kind: pass, name: "association by dependency",
		res: []node{R(typeSubnet, "a", nil), R(typeNACLAssoc, "a-acl", M{"subnetId": unk, "networkAclId": unk}).Dep("subnetId", U(typeSubnet, "a"))}},
	{rule: "subnet-explicit-nacl", kind: pass, name: "network ACL subnetIds by dependency",
		res: []node{R(typeSubnet, "a", nil), R(typeNACL, "acl", M{"subnetIds": L{unk}}).Dep("subnetIds", U(typeSubnet, "a"))}},
	{rule: "subnet-explicit-nacl", kind: pass, name: "association by subnet id (exported state)",
		res: []node{R(typeSubnet, "a", nil).ID("subnet-0aaa"), R(typeNACLAssoc, "a-acl", M{"subnetId": "subnet-0aaa", "networkAclId": "acl-1"})}},
	{rule: "subnet-explicit-nacl", kind: pass, name: "network ACL subnetIds by id (exported state)",
		res: []node{R(typeSubnet, "a", nil).ID("subnet-0aaa"), R(typeNACL, "acl", M{"subnetIds": L{"subnet-0bbb", "subnet-0aaa"}}).ID("acl-1")}},
	{rule: "subnet-explicit-nacl", kind: fail, name: "no association",
		res:  []node{R(typeSubnet, "a", nil)},
		want: []want{{U(typeSubnet, "a"), "subnet has no explicit network ACL association"}}},
	{rule: "subnet-explicit-nacl", kind: fail, name: "association of another subnet (exported state)",
		res: []node{
			R(typeSubnet, "a", nil).ID("subnet-0aaa"),
			R(typeSubnet, "b", nil).ID("subnet-0bbb"),
			R(typeNACLAssoc, "a-acl", M{"subnetId": "subnet-0aaa", "networkAclId": "acl-1"}),
		},
		want: []want{{U(typeSubnet, "b"), "subnet has no explicit network ACL association"}}},
	{rule: "subnet-explicit-nacl", kind: unknown, name: "association subnet computed",
		res: []node{R(typeSubnet, "a", nil), R(typeNACLAssoc, "a-acl", M{"subnetId": unk}).Dep("subnetId", U(typeSubnet, "a"))}},

	// subnet-public-ip-only-if-public
	{rule: "subnet-public-ip-only-if-public", kind: pass, name: "private subnet without public IPs",
		res: []node{R(typeSubnet, "a", M{"mapPublicIpOnLaunch": false})}},
	{rule: "subnet-public-ip-only-if-public", kind: pass, name: "public subnet routes to an internet gateway",
		res: publicSubnet(R(typeRouteTable, "rt", nil), igw, igwRoute)},
	{rule: "subnet-public-ip-only-if-public", kind: pass, name: "inline route to igw id (exported state)",
		res: []node{
			R(typeSubnet, "pub", M{"mapPublicIpOnLaunch": true}).ID("subnet-0aaa"),
			R(typeRouteTable, "rt", M{"routes": L{M{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0aaa"}}}).ID("rtb-0aaa"),
			R(typeRouteTableAssoc, "pub-rt", M{"subnetId": "subnet-0aaa", "routeTableId": "rtb-0aaa"}),
		}},
	{rule: "subnet-public-ip-only-if-public", kind: fail, name: "public IPs but no route table",
		res:  []node{R(typeSubnet, "a", M{"mapPublicIpOnLaunch": true})},
		want: []want{{U(typeSubnet, "a"), "subnet maps public IPs on launch but is not a public subnet"}}},
	{rule: "subnet-public-ip-only-if-public", kind: fail, name: "public IPs but only a NAT route",
		res:  publicSubnet(R(typeRouteTable, "rt", M{"routes": L{M{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0abc"}}})),
		want: []want{{U(typeSubnet, "pub"), "not a public subnet"}}},
	{rule: "subnet-public-ip-only-if-public", kind: unknown, name: "mapPublicIpOnLaunch computed",
		res: []node{R(typeSubnet, "a", M{"mapPublicIpOnLaunch": unk})}},
	{rule: "subnet-public-ip-only-if-public", kind: unknown, name: "inline routes computed, internet gateway by dependency",
		res: publicSubnet(R(typeRouteTable, "rt", M{"routes": unk}).Dep("routes", U(typeIGW, "igw")), igw)},

	// vpc-flow-logs
	{rule: "vpc-flow-logs", kind: pass, name: "flow log by dependency",
		res: []node{R(typeVpc, "main", nil), R(typeFlowLog, "fl", M{"vpcId": unk}).Dep("vpcId", U(typeVpc, "main"))}},
	{rule: "vpc-flow-logs", kind: pass, name: "flow log by VPC id (exported state)",
		res: []node{R(typeVpc, "main", nil).ID("vpc-0a1b"), R(typeFlowLog, "fl", M{"vpcId": "vpc-0a1b", "trafficType": "ALL"})}},
	{rule: "vpc-flow-logs", kind: fail, name: "no flow log",
		res:  []node{R(typeVpc, "main", nil)},
		want: []want{{U(typeVpc, "main"), "VPC has no flow log"}}},
	{rule: "vpc-flow-logs", kind: fail, name: "flow log of another VPC (exported state)",
		res: []node{
			R(typeVpc, "a", nil).ID("vpc-0a"), R(typeVpc, "b", nil).ID("vpc-0b"),
			R(typeFlowLog, "fl", M{"vpcId": "vpc-0a"}),
		},
		want: []want{{U(typeVpc, "b"), "VPC has no flow log"}}},
	{rule: "vpc-flow-logs", kind: unknown, name: "flow log VPC computed",
		res: []node{R(typeVpc, "main", nil), R(typeFlowLog, "fl", M{"vpcId": unk, "logDestination": unk}).Dep("vpcId", U(typeVpc, "main"))}},

	// no-open-ingress
	{rule: "no-open-ingress", kind: pass, name: "database port from the VPC only",
		res: []node{R(typeSG, "db", M{"ingress": L{M{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": L{"10.0.0.0/16"}}}})}},
	{rule: "no-open-ingress", kind: pass, name: "HTTPS to a load balancer's group",
		res: []node{R(typeSG, "lb", M{"ingress": L{openIngress(443)}}), lbForSG}},
	{rule: "no-open-ingress", kind: pass, name: "HTTPS rule on a load balancer's group by ids (exported state)",
		res: []node{
			R(typeSG, "lb", nil).ID("sg-0lb"),
			R(typeLB, "alb", M{"internal": true, "securityGroups": L{"sg-0lb"}}),
			R(typeSGRule, "https", M{"type": "ingress", "protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": L{"0.0.0.0/0"}, "securityGroupId": "sg-0lb"}),
		}},
	{rule: "no-open-ingress", kind: pass, name: "open egress rule",
		res: []node{R(typeSGRule, "out", M{"type": "egress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": L{"0.0.0.0/0"}})}},
	{rule: "no-open-ingress", kind: fail, name: "PostgreSQL open to the internet",
		res: []node{R(typeSG, "db", M{"ingress": L{openIngress(5432)}})},
		want: []want{
			{U(typeSG, "db"), "ingress from 0.0.0.0/0 reaches database port 5432"},
			{U(typeSG, "db"), "ingress from 0.0.0.0/0 on tcp 5432-5432; only HTTPS (443) to a load balancer may be open"},
		}},
	{rule: "no-open-ingress", kind: fail, name: "HTTPS open on a group no load balancer uses",
		res:  []node{R(typeSG, "app", M{"ingress": L{openIngress(443)}})},
		want: []want{{U(typeSG, "app"), "on a security group that is not a load balancer's"}}},
	{rule: "no-open-ingress", kind: fail, name: "all protocols from ::/0 in a rule",
		res: []node{R(typeSGRule, "all", M{"type": "ingress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "ipv6CidrBlocks": L{"::/0"}})},
		want: []want{
			{U(typeSGRule, "all"), "ingress from ::/0 reaches database port"},
			{U(typeSGRule, "all"), "only HTTPS (443) to a load balancer may be open"},
		}},
	{rule: "no-open-ingress", kind: fail, name: "SSH in a vpc ingress rule on the load balancer's group",
		res: []node{
			R(typeSG, "lb", nil), lbForSG,
			R(typeSGIngressRule, "ssh", M{"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "0.0.0.0/0", "securityGroupId": unk}).Dep("securityGroupId", U(typeSG, "lb")),
		},
		want: []want{{U(typeSGIngressRule, "ssh"), "ingress from 0.0.0.0/0 on tcp 22-22"}}},
	{rule: "no-open-ingress", kind: fail, name: "database port range including 3306",
		res: []node{R(typeSGRule, "range", M{"type": "ingress", "protocol": "tcp", "fromPort": 3000.0, "toPort": 4000.0, "cidrBlocks": L{"10.0.0.0/8", "0.0.0.0/0"}})},
		want: []want{
			{U(typeSGRule, "range"), "reaches database port 3306"},
			{U(typeSGRule, "range"), "on tcp 3000-4000"},
		}},
	{rule: "no-open-ingress", kind: unknown, name: "inline ingress computed",
		res: []node{R(typeSG, "db", M{"ingress": unk})}},
	{rule: "no-open-ingress", kind: unknown, name: "rule CIDR blocks computed",
		res: []node{R(typeSGRule, "r", M{"type": "ingress", "protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": unk})}},
	{rule: "no-open-ingress", kind: unknown, name: "vpc ingress rule CIDR computed",
		res: []node{R(typeSGIngressRule, "r", M{"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrIpv4": unk})}},
	{rule: "no-open-ingress", kind: unknown, name: "rule type computed",
		res: []node{R(typeSGRule, "r", M{"type": unk, "protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": L{"0.0.0.0/0"}})}},
	{rule: "no-open-ingress", kind: unknown, name: "ports computed on a load balancer's group",
		res: []node{R(typeSG, "lb", M{"ingress": L{M{"protocol": "tcp", "fromPort": unk, "toPort": unk, "cidrBlocks": L{"0.0.0.0/0"}}}}), lbForSG}},

	// rds-not-public
	{rule: "rds-not-public", kind: pass, name: "private instance",
		res: []node{R(typeRDSInstance, "db", M{"publiclyAccessible": false})}},
	{rule: "rds-not-public", kind: pass, name: "cluster instance default",
		res: []node{R(typeRDSClusterInstance, "db-1", nil)}},
	{rule: "rds-not-public", kind: fail, name: "public instance",
		res:  []node{R(typeRDSInstance, "db", M{"publiclyAccessible": true})},
		want: []want{{U(typeRDSInstance, "db"), "database instance is publicly accessible"}}},
	{rule: "rds-not-public", kind: fail, name: "public cluster instance",
		res:  []node{R(typeRDSClusterInstance, "db-1", M{"publiclyAccessible": true})},
		want: []want{{U(typeRDSClusterInstance, "db-1"), "publicly accessible"}}},
	{rule: "rds-not-public", kind: unknown, name: "publiclyAccessible computed",
		res: []node{R(typeRDSInstance, "db", M{"publiclyAccessible": unk})}},
}...)
