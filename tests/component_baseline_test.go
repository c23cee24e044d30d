package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/baseline"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tFeature       = "aws:guardduty/detectorFeature:DetectorFeature"
	tEbsDefault    = "aws:ebs/encryptionByDefault:EncryptionByDefault"
	tEbsKey        = "aws:ebs/defaultKmsKey:DefaultKmsKey"
	tPAB           = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
	compURN        = "urn:pulumi:test::test::fintech:baseline:AccountBaseline::base"
	baselineKeyArn = "arn:aws:kms:ap-northeast-1:111111111111:key/00000000-1111-2222-3333-444444444444"
)

func baselineRun(t *testing.T, args *baseline.Args) *graph.Graph {
	t.Helper()
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		b, err := baseline.NewAccountBaseline(ctx, "base", args)
		if err == nil {
			assert.NotNil(t, b.Detector)
		}
		return err
	}, testkit.Options())
	require.NoError(t, err)
	return g
}

func baselineIn(r *graph.Resource, path ...string) any {
	v, _ := r.Input(path...)
	return v
}

func TestDefaults(t *testing.T) {
	g := baselineRun(t, &baseline.Args{FindingPublishingFrequency: "FIFTEEN_MINUTES"})

	dets := g.OfType(tDetector)
	require.Len(t, dets, 1)
	det := dets[0]
	assert.Equal(t, "base-guardduty", det.Name)
	assert.Equal(t, true, baselineIn(det, "enable"))
	assert.Equal(t, "FIFTEEN_MINUTES", baselineIn(det, "findingPublishingFrequency"))

	features := g.OfType(tFeature)
	var got []string
	for _, f := range features {
		name := graph.Str(baselineIn(f, "name"))
		got = append(got, name)
		assert.Equal(t, "ENABLED", baselineIn(f, "status"), name)
		refs := g.Refs(f, "detectorId", tDetector)
		require.Len(t, refs, 1, name)
		assert.Equal(t, det.URN, refs[0].URN)
		assert.Equal(t, "base-guardduty-"+strings.ToLower(strings.ReplaceAll(name, "_", "-")), f.Name)
		extra := graph.List(baselineIn(f, "additionalConfigurations"))
		if name == baseline.FeatureRuntimeMonitoring {
			require.Len(t, extra, 1)
			assert.Equal(t, map[string]any{"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"}, graph.Map(extra[0]))
		} else {
			assert.Empty(t, extra, name)
		}
	}
	sort.Strings(got)
	assert.Equal(t, []string{"EBS_MALWARE_PROTECTION", "LAMBDA_NETWORK_LOGS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING", "S3_DATA_EVENTS"}, got)

	pabs := g.OfType(tPAB)
	require.Len(t, pabs, 1)
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, baselineIn(pabs[0], k), k)
	}

	// No EBS key given: the account's EBS defaults are left alone.
	assert.Empty(t, g.OfType(tEbsDefault))
	assert.Empty(t, g.OfType(tEbsKey))

	for _, r := range g.Resources {
		if r.URN == compURN {
			assert.Equal(t, baseline.TypeToken, r.Type)
			continue
		}
		assert.Equal(t, compURN, r.Parent, r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "base-"), r.Name)
	}
	// component + detector + 5 features + public access block
	assert.Len(t, g.Resources, 8)
}

func TestEbsDefaultKey(t *testing.T) {
	g := baselineRun(t, &baseline.Args{FindingPublishingFrequency: "ONE_HOUR", EbsKeyArn: pulumi.String(baselineKeyArn)})
	enc := g.OfType(tEbsDefault)
	require.Len(t, enc, 1)
	assert.Equal(t, true, baselineIn(enc[0], "enabled"))
	key := g.OfType(tEbsKey)
	require.Len(t, key, 1)
	assert.Equal(t, baselineKeyArn, baselineIn(key[0], "keyArn"))
	assert.Equal(t, "ONE_HOUR", baselineIn(g.OfType(tDetector)[0], "findingPublishingFrequency"))
	assert.Len(t, g.Resources, 10)
}

func TestExplicitFeatures(t *testing.T) {
	g := baselineRun(t, &baseline.Args{FindingPublishingFrequency: "SIX_HOURS", Features: []string{baseline.FeatureS3DataEvents, "EKS_AUDIT_LOGS"}})
	var got []string
	for _, f := range g.OfType(tFeature) {
		got = append(got, graph.Str(baselineIn(f, "name")))
		assert.Equal(t, "ENABLED", baselineIn(f, "status"))
	}
	sort.Strings(got)
	assert.Equal(t, []string{"EKS_AUDIT_LOGS", "S3_DATA_EVENTS"}, got)
}

func TestBaselineValidation(t *testing.T) {
	cases := []struct {
		name string
		args *baseline.Args
		want string
	}{
		{"bad frequency", &baseline.Args{FindingPublishingFrequency: "HOURLY"},
			`baseline base: FindingPublishingFrequency "HOURLY" is not FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS`},
		{"empty frequency", &baseline.Args{},
			`baseline base: FindingPublishingFrequency "" is not FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS`},
		{"unknown feature", &baseline.Args{FindingPublishingFrequency: "ONE_HOUR", Features: []string{"DNS_LOGS"}},
			`baseline base: GuardDuty feature "DNS_LOGS" is not known`},
		{"duplicate feature", &baseline.Args{FindingPublishingFrequency: "ONE_HOUR", Features: []string{baseline.FeatureS3DataEvents, baseline.FeatureS3DataEvents}},
			`baseline base: GuardDuty feature "S3_DATA_EVENTS" is listed twice`},
		{"nil args", nil, "baseline base: args are required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buildErr error
			g, err := preview.Run(func(ctx *pulumi.Context) error {
				b, err := baseline.NewAccountBaseline(ctx, "base", tc.args)
				assert.Nil(t, b)
				buildErr = err
				return nil
			}, testkit.Options())
			require.NoError(t, err)
			assert.EqualError(t, buildErr, tc.want)
			assert.Empty(t, g.Resources)
		})
	}
}

// A feature's resource is named after it: lower case, hyphens for
// underscores.
func TestFeatureSlug(t *testing.T) {
	g := baselineRun(t, &baseline.Args{FindingPublishingFrequency: "FIFTEEN_MINUTES"})
	assert.Equal(t, baseline.FeatureRuntimeMonitoring, graph.Str(baselineIn(testkit.Named(t, g, tFeature, "base-guardduty-runtime-monitoring"), "name")))
	assert.Equal(t, baseline.FeatureS3DataEvents, graph.Str(baselineIn(testkit.Named(t, g, tFeature, "base-guardduty-s3-data-events"), "name")))
}

// An existing detector is adopted: imported by id, no second detector, no
// features managed here.
func TestAdoptsExistingDetector(t *testing.T) {
	const id = "12abc34d567e8fa901bc2d34e56789f0"
	g := baselineRun(t, &baseline.Args{FindingPublishingFrequency: "SIX_HOURS", ExistingDetectorID: id})
	dets := g.OfType(tDetector)
	require.Len(t, dets, 1)
	assert.Equal(t, id, dets[0].ID, "imported, not created")
	assert.Equal(t, true, baselineIn(dets[0], "enable"))
	assert.Empty(t, g.OfType(tFeature), "the detector's owner manages its protection plans")
	assert.Len(t, g.OfType(tPAB), 1)
}

func TestRejectsMalformedDetectorID(t *testing.T) {
	_, err := preview.Run(func(ctx *pulumi.Context) error {
		_, err := baseline.NewAccountBaseline(ctx, "base", &baseline.Args{FindingPublishingFrequency: "SIX_HOURS", ExistingDetectorID: "abc"})
		return err
	}, testkit.Options())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ExistingDetectorID "abc"`)
}
