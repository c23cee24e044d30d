package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ram"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/dbfirewall"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/restoretesting"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

func restore(ctx *pulumi.Context, cfg *config.Config) error {
	keys, vpc, err := commonWithNetwork(ctx, cfg)
	if err != nil {
		return err
	}
	rc := cfg.Recovery
	bunker := &bunkerRef{name: rc.BunkerStack}
	if rc.AcceptShare {
		shareArn, err := bunker.value(ctx, rc.BunkerShareArn, OutputResourceShareArn)
		if err != nil {
			return err
		}
		if _, err := ram.NewResourceShareAccepter(ctx, "bunker-share-accepter", &ram.ResourceShareAccepterArgs{
			ShareArn: shareArn,
		}); err != nil {
			return err
		}
	}
	vaultArn, err := bunker.value(ctx, rc.BunkerVaultArn, OutputAirGappedVaultArn)
	if err != nil {
		return err
	}
	dataKey, err := keys.Key(KeyData)
	if err != nil {
		return err
	}
	rt, err := restoretesting.NewRestoreTesting(ctx, "restore-testing", &restoretesting.Args{
		AccountID:             cfg.AccountID,
		PlanName:              "fintech_bunker_restore_test",
		Schedule:              rc.TestSchedule,
		SelectionWindowDays:   rc.TestSelectionWindowDays,
		ValidationWindowHours: rc.TestValidationWindowHours,
		VaultArn:              vaultArn,
		VpcID:                 vpc.VpcID,
		IsolatedSubnetIDs:     vpc.IsolatedSubnetIDs,
		KeyArn:                dataKey.Arn,
	})
	if err != nil {
		return err
	}
	ctx.Export("bunkerVaultArn", vaultArn.ToStringOutput())
	ctx.Export("restoreTestingPlan", rt.PlanName)

	// The rebuilt application: same components and config shape as the
	// workload, but no database: the restore workflow creates it from a
	// recovery point, and only an approved cut-over points the application
	// at it (through the SSM parameter the workflow owns).
	fw, err := dbfirewall.NewDatabaseFirewall(ctx, "restored-db", &dbfirewall.Args{
		VpcID: vpc.VpcID, Port: cfg.Network.DatabasePort,
		// The restore workflow restores into the isolated subnets.
		SubnetIDs: vpc.IsolatedSubnetIDs,
	})
	if err != nil {
		return err
	}
	logsKey, err := keys.Key(KeyLogs)
	if err != nil {
		return err
	}
	notifyKey, err := keys.Key(KeyNotifications)
	if err != nil {
		return err
	}
	app, err := application(ctx, cfg, keys, vpc, dbAccess{
		EndpointParameterArn: pulumi.String(endpointParameterArn(cfg)),
		SecurityGroupID:      fw.SecurityGroupID, Port: cfg.Network.DatabasePort, Name: rc.VerifyDatabase,
	})
	if err != nil {
		return err
	}
	if err := app.admitClients(ctx, fw); err != nil {
		return err
	}
	endpoints := vpc.InterfaceEndpoints()
	// The TLS-enforcing parameter group of the workload cluster's posture,
	// for every cluster the restore workflow restores.
	if err := restoreRegistry(ctx, cfg); err != nil {
		return err
	}
	restoredParamsName := rc.ClusterPrefix + "-tls"
	restoredParams, err := encryptedaurora.NewTLSParameterGroup(ctx, "restored-db-params", restoredParamsName,
		rc.ClusterPrefix+"-*", rc.Engine, rc.EngineVersion, nil)
	if err != nil {
		return err
	}
	wf, err := restoreworkflow.NewRestoreWorkflow(ctx, "restore-workflow", &restoreworkflow.Args{
		AccountID: cfg.AccountID, Region: cfg.Region, VaultArn: vaultArn,
		SubnetGroupName: rt.SubnetGroupName, SecurityGroupIDs: pulumi.StringArray{fw.SecurityGroupID},
		KeyArn: dataKey.Arn, LogsKeyArn: logsKey.Arn, NotificationKeyArn: notifyKey.Arn,
		NotificationEmails: cfg.NotificationEmails, ClusterIdentifierPrefix: rc.ClusterPrefix,
		Engine: rc.Engine, EngineVersion: rc.EngineVersion, InstanceCount: rc.InstanceCount,
		MinCapacity: rc.MinCapacity, MaxCapacity: rc.MaxCapacity, PollIntervalSeconds: rc.PollIntervalSeconds,
		TimeoutSeconds: rc.TimeoutSeconds, ApprovalTimeoutSeconds: rc.ApprovalTimeoutSeconds,
		VerifyQuery: rc.VerifyQuery, VerifyDatabase: rc.VerifyDatabase,
		CutoverParameterName: DatabaseEndpointParameter,
		EcsClusterArn:        app.EcsClusterArn,
		EcsServiceName:       app.EcsServiceName,
		VpcID:                vpc.VpcID, VpcCidrBlock: cfg.Network.VpcCIDR, IsolatedSubnetIDs: vpc.IsolatedSubnetIDs,
		DatabasePort: cfg.Network.DatabasePort, LogRetentionDays: 731, ModuleRoot: moduleRoot(ctx),
		ParameterGroupName: restoredParamsName,
		InterfaceEndpoints: &endpoints,
		RPOTargetMinutes:   rc.RPOTargetMinutes, RTOTargetMinutes: rc.RTOTargetMinutes,
		DatabaseLogRetentionDays: rc.DatabaseLogRetentionDays,
	}, pulumi.DependsOn([]pulumi.Resource{restoredParams}))
	if err != nil {
		return err
	}
	ctx.Export("restoreStateMachineArn", wf.StateMachineArn)
	ctx.Export("restoreTopicArn", wf.TopicArn)
	ctx.Export("cutoverParameterName", wf.CutoverParameterName)
	return responder(ctx, cfg, keys, vpc, pulumi.StringArray{})
}
