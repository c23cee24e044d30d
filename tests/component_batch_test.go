package tests

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/batch"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tSchedule      = "aws:scheduler/schedule:Schedule"
	tGroup         = "aws:scheduler/scheduleGroup:ScheduleGroup"
	batchAccount   = testkit.Account
	batchImage     = "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/fintech/batch:1.4.2"
	batchSecretArn = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:db-credentials-AbCdEf"
	batchParamArn  = "arn:aws:ssm:ap-northeast-1:111111111111:parameter/fintech/batch/endpoint"
)

func batchBaseArgs() *batch.Args {
	return &batch.Args{
		Image: batchImage, CpuArchitecture: batch.ArchARM, Cpu: 512, Memory: 1024,
		LogRetentionDays: 365,
		DatabasePort:     5432,
		SecretsKeyArn:    pulumi.String(dataKey),
		Secrets: map[string]string{
			"DB_SECRET":   batchSecretArn + ":password::",
			"DB_USER":     batchSecretArn + ":username::",
			"DB_ENDPOINT": batchParamArn,
		},
		Jobs: []batch.Job{
			{Name: "nightly-settlement", Schedule: "cron(0 2 * * ? *)", Command: []string{"/app/settle", "--date=yesterday"}},
			{Name: "reconcile", Schedule: "rate(15 minutes)", Command: []string{"/app/reconcile"}, Timezone: "UTC"},
		},
		AccountID: batchAccount, Region: region,
	}
}

// env is what the test program built around the component.
type batchEnv struct {
	g                   *graph.Graph
	b                   *batch.Batch
	clusterURN, dbSGURN string
	logsKey, queueKey   string
	privateSubnetURNs   []string
}

// build runs Batch "batch" next to a SecureVPC, an ECS cluster whose
// Fargate ephemeral storage has a CMK, a database security group and a
// GuardDuty detector (the stack-wide rule guardduty-enabled needs one).
func batchBuild(t *testing.T, mutate func(a *batch.Args)) batchEnv {
	t.Helper()
	var e batchEnv
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		keys, err := testkit.Keys(ctx, "logs-key", "queue-key", "cluster-key")
		if err != nil {
			return err
		}
		logsKey, queueKey, clusterKey := keys["logs-key"], keys["queue-key"], keys["cluster-key"]
		vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) { n.FlowLogKeyArn = logsKey.Arn })
		if err != nil {
			return err
		}
		cluster, err := ecs.NewCluster(ctx, "cluster", &ecs.ClusterArgs{
			Configuration: ecs.ClusterConfigurationArgs{
				ManagedStorageConfiguration: ecs.ClusterConfigurationManagedStorageConfigurationArgs{
					FargateEphemeralStorageKmsKeyId: clusterKey.Arn,
				},
			},
		})
		if err != nil {
			return err
		}
		dbSG, err := ec2.NewSecurityGroup(ctx, "db-sg", &ec2.SecurityGroupArgs{VpcId: vpc.VpcID, Description: pulumi.String("database")})
		if err != nil {
			return err
		}
		if _, err := guardduty.NewDetector(ctx, "detector", &guardduty.DetectorArgs{Enable: pulumi.Bool(true)}); err != nil {
			return err
		}
		a := batchBaseArgs()
		a.ClusterArn, a.VpcID, a.PrivateSubnetIDs = cluster.Arn, vpc.VpcID, vpc.PrivateSubnetIDs
		a.LogsKeyArn, a.QueueKeyArn = logsKey.Arn, queueKey.Arn
		a.DatabaseSecurityGroupID = dbSG.ID()
		if mutate != nil {
			mutate(a)
		}
		e.b, err = batch.NewBatch(ctx, "batch", a)
		return err
	}, testkit.Options())
	require.NoError(t, err)
	e.g = g
	e.clusterURN = testkit.One(t, g, tECSCluster).URN
	for _, sg := range g.OfType(tSG) {
		if sg.Name == "db-sg" {
			e.dbSGURN = sg.URN
		}
	}
	for _, k := range g.OfType("aws:kms/key:Key") {
		arn, _ := k.Output("arn")
		switch k.Name {
		case "logs-key":
			e.logsKey = graph.Str(arn)
		case "queue-key":
			e.queueKey = graph.Str(arn)
		}
	}
	for _, sn := range g.OfType("aws:ec2/subnet:Subnet") {
		if strings.HasPrefix(sn.Name, "net-private") {
			e.privateSubnetURNs = append(e.privateSubnetURNs, sn.URN)
		}
	}
	sort.Strings(e.privateSubnetURNs)
	require.Len(t, e.privateSubnetURNs, 2)
	return e
}

type batchStmt struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func doc(t *testing.T, r *graph.Resource, prop string) map[string]batchStmt {
	t.Helper()
	var d struct{ Statement []batchStmt }
	require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs[prop])), &d), r.Name)
	out := map[string]batchStmt{}
	for _, s := range d.Statement {
		out[s.Sid] = s
	}
	return out
}

func batchStrs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func TestBatchResources(t *testing.T) {
	e := batchBuild(t, nil)
	g := e.g
	comp := testkit.One(t, g, batch.TypeToken)

	// The component's resources are its children, named "batch-...":
	// log group, 3 roles, 2 role policies, security group, 2 task
	// definitions, queue, queue policy, schedule group, 2 schedules; and
	// the declarations of its access: 11 required flows (scheduler: run,
	// 2 role passes, DLQ, its key, logs key; execution role: ECR auth,
	// image pull, the secret, the parameter, task logs), 1 forbidden.
	kids := g.Children(comp.URN)
	assert.Len(t, kids, 26)
	assert.Len(t, g.OfType("fintech:flow:Required"), 11)
	assert.Len(t, g.OfType("fintech:flow:Forbidden"), 1)
	for _, r := range kids {
		assert.True(t, strings.HasPrefix(r.Name, "batch-"), r.Name)
	}
	// Nothing runs while idle.
	assert.Empty(t, g.OfType(tECSService))

	// Log group: CMK, retention.
	lg := testkit.Named(t, g, tLogGroup, "batch-logs")
	assert.Equal(t, "/ecs/batch", lg.Inputs["name"])
	assert.Equal(t, 365.0, lg.Inputs["retentionInDays"])
	assert.Equal(t, e.logsKey, lg.Inputs["kmsKeyId"])

	// Task definitions: one per job, Fargate, command, read-only root, awslogs, secrets.
	exec := testkit.Named(t, g, tRole, "batch-execution-role")
	task := testkit.Named(t, g, tRole, "batch-task-role")
	require.Len(t, g.OfType(tTaskDef), 2)
	for _, j := range batchBaseArgs().Jobs {
		td := testkit.Named(t, g, tTaskDef, "batch-"+j.Name)
		assert.Equal(t, "batch-"+j.Name, td.Inputs["family"])
		assert.Equal(t, []any{"FARGATE"}, td.Inputs["requiresCompatibilities"])
		assert.Equal(t, "awsvpc", td.Inputs["networkMode"])
		assert.Equal(t, "512", td.Inputs["cpu"])
		assert.Equal(t, "1024", td.Inputs["memory"])
		assert.Equal(t, "ARM64", graph.Map(td.Inputs["runtimePlatform"])["cpuArchitecture"])
		assert.Equal(t, []string{exec.URN}, td.PropertyDependencies["executionRoleArn"])
		assert.Equal(t, []string{task.URN}, td.PropertyDependencies["taskRoleArn"])
		var defs []struct {
			Name                   string
			Image                  string
			Command                []string
			ReadonlyRootFilesystem bool
			Environment            []any
			Secrets                []struct{ Name, ValueFrom string }
			LogConfiguration       struct {
				LogDriver string
				Options   map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(graph.Str(td.Inputs["containerDefinitions"])), &defs))
		require.Len(t, defs, 1)
		c := defs[0]
		assert.Equal(t, batchImage, c.Image)
		assert.Equal(t, j.Command, c.Command)
		assert.True(t, c.ReadonlyRootFilesystem)
		assert.Empty(t, c.Environment, "secrets are never plain environment variables")
		assert.Equal(t, "awslogs", c.LogConfiguration.LogDriver)
		assert.Equal(t, map[string]string{"awslogs-group": "/ecs/batch", "awslogs-region": region, "awslogs-stream-prefix": j.Name}, c.LogConfiguration.Options)
		require.Len(t, c.Secrets, 3)
		assert.Equal(t, "DB_ENDPOINT", c.Secrets[0].Name)
		assert.Equal(t, batchParamArn, c.Secrets[0].ValueFrom)
		assert.Equal(t, batchSecretArn+":password::", c.Secrets[1].ValueFrom)
	}

	// Execution role: logs on that group, exactly the secrets, the key, the image repository.
	pol := doc(t, testkit.Named(t, g, tRolePolicy, "batch-execution-policy"), "policy")
	assert.Equal(t, []string{testkit.ArnOf(lg) + ":log-stream:*"}, batchStrs(pol["WriteTaskLogs"].Resource))
	assert.Equal(t, []string{batchSecretArn}, batchStrs(pol["ReadJobSecrets"].Resource))
	assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, batchStrs(pol["ReadJobSecrets"].Action))
	assert.Equal(t, []string{batchParamArn}, batchStrs(pol["ReadJobParameters"].Resource))
	assert.Equal(t, []string{dataKey}, batchStrs(pol["DecryptJobSecrets"].Resource))
	assert.Equal(t, []string{"kms:Decrypt"}, batchStrs(pol["DecryptJobSecrets"].Action))
	assert.Equal(t, []string{"arn:aws:ecr:ap-northeast-1:111111111111:repository/fintech/batch"}, batchStrs(pol["PullJobImage"].Resource))
	assert.Len(t, pol, 6)
	// Task role: no permissions at all.
	for _, p := range g.OfType(tRolePolicy) {
		assert.NotContains(t, p.PropertyDependencies["role"], task.URN)
	}
	assert.Nil(t, task.Inputs["managedPolicyArns"])
	trust := doc(t, task, "assumeRolePolicy")[""]
	assert.Equal(t, map[string]any{"Service": "ecs-tasks.amazonaws.com"}, trust.Principal)
	assert.Equal(t, batchAccount, trust.Condition["StringEquals"]["aws:SourceAccount"])

	// Task security group: no ingress, 443 anywhere, database port to the database group.
	sg := testkit.Named(t, g, tSG, "batch-task-sg")
	assert.Empty(t, graph.List(sg.Inputs["ingress"]))
	egress := graph.List(sg.Inputs["egress"])
	require.Len(t, egress, 2)
	https := graph.Map(egress[0])
	assert.Equal(t, 443.0, https["fromPort"])
	assert.Equal(t, 443.0, https["toPort"])
	assert.Equal(t, []any{"0.0.0.0/0"}, https["cidrBlocks"])
	db := graph.Map(egress[1])
	assert.Equal(t, 5432.0, db["fromPort"])
	assert.Nil(t, db["cidrBlocks"])
	assert.Contains(t, sg.PropertyDependencies["egress"], e.dbSGURN)

	// Dead-letter queue: CMK, 14 days, only the scheduler of this account.
	q := testkit.One(t, g, tQueue)
	assert.Equal(t, e.queueKey, q.Inputs["kmsMasterKeyId"])
	assert.Equal(t, 1209600.0, q.Inputs["messageRetentionSeconds"])
	qp := testkit.One(t, g, tQueuePolicy)
	assert.Equal(t, []string{q.URN}, qp.PropertyDependencies["queueUrl"])
	qdoc := doc(t, qp, "policy")
	allow := qdoc["SchedulerDeadLetters"]
	assert.Equal(t, map[string]any{"Service": "scheduler.amazonaws.com"}, allow.Principal)
	assert.Equal(t, "sqs:SendMessage", allow.Action)
	assert.Equal(t, testkit.ArnOf(q), allow.Resource)
	assert.Equal(t, batchAccount, allow.Condition["StringEquals"]["aws:SourceAccount"])
	for sid, s := range qdoc {
		if s.Effect == "Allow" {
			assert.Equal(t, "SchedulerDeadLetters", sid, "the only Allow")
		}
	}
	assert.Equal(t, "Deny", qdoc["DenyInsecureTransport"].Effect)

	// Scheduler role: run those task definitions on that cluster, pass the two roles, the DLQ.
	sched := testkit.Named(t, g, tRole, "batch-scheduler-role")
	assert.Equal(t, map[string]any{"Service": "scheduler.amazonaws.com"}, doc(t, sched, "assumeRolePolicy")[""].Principal)
	assert.Equal(t, batchAccount, doc(t, sched, "assumeRolePolicy")[""].Condition["StringEquals"]["aws:SourceAccount"])
	sp := doc(t, testkit.Named(t, g, tRolePolicy, "batch-scheduler-policy"), "policy")
	assert.Len(t, sp, 4)
	run := sp["RunJobTasks"]
	assert.Equal(t, []string{"ecs:RunTask"}, batchStrs(run.Action))
	assert.ElementsMatch(t, []string{testkit.ArnOf(testkit.Named(t, g, tTaskDef, "batch-nightly-settlement")), testkit.ArnOf(testkit.Named(t, g, tTaskDef, "batch-reconcile"))}, batchStrs(run.Resource))
	assert.Equal(t, testkit.ArnOf(testkit.One(t, g, tECSCluster)), run.Condition["ArnEquals"]["ecs:cluster"])
	pass := sp["PassTaskRoles"]
	assert.Equal(t, []string{"iam:PassRole"}, batchStrs(pass.Action))
	assert.ElementsMatch(t, []string{testkit.ArnOf(exec), testkit.ArnOf(task)}, batchStrs(pass.Resource))
	assert.Equal(t, "ecs-tasks.amazonaws.com", pass.Condition["StringEquals"]["iam:PassedToService"])
	assert.Equal(t, []string{testkit.ArnOf(q)}, batchStrs(sp["DeadLetters"].Resource))
	assert.Equal(t, []string{"sqs:SendMessage"}, batchStrs(sp["DeadLetters"].Action))
	assert.Equal(t, []string{e.queueKey}, batchStrs(sp["ScheduleAndQueueKey"].Resource))

	// Schedules: one per job, in a group, CMK, OFF window, ECS target with DLQ and retries.
	group := testkit.One(t, g, tGroup)
	assert.Equal(t, "batch", group.Inputs["name"])
	require.Len(t, g.OfType(tSchedule), 2)
	wantTZ := map[string]string{"nightly-settlement": "Asia/Tokyo", "reconcile": "UTC"}
	for _, j := range batchBaseArgs().Jobs {
		s := testkit.Named(t, g, tSchedule, "batch-"+j.Name+"-schedule")
		assert.Equal(t, comp.URN, s.Parent)
		assert.Equal(t, j.Name, s.Inputs["name"])
		assert.Equal(t, []string{group.URN}, s.PropertyDependencies["groupName"])
		assert.Equal(t, j.Schedule, s.Inputs["scheduleExpression"])
		assert.Equal(t, wantTZ[j.Name], s.Inputs["scheduleExpressionTimezone"])
		assert.Equal(t, e.queueKey, s.Inputs["kmsKeyArn"])
		assert.Equal(t, map[string]any{"mode": "OFF"}, s.Inputs["flexibleTimeWindow"])
		tgt := graph.Map(s.Inputs["target"])
		assert.Equal(t, testkit.ArnOf(testkit.One(t, g, tECSCluster)), tgt["arn"])
		assert.Equal(t, testkit.ArnOf(sched), tgt["roleArn"])
		ecsp := graph.Map(tgt["ecsParameters"])
		assert.Equal(t, testkit.ArnOf(testkit.Named(t, g, tTaskDef, "batch-"+j.Name)), ecsp["taskDefinitionArn"])
		assert.Equal(t, "FARGATE", ecsp["launchType"])
		assert.Equal(t, 1.0, ecsp["taskCount"])
		net := graph.Map(ecsp["networkConfiguration"])
		assert.Equal(t, false, net["assignPublicIp"])
		assert.Equal(t, []any{sg.ID}, net["securityGroups"])
		assert.Len(t, graph.List(net["subnets"]), 2)
		assert.Subset(t, s.PropertyDependencies["target"], e.privateSubnetURNs)
		assert.Contains(t, s.PropertyDependencies["target"], e.clusterURN)
		assert.Equal(t, map[string]any{"arn": testkit.ArnOf(q)}, tgt["deadLetterConfig"])
		assert.Equal(t, map[string]any{"maximumRetryAttempts": 2.0, "maximumEventAgeInSeconds": 3600.0}, tgt["retryPolicy"])
	}

	// Zero mandatory policy violations over the graph.
	testkit.NoMandatoryViolations(t, g)
}

func TestBatchOutputs(t *testing.T) {
	e := batchBuild(t, nil)
	type outs struct {
		arns, names []string
		dlq, sg, lg string
	}
	ch := make(chan outs, 1)
	pulumi.All(e.b.ScheduleArns, e.b.ScheduleNames, e.b.DeadLetterQueueArn, e.b.TaskSecurityGroupID, e.b.LogGroupName).ApplyT(func(v []any) int {
		ch <- outs{v[0].([]string), v[1].([]string), v[2].(string), v[3].(string), v[4].(string)}
		return 0
	})
	o := <-ch
	assert.Equal(t, []string{"nightly-settlement", "reconcile"}, o.names)
	require.Len(t, o.arns, 2)
	assert.Equal(t, testkit.ArnOf(testkit.Named(t, e.g, tSchedule, "batch-nightly-settlement-schedule")), o.arns[0])
	assert.Equal(t, testkit.ArnOf(testkit.One(t, e.g, tQueue)), o.dlq)
	assert.Equal(t, testkit.Named(t, e.g, tSG, "batch-task-sg").ID, o.sg)
	assert.Equal(t, "/ecs/batch", o.lg)
}

func TestBatchWithoutDatabaseOrSecrets(t *testing.T) {
	e := batchBuild(t, func(a *batch.Args) {
		a.DatabaseSecurityGroupID = nil
		a.Secrets, a.SecretsKeyArn = nil, nil
		a.Image = "public.ecr.aws/docker/library/busybox:1.36"
		a.CpuArchitecture = ""
	})
	sg := testkit.Named(t, e.g, tSG, "batch-task-sg")
	egress := graph.List(sg.Inputs["egress"])
	require.Len(t, egress, 1)
	assert.Equal(t, 443.0, graph.Map(egress[0])["fromPort"])
	pol := doc(t, testkit.Named(t, e.g, tRolePolicy, "batch-execution-policy"), "policy")
	assert.Len(t, pol, 1, "logs only: no secrets, no key, no private ECR repository")
	assert.Contains(t, pol, "WriteTaskLogs")
	td := testkit.Named(t, e.g, tTaskDef, "batch-reconcile")
	assert.Equal(t, "X86_64", graph.Map(td.Inputs["runtimePlatform"])["cpuArchitecture"])
	assert.NotContains(t, graph.Str(td.Inputs["containerDefinitions"]), "secrets")
}

func TestValidSchedule(t *testing.T) {
	cases := map[string]string{
		"cron(0 2 * * ? *)":             "",
		"cron(0/15 9-17 ? * MON-FRI *)": "",
		"rate(1 hour)":                  "",
		"rate(5 minutes)":               "",
		"rate(2 days)":                  "",
		"cron(0 2 * * *)":               "6 fields",
		"cron(0 2 * * * *)":             "exactly one",
		"cron(0 2 ? * ? *)":             "exactly one",
		"rate(1 hours)":                 "singular",
		"rate(5 minute)":                "singular",
		"rate(0 minutes)":               "cron(...)",
		"rate(5 weeks)":                 "cron(...)",
		"at(2025-01-01T00:00:00)":       "cron(...)",
		"":                              "cron(...)",
	}
	for expr, want := range cases {
		got := batch.ValidSchedule(expr)
		if want == "" {
			assert.Empty(t, got, expr)
		} else {
			assert.Contains(t, got, want, expr)
		}
	}
}

func TestBatchValidFargateSize(t *testing.T) {
	ok := [][2]int{{256, 512}, {256, 2048}, {512, 4096}, {1024, 2048}, {1024, 8192}, {2048, 16384}, {4096, 30720}, {8192, 20480}, {16384, 122880}}
	bad := [][2]int{{256, 4096}, {512, 512}, {1024, 1024}, {1024, 2500}, {4096, 31744}, {8192, 17408}, {300, 1024}, {0, 0}}
	for _, c := range ok {
		assert.True(t, batch.ValidFargateSize(c[0], c[1]), "%v", c)
	}
	for _, c := range bad {
		assert.False(t, batch.ValidFargateSize(c[0], c[1]), "%v", c)
	}
}

func TestBatchRejectsBadArgs(t *testing.T) {
	fixed := func(a *batch.Args) {
		a.ClusterArn = pulumi.String("arn:aws:ecs:ap-northeast-1:111111111111:cluster/api")
		a.VpcID = pulumi.String("vpc-1")
		a.PrivateSubnetIDs = pulumi.StringArray{pulumi.String("subnet-1")}
		a.LogsKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/logs")
		a.QueueKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/queue")
	}
	cases := map[string]struct {
		mutate func(a *batch.Args)
		want   []string
	}{
		"no jobs":         {func(a *batch.Args) { a.Jobs = nil }, []string{"Jobs must list at least one job"}},
		"duplicate job":   {func(a *batch.Args) { a.Jobs[1].Name = a.Jobs[0].Name }, []string{`Jobs[1].Name "nightly-settlement" is used twice`}},
		"bad job name":    {func(a *batch.Args) { a.Jobs[0].Name = "Nightly_Job" }, []string{`Jobs[0].Name "Nightly_Job" must be`}},
		"trailing dash":   {func(a *batch.Args) { a.Jobs[0].Name = "nightly-" }, []string{`Jobs[0].Name "nightly-"`}},
		"bad cron":        {func(a *batch.Args) { a.Jobs[0].Schedule = "cron(0 2 * * *)" }, []string{`Jobs[0].Schedule "cron(0 2 * * *)": cron needs 6 fields`}},
		"bad rate":        {func(a *batch.Args) { a.Jobs[1].Schedule = "rate(1 minutes)" }, []string{`Jobs[1].Schedule "rate(1 minutes)"`}},
		"empty command":   {func(a *batch.Args) { a.Jobs[1].Command = nil }, []string{"Jobs[1].Command must not be empty"}},
		"blank command":   {func(a *batch.Args) { a.Jobs[1].Command = []string{" "} }, []string{"Jobs[1].Command must not be empty"}},
		"bad timezone":    {func(a *batch.Args) { a.Jobs[0].Timezone = "tokyo" }, []string{`Jobs[0].Timezone "tokyo"`}},
		"bad size":        {func(a *batch.Args) { a.Cpu, a.Memory = 256, 4096 }, []string{"Cpu 256 / Memory 4096 is not a Fargate combination"}},
		"bad arch":        {func(a *batch.Args) { a.CpuArchitecture = "arm" }, []string{`CpuArchitecture "arm"`}},
		"no image":        {func(a *batch.Args) { a.Image = "" }, []string{`Image ""`}},
		"no cluster":      {func(a *batch.Args) { a.ClusterArn = nil }, []string{"ClusterArn"}},
		"no network":      {func(a *batch.Args) { a.PrivateSubnetIDs = nil }, []string{"PrivateSubnetIDs and VpcID are required"}},
		"no log key":      {func(a *batch.Args) { a.LogsKeyArn = nil }, []string{"LogsKeyArn"}},
		"no queue key":    {func(a *batch.Args) { a.QueueKeyArn = nil }, []string{"QueueKeyArn"}},
		"no secrets key":  {func(a *batch.Args) { a.SecretsKeyArn = nil }, []string{"SecretsKeyArn"}},
		"plain secret":    {func(a *batch.Args) { a.Secrets["DB_PASSWORD"] = "hunter2" }, []string{`Secrets[DB_PASSWORD]: "hunter2" is not a Secrets Manager secret ARN or SSM parameter ARN`}},
		"bad secret name": {func(a *batch.Args) { a.Secrets["db-password"] = batchSecretArn }, []string{`Secrets: "db-password" is not an environment variable name`}},
		"bad retention":   {func(a *batch.Args) { a.LogRetentionDays = 10 }, []string{"LogRetentionDays 10"}},
		"db without port": {func(a *batch.Args) { a.DatabaseSecurityGroupID = pulumi.String("sg-1"); a.DatabasePort = 0 }, []string{"DatabasePort 0"}},
		"bad account":     {func(a *batch.Args) { a.AccountID = "1111" }, []string{`AccountID "1111"`}},
		"bad region":      {func(a *batch.Args) { a.Region = "tokyo" }, []string{`Region "tokyo"`}},
		"several at once": {func(a *batch.Args) { a.AccountID = ""; a.Jobs[0].Command = nil; a.Memory = 3 }, []string{"AccountID", "Jobs[0].Command", "Memory 3"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			g, runErr := preview.Run(func(ctx *pulumi.Context) error {
				a := batchBaseArgs()
				fixed(a)
				c.mutate(a)
				_, err = batch.NewBatch(ctx, "batch", a)
				return nil
			}, testkit.Options())
			require.NoError(t, runErr)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), "batch batch: invalid arguments")
			assert.Empty(t, g.Resources, "nothing is registered when the arguments are invalid")
		})
	}
	// The same arguments, fixed, are valid.
	a := batchBaseArgs()
	fixed(a)
	assert.NoError(t, a.Validate())
	_, err := batch.NewBatch(nil, "batch", nil)
	assert.ErrorContains(t, err, "args are required")
}

// Plain settings go to every job's environment and the optional task policy
// is the jobs' only permission (here: IAM database authentication).
func TestBatchEnvironmentAndTaskPolicy(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:ap-northeast-1:111111111111:dbuser:*/bank_batch"}]}`
	e := batchBuild(t, func(a *batch.Args) {
		a.Environment = map[string]string{"DB_AUTH": "iam", "DB_ROLE": "bank_batch"}
		a.TaskPolicyJSON = pulumi.String(policy)
	})
	td := testkit.Named(t, e.g, tTaskDef, "batch-reconcile")
	var defs []struct {
		Environment []struct{ Name, Value string }
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(td.Inputs["containerDefinitions"])), &defs))
	require.Len(t, defs, 1)
	assert.Equal(t, []struct{ Name, Value string }{{"DB_AUTH", "iam"}, {"DB_ROLE", "bank_batch"}}, defs[0].Environment)
	p := testkit.Named(t, e.g, tRolePolicy, "batch-task-policy")
	assert.Equal(t, policy, graph.Str(p.Inputs["policy"]))

	_, err := preview.Run(func(ctx *pulumi.Context) error {
		_, err := batch.NewBatch(ctx, "batch", &batch.Args{Environment: map[string]string{"bad-name": "x"}})
		return err
	}, testkit.Options())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"bad-name" is not an environment variable name`)
}
