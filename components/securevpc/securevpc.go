// Package securevpc provides SecureVPC, a VPC laid out in tiers the way the
// FinTech best practices ask (isolated > private > public).
//
// Guarantees:
//   - Per availability zone up to three tiers: public (only when internet
//     ingress or NAT egress is asked for), private (egress only through NAT)
//     and isolated (no route to an internet or NAT gateway, ever).
//   - A route table per tier and AZ; a network ACL per tier with
//     least-privilege rules between tiers, explicitly associated with every
//     subnet (inline, so a quarantine applied by the isolation responder
//     survives `pulumi up` and `pulumi refresh`). The default network ACL and
//     the default security group have no rules, so anything left on them is
//     denied.
//   - No subnet maps public IPs on launch.
//   - VPC flow logs of all traffic to a CloudWatch log group encrypted with a
//     customer-managed key.
//   - Interface endpoints (at least KMS, Secrets Manager, CloudWatch Logs,
//     STS) in the isolated tier and an S3 gateway endpoint, with policies
//     that admit only principals of this account.
package securevpc

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:network:SecureVPC"

// Tier names a subnet tier.
type Tier string

// The tiers, from most to least exposed.
const (
	Public   Tier = "public"
	Private  Tier = "private"
	Isolated Tier = "isolated"
)

// tierIndex fixes each tier's block of subnet slots.
var tierIndex = map[Tier]int{Public: 0, Private: 1, Isolated: 2}

// NAT gateway modes.
const (
	NatNone   = "none"
	NatSingle = "single"
	NatPerAZ  = "perAz"
)

// DefaultInterfaceEndpoints are the services the isolated tier needs.
var DefaultInterfaceEndpoints = []string{"kms", "logs", "secretsmanager", "sts"}

// Args configures a SecureVPC.
type Args struct {
	// CidrBlock is the VPC's IPv4 block, /16 to /24.
	CidrBlock string
	// AvailabilityZones are 2 or 3 zone names, in order.
	AvailabilityZones []string
	// SubnetPrefixLength is the prefix of every subnet (default CIDR prefix + 4).
	SubnetPrefixLength int
	// NatGateways is none, single or perAz. Anything but none creates the
	// public tier and gives the private tier a default route to NAT.
	NatGateways string
	// PublicIngress creates the public tier with an internet gateway and
	// admits HTTPS from the internet there.
	PublicIngress bool
	// ListenerPort is the port load balancers in the private tier listen on.
	ListenerPort int
	// AppPort is the port application tasks listen on.
	AppPort int
	// DatabasePort is the only port the isolated tier serves to the private tier.
	DatabasePort int
	// AccountID and Region of the VPC (endpoint policies, service names).
	AccountID string
	Region    string
	// FlowLogRetentionDays is the flow log group's retention.
	FlowLogRetentionDays int
	// FlowLogKeyArn is the customer-managed key of the flow log group.
	FlowLogKeyArn pulumi.StringInput
	// InterfaceEndpoints are extra service names beyond the defaults.
	InterfaceEndpoints []string
	// ReconcileNaclAssociations applies changes to the subnets' network ACL
	// associations (e.g. after adding an AZ). Off by default so that a
	// deployment never reverts a quarantine; turn it on for one update
	// outside an incident (docs/decisions/0009).
	ReconcileNaclAssociations bool
}

// SecureVPC is the network.
type SecureVPC struct {
	pulumi.ResourceState

	Vpc *ec2.Vpc
	// Subnets per tier, in AZ order.
	Subnets map[Tier][]*ec2.Subnet
	// SubnetCIDRs per tier, in AZ order (plain values, for rules and tests).
	SubnetCIDRs map[Tier][]string
	// NetworkAcls per tier.
	NetworkAcls map[Tier]*ec2.NetworkAcl
	// RouteTables per tier, in AZ order.
	RouteTables map[Tier][]*ec2.RouteTable
	// EndpointSecurityGroup guards the interface endpoints.
	EndpointSecurityGroup *ec2.SecurityGroup
	// FlowLogGroup receives the flow logs.
	FlowLogGroup *cloudwatch.LogGroup

	VpcID             pulumi.StringOutput
	SubnetIDs         pulumi.StringArrayMapOutput
	NetworkAclIDs     pulumi.StringMapOutput
	RouteTableIDs     pulumi.StringArrayMapOutput
	PrivateSubnetIDs  pulumi.StringArrayOutput
	IsolatedSubnetIDs pulumi.StringArrayOutput
}

var (
	serviceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
)

// Tiers returns the tiers this configuration creates, most exposed first.
func (a *Args) Tiers() []Tier {
	if a.PublicIngress || a.NatGateways != NatNone {
		return []Tier{Public, Private, Isolated}
	}
	return []Tier{Private, Isolated}
}

func (a *Args) validate() error {
	var problems []string
	if len(a.AvailabilityZones) < 2 || len(a.AvailabilityZones) > SlotsPerTier {
		problems = append(problems, fmt.Sprintf("AvailabilityZones must list 2 or 3 zones, got %d", len(a.AvailabilityZones)))
	}
	if a.Region == "" {
		problems = append(problems, "Region is required")
	} else if p := awsfacts.RegionProblem(a.Region); p != "" {
		problems = append(problems, fmt.Sprintf("Region %q %s", a.Region, p))
	}
	seenZone := map[string]bool{}
	for _, z := range a.AvailabilityZones {
		if seenZone[z] {
			problems = append(problems, fmt.Sprintf("availability zone %q is listed twice", z))
		}
		seenZone[z] = true
		// A zone is its region and one letter.
		if len(z) != len(a.Region)+1 || !strings.HasPrefix(z, a.Region) || z[len(z)-1] < 'a' || z[len(z)-1] > 'z' {
			problems = append(problems, fmt.Sprintf("availability zone %q is not a zone of region %q", z, a.Region))
		}
	}
	for ti := range tierIndex {
		for az := range a.AvailabilityZones {
			if _, err := SubnetCIDR(a.CidrBlock, a.SubnetPrefixLength, tierIndex[ti], az); err != nil {
				problems = append(problems, err.Error())
				break
			}
		}
	}
	switch a.NatGateways {
	case NatNone, NatSingle, NatPerAZ:
	default:
		problems = append(problems, fmt.Sprintf("NatGateways %q is not one of none, single, perAz", a.NatGateways))
	}
	for name, port := range map[string]int{"ListenerPort": a.ListenerPort, "AppPort": a.AppPort, "DatabasePort": a.DatabasePort} {
		if port < 1 || port > 65535 {
			problems = append(problems, fmt.Sprintf("%s %d is not a TCP port", name, port))
		}
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		problems = append(problems, fmt.Sprintf("AccountID %q is not a 12-digit account id", a.AccountID))
	}
	if a.FlowLogRetentionDays <= 0 {
		problems = append(problems, "FlowLogRetentionDays must be positive")
	}
	if a.FlowLogKeyArn == nil {
		problems = append(problems, "FlowLogKeyArn (a customer-managed key) is required")
	}
	for _, s := range a.InterfaceEndpoints {
		if !serviceRE.MatchString(s) {
			problems = append(problems, fmt.Sprintf("interface endpoint %q is not a service name such as ecr.api", s))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return nil
}

// NewSecureVPC builds the network.
func NewSecureVPC(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*SecureVPC, error) {
	if args == nil {
		return nil, fmt.Errorf("securevpc %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("securevpc %s: %w", name, err)
	}
	v := &SecureVPC{
		Subnets:     map[Tier][]*ec2.Subnet{},
		SubnetCIDRs: map[Tier][]string{},
		NetworkAcls: map[Tier]*ec2.NetworkAcl{},
		RouteTables: map[Tier][]*ec2.RouteTable{},
	}
	if err := ctx.RegisterComponentResource(TypeToken, name, v, opts...); err != nil {
		return nil, fmt.Errorf("securevpc %s: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: args, v: v, parent: pulumi.Parent(v)}
	steps := []func() error{b.vpc, b.subnets, b.gateways, b.routes, b.networkAcls, b.flowLogs, b.endpoints, b.paths}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("securevpc %s: %w", name, err)
		}
	}
	v.VpcID = v.Vpc.ID().ToStringOutput()
	v.SubnetIDs = b.idsPerTier(func(t Tier) []pulumi.StringInput {
		var out []pulumi.StringInput
		for _, s := range v.Subnets[t] {
			out = append(out, s.ID())
		}
		return out
	})
	v.RouteTableIDs = b.idsPerTier(func(t Tier) []pulumi.StringInput {
		var out []pulumi.StringInput
		for _, rt := range v.RouteTables[t] {
			out = append(out, rt.ID())
		}
		return out
	})
	nacls := pulumi.StringMap{}
	for t, n := range v.NetworkAcls {
		nacls[string(t)] = n.ID()
	}
	v.NetworkAclIDs = nacls.ToStringMapOutput()
	v.PrivateSubnetIDs = subnetIDs(v.Subnets[Private])
	v.IsolatedSubnetIDs = subnetIDs(v.Subnets[Isolated])
	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"vpcId":         v.VpcID,
		"subnetIds":     v.SubnetIDs,
		"networkAclIds": v.NetworkAclIDs,
		"routeTableIds": v.RouteTableIDs,
	}); err != nil {
		return nil, fmt.Errorf("securevpc %s: outputs: %w", name, err)
	}
	return v, nil
}

func subnetIDs(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
	arr := pulumi.StringArray{}
	for _, s := range subnets {
		arr = append(arr, s.ID())
	}
	return arr.ToStringArrayOutput()
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	v      *SecureVPC
	parent pulumi.ResourceOption
	igw    *ec2.InternetGateway
	nats   []*ec2.NatGateway
}

func (b *builder) idsPerTier(ids func(Tier) []pulumi.StringInput) pulumi.StringArrayMapOutput {
	m := pulumi.StringArrayMap{}
	for _, t := range b.args.Tiers() {
		m[string(t)] = pulumi.StringArray(ids(t))
	}
	return m.ToStringArrayMapOutput()
}

func azSuffix(zone string) string { return zone[len(zone)-1:] }

func tags(name string, extra map[string]string) pulumi.StringMap {
	m := pulumi.StringMap{"Name": pulumi.String(name)}
	for k, v := range extra {
		m[k] = pulumi.String(v)
	}
	return m
}

func (b *builder) vpc() error {
	vpc, err := ec2.NewVpc(b.ctx, b.name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.args.CidrBlock),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags(b.name, nil),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("vpc: %w", err)
	}
	b.v.Vpc = vpc
	// Empty the defaults: anything that lands on them is denied.
	if _, err := ec2.NewDefaultSecurityGroup(b.ctx, b.name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  tags(b.name+"-default-deny-all", nil),
	}, b.parent); err != nil {
		return fmt.Errorf("default security group: %w", err)
	}
	if _, err := ec2.NewDefaultNetworkAcl(b.ctx, b.name+"-default-nacl", &ec2.DefaultNetworkAclArgs{
		DefaultNetworkAclId: vpc.DefaultNetworkAclId,
		Tags:                tags(b.name+"-default-deny-all", nil),
	}, b.parent, pulumi.IgnoreChanges([]string{"subnetIds"})); err != nil {
		return fmt.Errorf("default network acl: %w", err)
	}
	return nil
}

func (b *builder) subnets() error {
	for _, t := range b.args.Tiers() {
		for i, az := range b.args.AvailabilityZones {
			cidr, err := SubnetCIDR(b.args.CidrBlock, b.args.SubnetPrefixLength, tierIndex[t], i)
			if err != nil {
				return err
			}
			sn, err := ec2.NewSubnet(b.ctx, fmt.Sprintf("%s-%s-%s", b.name, t, azSuffix(az)), &ec2.SubnetArgs{
				VpcId:               b.v.Vpc.ID(),
				CidrBlock:           pulumi.String(cidr),
				AvailabilityZone:    pulumi.String(az),
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                tags(fmt.Sprintf("%s-%s-%s", b.name, t, azSuffix(az)), map[string]string{"tier": string(t)}),
			}, b.parent)
			if err != nil {
				return fmt.Errorf("subnet %s %s: %w", t, az, err)
			}
			b.v.Subnets[t] = append(b.v.Subnets[t], sn)
			b.v.SubnetCIDRs[t] = append(b.v.SubnetCIDRs[t], cidr)
		}
	}
	return nil
}

func (b *builder) gateways() error {
	if len(b.v.Subnets[Public]) == 0 {
		return nil
	}
	igw, err := ec2.NewInternetGateway(b.ctx, b.name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: b.v.Vpc.ID(),
		Tags:  tags(b.name+"-igw", nil),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("internet gateway: %w", err)
	}
	b.igw = igw
	count := 0
	switch b.args.NatGateways {
	case NatSingle:
		count = 1
	case NatPerAZ:
		count = len(b.args.AvailabilityZones)
	}
	for i := 0; i < count; i++ {
		suffix := azSuffix(b.args.AvailabilityZones[i])
		eip, err := ec2.NewEip(b.ctx, fmt.Sprintf("%s-nat-%s-eip", b.name, suffix), &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   tags(fmt.Sprintf("%s-nat-%s", b.name, suffix), nil),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("nat eip: %w", err)
		}
		nat, err := ec2.NewNatGateway(b.ctx, fmt.Sprintf("%s-nat-%s", b.name, suffix), &ec2.NatGatewayArgs{
			AllocationId:     eip.ID(),
			SubnetId:         b.v.Subnets[Public][i].ID(),
			ConnectivityType: pulumi.String("public"),
			Tags:             tags(fmt.Sprintf("%s-nat-%s", b.name, suffix), nil),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return fmt.Errorf("nat gateway: %w", err)
		}
		b.nats = append(b.nats, nat)
	}
	return nil
}

func (b *builder) routes() error {
	for _, t := range b.args.Tiers() {
		for i, az := range b.args.AvailabilityZones {
			rtName := fmt.Sprintf("%s-%s-%s-rt", b.name, t, azSuffix(az))
			rt, err := ec2.NewRouteTable(b.ctx, rtName, &ec2.RouteTableArgs{
				VpcId: b.v.Vpc.ID(),
				Tags:  tags(rtName, map[string]string{"tier": string(t)}),
			}, b.parent)
			if err != nil {
				return fmt.Errorf("route table %s: %w", rtName, err)
			}
			b.v.RouteTables[t] = append(b.v.RouteTables[t], rt)
			if _, err := ec2.NewRouteTableAssociation(b.ctx, rtName+"-assoc", &ec2.RouteTableAssociationArgs{
				SubnetId:     b.v.Subnets[t][i].ID(),
				RouteTableId: rt.ID(),
			}, b.parent); err != nil {
				return fmt.Errorf("route table association %s: %w", rtName, err)
			}
			route := &ec2.RouteArgs{RouteTableId: rt.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0")}
			switch {
			case t == Public:
				route.GatewayId = b.igw.ID()
			case t == Private && len(b.nats) > 0:
				route.NatGatewayId = b.nats[i%len(b.nats)].ID()
			default:
				// Isolated never routes out; private without NAT has no egress.
				continue
			}
			if _, err := ec2.NewRoute(b.ctx, rtName+"-default", route, b.parent); err != nil {
				return fmt.Errorf("default route %s: %w", rtName, err)
			}
		}
	}
	return nil
}

// naclRule is one allow rule expanded over source/destination CIDRs.
type naclRule struct {
	egress   bool
	from, to int
	cidrs    []string
}

func (b *builder) cidrs(tiers ...Tier) []string {
	var out []string
	for _, t := range tiers {
		out = append(out, b.v.SubnetCIDRs[t]...)
	}
	return out
}

// NaclRules returns the allow rules of each tier. Everything else is denied
// by the NACL's implicit final rule.
func (b *builder) naclRules() map[Tier][]naclRule {
	a := b.args
	anywhere := []string{"0.0.0.0/0"}
	eph := func(egress bool, cidrs []string) naclRule { return naclRule{egress, 1024, 65535, cidrs} }
	hasPublic := len(b.v.Subnets[Public]) > 0
	rules := map[Tier][]naclRule{}
	if hasPublic {
		var pub []naclRule
		if a.PublicIngress {
			pub = append(pub, naclRule{false, 443, 443, anywhere}, naclRule{true, a.ListenerPort, a.ListenerPort, b.cidrs(Private)})
		}
		if len(b.nats) > 0 {
			// NAT: HTTPS from the private tier out to the internet.
			pub = append(pub, naclRule{false, 443, 443, b.cidrs(Private)}, naclRule{true, 443, 443, anywhere})
		}
		pub = append(pub, eph(false, anywhere), eph(true, anywhere))
		rules[Public] = pub
	}
	priv := []naclRule{
		// Load balancer listeners and app tasks, reached from inside the tier
		// (CloudFront VPC origin ENIs and the ALB live here). A VPC origin
		// interface in one zone reaches ALB nodes in every zone, so the
		// listener port leaves the subnet too (the network ACL is stateless).
		{false, a.ListenerPort, a.ListenerPort, b.cidrs(Private)},
		{true, a.ListenerPort, a.ListenerPort, b.cidrs(Private)},
		{false, a.AppPort, a.AppPort, b.cidrs(Private)},
		{true, a.AppPort, a.AppPort, b.cidrs(Private)},
		// Database and endpoints in the isolated tier.
		{true, a.DatabasePort, a.DatabasePort, b.cidrs(Isolated)},
		{true, 443, 443, b.cidrs(Isolated)},
		eph(false, b.cidrs(Private, Isolated)),
		eph(true, b.cidrs(Private)),
	}
	if hasPublic {
		priv = append(priv, naclRule{false, a.ListenerPort, a.ListenerPort, b.cidrs(Public)}, eph(true, b.cidrs(Public)))
	}
	if len(b.nats) > 0 {
		priv = append(priv, naclRule{true, 443, 443, anywhere}, eph(false, anywhere))
	}
	rules[Private] = priv
	rules[Isolated] = []naclRule{
		// Only the database port and the endpoints, from private and isolated.
		{false, a.DatabasePort, a.DatabasePort, b.cidrs(Private, Isolated)},
		{false, 443, 443, b.cidrs(Private, Isolated)},
		{true, a.DatabasePort, a.DatabasePort, b.cidrs(Isolated)},
		{true, 443, 443, b.cidrs(Isolated)},
		// Return traffic.
		eph(true, b.cidrs(Private, Isolated)),
		eph(false, b.cidrs(Isolated)),
	}
	return rules
}

func expand(rules []naclRule) (ec2.NetworkAclIngressArray, ec2.NetworkAclEgressArray) {
	var in ec2.NetworkAclIngressArray
	var out ec2.NetworkAclEgressArray
	inNo, outNo := 100, 100
	for _, r := range rules {
		for _, c := range r.cidrs {
			if r.egress {
				out = append(out, ec2.NetworkAclEgressArgs{
					RuleNo: pulumi.Int(outNo), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
					CidrBlock: pulumi.String(c), FromPort: pulumi.Int(r.from), ToPort: pulumi.Int(r.to),
				})
				outNo += 10
			} else {
				in = append(in, ec2.NetworkAclIngressArgs{
					RuleNo: pulumi.Int(inNo), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
					CidrBlock: pulumi.String(c), FromPort: pulumi.Int(r.from), ToPort: pulumi.Int(r.to),
				})
				inNo += 10
			}
		}
	}
	return in, out
}

// maxNaclRules is the default AWS quota of rules per direction.
const maxNaclRules = 20

func (b *builder) networkAcls() error {
	rules := b.naclRules()
	for _, t := range b.args.Tiers() {
		in, out := expand(rules[t])
		if len(in) > maxNaclRules || len(out) > maxNaclRules {
			return fmt.Errorf("network acl %s: %d ingress / %d egress rules exceed the quota of %d", t, len(in), len(out), maxNaclRules)
		}
		naclName := fmt.Sprintf("%s-%s-nacl", b.name, t)
		var subnetIDs pulumi.StringArray
		for _, sn := range b.v.Subnets[t] {
			subnetIDs = append(subnetIDs, sn.ID())
		}
		// The associations are part of the NACL (subnetIds) and changes to
		// them are ignored: during an incident the isolation responder moves
		// subnets to the quarantine NACL, and neither `pulumi up` nor
		// `pulumi refresh` + `up` may move them back (docs/decisions/0009).
		// ReconcileNaclAssociations lifts this for one deliberate update.
		naclOpts := []pulumi.ResourceOption{b.parent}
		if !b.args.ReconcileNaclAssociations {
			naclOpts = append(naclOpts, pulumi.IgnoreChanges([]string{"subnetIds"}))
		}
		nacl, err := ec2.NewNetworkAcl(b.ctx, naclName, &ec2.NetworkAclArgs{
			VpcId:     b.v.Vpc.ID(),
			SubnetIds: subnetIDs,
			Ingress:   in,
			Egress:    out,
			Tags:      tags(naclName, map[string]string{"tier": string(t)}),
		}, naclOpts...)
		if err != nil {
			return fmt.Errorf("network acl %s: %w", t, err)
		}
		b.v.NetworkAcls[t] = nacl
	}
	return nil
}

func (b *builder) flowLogs() error {
	lg, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(fmt.Sprintf("/fintech/vpc/%s/flow-logs", b.name)),
		RetentionInDays: pulumi.Int(b.args.FlowLogRetentionDays),
		KmsKeyId:        b.args.FlowLogKeyArn,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("flow log group: %w", err)
	}
	b.v.FlowLogGroup = lg
	trust, err := awsiam.Policy(awsiam.Statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": b.args.AccountID},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/*", b.args.Region, b.args.AccountID)},
		},
	})
	if err != nil {
		return fmt.Errorf("flow log role: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.name+"-flow-logs-role", &iam.RoleArgs{
		Description:      pulumi.String("VPC flow logs delivery to CloudWatch Logs"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("flow log role: %w", err)
	}
	if _, err := iam.NewRolePolicy(b.ctx, b.name+"-flow-logs-policy", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: lg.Arn.ApplyT(func(arn string) (string, error) {
			return awsiam.Policy(awsiam.Statement{
				"Effect":   "Allow",
				"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				"Resource": []string{arn, arn + ":*"},
			})
		}).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return fmt.Errorf("flow log policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(b.ctx, b.name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:                  b.v.Vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         lg.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   tags(b.name+"-flow-log", nil),
	}, b.parent); err != nil {
		return fmt.Errorf("flow log: %w", err)
	}
	return nil
}

// endpointPolicy admits only principals of this account.
func (b *builder) endpointPolicy() (string, error) {
	return awsiam.Policy(awsiam.Statement{
		"Sid":       "OnlyThisAccount",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "*",
		"Resource":  "*",
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": b.args.AccountID}},
	})
}

func (b *builder) endpoints() error {
	policy, err := b.endpointPolicy()
	if err != nil {
		return fmt.Errorf("endpoint policy: %w", err)
	}
	sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-endpoints-sg", &ec2.SecurityGroupArgs{
		VpcId:       b.v.Vpc.ID(),
		Description: pulumi.String("HTTPS to interface endpoints from the private and isolated tiers"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("HTTPS from private and isolated subnets"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			CidrBlocks: pulumi.ToStringArray(b.cidrs(Private, Isolated)),
		}},
		Tags: tags(b.name+"-endpoints", nil),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("endpoint security group: %w", err)
	}
	b.v.EndpointSecurityGroup = sg
	services := append(append([]string{}, DefaultInterfaceEndpoints...), b.args.InterfaceEndpoints...)
	sort.Strings(services)
	seen := map[string]bool{}
	for _, svc := range services {
		if seen[svc] {
			continue
		}
		seen[svc] = true
		if _, err := ec2.NewVpcEndpoint(b.ctx, fmt.Sprintf("%s-%s-endpoint", b.name, strings.ReplaceAll(svc, ".", "-")), &ec2.VpcEndpointArgs{
			VpcId:             b.v.Vpc.ID(),
			ServiceName:       pulumi.String(fmt.Sprintf("com.amazonaws.%s.%s", b.args.Region, svc)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnetIDs(b.v.Subnets[Isolated]),
			SecurityGroupIds:  pulumi.StringArray{sg.ID()},
			Policy:            pulumi.String(policy),
			Tags:              tags(fmt.Sprintf("%s-%s", b.name, svc), nil),
		}, b.parent); err != nil {
			return fmt.Errorf("endpoint %s: %w", svc, err)
		}
	}
	var rts pulumi.StringArray
	for _, t := range []Tier{Private, Isolated} {
		for _, rt := range b.v.RouteTables[t] {
			rts = append(rts, rt.ID())
		}
	}
	if _, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-s3-endpoint", &ec2.VpcEndpointArgs{
		VpcId:           b.v.Vpc.ID(),
		ServiceName:     pulumi.String(fmt.Sprintf("com.amazonaws.%s.s3", b.args.Region)),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   rts,
		Policy:          pulumi.String(policy),
		Tags:            tags(b.name+"-s3", nil),
	}, b.parent); err != nil {
		return fmt.Errorf("s3 gateway endpoint: %w", err)
	}
	return nil
}
