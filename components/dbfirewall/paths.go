package dbfirewall

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/dbclients"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// Placement is where the database will run: its subnets (Args.SubnetIDs)
// behind this security group.
func (f *DatabaseFirewall) Placement() flow.Endpoint {
	return flow.Endpoint{Label: "database " + f.name, SubnetIDs: f.subnets, SecurityGroupIDs: pulumi.StringArray{f.SecurityGroup.ID()}}
}

// RequireClient declares that the client (admitted with AllowClient) must
// reach the database port from every subnet it runs in. It needs
// Args.SubnetIDs.
func (f *DatabaseFirewall) RequireClient(ctx *pulumi.Context, label string, client flow.Endpoint) error {
	if err := dbclients.RequirePath(ctx, f.name, label, client, f.Placement(), f.port, f); err != nil {
		return fmt.Errorf("dbfirewall %w", err)
	}
	return nil
}
