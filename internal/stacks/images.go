package stacks

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

// The restore account runs its application from its own registry: a
// repository with immutable tags, fed by the workload registry's
// cross-account replication, from which the restore stack pulls exactly the
// digest its configuration names (config: apiImage). During an incident
// nothing is pulled from the workload account.

// restoreRegistry creates the restore account's repository and lets the
// workload registry replicate into it (ecr:ReplicateImage, ecr:CreateRepository
// on that repository only). A compromised workload account can at most push
// new images: tags are immutable and the stack runs a digest.
func restoreRegistry(ctx *pulumi.Context, cfg *config.Config) error {
	repo := cfg.Recovery.ImageRepository
	if repo == "" {
		return fmt.Errorf("restore registry: no image repository (apiImage must be pinned by digest in the restore account's registry)")
	}
	if _, err := ecr.NewRepository(ctx, "restore-images", &ecr.RepositoryArgs{
		Name:               pulumi.String(repo),
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("restore registry: repository: %w", err)
	}
	arn := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", cfg.Region, cfg.AccountID, repo)
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "ReplicationFromTheWorkloadRegistry",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%s:root", cfg.Accounts.Workload)},
			"Action":    []string{"ecr:CreateRepository", "ecr:ReplicateImage"},
			"Resource":  []string{arn},
		}},
	})
	if err != nil {
		return fmt.Errorf("restore registry: policy: %w", err)
	}
	if _, err := ecr.NewRegistryPolicy(ctx, "restore-images-replication", &ecr.RegistryPolicyArgs{
		Policy: pulumi.String(string(policy)),
	}); err != nil {
		return fmt.Errorf("restore registry: registry policy: %w", err)
	}
	return nil
}

// replicateImagesToRestore replicates the workload's API image repository
// to the restore account's registry in the same region.
func replicateImagesToRestore(ctx *pulumi.Context, cfg *config.Config) error {
	repo, ok := config.ECRRepository(cfg.App.Image)
	if !ok {
		return nil // not an ECR image: nothing this stack can replicate
	}
	if _, err := ecr.NewReplicationConfiguration(ctx, "images-to-restore", &ecr.ReplicationConfigurationArgs{
		ReplicationConfiguration: ecr.ReplicationConfigurationReplicationConfigurationArgs{
			Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
				ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{
					Destinations: ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
							Region: pulumi.String(cfg.Region), RegistryId: pulumi.String(cfg.Accounts.Restore),
						},
					},
					RepositoryFilters: ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs{
							Filter: pulumi.String(repo), FilterType: pulumi.String("PREFIX_MATCH"),
						},
					},
				},
			},
		},
	}); err != nil {
		return fmt.Errorf("image replication: %w", err)
	}
	return nil
}
