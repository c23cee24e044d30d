package tests

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/fintech-resilience/fintech-resilience/policy/pack"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// serveEnv=1 in its environment makes this test binary the pack process:
// TestMain then runs pack.Main, the body of policy/main.go, instead of the
// tests. startPack uses it so that the test does not build and link
// ./policy, a second copy of the Pulumi SDK, on every run.
const serveEnv = "FINTECH_POLICY_PACK_SERVE"

// startPack starts the pack as the engine does: run the pack process, read
// the port from its first stdout line, dial it. The process is this test
// binary with serveEnv=1, which serves exactly as policy/main.go does (see
// TestMain). It also gets -test.run=^$: should it ever run the tests instead
// of serving, it runs none, prints PASS instead of a port and the test fails
// at once, rather than each process starting another.
func startPack(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	bin, err := os.Executable()
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	var port int
	select {
	case line := <-lines:
		port, err = strconv.Atoi(strings.TrimSpace(line))
		require.NoError(t, err, "first line %q is not a port", line)
	case <-time.After(60 * time.Second):
		t.Fatal("pack did not print its port")
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn)
}

func marshal(t *testing.T, m presource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	require.NoError(t, err)
	return s
}

const lbURN = "urn:pulumi:workload::fintech-resilience::aws:lb/loadBalancer:LoadBalancer::api"

func TestPackOverGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pack in a child process (this test binary, see TestMain)")
	}
	client := startPack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Asked before any configuration, as `pulumi policy analyze` does:
	// policyx alone crashes here (v3.263.0 and v3.276.0, ADR 0006).
	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, pack.Name, info.GetName())
	assert.Len(t, info.GetPolicies(), len(rules.All()))
	levels := map[string]pulumirpc.EnforcementLevel{}
	for _, p := range info.GetPolicies() {
		levels[p.GetName()] = p.GetEnforcementLevel()
	}
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, levels["lb-internal-only"])
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, levels["aurora-serverless-v2"])
	plugInfo, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, pack.Version, plugInfo.GetVersion())

	// The engine's order: handshake, configure the stack, configure policies.
	_, err = client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{})
	require.NoError(t, err)
	_, err = client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
		Stack: "workload", Project: "fintech-resilience", DryRun: true,
	})
	require.NoError(t, err)

	// A violating resource.
	resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
		Type: "aws:lb/loadBalancer:LoadBalancer", Urn: lbURN, Name: "api",
		Properties: marshal(t, presource.PropertyMap{"internal": presource.NewProperty(false)}),
	})
	require.NoError(t, err)
	require.Len(t, resp.GetDiagnostics(), 1)
	d := resp.GetDiagnostics()[0]
	assert.Equal(t, "lb-internal-only", d.GetPolicyName())
	assert.Equal(t, lbURN, d.GetUrn())
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, d.GetEnforcementLevel())
	assert.Contains(t, d.GetMessage(), "internet-facing")

	// A clean resource, and one whose decisive value is unknown (preview).
	for _, props := range []presource.PropertyMap{
		{"internal": presource.NewProperty(true)},
		{"internal": presource.MakeComputed(presource.NewProperty(""))},
	} {
		resp, err = client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: "aws:lb/loadBalancer:LoadBalancer", Urn: lbURN, Name: "api", Properties: marshal(t, props),
		})
		require.NoError(t, err)
		assert.Empty(t, resp.GetDiagnostics())
	}

	// Stack policies: a subnet with no NACL association, a VPC without flow
	// logs, no GuardDuty detector.
	subnetURN := "urn:pulumi:workload::fintech-resilience::aws:ec2/subnet:Subnet::a"
	vpcURN := "urn:pulumi:workload::fintech-resilience::aws:ec2/vpc:Vpc::v"
	stack, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Type: "aws:ec2/vpc:Vpc", Urn: vpcURN, Name: "v", Properties: marshal(t, presource.PropertyMap{"cidrBlock": presource.NewProperty("10.0.0.0/16")})},
		{
			Type: "aws:ec2/subnet:Subnet", Urn: subnetURN, Name: "a",
			Properties:           marshal(t, presource.PropertyMap{"vpcId": presource.MakeComputed(presource.NewProperty(""))}),
			PropertyDependencies: map[string]*pulumirpc.AnalyzerPropertyDependencies{"vpcId": {Urns: []string{vpcURN}}},
		},
	}})
	require.NoError(t, err)
	got := map[string]string{}
	for _, d := range stack.GetDiagnostics() {
		got[d.GetPolicyName()] = d.GetUrn()
	}
	assert.Equal(t, subnetURN, got["subnet-explicit-nacl"])
	assert.Equal(t, vpcURN, got["vpc-flow-logs"])
	assert.Contains(t, got, "guardduty-enabled")

	// Enforcement overridable through pack configuration.
	_, err = client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"lb-internal-only": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY},
	}})
	require.NoError(t, err)
	resp, err = client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
		Type: "aws:lb/loadBalancer:LoadBalancer", Urn: lbURN, Name: "api",
		Properties: marshal(t, presource.PropertyMap{"internal": presource.NewProperty(false)}),
	})
	require.NoError(t, err)
	require.Len(t, resp.GetDiagnostics(), 1)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, resp.GetDiagnostics()[0].GetEnforcementLevel())
}
