package tests

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/isolationresponder"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tTable                      = "aws:dynamodb/table:Table"
	tPermission                 = "aws:lambda/permission:Permission"
	isolationResponderNotifyKey = "arn:aws:kms:ap-northeast-1:111111111111:key/notify"
)

// baseArgs are valid arguments without the VPC (filled in by run).
func isolationResponderBaseArgs(t *testing.T) *isolationresponder.Args {
	return &isolationresponder.Args{
		AccountID:            "111111111111",
		Region:               "ap-northeast-1",
		ForensicsCIDRs:       []string{"10.99.0.0/24"},
		FindingTypePrefixes:  []string{"UnauthorizedAccess:EC2/", "Backdoor:EC2/"},
		AuroraClusterIDs:     pulumi.ToStringArray([]string{"core-db"}),
		DataKeyArn:           pulumi.String(dataKey),
		LogsKeyArn:           pulumi.String(logsKey),
		NotificationKeyArn:   pulumi.String(isolationResponderNotifyKey),
		NotificationEmails:   []string{"secops@example.com"},
		FunctionArchives:     fakeArchives(t, isolationresponder.FunctionIsolate, isolationresponder.FunctionRelease),
		ApprovalTimeoutHours: 0, // default 4
	}
}

// run previews a SecureVPC "net", a GuardDuty detector and the responder
// "resp" wired to the VPC's tiers.
func isolationResponderRun(t *testing.T, args *isolationresponder.Args) (*graph.Graph, error) {
	t.Helper()
	return preview.Run(func(ctx *pulumi.Context) error {
		if _, err := guardduty.NewDetector(ctx, "detector", &guardduty.DetectorArgs{Enable: pulumi.Bool(true)}); err != nil {
			return err
		}
		vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) {
			n.NatGateways, n.FlowLogKeyArn = securevpc.NatNone, pulumi.String(logsKey)
		})
		if err != nil {
			return err
		}
		if args.VpcID == nil {
			args.VpcID = vpc.VpcID
		}
		if args.TierSubnetIDs == nil {
			args.TierSubnetIDs = map[string]pulumi.StringArrayInput{
				"private":  vpc.SubnetIDs.MapIndex(pulumi.String("private")),
				"isolated": vpc.SubnetIDs.MapIndex(pulumi.String("isolated")),
			}
		}
		_, err = isolationresponder.NewIsolationResponder(ctx, "resp", args)
		return err
	}, testkit.Options())
}

type isolationResponderStatement struct {
	Sid       string
	Effect    string
	Action    any
	Resource  any
	Principal map[string]any
	Condition map[string]map[string]any
}

func isolationResponderStatements(t *testing.T, doc string) map[string]isolationResponderStatement {
	t.Helper()
	var p struct{ Statement []isolationResponderStatement }
	require.NoError(t, json.Unmarshal([]byte(doc), &p), doc)
	out := map[string]isolationResponderStatement{}
	for _, s := range p.Statement {
		out[s.Sid] = s
	}
	return out
}

func isolationResponderStrs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func subnetIDsOfTier(g *graph.Graph, tier string) []string {
	var ids []string
	for _, s := range g.OfType(tSubnet) {
		if graph.Str(graph.Map(s.Inputs["tags"])["tier"]) == tier {
			ids = append(ids, s.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func TestIsolationResponder(t *testing.T) {
	g, err := isolationResponderRun(t, isolationResponderBaseArgs(t))
	require.NoError(t, err)
	comp := testkit.Named(t, g, isolationresponder.TypeToken, "resp")
	vpc := testkit.Named(t, g, tVpc, "net-vpc")

	// Quarantine NACL: in the VPC, no subnetIds, forensics then deny-all.
	nacl := testkit.Named(t, g, tNACL, "resp-quarantine-nacl")
	assert.Equal(t, comp.URN, nacl.Parent)
	_, hasSubnets := nacl.Inputs["subnetIds"]
	assert.False(t, hasSubnets, "the quarantine ACL must not manage its associations")
	assert.Equal(t, []string{vpc.URN}, nacl.PropertyDependencies["vpcId"])
	assert.Equal(t, "true", graph.Map(nacl.Inputs["tags"])["quarantine"])
	for _, dir := range []string{"ingress", "egress"} {
		entries := graph.List(nacl.Inputs[dir])
		require.Len(t, entries, 2, dir)
		forensics, deny := graph.Map(entries[0]), graph.Map(entries[1])
		assert.Equal(t, "10.99.0.0/24", forensics["cidrBlock"], dir)
		assert.Equal(t, "allow", forensics["action"], dir)
		assert.Equal(t, "tcp", forensics["protocol"], dir)
		assert.Equal(t, "deny", deny["action"], dir)
		assert.Equal(t, "-1", deny["protocol"], dir)
		assert.Equal(t, "0.0.0.0/0", deny["cidrBlock"], dir)
		assert.Equal(t, float64(isolationresponder.DenyAllRuleNo), deny["ruleNo"], dir)
	}
	assert.Equal(t, 0.0, graph.Map(graph.List(nacl.Inputs["ingress"])[0])["fromPort"])
	assert.Equal(t, 1024.0, graph.Map(graph.List(nacl.Inputs["egress"])[0])["fromPort"])

	// State table.
	table := testkit.Named(t, g, tTable, "resp-state")
	assert.Equal(t, "subnetId", table.Inputs["hashKey"])
	assert.Equal(t, "PAY_PER_REQUEST", table.Inputs["billingMode"])
	assert.Equal(t, map[string]any{"enabled": true, "kmsKeyArn": dataKey}, table.Inputs["serverSideEncryption"])
	assert.Equal(t, map[string]any{"enabled": true}, table.Inputs["pointInTimeRecovery"])
	assert.Equal(t, true, table.Inputs["deletionProtectionEnabled"])
	gsi := graph.List(table.Inputs["globalSecondaryIndexes"])
	require.Len(t, gsi, 1)
	assert.Equal(t, "incident", graph.Map(gsi[0])["name"])
	assert.Equal(t, "incidentId", graph.Map(gsi[0])["hashKey"])
	assert.Equal(t, "ALL", graph.Map(gsi[0])["projectionType"])

	// Log groups: CMK and evidence retention.
	for _, lg := range g.OfType(tLogGroup) {
		if lg.Parent != comp.URN {
			continue
		}
		assert.Equal(t, logsKey, lg.Inputs["kmsKeyId"], lg.Name)
		assert.Equal(t, 365.0, lg.Inputs["retentionInDays"], lg.Name)
	}
	evidence := testkit.Named(t, g, tLogGroup, "resp-evidence")
	assert.Equal(t, "/fintech/resp/isolation-evidence", evidence.Inputs["name"])

	// Dead-letter queue with the notification CMK.
	dlq := testkit.Named(t, g, tQueue, "resp-dlq")
	assert.Equal(t, isolationResponderNotifyKey, dlq.Inputs["kmsMasterKeyId"])
	dlqArn := graph.Str(dlq.Outputs["arn"])

	topic := testkit.Named(t, g, tTopic, "resp-alerts-topic")
	assert.Equal(t, isolationResponderNotifyKey, topic.Inputs["kmsMasterKeyId"])
	topicArn := graph.Str(topic.Outputs["arn"])
	sm := testkit.Named(t, g, tStateMachine, "resp-approval")
	smArn := graph.Str(sm.Outputs["arn"])

	// Functions.
	isolate := testkit.Named(t, g, tFunction, "resp-isolate")
	release := testkit.Named(t, g, tFunction, "resp-release")
	for _, f := range []*graph.Resource{isolate, release} {
		assert.Equal(t, "provided.al2023", f.Inputs["runtime"], f.Name)
		assert.Equal(t, []any{"arm64"}, f.Inputs["architectures"], f.Name)
		assert.Equal(t, "bootstrap", f.Inputs["handler"], f.Name)
		assert.Equal(t, dataKey, f.Inputs["kmsKeyArn"], f.Name)
		assert.Equal(t, 120.0, f.Inputs["timeout"], f.Name)
		assert.Equal(t, 256.0, f.Inputs["memorySize"], f.Name)
		assert.Equal(t, 5.0, f.Inputs["reservedConcurrentExecutions"], f.Name)
		assert.Equal(t, dlqArn, graph.Map(f.Inputs["deadLetterConfig"])["targetArn"], f.Name)
		lg := testkit.Named(t, g, tLogGroup, f.Name+"-logs")
		assert.Equal(t, "/aws/lambda/"+f.Name, lg.Inputs["name"])
		assert.Equal(t, "/aws/lambda/"+f.Name, graph.Map(f.Inputs["loggingConfig"])["logGroup"], f.Name)
		assert.Contains(t, f.PropertyDependencies["loggingConfig"], lg.URN, "the log group exists before the function")
		code := graph.Map(f.Inputs["code"])
		assert.Equal(t, "archive", code["kind"])
		assert.True(t, strings.HasSuffix(graph.Str(code["path"]), strings.TrimPrefix(f.Name, "resp-")+".zip"))
		assert.Equal(t, "hash-of-"+strings.TrimPrefix(f.Name, "resp-"), f.Inputs["sourceCodeHash"])
	}
	env := graph.Map(graph.Map(isolate.Inputs["environment"])["variables"])
	var quarantine map[string]string
	require.NoError(t, json.Unmarshal([]byte(graph.Str(env["QUARANTINE_NACLS"])), &quarantine))
	assert.Equal(t, map[string]string{vpc.ID: nacl.ID}, quarantine)
	var blast map[string][]string
	require.NoError(t, json.Unmarshal([]byte(graph.Str(env["BLAST_RADIUS_SUBNETS"])), &blast))
	require.Len(t, blast[vpc.ID], 2)
	got := append([]string(nil), blast[vpc.ID]...)
	sort.Strings(got)
	assert.Equal(t, subnetIDsOfTier(g, "private"), got)
	assert.Equal(t, "111111111111", env["ACCOUNT_ID"])
	assert.Equal(t, "7", env["SEVERITY_THRESHOLD"])
	assert.Equal(t, "9", env["IMMEDIATE_SEVERITY"])
	assert.Equal(t, "UnauthorizedAccess:EC2/,Backdoor:EC2/", env["FINDING_TYPE_PREFIXES"])
	assert.Equal(t, smArn, env["APPROVAL_STATE_MACHINE_ARN"])
	assert.Equal(t, topicArn, env["TOPIC_ARN"])
	assert.Equal(t, "/fintech/resp/isolation-evidence", env["EVIDENCE_LOG_GROUP"])
	assert.Equal(t, "core-db", env["AURORA_CLUSTER_IDS"])
	assert.Equal(t, "resp-isolation-state", env["STATE_TABLE"])
	_, reserved := env["AWS_REGION"]
	assert.False(t, reserved, "AWS_REGION is reserved; Lambda sets it")
	relEnv := graph.Map(graph.Map(release.Inputs["environment"])["variables"])
	assert.Equal(t, []string{"ACCOUNT_ID", "EVIDENCE_LOG_GROUP", "STATE_TABLE", "TOPIC_ARN"}, slices.Sorted(maps.Keys(relEnv)))

	// EventBridge rule: this account and region, severity threshold, types.
	rule := testkit.Named(t, g, tRule, "resp-findings")
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	assert.Equal(t, []any{"aws.guardduty"}, pattern["source"])
	assert.Equal(t, []any{"GuardDuty Finding"}, pattern["detail-type"])
	assert.Equal(t, []any{"111111111111"}, pattern["account"])
	assert.Equal(t, []any{"ap-northeast-1"}, pattern["region"])
	detail := pattern["detail"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"numeric": []any{">=", 7.0}}}, detail["severity"])
	assert.Equal(t, []any{map[string]any{"prefix": "UnauthorizedAccess:EC2/"}, map[string]any{"prefix": "Backdoor:EC2/"}}, detail["type"])
	target := testkit.Named(t, g, tTarget, "resp-findings-isolate")
	assert.Equal(t, []string{isolate.URN}, target.PropertyDependencies["arn"])
	assert.Equal(t, dlqArn, graph.Map(target.Inputs["deadLetterConfig"])["arn"])
	assert.Equal(t, 10.0, graph.Map(target.Inputs["retryPolicy"])["maximumRetryAttempts"])
	qp := testkit.Named(t, g, tQueuePolicy, "resp-dlq-policy")
	qs := isolationResponderStatements(t, graph.Str(qp.Inputs["policy"]))["FailedFindingDeliveries"]
	assert.Equal(t, "events.amazonaws.com", qs.Principal["Service"])
	assert.Equal(t, graph.Str(rule.Outputs["arn"]), qs.Condition["ArnEquals"]["aws:SourceArn"])

	// Lambda permissions: events for the rule on isolate; the release
	// function only for the incident-release role.
	releaseRole := testkit.Named(t, g, tRole, "resp-incident-release")
	perms := g.OfType(tPermission)
	require.Len(t, perms, 2)
	for _, p := range perms {
		switch p.Name {
		case "resp-events-invoke":
			assert.Equal(t, "events.amazonaws.com", p.Inputs["principal"])
			assert.Equal(t, graph.Str(rule.Outputs["arn"]), p.Inputs["sourceArn"])
			assert.Equal(t, []string{isolate.URN}, p.PropertyDependencies["function"])
		case "resp-release-invoke":
			assert.Equal(t, graph.Str(releaseRole.Outputs["arn"]), p.Inputs["principal"])
			assert.Equal(t, []string{release.URN}, p.PropertyDependencies["function"])
		default:
			t.Errorf("unexpected permission %s", p.Name)
		}
	}
	trust := isolationResponderStatements(t, graph.Str(releaseRole.Inputs["assumeRolePolicy"]))[""]
	assert.Equal(t, "arn:aws:iam::111111111111:root", trust.Principal["AWS"])
	assert.Equal(t, "true", trust.Condition["Bool"]["aws:MultiFactorAuthPresent"])
	relPol := isolationResponderStatements(t, graph.Str(testkit.Named(t, g, tRolePolicy, "resp-incident-release-policy").Inputs["policy"]))
	require.Len(t, relPol, 1)
	assert.Equal(t, "lambda:InvokeFunction", relPol["InvokeReleaseOnly"].Action)
	assert.Equal(t, graph.Str(release.Outputs["arn"]), relPol["InvokeReleaseOnly"].Resource)

	// IAM of the functions.
	vpcArn := "arn:aws:ec2:ap-northeast-1:111111111111:vpc/" + vpc.ID
	for _, fn := range []string{"isolate", "release"} {
		role := testkit.Named(t, g, tRole, "resp-"+fn+"-role")
		rt := isolationResponderStatements(t, graph.Str(role.Inputs["assumeRolePolicy"]))[""]
		assert.Equal(t, "lambda.amazonaws.com", rt.Principal["Service"])
		assert.Equal(t, "111111111111", rt.Condition["StringEquals"]["aws:SourceAccount"])
		sts := isolationResponderStatements(t, graph.Str(testkit.Named(t, g, tRolePolicy, "resp-"+fn+"-policy").Inputs["policy"]))
		move := sts["MoveSubnetAssociationsInThisVpcOnly"]
		assert.Equal(t, "ec2:ReplaceNetworkAclAssociation", move.Action)
		// AWS authorizes the call on the ACL and on the subnet.
		assert.Equal(t, []string{"arn:aws:ec2:ap-northeast-1:111111111111:network-acl/*", "arn:aws:ec2:ap-northeast-1:111111111111:subnet/*"}, isolationResponderStrs(move.Resource))
		assert.Equal(t, vpcArn, move.Condition["StringEquals"]["ec2:Vpc"])
		assert.Equal(t, []string{graph.Str(table.Outputs["arn"]), graph.Str(table.Outputs["arn"]) + "/index/*"}, isolationResponderStrs(sts["StateTable"].Resource))
		assert.Equal(t, topicArn, sts["Notify"].Resource)
		assert.Equal(t, dataKey, sts["DataKeyThroughDynamoDBAndLambda"].Resource)
		assert.Equal(t, isolationResponderNotifyKey, sts["NotificationKeyThroughSNSAndSQS"].Resource)
		assert.Equal(t, []string{
			"arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/resp-" + fn,
			"arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/resp-" + fn + ":*",
		}, isolationResponderStrs(sts["OwnLogs"].Resource))
		for sid, s := range sts {
			for _, a := range isolationResponderStrs(s.Action) {
				assert.NotContains(t, a, "*", "%s %s", fn, sid)
			}
			if isolationResponderStrs(s.Resource)[0] == "*" {
				for _, a := range isolationResponderStrs(s.Action) {
					assert.True(t, strings.HasPrefix(a, "ec2:Describe") || a == "ecs:DescribeTasks", "%s: %s on *", fn, a)
				}
			}
		}
		if fn == "isolate" {
			assert.Equal(t, smArn, sts["AskForApproval"].Resource)
			assert.Equal(t, []string{
				"arn:aws:rds:ap-northeast-1:111111111111:cluster:core-db",
				"arn:aws:rds:ap-northeast-1:111111111111:cluster-snapshot:incident-*",
			}, isolationResponderStrs(sts["EvidenceClusterSnapshots"].Resource))
			assert.Equal(t, "CreateSnapshot", sts["TagSnapshotsOnCreation"].Condition["StringEquals"]["ec2:CreateAction"])
		} else {
			for _, sid := range []string{"AskForApproval", "EvidenceClusterSnapshots", "EvidenceVolumeSnapshots", "TagSnapshotsOnCreation"} {
				_, has := sts[sid]
				assert.False(t, has, "release must not have %s", sid)
			}
			assert.Equal(t, "ec2:DescribeNetworkAcls", isolationResponderStrs(sts["Describe"].Action)[0])
			assert.Len(t, isolationResponderStrs(sts["Describe"].Action), 1)
		}
	}

	// State machine.
	assert.Equal(t, "STANDARD", sm.Inputs["type"])
	logCfg := graph.Map(sm.Inputs["loggingConfiguration"])
	assert.Equal(t, "arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/vendedlogs/states/resp-approval:*", logCfg["logDestination"])
	checkDefinition(t, graph.Str(sm.Inputs["definition"]), topicArn, graph.Str(isolate.Outputs["arn"]), 4*3600)

	// Alarms to the topic.
	errAlarm := testkit.Named(t, g, tAlarm, "resp-isolate-errors")
	assert.Equal(t, "AWS/Lambda", errAlarm.Inputs["namespace"])
	assert.Equal(t, "Errors", errAlarm.Inputs["metricName"])
	assert.Equal(t, map[string]any{"FunctionName": "resp-isolate"}, errAlarm.Inputs["dimensions"])
	assert.Equal(t, 60.0, errAlarm.Inputs["period"])
	assert.Equal(t, 1.0, errAlarm.Inputs["threshold"])
	assert.Equal(t, "GreaterThanOrEqualToThreshold", errAlarm.Inputs["comparisonOperator"])
	assert.Equal(t, []any{topicArn}, errAlarm.Inputs["alarmActions"])
	dlqAlarm := testkit.Named(t, g, tAlarm, "resp-dlq-messages")
	assert.Equal(t, "ApproximateNumberOfMessagesVisible", dlqAlarm.Inputs["metricName"])
	assert.Equal(t, map[string]any{"QueueName": "resp-dlq"}, dlqAlarm.Inputs["dimensions"])
	assert.Equal(t, 1.0, dlqAlarm.Inputs["threshold"])
	assert.Equal(t, []any{topicArn}, dlqAlarm.Inputs["alarmActions"])

	// Every child is parented to the component (directly or via the topic).
	for _, r := range g.Resources {
		if strings.HasPrefix(r.Name, "resp-") && !strings.HasPrefix(r.Name, "resp-alerts-") {
			assert.Equal(t, comp.URN, r.Parent, r.Name)
		}
	}

	// The FinTech policy pack finds no mandatory violation.
	testkit.NoMandatoryViolations(t, g)
}

// checkDefinition asserts the approval workflow's structure.
func checkDefinition(t *testing.T, def, topicArn, isolateArn string, timeout int) {
	t.Helper()
	var sm struct {
		StartAt string
		States  map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(def), &sm), def)
	assert.Equal(t, isolationresponder.StateAskForApproval, sm.StartAt)

	ask := sm.States[isolationresponder.StateAskForApproval]
	assert.Equal(t, "arn:aws:states:::sns:publish.waitForTaskToken", ask["Resource"])
	assert.Equal(t, float64(timeout), ask["TimeoutSeconds"])
	assert.Equal(t, "$.approval", ask["ResultPath"], "the finding must survive the wait")
	params := ask["Parameters"].(map[string]any)
	assert.Equal(t, topicArn, params["TopicArn"])
	msg := params["Message.$"].(string)
	for _, want := range []string{"$$.Task.Token", "$.finding.detail.id", "$.finding.detail.severity", "send-task-success", "send-task-failure --region ap-northeast-1", "--error Rejected", `\{"approvedBy":"YOUR-NAME"\}`} {
		assert.Contains(t, msg, want)
	}
	assert.True(t, strings.HasPrefix(msg, "States.Format('"), msg)

	iso := sm.States[isolationresponder.StateIsolate]
	assert.Equal(t, "arn:aws:states:::lambda:invoke", iso["Resource"])
	ip := iso["Parameters"].(map[string]any)
	assert.Equal(t, isolateArn, ip["FunctionName"])
	assert.Equal(t, map[string]any{"action": "isolate-approved", "approvedBy.$": "$.approval.approvedBy", "finding.$": "$.finding"}, ip["Payload"])
	assert.NotEqual(t, "$", iso["ResultPath"])
	assert.Equal(t, true, iso["End"])

	assert.Equal(t, "Fail", sm.States[isolationresponder.StateNotApproved]["Type"])
	assert.Equal(t, isolationresponder.StateNotApproved, sm.States[isolationresponder.StateNotifyNotApproved]["Next"])
	assert.Nil(t, sm.States[isolationresponder.StateNotifyNotApproved]["ResultPath"])

	// Every Task retries; every Task but the failure notice catches to it.
	tasks := 0
	for name, st := range sm.States {
		if st["Type"] != "Task" {
			continue
		}
		tasks++
		retry, _ := st["Retry"].([]any)
		assert.NotEmpty(t, retry, "%s has no Retry", name)
		if name == isolationresponder.StateNotifyNotApproved {
			continue
		}
		catch, _ := st["Catch"].([]any)
		require.NotEmpty(t, catch, "%s has no Catch", name)
		for _, c := range catch {
			cm := c.(map[string]any)
			assert.Equal(t, isolationresponder.StateNotifyNotApproved, cm["Next"], name)
			assert.Equal(t, []any{"States.ALL"}, cm["ErrorEquals"], name)
			assert.Equal(t, "$.error", cm["ResultPath"], name)
		}
	}
	assert.Equal(t, 3, tasks)
	// A rejection or an expiry is never retried.
	for _, r := range ask["Retry"].([]any) {
		for _, e := range r.(map[string]any)["ErrorEquals"].([]any) {
			assert.NotContains(t, []string{"States.ALL", "States.TaskFailed", "States.Timeout", isolationresponder.RejectError}, e)
		}
	}

	// Every state is reachable from StartAt, and every transition exists.
	seen := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		st, ok := sm.States[name]
		require.True(t, ok, "transition to missing state %q", name)
		seen[name] = true
		var next []string
		if n, ok := st["Next"].(string); ok {
			next = append(next, n)
		}
		if n, ok := st["Default"].(string); ok {
			next = append(next, n)
		}
		for _, key := range []string{"Catch", "Choices"} {
			list, _ := st[key].([]any)
			for _, c := range list {
				next = append(next, c.(map[string]any)["Next"].(string))
			}
		}
		for _, n := range next {
			visit(n)
		}
	}
	visit(sm.StartAt)
	for name := range sm.States {
		assert.True(t, seen[name], "state %s is unreachable", name)
	}
}

func TestDefaultsAndOptions(t *testing.T) {
	args := isolationResponderBaseArgs(t)
	args.FindingTypePrefixes = nil
	args.AuroraClusterIDs = nil
	args.ForensicsCIDRs = nil
	args.BlastRadiusTiers = []string{"private", "isolated"}
	args.SeverityThreshold = 8
	args.ImmediateSeverity = 8.5
	args.ApprovalTimeoutHours = 2
	args.LogRetentionDays = 731
	args.ReservedConcurrency = -1
	g, err := isolationResponderRun(t, args)
	require.NoError(t, err)

	rule := testkit.Named(t, g, tRule, "resp-findings")
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(graph.Str(rule.Inputs["eventPattern"])), &pattern))
	detail := pattern["detail"].(map[string]any)
	_, hasType := detail["type"]
	assert.False(t, hasType, "no prefixes: every type")
	assert.Equal(t, []any{map[string]any{"numeric": []any{">=", 8.0}}}, detail["severity"])

	nacl := testkit.Named(t, g, tNACL, "resp-quarantine-nacl")
	require.Len(t, graph.List(nacl.Inputs["ingress"]), 1, "only deny-all without forensics CIDRs")
	require.Len(t, graph.List(nacl.Inputs["egress"]), 1)

	isolate := testkit.Named(t, g, tFunction, "resp-isolate")
	_, hasReserved := isolate.Inputs["reservedConcurrentExecutions"]
	assert.False(t, hasReserved)
	env := graph.Map(graph.Map(isolate.Inputs["environment"])["variables"])
	assert.Equal(t, "", env["AURORA_CLUSTER_IDS"])
	assert.Equal(t, "", env["FINDING_TYPE_PREFIXES"])
	assert.Equal(t, "8.5", env["IMMEDIATE_SEVERITY"])
	vpc := testkit.Named(t, g, tVpc, "net-vpc")
	var blast map[string][]string
	require.NoError(t, json.Unmarshal([]byte(graph.Str(env["BLAST_RADIUS_SUBNETS"])), &blast))
	got := append([]string(nil), blast[vpc.ID]...)
	sort.Strings(got)
	want := append(subnetIDsOfTier(g, "private"), subnetIDsOfTier(g, "isolated")...)
	sort.Strings(want)
	assert.Equal(t, want, got)

	sts := isolationResponderStatements(t, graph.Str(testkit.Named(t, g, tRolePolicy, "resp-isolate-policy").Inputs["policy"]))
	_, hasRDS := sts["EvidenceClusterSnapshots"]
	assert.False(t, hasRDS, "no clusters: no RDS permission")

	sm := testkit.Named(t, g, tStateMachine, "resp-approval")
	var def struct{ States map[string]map[string]any }
	require.NoError(t, json.Unmarshal([]byte(graph.Str(sm.Inputs["definition"])), &def))
	assert.Equal(t, 7200.0, def.States[isolationresponder.StateAskForApproval]["TimeoutSeconds"])
	assert.Equal(t, 731.0, testkit.Named(t, g, tLogGroup, "resp-evidence").Inputs["retentionInDays"])

	testkit.NoMandatoryViolations(t, g)
}

func TestIsolationResponderRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *isolationresponder.Args)
		want   string
	}{
		"bad account":          {func(a *isolationresponder.Args) { a.AccountID = "1234" }, `AccountID "1234" is not a 12-digit account id`},
		"bad region":           {func(a *isolationresponder.Args) { a.Region = "tokyo" }, `Region "tokyo"`},
		"unknown tier":         {func(a *isolationresponder.Args) { a.BlastRadiusTiers = []string{"dmz"} }, `BlastRadiusTiers: "dmz" is not a tier`},
		"tier without subnets": {func(a *isolationresponder.Args) { a.BlastRadiusTiers = []string{"public"} }, `tier "public" has no subnets`},
		"empty blast radius":   {func(a *isolationresponder.Args) { a.BlastRadiusTiers = []string{} }, "BlastRadiusTiers must name at least one tier"},
		"bad cidr":             {func(a *isolationresponder.Args) { a.ForensicsCIDRs = []string{"10.0.0.300/24"} }, `"10.0.0.300/24" is not an IPv4 CIDR`},
		"host bits":            {func(a *isolationresponder.Args) { a.ForensicsCIDRs = []string{"10.0.0.1/24"} }, "has host bits set (use 10.0.0.0/24)"},
		"open forensics":       {func(a *isolationresponder.Args) { a.ForensicsCIDRs = []string{"0.0.0.0/0"} }, "wider than /16"},
		"ipv6 forensics":       {func(a *isolationresponder.Args) { a.ForensicsCIDRs = []string{"fd00::/64"} }, "not an IPv4 CIDR"},
		"threshold":            {func(a *isolationresponder.Args) { a.SeverityThreshold = 11 }, "SeverityThreshold 11 must be between 1 and 10"},
		"immediate below":      {func(a *isolationresponder.Args) { a.ImmediateSeverity = 5 }, "ImmediateSeverity 5 must be between SeverityThreshold 7 and 10"},
		"bad prefix":           {func(a *isolationresponder.Args) { a.FindingTypePrefixes = []string{"has space"} }, `"has space" is not a GuardDuty finding type prefix`},
		"timeout":              {func(a *isolationresponder.Args) { a.ApprovalTimeoutHours = 500 }, "ApprovalTimeoutHours 500"},
		"trust account":        {func(a *isolationresponder.Args) { a.ReleaseRoleTrustAccountID = "x" }, `ReleaseRoleTrustAccountID "x"`},
		"no data key":          {func(a *isolationresponder.Args) { a.DataKeyArn = nil }, "DataKeyArn"},
		"no logs key":          {func(a *isolationresponder.Args) { a.LogsKeyArn = nil }, "LogsKeyArn"},
		"no notification key":  {func(a *isolationresponder.Args) { a.NotificationKeyArn = nil }, "NotificationKeyArn"},
		"bad email":            {func(a *isolationresponder.Args) { a.NotificationEmails = []string{"Sec <a@b.c>"} }, `"Sec <a@b.c>" is not a plain address`},
		"short retention":      {func(a *isolationresponder.Args) { a.LogRetentionDays = 90 }, "LogRetentionDays 90"},
		"odd retention":        {func(a *isolationresponder.Args) { a.LogRetentionDays = 500 }, "LogRetentionDays 500"},
		"partial archives": {func(a *isolationresponder.Args) {
			a.FunctionArchives = map[string]lambdabuild.Artifact{"isolate": {ZipPath: "x.zip", SHA256Base64: "h"}}
		}, `FunctionArchives: "release" needs a zip path`},
		"unbuildable": {func(a *isolationresponder.Args) { a.FunctionArchives = nil; a.ModuleRoot = t.TempDir() }, "build isolate"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := isolationResponderBaseArgs(t)
			c.mutate(args)
			g, err := isolationResponderRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
	t.Run("all problems at once", func(t *testing.T) {
		_, err := preview.Run(func(ctx *pulumi.Context) error {
			_, err := isolationresponder.NewIsolationResponder(ctx, "Bad_Name", &isolationresponder.Args{AccountID: "1", Region: "x"})
			return err
		}, testkit.Options())
		require.Error(t, err)
		for _, want := range []string{"name \"Bad_Name\"", "AccountID", "Region", "VpcID is required", "DataKeyArn", "LogsKeyArn", "NotificationKeyArn", `tier "private" has no subnets`} {
			assert.Contains(t, err.Error(), want)
		}
	})
	t.Run("nil args", func(t *testing.T) {
		_, err := preview.Run(func(ctx *pulumi.Context) error {
			_, err := isolationresponder.NewIsolationResponder(ctx, "resp", nil)
			return err
		}, testkit.Options())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "args are required")
	})
}

// standInModule is a dependency-free module with functions/isolate and
// functions/release, used when the repository's functions are not there.
func standInModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                    "module example.com/standin\n\ngo 1.22\n",
		"functions/isolate/main.go": "package main\n\nfunc main() { println(\"isolate\") }\n",
		"functions/release/main.go": "package main\n\nfunc main() { println(\"release\") }\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

// TestSourceCodeHashIsReproducible builds the functions from source twice,
// each time into an empty cache, and expects the same sourceCodeHash: a
// preview shows no code change unless the code changed.
func TestSourceCodeHashIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the functions")
	}
	root := ".."
	for _, fn := range []string{isolationresponder.FunctionIsolate, isolationresponder.FunctionRelease} {
		if _, err := os.Stat(filepath.Join(root, "functions", fn, "main.go")); err != nil {
			t.Logf("functions/%s not found; using a stand-in module", fn)
			root = standInModule(t)
			break
		}
	}
	hashes := func() map[string]string {
		t.Setenv(lambdabuild.CacheEnv, t.TempDir())
		args := isolationResponderBaseArgs(t)
		args.FunctionArchives = nil
		args.ModuleRoot = root
		g, err := isolationResponderRun(t, args)
		require.NoError(t, err)
		out := map[string]string{}
		for _, fn := range []string{isolationresponder.FunctionIsolate, isolationresponder.FunctionRelease} {
			f := testkit.Named(t, g, tFunction, "resp-"+fn)
			out[fn] = graph.Str(f.Inputs["sourceCodeHash"])
			zip := graph.Str(graph.Map(f.Inputs["code"])["path"])
			data, err := os.ReadFile(zip)
			require.NoError(t, err)
			sum := sha256.Sum256(data)
			assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), out[fn], "the hash is the zip's")
		}
		return out
	}
	first, second := hashes(), hashes()
	assert.Equal(t, first, second)
	assert.NotEmpty(t, first[isolationresponder.FunctionIsolate])
	assert.NotEqual(t, first[isolationresponder.FunctionIsolate], first[isolationresponder.FunctionRelease])
}
