// Package dbfirewall provides DatabaseFirewall, the security group of a
// database that is not created by Pulumi (in the restore account the
// cluster is created by the restore workflow from a recovery point).
//
// Guarantees: the group admits only the database port, only from the client
// security groups it is given (one rule each, never a CIDR), and allows no
// egress.
package dbfirewall

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/dbclients"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:database:DatabaseFirewall"

// Args configures a DatabaseFirewall.
type Args struct {
	VpcID pulumi.StringInput
	Port  int
	// Clients maps a label (lower-case) to a client security group id.
	Clients map[string]pulumi.StringInput
	// SubnetIDs are the subnets the database will be placed in (the
	// restored cluster's subnet group); needed by RequireClient.
	SubnetIDs pulumi.StringArrayInput
}

// DatabaseFirewall is the security group.
type DatabaseFirewall struct {
	pulumi.ResourceState

	SecurityGroup   *ec2.SecurityGroup
	SecurityGroupID pulumi.StringOutput
	name            string
	port            int
	subnets         pulumi.StringArrayInput
}

// NewDatabaseFirewall creates the group and one ingress rule per client.
func NewDatabaseFirewall(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*DatabaseFirewall, error) {
	if args == nil || args.VpcID == nil {
		return nil, fmt.Errorf("dbfirewall %s: VpcID is required", name)
	}
	if args.Port < 1024 || args.Port > 65535 {
		return nil, fmt.Errorf("dbfirewall %s: Port %d is not 1024-65535", name, args.Port)
	}
	labels := make([]string, 0, len(args.Clients))
	for l, sg := range args.Clients {
		if !dbclients.ValidLabel(l) || sg == nil {
			return nil, fmt.Errorf("dbfirewall %s: client %q needs a lower-case label and a security group id", name, l)
		}
		labels = append(labels, l)
	}
	sort.Strings(labels)
	f := &DatabaseFirewall{}
	if err := ctx.RegisterComponentResource(TypeToken, name, f, opts...); err != nil {
		return nil, fmt.Errorf("dbfirewall %s: register: %w", name, err)
	}
	parent := pulumi.Parent(f)
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcID,
		Description:         pulumi.String(fmt.Sprintf("database port %d from client security groups only", args.Port)),
		Egress:              ec2.SecurityGroupEgressArray{},
		RevokeRulesOnDelete: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("dbfirewall %s: security group: %w", name, err)
	}
	f.SecurityGroup, f.SecurityGroupID = sg, sg.ID().ToStringOutput()
	f.name, f.port, f.subnets = name, args.Port, args.SubnetIDs
	for _, l := range labels {
		if err := f.AllowClient(ctx, l, args.Clients[l]); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{"securityGroupId": f.SecurityGroupID}); err != nil {
		return nil, fmt.Errorf("dbfirewall %s: outputs: %w", name, err)
	}
	return f, nil
}

// AllowClient admits the database port from one more client security
// group (for clients created after the firewall).
func (f *DatabaseFirewall) AllowClient(ctx *pulumi.Context, label string, sg pulumi.StringInput) error {
	if err := dbclients.Allow(ctx, f.name, label, f.SecurityGroup.ID(), sg, f.port, f); err != nil {
		return fmt.Errorf("dbfirewall %w", err)
	}
	return nil
}
