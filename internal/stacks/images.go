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
	}, movedFrom(map[string]string{
		"restore-images-repository":      "restore-images",
		"restore-images-registry-policy": "restore-images-replication",
	})); err != nil {
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
	}, movedFrom(map[string]string{
		"images-to-restore-replication": "images-to-restore",
	})); err != nil {
		return fmt.Errorf("image replication: %w", err)
	}
	return nil
}

// movedFrom aliases the children of a component to the names they had as
// top-level resources of the stack (child name to old name), so that a
// deployed stack adopts them instead of replacing them: the registry policy
// and the replication configuration are one per registry, and deleting the
// old resource after creating the new one would remove them.
func movedFrom(old map[string]string) pulumi.ResourceOption {
	return pulumi.Transformations([]pulumi.ResourceTransformation{
		func(a *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
			was, ok := old[a.Name]
			if !ok {
				return nil
			}
			return &pulumi.ResourceTransformationResult{
				Props: a.Props,
				Opts:  append(a.Opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(was), NoParent: pulumi.Bool(true)}})),
			}
		},
	})
}
