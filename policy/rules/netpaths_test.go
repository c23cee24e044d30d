package rules

import "github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"

// pathNet is a VPC 10.0.0.0/16 with subnets a (10.0.1.0/24) and b
// (10.0.2.0/24) on one network ACL with the given entries, and a path
// declaration of kind typ from a to b on port 5432.
func pathNet(typ string, aCIDR any, ingress, egress L, extra ...node) []node {
	decl := R(typ, "db-path", M{
		"fromSubnetIds": L{unk}, "toSubnetIds": L{unk},
		"fromSecurityGroupIds": L{}, "toSecurityGroupIds": L{},
		"protocol": "tcp", "ports": L{"5432"}, "mustBlock": L{"nacl"},
	}).Dep("fromSubnetIds", U(typeSubnet, "a")).Dep("toSubnetIds", U(typeSubnet, "b"))
	decl.r.Custom = false
	return append([]node{
		R(typeVpc, "vpc", M{"cidrBlock": "10.0.0.0/16"}),
		R(typeSubnet, "a", M{"cidrBlock": aCIDR}).Dep("vpcId", U(typeVpc, "vpc")),
		R(typeSubnet, "b", M{"cidrBlock": "10.0.2.0/24"}).Dep("vpcId", U(typeVpc, "vpc")),
		R(typeNACL, "nacl", M{"ingress": ingress, "egress": egress}).Dep("subnetIds", U(typeSubnet, "a"), U(typeSubnet, "b")),
		decl,
	}, extra...)
}

func aclEntry(no int, from, to int, cidr string) M {
	return M{"ruleNo": float64(no), "action": "allow", "protocol": "tcp", "cidrBlock": cidr, "fromPort": float64(from), "toPort": float64(to)}
}

func aclDeny(no int, port int, cidr string) M {
	return M{"ruleNo": float64(no), "action": "deny", "protocol": "tcp", "cidrBlock": cidr, "fromPort": float64(port), "toPort": float64(port)}
}

var (
	vpcWide  = L{aclEntry(100, 5432, 5432, "10.0.0.0/16"), aclEntry(110, 1024, 65535, "10.0.0.0/16")}
	noDB5432 = L{aclDeny(90, 5432, "10.0.0.0/16"), aclEntry(110, 1024, 65535, "10.0.0.0/16")}
)

var pathCases = []ruleCase{
	{rule: "network-paths-proven", kind: pass, name: "required path open both ways",
		res: pathNet(pathspec.TypePathRequired, "10.0.1.0/24", vpcWide, vpcWide)},
	{rule: "network-paths-proven", kind: fail, name: "required path: a deny rule for the port",
		res: pathNet(pathspec.TypePathRequired, "10.0.1.0/24", vpcWide, noDB5432),
		want: []want{
			{U(pathspec.TypePathRequired, "db-path"), "a → b tcp/5432: request outbound at a: network ACL nacl rule 90 denies tcp 5432-5432 to 10.0.0.0/16"},
			// The deny also drops replies to clients whose ephemeral port is 5432.
			{U(pathspec.TypePathRequired, "db-path"), "a → b tcp/5432 (reply): reply outbound at b: network ACL nacl rule 90 denies"},
		}},
	{rule: "network-paths-proven", kind: fail, name: "required path: implicit deny of the replies",
		res:  pathNet(pathspec.TypePathRequired, "10.0.1.0/24", L{aclEntry(100, 5432, 5432, "10.0.0.0/16"), aclEntry(110, 1024, 65535, "10.0.3.0/24")}, vpcWide),
		want: []want{{U(pathspec.TypePathRequired, "db-path"), "a → b tcp/1024-5431,5433-65535 (reply): reply inbound at a: network ACL nacl: no rule matches tcp/1024 from 10.0.2.0/24, implicit deny (rule *)"}}},
	{rule: "network-paths-proven", kind: pass, name: "forbidden path closed by the network ACL",
		res: pathNet(pathspec.TypePathForbidden, "10.0.1.0/24", noDB5432, vpcWide)},
	{rule: "network-paths-proven", kind: fail, name: "forbidden path open",
		res:  pathNet(pathspec.TypePathForbidden, "10.0.1.0/24", vpcWide, vpcWide),
		want: []want{{U(pathspec.TypePathForbidden, "db-path"), "a → b tcp/5432 is open: route from a: local route of vpc (10.0.0.0/16) in main route table of vpc; request outbound at a: network ACL nacl rule 100 allows tcp 5432-5432 to 10.0.0.0/16; request inbound at b: network ACL nacl rule 100 allows"}}},
	{rule: "network-paths-proven", kind: unknown, name: "subnet CIDR not known in a preview",
		res: pathNet(pathspec.TypePathRequired, unk, vpcWide, noDB5432)},
}
