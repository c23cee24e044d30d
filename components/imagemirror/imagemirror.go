// Package imagemirror provides ImageMirror: one container image repository
// mirrored from a source account's ECR registry into a mirror account's
// registry by ECR cross-account replication, so that the mirror account
// runs its images from its own registry and pulls nothing from the source
// account (the restore account's copy of the workload's API image).
//
// A mirror is two halves, one per account, each deployed by its own stack;
// Args.Side says which half a stack creates.
//
// Guarantees:
//   - Mirror side (the account images are replicated into): a repository of
//     that name with immutable tags and a scan of every pushed image, and a
//     registry policy that lets only the source account's registry
//     (arn:aws:iam::<source>:root) replicate into it: ecr:CreateRepository
//     and ecr:ReplicateImage on that one repository, nothing else, for no
//     other account. A compromised source account can at most push new
//     images; it can move no tag, and the mirror side runs a digest.
//   - Source side (the account images are replicated from): a replication
//     configuration that replicates the repositories whose names start with
//     the repository name (ECR filters by prefix) to the mirror account's
//     registry in the same region.
//   - Arguments are checked before anything is created: account ids, an
//     aws-partition region, an ECR repository name, a known side and two
//     different accounts; every problem is reported at once.
//
// ECR keeps one registry policy and one replication configuration per
// registry: each side's resource is the whole of it, and replaces any other
// set outside this component.
package imagemirror

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:imagemirror:ImageMirror"

// Side is the half of the mirror a stack creates. It decides which
// resources exist.
type Side string

const (
	// Source is the account images are replicated from (workload): the
	// replication configuration.
	Source Side = "source"
	// Mirror is the account images are replicated into (restore): the
	// repository and the registry policy that admits the source registry.
	Mirror Side = "mirror"
)

// Args configures an ImageMirror. Both sides take the same values, so that
// the two stacks describe one mirror.
type Args struct {
	// Side is the half this stack creates.
	Side Side
	// RepositoryName is the repository mirrored, e.g. "bank-api": the name
	// of the mirror repository and the prefix the source replicates.
	RepositoryName string
	// SourceAccountID owns the registry images are replicated from.
	SourceAccountID string
	// MirrorAccountID owns the registry images are replicated into. It must
	// not be SourceAccountID.
	MirrorAccountID string
	// Region of both registries (aws partition): the source replicates
	// within its region.
	Region string
}

// ImageMirror is one side of the mirror.
type ImageMirror struct {
	pulumi.ResourceState

	// RepositoryUrl and RepositoryArn are the mirror repository's; set on
	// the Mirror side only.
	RepositoryUrl pulumi.StringOutput
	RepositoryArn pulumi.StringOutput
}

// repositoryNameRE is ECR's rule for a repository name (CreateRepository
// repositoryName): lowercase letters and digits, components separated by
// '.', '_' or '-', optional namespaces separated by '/'; 2 to 256
// characters (checked apart).
var repositoryNameRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// ValidRepositoryName reports whether name is an ECR repository name.
func ValidRepositoryName(name string) bool {
	return len(name) >= 2 && len(name) <= 256 && repositoryNameRE.MatchString(name)
}

func (a *Args) validate() error {
	var p []string
	if a.Side != Source && a.Side != Mirror {
		p = append(p, fmt.Sprintf("Side %q is neither Source (%q) nor Mirror (%q)", a.Side, Source, Mirror))
	}
	if !ValidRepositoryName(a.RepositoryName) {
		p = append(p, fmt.Sprintf("RepositoryName %q is not an ECR repository name "+
			"(2-256 characters: lowercase letters and digits separated by '.', '_' or '-', namespaces by '/')", a.RepositoryName))
	}
	for _, acct := range []struct{ field, id string }{
		{"SourceAccountID", a.SourceAccountID}, {"MirrorAccountID", a.MirrorAccountID},
	} {
		if !awsfacts.ValidAccountID(acct.id) {
			p = append(p, fmt.Sprintf("%s %q is not a 12-digit account id", acct.field, acct.id))
		}
	}
	if a.SourceAccountID != "" && a.SourceAccountID == a.MirrorAccountID {
		p = append(p, fmt.Sprintf("MirrorAccountID %q is the SourceAccountID: a mirror is another account's registry", a.MirrorAccountID))
	}
	if problem := awsfacts.RegionProblem(a.Region); problem != "" {
		p = append(p, fmt.Sprintf("Region %q %s", a.Region, problem))
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

// repositoryArn is the ARN of the mirror repository.
func (a *Args) repositoryArn() string {
	return awsfacts.ECRImage{Account: a.MirrorAccountID, Region: a.Region, Repository: a.RepositoryName}.RepositoryArn()
}

// registryPolicy is the mirror registry's policy: the source account's
// registry may create the mirror repository and replicate into it, and
// nothing else.
func registryPolicy(args *Args) (string, error) {
	return awsiam.Policy(awsiam.Statement{
		// In this project the source is the workload account's registry.
		"Sid":       "ReplicationFromTheWorkloadRegistry",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", awsfacts.Partition, args.SourceAccountID)},
		"Action":    []string{"ecr:CreateRepository", "ecr:ReplicateImage"},
		"Resource":  []string{args.repositoryArn()},
	})
}

// NewImageMirror validates args and creates the side's resources, named
// "<name>-repository" and "<name>-registry-policy" (Mirror) or
// "<name>-replication" (Source).
func NewImageMirror(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ImageMirror, error) {
	if args == nil {
		return nil, fmt.Errorf("imagemirror %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("imagemirror %s: %w", name, err)
	}
	m := &ImageMirror{}
	if err := ctx.RegisterComponentResource(TypeToken, name, m, opts...); err != nil {
		return nil, fmt.Errorf("imagemirror %s: register: %w", name, err)
	}
	wrap := func(what string, err error) error { return fmt.Errorf("imagemirror %s: %s: %w", name, what, err) }
	outputs := pulumi.Map{}
	switch args.Side {
	case Mirror:
		if err := m.mirror(ctx, name, args); err != nil {
			return nil, wrap("mirror", err)
		}
		outputs["repositoryUrl"] = m.RepositoryUrl
		outputs["repositoryArn"] = m.RepositoryArn
	case Source:
		if err := m.source(ctx, name, args); err != nil {
			return nil, wrap("source", err)
		}
	}
	if err := ctx.RegisterResourceOutputs(m, outputs); err != nil {
		return nil, wrap("outputs", err)
	}
	return m, nil
}

// mirror creates the repository and the registry policy.
func (m *ImageMirror) mirror(ctx *pulumi.Context, name string, args *Args) error {
	parent := pulumi.Parent(m)
	repo, err := ecr.NewRepository(ctx, name+"-repository", &ecr.RepositoryArgs{
		Name:               pulumi.String(args.RepositoryName),
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
	}, parent)
	if err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	policy, err := registryPolicy(args)
	if err != nil {
		return fmt.Errorf("registry policy: %w", err)
	}
	if _, err := ecr.NewRegistryPolicy(ctx, name+"-registry-policy", &ecr.RegistryPolicyArgs{
		Policy: pulumi.String(policy),
	}, parent); err != nil {
		return fmt.Errorf("registry policy: %w", err)
	}
	m.RepositoryUrl = repo.RepositoryUrl
	m.RepositoryArn = repo.Arn
	return nil
}

// source creates the replication configuration.
func (m *ImageMirror) source(ctx *pulumi.Context, name string, args *Args) error {
	if _, err := ecr.NewReplicationConfiguration(ctx, name+"-replication", &ecr.ReplicationConfigurationArgs{
		ReplicationConfiguration: ecr.ReplicationConfigurationReplicationConfigurationArgs{
			Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
				ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{
					Destinations: ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
							Region: pulumi.String(args.Region), RegistryId: pulumi.String(args.MirrorAccountID),
						},
					},
					RepositoryFilters: ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs{
							Filter: pulumi.String(args.RepositoryName), FilterType: pulumi.String("PREFIX_MATCH"),
						},
					},
				},
			},
		},
	}, pulumi.Parent(m)); err != nil {
		return fmt.Errorf("replication configuration: %w", err)
	}
	return nil
}
