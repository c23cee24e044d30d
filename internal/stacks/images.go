package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/imagemirror"
	"github.com/fintech-resilience/fintech-resilience/internal/config"
)

// The restore account runs its application from its own registry: a
// repository with immutable tags, fed by the workload registry's
// cross-account replication, from which the restore stack pulls exactly the
// digest its configuration names (config: apiImage). During an incident
// nothing is pulled from the workload account. Both halves are an
// imagemirror.ImageMirror.

// restoreRegistry is the mirror side in the restore account: the repository
// and the registry policy that lets the workload registry replicate into it.
func restoreRegistry(ctx *pulumi.Context, cfg *config.Config) error {
	repo := cfg.Recovery.ImageRepository
	if repo == "" {
		return fmt.Errorf("restore registry: no image repository (apiImage must be pinned by digest in the restore account's registry)")
	}
	if _, err := imagemirror.NewImageMirror(ctx, "restore-images", &imagemirror.Args{
		Side: imagemirror.Mirror, RepositoryName: repo,
		SourceAccountID: cfg.Accounts.Workload, MirrorAccountID: cfg.AccountID, Region: cfg.Region,
	}); err != nil {
		return fmt.Errorf("restore registry: %w", err)
	}
	return nil
}

// replicateImagesToRestore is the source side in the workload account: the
// API image's repository replicates to the restore account's registry in
// the same region.
func replicateImagesToRestore(ctx *pulumi.Context, cfg *config.Config) error {
	repo, ok := config.ECRRepository(cfg.App.Image)
	if !ok {
		return nil // not an ECR image: nothing this stack can replicate
	}
	if _, err := imagemirror.NewImageMirror(ctx, "images-to-restore", &imagemirror.Args{
		Side: imagemirror.Source, RepositoryName: repo,
		SourceAccountID: cfg.AccountID, MirrorAccountID: cfg.Accounts.Restore, Region: cfg.Region,
	}); err != nil {
		return fmt.Errorf("image replication: %w", err)
	}
	return nil
}
