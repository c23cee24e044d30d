package tests

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/imagemirror"
	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	sourceAccount   = testkit.Account // the workload account
	mirrorAccount   = "333333333333"  // the restore account
	strangerAccount = "222222222222"
	repository      = "bank-api"
	mirrorArn       = "arn:aws:ecr:ap-northeast-1:333333333333:repository/bank-api"
	sourceRoot      = "arn:aws:iam::111111111111:root"
	tRepository     = "aws:ecr/repository:Repository"
	tRegistryPolicy = "aws:ecr/registryPolicy:RegistryPolicy"
	tReplication    = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
)

func imageMirrorValidArgs(side imagemirror.Side) *imagemirror.Args {
	return &imagemirror.Args{
		Side: side, RepositoryName: repository,
		SourceAccountID: sourceAccount, MirrorAccountID: mirrorAccount, Region: region,
	}
}

// optionsFor previews each side in its own account.
func optionsFor(side imagemirror.Side) preview.Options {
	if side == imagemirror.Source {
		return testkit.OptionsIn(sourceAccount)
	}
	return testkit.OptionsIn(mirrorAccount)
}

// run previews the component and returns everything registered, and the
// component's error: a failing NewImageMirror does not fail the program,
// so the graph shows what it created before failing.
func imageMirrorRun(t *testing.T, side imagemirror.Side, args *imagemirror.Args) (*graph.Graph, error) {
	t.Helper()
	var cerr error
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		_, cerr = imagemirror.NewImageMirror(ctx, "images", args)
		return nil
	}, optionsFor(side))
	require.NoError(t, err)
	return g, cerr
}

func runOK(t *testing.T, side imagemirror.Side) *graph.Graph {
	t.Helper()
	g, err := imageMirrorRun(t, side, imageMirrorValidArgs(side))
	require.NoError(t, err)
	return g
}

type imageMirrorPolicyDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Principal map[string]any
		Action    []string
		Resource  []string
		Condition map[string]any
	}
}

func TestMirrorRepositoryIsImmutableAndScanned(t *testing.T) {
	g := runOK(t, imagemirror.Mirror)
	repo := testkit.One(t, g, tRepository)
	assert.Equal(t, "images-repository", repo.Name)
	assert.Equal(t, repository, repo.Inputs["name"])
	assert.Equal(t, "IMMUTABLE", repo.Inputs["imageTagMutability"])
	assert.Equal(t, map[string]any{"scanOnPush": true}, graph.Map(repo.Inputs["imageScanningConfiguration"]))
	assert.Equal(t, mirrorArn, testkit.ArnOf(repo))
}

func TestMirrorRegistryPolicyAdmitsTheSourceRegistry(t *testing.T) {
	g := runOK(t, imagemirror.Mirror)
	pol := testkit.One(t, g, tRegistryPolicy)
	assert.Equal(t, "images-registry-policy", pol.Name)
	var doc imageMirrorPolicyDoc
	require.NoError(t, json.Unmarshal([]byte(graph.Str(pol.Inputs["policy"])), &doc))
	assert.Equal(t, "2012-10-17", doc.Version)
	require.Len(t, doc.Statement, 1)
	st := doc.Statement[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, map[string]any{"AWS": sourceRoot}, st.Principal)
	assert.Equal(t, []string{"ecr:CreateRepository", "ecr:ReplicateImage"}, st.Action)
	assert.Equal(t, []string{mirrorArn}, st.Resource, "the mirror repository only")
	assert.Nil(t, st.Condition)
	// The resource is the repository the component creates.
	assert.Equal(t, []string{testkit.ArnOf(testkit.One(t, g, tRepository))}, st.Resource)
}

// The registry policy lets the source account's registry replicate into
// the mirror repository, and nothing else: evaluated by the IAM simulator.
// Each principal's identity policy allows every ECR action, so the
// registry policy alone decides (cross account, both must allow).
func TestMirrorRegistryPolicyEvaluated(t *testing.T) {
	g := runOK(t, imagemirror.Mirror)
	doc := graph.Str(testkit.One(t, g, tRegistryPolicy).Inputs["policy"])
	sim, err := iamsim.Locate("..")
	require.NoError(t, err)
	allECR := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`)
	req := func(id, principal, action, resource string) iamsim.Request {
		return iamsim.Request{
			ID: id, Principal: principal, Action: action, Resource: resource, ResourceAccount: mirrorAccount,
			IdentityPolicies:   []iamsim.Policy{{Name: "all-ecr", Document: allECR}},
			ResourcePolicy:     json.RawMessage(doc),
			ResourcePolicyName: "registry-policy",
		}
	}
	const otherRepo = "arn:aws:ecr:ap-northeast-1:333333333333:repository/other"
	res, err := sim.Run(context.Background(), []iamsim.Request{
		req("source replicates", sourceRoot, "ecr:ReplicateImage", mirrorArn),
		req("source creates the repository", sourceRoot, "ecr:CreateRepository", mirrorArn),
		req("another account replicates", "arn:aws:iam::"+strangerAccount+":root", "ecr:ReplicateImage", mirrorArn),
		req("source pushes", sourceRoot, "ecr:PutImage", mirrorArn),
		req("source deletes an image", sourceRoot, "ecr:BatchDeleteImage", mirrorArn),
		req("source replicates into another repository", sourceRoot, "ecr:ReplicateImage", otherRepo),
	})
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range res {
		got[r.ID] = r.Decision
		assert.Empty(t, r.Errors, r.ID)
	}
	assert.Equal(t, map[string]string{
		"source replicates":                         iamsim.Allowed,
		"source creates the repository":             iamsim.Allowed,
		"another account replicates":                iamsim.ImplicitlyDenied,
		"source pushes":                             iamsim.ImplicitlyDenied,
		"source deletes an image":                   iamsim.ImplicitlyDenied,
		"source replicates into another repository": iamsim.ImplicitlyDenied,
	}, got)
}

func TestSourceReplicatesToTheMirror(t *testing.T) {
	g := runOK(t, imagemirror.Source)
	rc := testkit.One(t, g, tReplication)
	assert.Equal(t, "images-replication", rc.Name)
	cfg := graph.Map(rc.Inputs["replicationConfiguration"])
	require.NotNil(t, cfg)
	rules := graph.List(cfg["rules"])
	require.Len(t, rules, 1)
	rule := graph.Map(rules[0])
	assert.Equal(t, []any{map[string]any{"region": region, "registryId": mirrorAccount}}, rule["destinations"])
	assert.Equal(t, []any{map[string]any{"filter": repository, "filterType": "PREFIX_MATCH"}}, rule["repositoryFilters"])
}

// Each side creates its own resources and none of the other's.
func TestImageMirrorChildrenAreParentedToTheComponent(t *testing.T) {
	for side, want := range map[imagemirror.Side]map[string]string{
		imagemirror.Mirror: {"images-repository": tRepository, "images-registry-policy": tRegistryPolicy},
		imagemirror.Source: {"images-replication": tReplication},
	} {
		t.Run(string(side), func(t *testing.T) {
			g := runOK(t, side)
			comp := testkit.One(t, g, imagemirror.TypeToken)
			assert.Equal(t, "images", comp.Name)
			kids := map[string]string{}
			for _, c := range g.Children(comp.URN) {
				kids[c.Name] = c.Type
			}
			assert.Equal(t, want, kids)
			assert.Len(t, g.Resources, 1+len(want), "the component and its children, nothing else")
		})
	}
}

func TestImageMirrorOutputs(t *testing.T) {
	var arn string
	var src *imagemirror.ImageMirror
	_, err := preview.Run(func(ctx *pulumi.Context) error {
		m, err := imagemirror.NewImageMirror(ctx, "images", imageMirrorValidArgs(imagemirror.Mirror))
		if err != nil {
			return err
		}
		require.NotNil(t, m.RepositoryUrl.OutputState)
		m.RepositoryArn.ApplyT(func(v string) string { arn = v; return v })
		src, err = imagemirror.NewImageMirror(ctx, "source", imageMirrorValidArgs(imagemirror.Source))
		return err
	}, testkit.OptionsIn(mirrorAccount))
	require.NoError(t, err)
	assert.Equal(t, mirrorArn, arn)
	// The source side has no repository of its own.
	assert.Nil(t, src.RepositoryArn.OutputState)
	assert.Nil(t, src.RepositoryUrl.OutputState)
}

func TestValidRepositoryName(t *testing.T) {
	for name, want := range map[string]bool{
		"bank-api": true, "ab": true, "team/bank-api": true, "a.b_c-d/e1": true, "0x": true,
		"": false, "a": false, "Bank-API": false, "bank_api-": false, "-bank": false, "bank--api": false,
		"bank__api": false, "/bank": false, "bank/": false, "team//bank": false, "bank api": false,
		"bank:1": false, "bank@sha256": false,
	} {
		assert.Equal(t, want, imagemirror.ValidRepositoryName(name), "%q", name)
	}
}

func TestImageMirrorRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *imagemirror.Args)
		want   []string
	}{
		"bad source account":    {func(a *imagemirror.Args) { a.SourceAccountID = "1111" }, []string{`SourceAccountID "1111"`, "12-digit"}},
		"no source account":     {func(a *imagemirror.Args) { a.SourceAccountID = "" }, []string{`SourceAccountID ""`}},
		"bad mirror account":    {func(a *imagemirror.Args) { a.MirrorAccountID = "33333333333x" }, []string{`MirrorAccountID "33333333333x"`, "12-digit"}},
		"bad region":            {func(a *imagemirror.Args) { a.Region = "tokyo" }, []string{`Region "tokyo"`, "not an AWS region name"}},
		"region of GovCloud":    {func(a *imagemirror.Args) { a.Region = "us-gov-west-1" }, []string{`Region "us-gov-west-1"`, "outside the aws partition"}},
		"bad repository":        {func(a *imagemirror.Args) { a.RepositoryName = "Bank_API" }, []string{`RepositoryName "Bank_API"`, "ECR repository name"}},
		"repository too short":  {func(a *imagemirror.Args) { a.RepositoryName = "b" }, []string{`RepositoryName "b"`}},
		"repository with a tag": {func(a *imagemirror.Args) { a.RepositoryName = "bank-api:1.4.2" }, []string{`RepositoryName "bank-api:1.4.2"`}},
		"no side":               {func(a *imagemirror.Args) { a.Side = "" }, []string{`Side ""`, "neither Source"}},
		"unknown side":          {func(a *imagemirror.Args) { a.Side = "both" }, []string{`Side "both"`}},
		"mirror of its own account": {func(a *imagemirror.Args) { a.MirrorAccountID = sourceAccount },
			[]string{`MirrorAccountID "111111111111" is the SourceAccountID`}},
		"every problem at once": {func(a *imagemirror.Args) {
			*a = imagemirror.Args{Side: "x", RepositoryName: "X", SourceAccountID: "1", MirrorAccountID: "2", Region: "mars-1"}
		}, []string{`Side "x"`, `RepositoryName "X"`, `SourceAccountID "1"`, `MirrorAccountID "2"`, `Region "mars-1"`}},
	}
	for _, side := range []imagemirror.Side{imagemirror.Mirror, imagemirror.Source} {
		for name, c := range cases {
			t.Run(string(side)+"/"+name, func(t *testing.T) {
				args := imageMirrorValidArgs(side)
				c.mutate(args)
				g, err := imageMirrorRun(t, side, args)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "imagemirror images: invalid arguments")
				for _, w := range c.want {
					assert.Contains(t, err.Error(), w)
				}
				assert.Empty(t, g.Resources, "nothing is created")
			})
		}
	}
	t.Run("nil args", func(t *testing.T) {
		g, err := imageMirrorRun(t, imagemirror.Mirror, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "imagemirror images: args are required")
		assert.Empty(t, g.Resources)
	})
}
