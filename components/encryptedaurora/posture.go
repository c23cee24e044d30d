package encryptedaurora

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// Posture is the security posture EncryptedAurora guarantees for a cluster
// of an engine. NewEncryptedAurora builds the workload cluster from it, and
// the restore workflow (components/restoreworkflow) applies the same value
// to every cluster it restores, so a restored cluster is the workload's twin
// by construction, not by two lists kept in step by hand.
type Posture struct {
	Engine string
	// IAMDatabaseAuthentication: the application logs in as an IAM database
	// user (rds-db:connect), so a cluster without it locks the application out.
	IAMDatabaseAuthentication bool
	DeletionProtection        bool
	CopyTagsToSnapshot        bool
	// ManagedMasterPassword: the master password is generated and kept by
	// RDS in Secrets Manager, encrypted with the data key.
	ManagedMasterPassword bool
	// LogExports are exported to CloudWatch log groups (LogExports).
	LogExports []string
	// ClusterParameters are set by the cluster parameter group
	// (TLSParameters: TLS required).
	ClusterParameters map[string]string
	// PerformanceInsights on every instance, encrypted with the data key,
	// kept PerformanceInsightsRetentionDays.
	PerformanceInsights              bool
	PerformanceInsightsRetentionDays int
}

// PostureFor returns the posture of a cluster of engine.
func PostureFor(engine string) Posture {
	return Posture{
		Engine:                           engine,
		IAMDatabaseAuthentication:        true,
		DeletionProtection:               true,
		CopyTagsToSnapshot:               true,
		ManagedMasterPassword:            true,
		LogExports:                       LogExports(engine),
		ClusterParameters:                TLSParameters(engine),
		PerformanceInsights:              true,
		PerformanceInsightsRetentionDays: PerformanceInsightsRetentionDays,
	}
}

// NewTLSParameterGroup creates the cluster parameter group of the posture
// (TLS required) for engine and version. The restore stack creates one too,
// for the clusters the restore workflow restores; it names it (groupName)
// because the workflow refers to it by name. An empty groupName lets
// Pulumi name the group.
func NewTLSParameterGroup(ctx *pulumi.Context, name, groupName, clusterID, engine, version string, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*rds.ClusterParameterGroup, error) {
	family, err := ParameterGroupFamily(engine, version)
	if err != nil {
		return nil, err
	}
	params := PostureFor(engine).ClusterParameters
	var paramArgs rds.ClusterParameterGroupParameterArray
	for _, k := range slices.Sorted(maps.Keys(params)) {
		paramArgs = append(paramArgs, rds.ClusterParameterGroupParameterArgs{Name: pulumi.String(k), Value: pulumi.String(params[k])})
	}
	pgArgs := &rds.ClusterParameterGroupArgs{
		Description: pulumi.String(fmt.Sprintf("Aurora %s: TLS required", clusterID)),
		Family:      pulumi.String(family),
		Parameters:  paramArgs,
		Tags:        tags,
	}
	if groupName != "" {
		pgArgs.Name = pulumi.String(groupName)
	}
	pg, err := rds.NewClusterParameterGroup(ctx, name, pgArgs, opts...)
	if err != nil {
		return nil, fmt.Errorf("parameter group %s: %w", name, err)
	}
	return pg, nil
}

// ConnectPolicy is the identity policy that lets a role log in as the IAM
// database user user (rds-db:connect) on any cluster of account and region:
// a restored cluster gets a new resource id, and the application must still
// connect as the same user after the cut-over.
func ConnectPolicy(region, account, user string) (string, error) {
	if p := awsfacts.RegionProblem(region); p != "" {
		return "", fmt.Errorf("connect policy: region %q %s", region, p)
	}
	if !awsfacts.ValidAccountID(account) {
		return "", fmt.Errorf("connect policy: account %q is not a 12-digit account id", account)
	}
	if !sqlNameRE.MatchString(user) {
		return "", fmt.Errorf("connect policy: %q is not a database user name", user)
	}
	return awsiam.Policy(awsiam.Allow("ConnectWithIAMAuth", []string{"rds-db:connect"},
		fmt.Sprintf("arn:%s:rds-db:%s:%s:dbuser:*/%s", awsfacts.Partition, region, account, user)))
}
