package tests

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	ecsCluster = "arn:aws:ecs:ap-northeast-1:333333333333:cluster/app"
	tParameter = "aws:ssm/parameter:Parameter"
)

// fixture builds what the restore stack gives the workflow: keys, a
// SecureVPC, a subnet group of its isolated subnets and a database
// security group, and the account's GuardDuty detector (the stack's baseline).
func restoreWorkflowRun(t *testing.T, mutate func(a *restoreworkflow.Args)) (*graph.Graph, error) {
	t.Helper()
	archives := fakeArchives(t, restoreworkflow.FunctionNames()...)
	return preview.Run(func(ctx *pulumi.Context) error {
		keys := map[string]*kms.Key{}
		for _, k := range []string{"data", "logs", "notifications"} {
			key, err := testkit.Key(ctx, "key-"+k)
			if err != nil {
				return err
			}
			keys[k] = key
		}
		if _, err := guardduty.NewDetector(ctx, "detector", &guardduty.DetectorArgs{Enable: pulumi.Bool(true)}); err != nil {
			return err
		}
		vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) {
			n.CidrBlock, n.AvailabilityZones = "10.30.0.0/16", []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
			n.NatGateways, n.AccountID, n.FlowLogKeyArn = securevpc.NatNone, restoreAccount, keys["logs"].Arn
			n.InterfaceEndpoints = []string{"backup", "monitoring", "rds", "rds-data"}
		})
		if err != nil {
			return err
		}
		group, err := rds.NewSubnetGroup(ctx, "db-subnets", &rds.SubnetGroupArgs{Name: pulumi.String("restore-isolated"), SubnetIds: vpc.IsolatedSubnetIDs})
		if err != nil {
			return err
		}
		dbSG, err := ec2.NewSecurityGroup(ctx, "db-sg", &ec2.SecurityGroupArgs{VpcId: vpc.VpcID, Description: pulumi.String("restored database")})
		if err != nil {
			return err
		}
		a := &restoreworkflow.Args{
			AccountID: restoreAccount, Region: region,
			VaultArn: pulumi.String(bunkerVault), SubnetGroupName: group.Name,
			SecurityGroupIDs: pulumi.StringArray{dbSG.ID().ToStringOutput()},
			KeyArn:           keys["data"].Arn, LogsKeyArn: keys["logs"].Arn, NotificationKeyArn: keys["notifications"].Arn,
			NotificationEmails:      []string{"oncall@example.com"},
			ClusterIdentifierPrefix: "fintech-restore", Engine: "aurora-postgresql", EngineVersion: "16.4",
			InstanceCount: 2, MinCapacity: 0.5, MaxCapacity: 16,
			VerifyQuery: "SELECT 1", CutoverParameterName: "/fintech/app/db-endpoint",
			EcsClusterArn: pulumi.String(ecsCluster), EcsServiceName: pulumi.String("core-api"),
			VpcID: vpc.VpcID, VpcCidrBlock: "10.30.0.0/16", IsolatedSubnetIDs: vpc.IsolatedSubnetIDs, DatabasePort: 5432,
			FunctionArchives:   archives,
			ParameterGroupName: "fintech-restore-tls",
			RPOTargetMinutes:   1800, RTOTargetMinutes: 480, DatabaseLogRetentionDays: 731,
		}
		if mutate != nil {
			mutate(a)
		}
		_, err = restoreworkflow.NewRestoreWorkflow(ctx, "restore-workflow", a)
		return err
	}, testkit.OptionsIn(restoreAccount))
}

func restoreWorkflowOne(t *testing.T, g *graph.Graph, typ, nameContains string) *graph.Resource {
	t.Helper()
	var found []*graph.Resource
	for _, r := range g.OfType(typ) {
		if strings.Contains(r.Name, nameContains) {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "%s *%s*", typ, nameContains)
	return found[0]
}

func built(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := restoreWorkflowRun(t, nil)
	require.NoError(t, err)
	return g
}

type restoreWorkflowStatement struct {
	Sid       string
	Effect    string
	Action    []string
	Resource  []string
	Condition map[string]map[string]string
}

func restoreWorkflowStatements(t *testing.T, r *graph.Resource) map[string]restoreWorkflowStatement {
	t.Helper()
	var doc struct{ Statement []restoreWorkflowStatement }
	require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs["policy"])), &doc))
	out := map[string]restoreWorkflowStatement{}
	for _, s := range doc.Statement {
		out[s.Sid] = s
	}
	return out
}

func machineDefinition(t *testing.T, g *graph.Graph) string {
	t.Helper()
	sm := restoreWorkflowOne(t, g, tStateMachine, "")
	def := graph.Str(sm.Inputs["definition"])
	require.NotEmpty(t, def)
	return def
}

func TestStateMachineResource(t *testing.T) {
	g := built(t)
	comp := restoreWorkflowOne(t, g, restoreworkflow.TypeToken, "")
	sm := restoreWorkflowOne(t, g, tStateMachine, "")
	assert.Equal(t, comp.URN, sm.Parent)
	assert.Equal(t, "restore-workflow", sm.Inputs["name"])
	assert.Equal(t, "STANDARD", sm.Inputs["type"])
	logging := graph.Map(sm.Inputs["loggingConfiguration"])
	assert.Equal(t, "ALL", logging["level"])
	assert.Equal(t, false, logging["includeExecutionData"])
	logs := restoreWorkflowOne(t, g, tLogGroup, "restore-workflow-logs")
	assert.Equal(t, "/aws/vendedlogs/states/restore-workflow", logs.Inputs["name"])
	assert.Equal(t, graph.Str(logs.Outputs["arn"])+":*", logging["logDestination"])
	logsKey := restoreWorkflowOne(t, g, tKey, "key-logs")
	assert.Equal(t, graph.Str(logsKey.Outputs["arn"]), logs.Inputs["kmsKeyId"])
	enc := graph.Map(sm.Inputs["encryptionConfiguration"])
	dataKey := graph.Str(restoreWorkflowOne(t, g, tKey, "key-data").Outputs["arn"])
	assert.Equal(t, "CUSTOMER_MANAGED_KMS_KEY", enc["type"])
	assert.Equal(t, dataKey, enc["kmsKeyId"])
	role := restoreWorkflowOne(t, g, tRole, "restore-workflow-role")
	assert.Equal(t, []string{role.URN}, sm.PropertyDependencies["roleArn"])
	assert.Contains(t, graph.Str(role.Inputs["assumeRolePolicy"]), `"Service":"states.amazonaws.com"`)
}

// The registered definition is the Go-built one, with the resolved ARNs.
func TestRegisteredDefinition(t *testing.T) {
	g := built(t)
	def := machineDefinition(t, g)
	var doc struct {
		StartAt        string
		TimeoutSeconds int
		States         map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(def), &doc))
	assert.Equal(t, restoreworkflow.StateApplyDefaults, doc.StartAt)
	assert.Equal(t, restoreworkflow.DefaultTimeoutSeconds+restoreworkflow.DefaultApprovalTimeoutSeconds+3600, doc.TimeoutSeconds)

	start := doc.States[restoreworkflow.StateStartRestore]["Parameters"].(map[string]any)
	md := start["Metadata"].(map[string]any)
	dbSG := restoreWorkflowOne(t, g, tSG, "db-sg")
	assert.Equal(t, `["`+dbSG.ID+`"]`, md["VpcSecurityGroupIds"])
	assert.Equal(t, "restore-isolated", md["DBSubnetGroupName"])
	assert.Equal(t, graph.Str(restoreWorkflowOne(t, g, tKey, "key-data").Outputs["arn"]), md["KmsKeyId"])
	assert.Equal(t, "aurora-postgresql", md["Engine"])
	assert.Equal(t, "$.pick.recoveryPointArn", start["RecoveryPointArn.$"])
	restoreRole := restoreWorkflowOne(t, g, tRole, "restore-role")
	assert.Equal(t, graph.Str(restoreRole.Outputs["arn"]), start["IamRoleArn"])

	pick := doc.States[restoreworkflow.StatePick]["Parameters"].(map[string]any)
	assert.Equal(t, graph.Str(restoreWorkflowOne(t, g, tFunction, "restorepick").Outputs["arn"]), pick["FunctionName"])
	assert.Equal(t, bunkerVault, pick["Payload"].(map[string]any)["vaultArn"])
	verify := doc.States[restoreworkflow.StateVerify]["Parameters"].(map[string]any)
	assert.Equal(t, graph.Str(restoreWorkflowOne(t, g, tFunction, "restoreverify").Outputs["arn"]), verify["FunctionName"])
	topic := graph.Str(restoreWorkflowOne(t, g, tTopic, "").Outputs["arn"])
	assert.Equal(t, topic, doc.States[restoreworkflow.StateAwaitApproval]["Parameters"].(map[string]any)["TopicArn"])
	assert.Equal(t, ecsCluster, doc.States[restoreworkflow.StateUpdateService]["Parameters"].(map[string]any)["Cluster"])
	assert.Equal(t, 60.0, doc.States[restoreworkflow.StateWaitRestore]["Seconds"])
}

func TestStateMachineRoleIsLeastPrivilege(t *testing.T) {
	g := built(t)
	sts := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restore-workflow-role-policy"))
	for sid, s := range sts {
		assert.Equal(t, "Allow", s.Effect, sid)
		for _, a := range s.Action {
			assert.NotEqual(t, "*", a, sid)
			assert.False(t, strings.HasSuffix(a, ":*"), "%s: %s", sid, a)
		}
		if contains(s.Resource, "*") {
			assert.Contains(t, []string{"DescribeRestoreJobs", "LogDelivery"}, sid, "only actions without resource-level permissions use \"*\"")
		}
	}
	assert.Equal(t, []string{"arn:aws:backup:ap-northeast-1:222222222222:recovery-point:*"}, sts["StartRestoreFromVault"].Resource)
	restoreRole := restoreWorkflowOne(t, g, tRole, "restore-role")
	pass := sts["PassRestoreRoleToBackup"]
	assert.Equal(t, []string{"iam:PassRole"}, pass.Action)
	assert.Equal(t, []string{graph.Str(restoreRole.Outputs["arn"])}, pass.Resource)
	assert.Equal(t, "backup.amazonaws.com", pass.Condition["StringEquals"]["iam:PassedToService"])
	assert.Equal(t, []string{
		"arn:aws:rds:ap-northeast-1:333333333333:db:fintech-restore-*",
		"arn:aws:rds:ap-northeast-1:333333333333:cluster:fintech-restore-*",
		"arn:aws:rds:ap-northeast-1:333333333333:subgrp:restore-isolated",
	}, sts["CreateRestoredInstances"].Resource)
	assert.Equal(t, []string{"arn:aws:rds:ap-northeast-1:333333333333:cluster:fintech-restore-*"}, sts["ConfigureRestoredCluster"].Resource)
	assert.Equal(t, []string{"arn:aws:rds:ap-northeast-1:333333333333:cluster:fintech-restore-*"}, sts["EnableDataApi"].Resource)
	assert.Equal(t, []string{"arn:aws:rds:ap-northeast-1:333333333333:db:fintech-restore-*"}, sts["WatchRestoredInstances"].Resource)
	dataKey := graph.Str(restoreWorkflowOne(t, g, tKey, "key-data").Outputs["arn"])
	assert.Equal(t, []string{dataKey}, sts["UseRestoreKey"].Resource)
	assert.Equal(t, []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"}, sts["UseRestoreKey"].Action)
	assert.Equal(t, []string{graph.Str(restoreWorkflowOne(t, g, tTopic, "").Outputs["arn"])}, sts["Notify"].Resource)
	assert.Equal(t, []string{"arn:aws:ssm:ap-northeast-1:333333333333:parameter/fintech/app/db-endpoint"}, sts["Cutover"].Resource)
	assert.Equal(t, []string{"arn:aws:ecs:ap-northeast-1:333333333333:service/app/core-api"}, sts["Redeploy"].Resource)
	assert.ElementsMatch(t, []string{
		graph.Str(restoreWorkflowOne(t, g, tFunction, "restorepick").Outputs["arn"]),
		graph.Str(restoreWorkflowOne(t, g, tFunction, "restoreverify").Outputs["arn"]),
		graph.Str(restoreWorkflowOne(t, g, tFunction, "restoremetrics").Outputs["arn"]),
	}, sts["InvokeWorkflowFunctions"].Resource)

	// No role of the workflow carries an AWS-managed policy (the managed
	// restore policy grants iam:PassRole on every role): the restore role
	// has the scoped Aurora restore policy and no iam:PassRole at all.
	assert.Empty(t, g.OfType(tAttachment))
	restores := restoreWorkflowOne(t, g, tRolePolicy, "restore-role-restores")
	assert.Equal(t, []string{restoreRole.URN}, restores.PropertyDependencies["role"])
	var rdoc struct {
		Statement []struct {
			Sid              string
			Action, Resource []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(restores.Inputs["policy"])), &rdoc))
	require.NotEmpty(t, rdoc.Statement)
	assert.Equal(t, "RestoreAuroraClusters", rdoc.Statement[0].Sid)
	assert.Contains(t, rdoc.Statement[0].Action, "rds:RestoreDBClusterFromSnapshot")
	assert.Contains(t, rdoc.Statement[0].Resource, "arn:aws:rds:ap-northeast-1:333333333333:cluster:fintech-restore-*")
	assert.NotContains(t, graph.Str(restores.Inputs["policy"]), "iam:PassRole")
	assert.Contains(t, graph.Str(restoreRole.Inputs["assumeRolePolicy"]), `"Service":"backup.amazonaws.com"`)
	key := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restore-role-key"))
	assert.Equal(t, []string{dataKey}, key["UseRestoreKey"].Resource)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestFunctions(t *testing.T) {
	g := built(t)
	isolated := []any{}
	net := g.OfType("aws:ec2/subnet:Subnet")
	for _, s := range net {
		if strings.Contains(s.Name, "isolated") {
			isolated = append(isolated, s.ID)
		}
	}
	require.Len(t, isolated, 3)
	sg := restoreWorkflowOne(t, g, tSG, "functions-sg")
	assert.Empty(t, sg.Inputs["ingress"], "no ingress")
	var egress []string
	for _, e := range graph.List(sg.Inputs["egress"]) {
		m := graph.Map(e)
		egress = append(egress, graph.Str(m["protocol"])+"/"+strings.Join(graph.Strings(m["cidrBlocks"]), ",")+"/"+graph.Str(m["description"]))
		assert.Equal(t, m["fromPort"], m["toPort"])
	}
	sort.Strings(egress)
	assert.Equal(t, []string{"tcp/10.30.0.0/16/Restored database", "tcp/10.30.0.0/16/VPC interface endpoints"}, egress)

	dataKey := graph.Str(restoreWorkflowOne(t, g, tKey, "key-data").Outputs["arn"])
	logsKey := graph.Str(restoreWorkflowOne(t, g, tKey, "key-logs").Outputs["arn"])
	for _, fn := range []string{restoreworkflow.FunctionPick, restoreworkflow.FunctionVerify} {
		f := restoreWorkflowOne(t, g, tFunction, "restore-workflow-"+fn)
		assert.Equal(t, "restore-workflow-"+fn, f.Inputs["name"])
		assert.Equal(t, "provided.al2023", f.Inputs["runtime"])
		assert.Equal(t, []any{"arm64"}, f.Inputs["architectures"])
		assert.Equal(t, "bootstrap", f.Inputs["handler"])
		assert.Equal(t, "hash-of-"+fn, f.Inputs["sourceCodeHash"])
		assert.Equal(t, dataKey, f.Inputs["kmsKeyArn"])
		vpc := graph.Map(f.Inputs["vpcConfig"])
		assert.ElementsMatch(t, isolated, vpc["subnetIds"])
		assert.Equal(t, []any{sg.ID}, vpc["securityGroupIds"])
		lg := restoreWorkflowOne(t, g, tLogGroup, fn+"-logs")
		assert.Equal(t, "/aws/lambda/restore-workflow-"+fn, lg.Inputs["name"])
		assert.Equal(t, logsKey, lg.Inputs["kmsKeyId"])
		assert.Equal(t, 365.0, lg.Inputs["retentionInDays"])
	}
	pick := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restorepick-policy"))
	assert.Equal(t, []string{bunkerVault}, pick["ListVault"].Resource)
	assert.Equal(t, []string{"backup:DescribeRecoveryPoint", "backup:GetRecoveryPointRestoreMetadata"}, pick["ReadRecoveryPoints"].Action)
	assert.Equal(t, []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, pick["VpcNetworkInterfaces"].Action)
	_, rdsInPick := pick["DescribeRestored"]
	assert.False(t, rdsInPick)
	verify := restoreWorkflowStatements(t, restoreWorkflowOne(t, g, tRolePolicy, "restoreverify-policy"))
	assert.Equal(t, []string{"arn:aws:rds:ap-northeast-1:333333333333:cluster:fintech-restore-*"}, verify["HealthQuery"].Resource)
	assert.Equal(t, []string{"rds-data:ExecuteStatement"}, verify["HealthQuery"].Action)
	assert.Equal(t, []string{"arn:aws:secretsmanager:ap-northeast-1:333333333333:secret:rds!cluster-*"}, verify["RestoredMasterSecret"].Resource)
	_, backupInVerify := verify["ListVault"]
	assert.False(t, backupInVerify)

	// Without a query, no Data API or secret access at all.
	g2, err := restoreWorkflowRun(t, func(a *restoreworkflow.Args) { a.VerifyQuery = "" })
	require.NoError(t, err)
	verify = restoreWorkflowStatements(t, restoreWorkflowOne(t, g2, tRolePolicy, "restoreverify-policy"))
	_, q := verify["HealthQuery"]
	_, s := verify["RestoredMasterSecret"]
	assert.False(t, q || s)
	_, e := restoreWorkflowStatements(t, restoreWorkflowOne(t, g2, tRolePolicy, "restore-workflow-role-policy"))["EnableDataApi"]
	assert.False(t, e)
}

func TestParameterAndTopic(t *testing.T) {
	g := built(t)
	p := restoreWorkflowOne(t, g, tParameter, "")
	assert.Equal(t, "/fintech/app/db-endpoint", p.Inputs["name"])
	assert.Equal(t, "String", p.Inputs["type"])
	assert.Equal(t, restoreworkflow.ParameterInitialValue, graph.Str(p.Inputs["value"]), "the provider marks every parameter value secret")
	topic := restoreWorkflowOne(t, g, tTopic, "")
	assert.Equal(t, graph.Str(restoreWorkflowOne(t, g, tKey, "key-notifications").Outputs["arn"]), topic.Inputs["kmsMasterKeyId"])
	sub := restoreWorkflowOne(t, g, "aws:sns/topicSubscription:TopicSubscription", "")
	assert.Equal(t, "oncall@example.com", sub.Inputs["endpoint"])
}

func TestRestoreWorkflowNoMandatoryPolicyViolations(t *testing.T) {
	g := built(t)
	testkit.NoMandatoryViolations(t, g)
}

func TestRestoreWorkflowRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *restoreworkflow.Args)
		want   string
	}{
		"account":        {func(a *restoreworkflow.Args) { a.AccountID = "3333" }, `AccountID "3333"`},
		"region":         {func(a *restoreworkflow.Args) { a.Region = "tokyo" }, `Region "tokyo"`},
		"missing inputs": {func(a *restoreworkflow.Args) { a.VaultArn, a.KeyArn = nil, nil }, "KeyArn, VaultArn required"},
		"prefix too long": {func(a *restoreworkflow.Args) {
			a.ClusterIdentifierPrefix = strings.Repeat("a", restoreworkflow.MaxPrefixLength+1)
		}, "ClusterIdentifierPrefix"},
		"prefix uppercase": {func(a *restoreworkflow.Args) { a.ClusterIdentifierPrefix = "Restore" }, `ClusterIdentifierPrefix "Restore"`},
		"engine":           {func(a *restoreworkflow.Args) { a.Engine = "postgres" }, `Engine "postgres"`},
		"instances":        {func(a *restoreworkflow.Args) { a.InstanceCount = 10 }, "InstanceCount 10 is outside 1 to 9"},
		"capacity step":    {func(a *restoreworkflow.Args) { a.MinCapacity = 0.3 }, "MinCapacity 0.3"},
		"capacity order":   {func(a *restoreworkflow.Args) { a.MinCapacity, a.MaxCapacity = 8, 4 }, "MaxCapacity 4 is below MinCapacity 8"},
		"poll":             {func(a *restoreworkflow.Args) { a.PollIntervalSeconds = 5 }, "PollIntervalSeconds 5"},
		"timeout":          {func(a *restoreworkflow.Args) { a.TimeoutSeconds = 60 }, "TimeoutSeconds 60"},
		"approval":         {func(a *restoreworkflow.Args) { a.ApprovalTimeoutSeconds = 10 }, "ApprovalTimeoutSeconds 10"},
		"parameter":        {func(a *restoreworkflow.Args) { a.CutoverParameterName = "aws/db" }, `CutoverParameterName "aws/db"`},
		"cidr":             {func(a *restoreworkflow.Args) { a.VpcCidrBlock = "10.30.0.1/16" }, `VpcCidrBlock "10.30.0.1/16"`},
		"port":             {func(a *restoreworkflow.Args) { a.DatabasePort = 22 }, "DatabasePort 22"},
		"database":         {func(a *restoreworkflow.Args) { a.VerifyQuery, a.VerifyDatabase = "", "core" }, "needs VerifyQuery"},
		"archives": {func(a *restoreworkflow.Args) {
			a.FunctionArchives = map[string]lambdabuild.Artifact{restoreworkflow.FunctionPick: {ZipPath: "x.zip", SHA256Base64: "h"}}
		}, `FunctionArchives["restoreverify"]`},
		"retention":              {func(a *restoreworkflow.Args) { a.LogRetentionDays = 30 }, "LogRetentionDays 30"},
		"rpo target":             {func(a *restoreworkflow.Args) { a.RPOTargetMinutes = 0 }, "RPOTargetMinutes 0 is outside 1 to 10080"},
		"rto target":             {func(a *restoreworkflow.Args) { a.RTOTargetMinutes = 20000 }, "RTOTargetMinutes 20000 is outside 1 to 10080"},
		"database log retention": {func(a *restoreworkflow.Args) { a.DatabaseLogRetentionDays = 700 }, "DatabaseLogRetentionDays 700 is not a CloudWatch Logs retention value"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := restoreWorkflowRun(t, c.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "restoreworkflow restore-workflow: invalid arguments")
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
	// Every problem in one error.
	_, err := restoreWorkflowRun(t, func(a *restoreworkflow.Args) { a.Engine, a.InstanceCount = "x", 0 })
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Engine "x"`)
	assert.Contains(t, err.Error(), "InstanceCount 0")
}

// TestDefinitionPassesASLValidator runs the pinned asl-validator
// (tools/asl, through sfntest.ASLValidator) over the registered definition.
func TestDefinitionPassesASLValidator(t *testing.T) {
	validate := sfntest.ASLValidator(t)
	g := built(t)
	out, err := validate(machineDefinition(t, g))
	require.NoError(t, err, out)
	assert.Contains(t, out, "is valid")

	// Without a query and with one instance, too.
	for _, p := range []restoreworkflow.DefinitionParams{
		func() restoreworkflow.DefinitionParams {
			p := testParams()
			p.VerifyQuery, p.VerifyDatabase, p.InstanceCount = "", "", 1
			return p
		}(),
		testParams(),
	} {
		sm, err := restoreworkflow.Definition(p)
		require.NoError(t, err)
		def, err := asl.Marshal(sm)
		require.NoError(t, err)
		out, err := validate(def)
		require.NoError(t, err, out)
	}

	// The validator does reject a broken definition.
	out, err = validate(strings.Replace(machineDefinition(t, g), `"StartAt"`, `"StartAtt"`, 1))
	require.Error(t, err, out)
}
