// Package tests holds the tests of every component under components/: each
// component is rendered under Pulumi mocks through its exported API and its
// resources, policies and state machines are checked, one file (or a few,
// by concern) per component, named after it.
//
// They are one package so that `go test` links the Pulumi SDK and
// pulumi-aws into one test binary instead of one per component (ADR 0021):
// linking costs about 4 s of CPU per binary on every run, far more than
// these tests take. Test-local names that several components' tests use
// carry the component's name (keyRingBaseArgs, TestRestoreWorkflowRejectsBadArgs);
// the resource type tokens and fixtures they all share are declared once
// below.
package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/internal/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
)

// The execution tests share one harness (sfntest.Shared): its node
// processes serve all of them; Main stops them when the tests have run.
func TestMain(m *testing.M) { sfntest.Main(m) }

// fakeArchives are stand-in Lambda archives for the functions named, for
// tests that do not test the build (components/internal/lambdabuild does).
func fakeArchives(t *testing.T, functions ...string) map[string]lambdabuild.Artifact {
	t.Helper()
	dir := t.TempDir()
	out := map[string]lambdabuild.Artifact{}
	for _, fn := range functions {
		p := filepath.Join(dir, fn+".zip")
		require.NoError(t, os.WriteFile(p, []byte("zip of "+fn), 0o600))
		out[fn] = lambdabuild.Artifact{ZipPath: p, SHA256Base64: "hash-of-" + fn}
	}
	return out
}

// Resource type tokens of pulumi-aws, as the mocks see them.
const (
	tAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tAppRunnerService = "aws:apprunner/service:Service"
	tAttachment       = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tECSCluster       = "aws:ecs/cluster:Cluster"
	tECSService       = "aws:ecs/service:Service"
	tEgressRule       = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tFunction         = "aws:lambda/function:Function"
	tIngressRule      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tKey              = "aws:kms/key:Key"
	tLB               = "aws:lb/loadBalancer:LoadBalancer"
	tLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	tNACL             = "aws:ec2/networkAcl:NetworkAcl"
	tQueue            = "aws:sqs/queue:Queue"
	tQueuePolicy      = "aws:sqs/queuePolicy:QueuePolicy"
	tRDSCluster       = "aws:rds/cluster:Cluster"
	tRole             = "aws:iam/role:Role"
	tRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	tRule             = "aws:cloudwatch/eventRule:EventRule"
	tSG               = "aws:ec2/securityGroup:SecurityGroup"
	tSubnet           = "aws:ec2/subnet:Subnet"
	tStateMachine     = "aws:sfn/stateMachine:StateMachine"
	tSubnetGroup      = "aws:rds/subnetGroup:SubnetGroup"
	tTarget           = "aws:cloudwatch/eventTarget:EventTarget"
	tTaskDef          = "aws:ecs/taskDefinition:TaskDefinition"
	tTopic            = "aws:sns/topic:Topic"
	tVpc              = "aws:ec2/vpc:Vpc"
	tWebACL           = "aws:wafv2/webAcl:WebAcl"
)

// Fixtures several components' tests use.
const (
	region       = testkit.Region
	accountLevel = "guardduty-enabled"
	logsKey      = "arn:aws:kms:ap-northeast-1:111111111111:key/logs"
	bunkerVault  = "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker"
	dataKey      = "arn:aws:kms:ap-northeast-1:111111111111:key/data"
)
