package encryptedaurora

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/dbclients"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// Placement is where the cluster's instances may run: any isolated subnet
// of its subnet group, behind its security group.
func (a *EncryptedAurora) Placement() flow.Endpoint {
	return flow.Endpoint{Label: "Aurora " + a.name, SubnetIDs: a.subnets, SecurityGroupIDs: pulumi.StringArray{a.SecurityGroup.ID()}}
}

// RequireClient declares that the client (admitted with AllowClient) must
// reach the database port from every subnet it runs in.
func (a *EncryptedAurora) RequireClient(ctx *pulumi.Context, label string, client flow.Endpoint) error {
	if err := dbclients.RequirePath(ctx, a.name, label, client, a.Placement(), a.port, a); err != nil {
		return fmt.Errorf("encryptedaurora %w", err)
	}
	return nil
}
