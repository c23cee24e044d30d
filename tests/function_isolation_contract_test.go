package tests

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/internal/lambda/isolation"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The isolation contract: the environment components/isolationresponder
// gives each function is accepted by that function's own config loader
// (internal/lambda/isolation), which reads back the component's
// settings; every variable the component sets is one the loader reads.

// isolationArchives sets prebuilt stand-ins for the function packages. The
// archive type is reached by reflection so this test does not depend on
// where the build package lives (it may be internal to components/).
func isolationArchives(t *testing.T, a *isolationresponder.Args) {
	t.Helper()
	field := reflect.ValueOf(a).Elem().FieldByName("FunctionArchives")
	m := reflect.MakeMap(field.Type())
	dir := t.TempDir()
	for _, fn := range []string{contract.FunctionIsolate, contract.FunctionRelease} {
		p := filepath.Join(dir, fn+".zip")
		require.NoError(t, os.WriteFile(p, []byte("zip of "+fn), 0o600))
		art := reflect.New(field.Type().Elem()).Elem()
		art.FieldByName("ZipPath").SetString(p)
		art.FieldByName("SHA256Base64").SetString("hash-of-" + fn)
		m.SetMapIndex(reflect.ValueOf(fn), art)
	}
	field.Set(m)
}

// renderIsolation previews a SecureVPC "net" and the responder "resp" with
// settings that all differ from the defaults.
func renderIsolation(t *testing.T) *graph.Graph {
	t.Helper()
	args := &isolationresponder.Args{
		AccountID:           testkit.Account,
		Region:              testkit.Region,
		SeverityThreshold:   5.5,
		ImmediateSeverity:   8,
		FindingTypePrefixes: []string{"UnauthorizedAccess:EC2/", "Backdoor:EC2/"},
		AuroraClusterIDs:    pulumi.ToStringArray([]string{"core-db", "ledger-db"}),
		DataKeyArn:          pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/data"),
		LogsKeyArn:          pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/logs"),
		NotificationKeyArn:  pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/notify"),
	}
	isolationArchives(t, args)
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) { n.NatGateways = securevpc.NatNone })
		if err != nil {
			return err
		}
		args.VpcID = vpc.VpcID
		args.TierSubnetIDs = map[string]pulumi.StringArrayInput{"private": vpc.SubnetIDs.MapIndex(pulumi.String("private"))}
		_, err = isolationresponder.NewIsolationResponder(ctx, "resp", args)
		return err
	}, testkit.Options())
	require.NoError(t, err)
	return g
}

// lambdaEnv is the environment of the deployed function name as the Lambda
// runtime gives it: the component's variables plus AWS_REGION.
func lambdaEnv(t *testing.T, g *graph.Graph, name string) map[string]string {
	t.Helper()
	fn := testkit.Named(t, g, "aws:lambda/function:Function", name)
	env := map[string]string{contract.RuntimeEnvRegion: testkit.Region}
	for k, v := range graph.Map(graph.Map(fn.Inputs["environment"])["variables"]) {
		require.NotContains(t, env, k, "%s sets a variable the Lambda runtime owns", name)
		env[k] = graph.Str(v)
	}
	return env
}

// load runs a config loader over env and returns its result and the
// variables env sets that the loader never read.
func load[C any](loader func(func(string) string) (C, error), env map[string]string) (C, []string, error) {
	read := map[string]bool{}
	c, err := loader(func(k string) string {
		read[k] = true
		return env[k]
	})
	var unread []string
	for k := range env {
		if !read[k] {
			unread = append(unread, k)
		}
	}
	sort.Strings(unread)
	return c, unread, err
}

func TestIsolationEnvironmentMatchesTheFunctionsConfig(t *testing.T) {
	g := renderIsolation(t)
	vpc := testkit.One(t, g, "aws:ec2/vpc:Vpc")
	nacl := testkit.Named(t, g, "aws:ec2/networkAcl:NetworkAcl", "resp-quarantine-nacl")
	var private []string
	for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
		if graph.Map(s.Inputs["tags"])["tier"] == "private" {
			private = append(private, s.ID)
		}
	}
	require.NotEmpty(t, private)
	sort.Strings(private)
	topicArn := graph.Str(testkit.Named(t, g, "aws:sns/topic:Topic", "resp-alerts-topic").Outputs["arn"])
	release := testkit.Named(t, g, "aws:lambda/function:Function", "resp-release")

	isolateEnv := lambdaEnv(t, g, "resp-isolate")
	cfg, unread, err := load(isolation.LoadConfig, isolateEnv)
	require.NoError(t, err)
	assert.Empty(t, unread, "the component sets variables the isolate function never reads")
	blast := cfg.BlastRadiusSubnets[vpc.ID]
	sort.Strings(blast)
	cfg.BlastRadiusSubnets = nil
	assert.Equal(t, private, blast)
	assert.Equal(t, isolation.Config{
		StateTable:              "resp-isolation-state",
		QuarantineNACLs:         map[string]string{vpc.ID: nacl.ID},
		AccountID:               testkit.Account,
		Region:                  testkit.Region,
		SeverityThreshold:       5.5,
		FindingTypePrefixes:     []string{"UnauthorizedAccess:EC2/", "Backdoor:EC2/"},
		ImmediateSeverity:       8,
		ApprovalStateMachineARN: "arn:aws:states:ap-northeast-1:111111111111:stateMachine:resp-approval",
		TopicARN:                topicArn,
		EvidenceLogGroup:        "/fintech/resp/isolation-evidence",
		AuroraClusterIDs:        []string{"core-db", "ledger-db"},
		ActOnSampleFindings:     contract.IsolationDefaultActOnSampleFindings,
		ReleaseFunctionName:     graph.Str(release.Inputs["name"]),
	}, cfg)

	releaseEnv := lambdaEnv(t, g, "resp-release")
	rcfg, unread, err := load(isolation.LoadReleaseConfig, releaseEnv)
	require.NoError(t, err)
	assert.Empty(t, unread, "the component sets variables the release function never reads")
	assert.Equal(t, isolation.ReleaseConfig{
		StateTable:       "resp-isolation-state",
		TopicARN:         topicArn,
		EvidenceLogGroup: "/fintech/resp/isolation-evidence",
		AccountID:        testkit.Account,
		Region:           testkit.Region,
	}, rcfg)

	// The contract check turns red when the environment is broken: a
	// renamed variable is never read (and, when required, is missing); a
	// dropped required one is refused by the loader, naming it.
	for _, c := range []struct {
		fn  string
		env map[string]string
		try func(env map[string]string) ([]string, error)
	}{
		{"isolate", isolateEnv, func(env map[string]string) ([]string, error) {
			_, unread, err := load(isolation.LoadConfig, env)
			return unread, err
		}},
		{"release", releaseEnv, func(env map[string]string) ([]string, error) {
			_, unread, err := load(isolation.LoadReleaseConfig, env)
			return unread, err
		}},
	} {
		for name := range c.env {
			if name == contract.RuntimeEnvRegion {
				continue
			}
			t.Run(c.fn+"/renamed "+name, func(t *testing.T) {
				broken := copyEnv(c.env)
				broken[name+"_RENAMED"] = broken[name]
				delete(broken, name)
				unread, _ := c.try(broken)
				assert.Equal(t, []string{name + "_RENAMED"}, unread)
			})
		}
		for _, name := range []string{contract.IsolationEnvStateTable, contract.IsolationEnvTopicArn, contract.IsolationEnvEvidenceLogGroup, contract.IsolationEnvAccountID} {
			t.Run(c.fn+"/dropped "+name, func(t *testing.T) {
				broken := copyEnv(c.env)
				delete(broken, name)
				_, err := c.try(broken)
				require.ErrorContains(t, err, name+" is required")
			})
		}
	}
	for _, name := range []string{contract.IsolationEnvQuarantineNACLs, contract.IsolationEnvApprovalStateMachineArn} {
		t.Run("isolate/dropped "+name, func(t *testing.T) {
			broken := copyEnv(isolateEnv)
			delete(broken, name)
			_, _, err := load(isolation.LoadConfig, broken)
			require.ErrorContains(t, err, name+" is required")
		})
	}
	// A variable the component writes in a shape the loader refuses.
	broken := copyEnv(isolateEnv)
	broken[contract.IsolationEnvSeverityThreshold] = "high"
	_, _, err = load(isolation.LoadConfig, broken)
	require.ErrorContains(t, err, contract.IsolationEnvSeverityThreshold+` "high" is not a severity`)
}

func copyEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	return out
}

// TestIsolationDefaultsAreShared: the component's defaults are the ones the
// function applies to an empty variable.
func TestIsolationDefaultsAreShared(t *testing.T) {
	assert.Equal(t, contract.IsolationDefaultSeverityThreshold, float64(isolationresponder.DefaultSeverityThreshold))
	assert.Equal(t, contract.IsolationDefaultImmediateSeverity, float64(isolationresponder.DefaultImmediateSeverity))
	assert.Equal(t, contract.IsolationDefaultSeverityThreshold, float64(isolation.DefaultSeverityThreshold))
	assert.Equal(t, contract.IsolationDefaultImmediateSeverity, float64(isolation.DefaultImmediateSeverity))
	assert.Equal(t, contract.FunctionIsolate, isolationresponder.FunctionIsolate)
	assert.Equal(t, contract.FunctionRelease, isolationresponder.FunctionRelease)
}
