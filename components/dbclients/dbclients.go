// Package dbclients admits database clients by security group: the one way
// into the database security groups of EncryptedAurora and
// DatabaseFirewall.
package dbclients

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

var labelRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)

// Allow creates the ingress rule <name>-from-<label>: TCP port from the
// client security group only, never a CIDR, as a child of parent.
func Allow(ctx *pulumi.Context, name, label string, securityGroupID, clientSecurityGroupID pulumi.StringInput, port int, parent pulumi.Resource) error {
	if clientSecurityGroupID == nil || !labelRE.MatchString(label) {
		return fmt.Errorf("%s: a database client needs a security group id and a label of lower-case letters, digits and '-' (got %q)", name, label)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-from-"+label, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           securityGroupID,
		ReferencedSecurityGroupId: clientSecurityGroupID,
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(port),
		ToPort:                    pulumi.Int(port),
		Description:               pulumi.String("database clients: " + label),
	}, pulumi.Parent(parent)); err != nil {
		return fmt.Errorf("%s: client %s: %w", name, label, err)
	}
	return nil
}

// ValidLabel reports whether a client label is acceptable.
func ValidLabel(label string) bool { return labelRE.MatchString(label) }

// RequirePath declares the required network path <name>-path-<label>-to-db
// from a client (its subnets and security group) to the database (its
// subnets and security group) on port, as a child of parent.
func RequirePath(ctx *pulumi.Context, name, label string, client, db flow.Endpoint, port int, parent pulumi.Resource) error {
	if !labelRE.MatchString(label) {
		return fmt.Errorf("%s: client label %q is not lower-case letters, digits and '-'", name, label)
	}
	if db.SubnetIDs == nil {
		return fmt.Errorf("%s: the database's subnets are not known, so the path from %s cannot be declared", name, label)
	}
	if client.Label == "" {
		client.Label = label
	}
	return flow.RequirePath(ctx, parent, name, label+"-to-db", flow.Path{
		From: client, To: db, Ports: []string{fmt.Sprint(port)},
		Caller: "database client " + label,
		Reason: "the client connects to the database on its port, from every subnet it runs in to every subnet the database may run in",
	})
}
