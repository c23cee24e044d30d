// The components' tests (component_<component>_*.go): each component is
// rendered under Pulumi mocks through its exported API and its resources,
// policies and state machines are checked. Test-local names that several
// components' tests use carry the component's name (keyRingBaseArgs,
// TestRestoreWorkflowRejectsBadArgs); the resource type tokens and fixtures
// all tests of this package share are declared once below.

package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
)

// fakeArchives are stand-in Lambda archives for the functions named, for
// tests that do not test the build (components/lambdabuild does).
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
	tDetector         = "aws:guardduty/detector:Detector"
	tECSCluster       = "aws:ecs/cluster:Cluster"
	tECSService       = "aws:ecs/service:Service"
	tEgressRule       = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tFlowLog          = "aws:ec2/flowLog:FlowLog"
	tFunction         = "aws:lambda/function:Function"
	tIGW              = "aws:ec2/internetGateway:InternetGateway"
	tIngressRule      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tKey              = "aws:kms/key:Key"
	tLB               = "aws:lb/loadBalancer:LoadBalancer"
	tLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	tNACL             = "aws:ec2/networkAcl:NetworkAcl"
	tNACLAssoc        = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
	tNAT              = "aws:ec2/natGateway:NatGateway"
	tQueue            = "aws:sqs/queue:Queue"
	tQueuePolicy      = "aws:sqs/queuePolicy:QueuePolicy"
	tRDSCluster       = "aws:rds/cluster:Cluster"
	tRole             = "aws:iam/role:Role"
	tRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	tRoute            = "aws:ec2/route:Route"
	tRT               = "aws:ec2/routeTable:RouteTable"
	tRTA              = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	tRule             = "aws:cloudwatch/eventRule:EventRule"
	tSG               = "aws:ec2/securityGroup:SecurityGroup"
	tStateMachine     = "aws:sfn/stateMachine:StateMachine"
	tSubnet           = "aws:ec2/subnet:Subnet"
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
