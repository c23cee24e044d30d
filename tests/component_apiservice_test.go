package tests

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/apiservice"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tTG             = "aws:lb/targetGroup:TargetGroup"
	tListener       = "aws:lb/listener:Listener"
	dbSecret        = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:db-AbCdEf"
	apiSecret       = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:api-GhIjKl"
	certArn         = "arn:aws:acm:ap-northeast-1:111111111111:certificate/abc"
	apiServiceImage = "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.2.3"
	dbSGID          = "sg-0db0db0db0db0db0d"
)

func apiServiceValidArgs() *apiservice.Args {
	return &apiservice.Args{
		ServiceName: "api", AccountID: "111111111111", Region: "ap-northeast-1",
		VpcID:            pulumi.String("vpc-0123456789abcdef0"),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-aaaa", "subnet-bbbb"}),
		Image:            pulumi.String(apiServiceImage),
		CpuArchitecture:  apiservice.ArchARM64, Cpu: 512, Memory: 1024,
		AppPort: 8080, DesiredCount: 2,
		Environment: map[string]string{"APP_ENV": "prod", "LOG_LEVEL": "info"},
		Secrets: map[string]pulumi.StringInput{
			"DB_PASSWORD": pulumi.String(dbSecret + ":password::"),
			"API_TOKEN":   pulumi.String(apiSecret),
		},
		SecretArns:              []pulumi.StringInput{pulumi.String(dbSecret), pulumi.String(apiSecret)},
		DataKeyArn:              pulumi.String(dataKey),
		LogsKeyArn:              pulumi.String(logsKey),
		LogRetentionDays:        365,
		ListenerPort:            443,
		CertificateArn:          pulumi.String(certArn),
		HealthCheckPath:         "/healthz",
		CloudFrontPrefixListID:  "pl-58a04531",
		DatabaseSecurityGroupID: pulumi.String(dbSGID),
		DatabasePort:            5432,
	}
}

type outputs struct {
	mu     sync.Mutex
	values map[string]string
}

func (o *outputs) record(key string, out pulumi.StringOutput) {
	out.ApplyT(func(v string) string {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.values[key] = v
		return v
	})
}

func apiServiceRun(t *testing.T, args *apiservice.Args) (*graph.Graph, map[string]string, error) {
	t.Helper()
	got := &outputs{values: map[string]string{}}
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		s, err := apiservice.NewApiService(ctx, "api", args)
		if err != nil {
			return err
		}
		got.record("albSG", s.AlbSecurityGroupID)
		got.record("taskSG", s.TaskSecurityGroupID)
		got.record("logGroup", s.LogGroupName)
		got.record("cluster", s.ClusterName)
		got.record("service", s.ServiceName)
		got.record("albArn", s.AlbArn)
		return nil
	}, testkit.Options())
	return g, got.values, err
}

func apiServiceIn(r *graph.Resource, path ...string) any {
	v, _ := r.Input(path...)
	return v
}

type apiServiceStmt struct {
	Sid      string
	Effect   string
	Action   []string
	Resource []string
}

func apiServiceStatements(t *testing.T, doc any) map[string]apiServiceStmt {
	t.Helper()
	var d struct{ Statement []apiServiceStmt }
	require.NoError(t, json.Unmarshal([]byte(graph.Str(doc)), &d))
	out := map[string]apiServiceStmt{}
	for _, s := range d.Statement {
		out[s.Sid] = s
	}
	return out
}

func TestApiService(t *testing.T) {
	g, outs, err := apiServiceRun(t, apiServiceValidArgs())
	require.NoError(t, err)
	comp := testkit.One(t, g, apiservice.TypeToken)
	for _, r := range g.Resources {
		if r.URN != comp.URN {
			assert.Equal(t, comp.URN, r.Parent, r.Name)
		}
	}

	// Log group: CMK, retention.
	lg := testkit.One(t, g, tLogGroup)
	assert.Equal(t, "/ecs/api", apiServiceIn(lg, "name"))
	assert.Equal(t, logsKey, apiServiceIn(lg, "kmsKeyId"))
	assert.Equal(t, 365.0, apiServiceIn(lg, "retentionInDays"))
	lgArn := "arn:aws:logs:ap-northeast-1:111111111111:log-group:/ecs/api"

	// Cluster: Container Insights, CMK for Fargate ephemeral and managed
	// storage, exec sessions logged to the encrypted log group.
	cl := testkit.One(t, g, tECSCluster)
	assert.Equal(t, "api", apiServiceIn(cl, "name"))
	assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}, apiServiceIn(cl, "settings"))
	assert.Equal(t, dataKey, apiServiceIn(cl, "configuration", "managedStorageConfiguration", "fargateEphemeralStorageKmsKeyId"))
	assert.Equal(t, dataKey, apiServiceIn(cl, "configuration", "managedStorageConfiguration", "kmsKeyId"))
	assert.Equal(t, dataKey, apiServiceIn(cl, "configuration", "executeCommandConfiguration", "kmsKeyId"))
	assert.Equal(t, "OVERRIDE", apiServiceIn(cl, "configuration", "executeCommandConfiguration", "logging"))
	assert.Equal(t, "/ecs/api", apiServiceIn(cl, "configuration", "executeCommandConfiguration", "logConfiguration", "cloudWatchLogGroupName"))
	assert.Equal(t, true, apiServiceIn(cl, "configuration", "executeCommandConfiguration", "logConfiguration", "cloudWatchEncryptionEnabled"))

	// Roles: ECS tasks of this account only.
	execRole := testkit.Named(t, g, tRole, "api-execution-role")
	taskRole := testkit.Named(t, g, tRole, "api-task-role")
	for _, r := range []*graph.Resource{execRole, taskRole} {
		var doc struct {
			Statement []struct {
				Effect    string
				Action    string
				Principal map[string]any
				Condition map[string]map[string]any
			}
		}
		require.NoError(t, json.Unmarshal([]byte(graph.Str(apiServiceIn(r, "assumeRolePolicy"))), &doc))
		require.Len(t, doc.Statement, 1)
		trust := doc.Statement[0]
		assert.Equal(t, "Allow", trust.Effect)
		assert.Equal(t, "sts:AssumeRole", trust.Action)
		assert.Equal(t, "ecs-tasks.amazonaws.com", trust.Principal["Service"])
		assert.Equal(t, "111111111111", trust.Condition["StringEquals"]["aws:SourceAccount"])
		assert.Equal(t, "arn:aws:ecs:ap-northeast-1:111111111111:*", trust.Condition["ArnLike"]["aws:SourceArn"])
		assert.Empty(t, apiServiceIn(r, "managedPolicyArns"))
	}

	// Execution policy: least privilege.
	pols := g.OfType(tRolePolicy)
	require.Len(t, pols, 1, "the task role has no policy by default")
	execPol := pols[0]
	assert.Equal(t, []string{execRole.URN}, execPol.PropertyDependencies["role"])
	sts := apiServiceStatements(t, apiServiceIn(execPol, "policy"))
	require.Len(t, sts, 5)
	assert.Equal(t, apiServiceStmt{Sid: "EcrAuth", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}}, sts["EcrAuth"])
	assert.Equal(t, []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, sts["EcrPull"].Action)
	assert.Equal(t, []string{"arn:aws:ecr:ap-northeast-1:111111111111:repository/api"}, sts["EcrPull"].Resource)
	assert.Equal(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, sts["Logs"].Action)
	assert.Equal(t, []string{lgArn, lgArn + ":log-stream:*"}, sts["Logs"].Resource)
	assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, sts["Secrets"].Action)
	assert.Equal(t, []string{apiSecret, dbSecret}, sts["Secrets"].Resource)
	assert.Equal(t, []string{"kms:Decrypt"}, sts["DataKey"].Action)
	assert.Equal(t, []string{dataKey}, sts["DataKey"].Resource)
	for sid, s := range sts {
		for _, a := range s.Action {
			assert.NotContains(t, a, "*", sid)
		}
		if sid != "EcrAuth" {
			assert.NotContains(t, s.Resource, "*", sid)
		}
	}

	// Task definition.
	td := testkit.One(t, g, tTaskDef)
	assert.Equal(t, "api", apiServiceIn(td, "family"))
	assert.Equal(t, "512", apiServiceIn(td, "cpu"))
	assert.Equal(t, "1024", apiServiceIn(td, "memory"))
	assert.Equal(t, "awsvpc", apiServiceIn(td, "networkMode"))
	assert.Equal(t, []any{"FARGATE"}, apiServiceIn(td, "requiresCompatibilities"))
	assert.Equal(t, "ARM64", apiServiceIn(td, "runtimePlatform", "cpuArchitecture"))
	assert.Equal(t, "LINUX", apiServiceIn(td, "runtimePlatform", "operatingSystemFamily"))
	assert.Equal(t, []string{execRole.URN}, td.PropertyDependencies["executionRoleArn"])
	assert.Equal(t, []string{taskRole.URN}, td.PropertyDependencies["taskRoleArn"])
	var defs []struct {
		Name                   string
		Image                  string
		Essential              bool
		ReadonlyRootFilesystem bool
		Privileged             bool
		PortMappings           []struct{ ContainerPort int }
		Environment            []struct{ Name, Value string }
		Secrets                []struct{ Name, ValueFrom string }
		LogConfiguration       struct {
			LogDriver string
			Options   map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(apiServiceIn(td, "containerDefinitions"))), &defs))
	require.Len(t, defs, 1)
	c := defs[0]
	assert.Equal(t, apiservice.ContainerName, c.Name)
	assert.Equal(t, apiServiceImage, c.Image)
	assert.True(t, c.Essential)
	assert.True(t, c.ReadonlyRootFilesystem)
	assert.False(t, c.Privileged)
	require.Len(t, c.PortMappings, 1)
	assert.Equal(t, 8080, c.PortMappings[0].ContainerPort)
	assert.Equal(t, []struct{ Name, Value string }{{"APP_ENV", "prod"}, {"LOG_LEVEL", "info"}}, c.Environment)
	assert.Equal(t, []struct{ Name, ValueFrom string }{{"API_TOKEN", apiSecret}, {"DB_PASSWORD", dbSecret + ":password::"}}, c.Secrets)
	for _, e := range c.Environment {
		assert.NotContains(t, []string{"API_TOKEN", "DB_PASSWORD"}, e.Name, "a secret leaked into plain env")
	}
	assert.Equal(t, "awslogs", c.LogConfiguration.LogDriver)
	assert.Equal(t, map[string]string{"awslogs-group": "/ecs/api", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "app"}, c.LogConfiguration.Options)

	// Security groups and their rules.
	albSG := testkit.Named(t, g, tSG, "api-alb-sg")
	taskSG := testkit.Named(t, g, tSG, "api-task-sg")
	assert.Empty(t, apiServiceIn(albSG, "ingress"))
	assert.Empty(t, apiServiceIn(taskSG, "ingress"))
	assert.Equal(t, albSG.ID, outs["albSG"])
	assert.Equal(t, taskSG.ID, outs["taskSG"])

	ingress := g.OfType(tIngressRule)
	require.Len(t, ingress, 2)
	albIn := testkit.Named(t, g, tIngressRule, "api-alb-from-cloudfront")
	assert.Equal(t, albSG.ID, apiServiceIn(albIn, "securityGroupId"))
	assert.Equal(t, "pl-58a04531", apiServiceIn(albIn, "prefixListId"))
	assert.Equal(t, 443.0, apiServiceIn(albIn, "fromPort"))
	assert.Equal(t, 443.0, apiServiceIn(albIn, "toPort"))
	assert.Equal(t, "tcp", apiServiceIn(albIn, "ipProtocol"))
	taskIn := testkit.Named(t, g, tIngressRule, "api-tasks-from-alb")
	assert.Equal(t, taskSG.ID, apiServiceIn(taskIn, "securityGroupId"))
	assert.Equal(t, albSG.ID, apiServiceIn(taskIn, "referencedSecurityGroupId"))
	assert.Equal(t, 8080.0, apiServiceIn(taskIn, "fromPort"))
	for _, r := range ingress {
		assert.Empty(t, apiServiceIn(r, "cidrIpv4"), r.Name)
		assert.Empty(t, apiServiceIn(r, "cidrIpv6"), r.Name)
	}

	egress := g.OfType(tEgressRule)
	require.Len(t, egress, 3)
	albOut := testkit.Named(t, g, tEgressRule, "api-alb-to-tasks")
	assert.Equal(t, albSG.ID, apiServiceIn(albOut, "securityGroupId"))
	assert.Equal(t, taskSG.ID, apiServiceIn(albOut, "referencedSecurityGroupId"))
	assert.Equal(t, 8080.0, apiServiceIn(albOut, "fromPort"))
	assert.Empty(t, apiServiceIn(albOut, "cidrIpv4"))
	https := testkit.Named(t, g, tEgressRule, "api-tasks-https")
	assert.Equal(t, taskSG.ID, apiServiceIn(https, "securityGroupId"))
	assert.Equal(t, "0.0.0.0/0", apiServiceIn(https, "cidrIpv4"))
	assert.Equal(t, 443.0, apiServiceIn(https, "fromPort"))
	assert.Equal(t, 443.0, apiServiceIn(https, "toPort"))
	db := testkit.Named(t, g, tEgressRule, "api-tasks-to-db")
	assert.Equal(t, taskSG.ID, apiServiceIn(db, "securityGroupId"))
	assert.Equal(t, dbSGID, apiServiceIn(db, "referencedSecurityGroupId"))
	assert.Equal(t, 5432.0, apiServiceIn(db, "fromPort"))
	assert.Equal(t, 5432.0, apiServiceIn(db, "toPort"))

	// Internal ALB.
	alb := testkit.One(t, g, tLB)
	assert.Equal(t, true, apiServiceIn(alb, "internal"))
	assert.Equal(t, "application", apiServiceIn(alb, "loadBalancerType"))
	assert.Equal(t, []any{"subnet-aaaa", "subnet-bbbb"}, apiServiceIn(alb, "subnets"))
	assert.Equal(t, true, apiServiceIn(alb, "dropInvalidHeaderFields"))
	assert.Nil(t, apiServiceIn(alb, "accessLogs"))
	assert.Equal(t, []any{albSG.ID}, apiServiceIn(alb, "securityGroups"))
	assert.Equal(t, []string{albSG.URN}, alb.PropertyDependencies["securityGroups"])
	assert.Equal(t, graph.Str(alb.Outputs["arn"]), outs["albArn"])

	tg := testkit.One(t, g, tTG)
	assert.Equal(t, "ip", apiServiceIn(tg, "targetType"))
	assert.Equal(t, 8080.0, apiServiceIn(tg, "port"))
	assert.Equal(t, "HTTP", apiServiceIn(tg, "protocol"))
	assert.Equal(t, "vpc-0123456789abcdef0", apiServiceIn(tg, "vpcId"))
	assert.Equal(t, "/healthz", apiServiceIn(tg, "healthCheck", "path"))

	ln := testkit.One(t, g, tListener)
	assert.Equal(t, 443.0, apiServiceIn(ln, "port"))
	assert.Equal(t, "HTTPS", apiServiceIn(ln, "protocol"))
	assert.Equal(t, certArn, apiServiceIn(ln, "certificateArn"))
	assert.Equal(t, apiservice.HTTPSListenerPolicy, apiServiceIn(ln, "sslPolicy"))
	assert.Equal(t, []string{alb.URN}, ln.PropertyDependencies["loadBalancerArn"])
	assert.Equal(t, []string{tg.URN}, ln.PropertyDependencies["defaultActions"])
	assert.Equal(t, "forward", apiServiceIn(ln, "defaultActions").([]any)[0].(map[string]any)["type"])

	// Service.
	svc := testkit.One(t, g, tECSService)
	assert.Equal(t, "api", apiServiceIn(svc, "name"))
	assert.Equal(t, "FARGATE", apiServiceIn(svc, "launchType"))
	assert.Equal(t, 2.0, apiServiceIn(svc, "desiredCount"))
	assert.Equal(t, []any{"subnet-aaaa", "subnet-bbbb"}, apiServiceIn(svc, "networkConfiguration", "subnets"))
	assert.Equal(t, false, apiServiceIn(svc, "networkConfiguration", "assignPublicIp"))
	assert.Equal(t, []any{taskSG.ID}, apiServiceIn(svc, "networkConfiguration", "securityGroups"))
	assert.Equal(t, []string{taskSG.URN}, svc.PropertyDependencies["networkConfiguration"])
	assert.Equal(t, true, apiServiceIn(svc, "deploymentCircuitBreaker", "enable"))
	assert.Equal(t, true, apiServiceIn(svc, "deploymentCircuitBreaker", "rollback"))
	assert.Equal(t, false, apiServiceIn(svc, "enableExecuteCommand"))
	lbs := apiServiceIn(svc, "loadBalancers").([]any)
	require.Len(t, lbs, 1)
	assert.Equal(t, apiservice.ContainerName, lbs[0].(map[string]any)["containerName"])
	assert.Equal(t, 8080.0, lbs[0].(map[string]any)["containerPort"])
	assert.Equal(t, []string{tg.URN}, svc.PropertyDependencies["loadBalancers"])
	assert.Equal(t, []string{cl.URN}, svc.PropertyDependencies["cluster"])
	assert.Equal(t, []string{td.URN}, svc.PropertyDependencies["taskDefinition"])

	assert.Equal(t, "/ecs/api", outs["logGroup"])
	assert.Equal(t, "api", outs["cluster"])
	assert.Equal(t, "api", outs["service"])

	testkit.NoMandatoryViolations(t, g, accountLevel)
}

func TestHTTPListenerAccessLogsTaskPolicyNoDatabase(t *testing.T) {
	args := apiServiceValidArgs()
	args.ListenerPort = 80
	args.CertificateArn = nil
	args.AccessLogsBucket = "alb-logs-111111111111"
	args.AccessLogsPrefix = "api"
	args.DatabaseSecurityGroupID = nil
	args.DatabasePort = 0
	args.CpuArchitecture = apiservice.ArchX8664
	args.Secrets = nil
	args.SecretArns = nil
	args.Image = pulumi.String("public.ecr.aws/nginx/nginx:1.27")
	args.TaskPolicyJSON = pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`)
	g, _, err := apiServiceRun(t, args)
	require.NoError(t, err)

	ln := testkit.One(t, g, tListener)
	assert.Equal(t, 80.0, apiServiceIn(ln, "port"))
	assert.Equal(t, "HTTP", apiServiceIn(ln, "protocol"))
	assert.Nil(t, apiServiceIn(ln, "certificateArn"))
	assert.Nil(t, apiServiceIn(ln, "sslPolicy"))
	albIn := testkit.Named(t, g, tIngressRule, "api-alb-from-cloudfront")
	assert.Equal(t, 80.0, apiServiceIn(albIn, "fromPort"))

	alb := testkit.One(t, g, tLB)
	assert.Equal(t, map[string]any{"bucket": "alb-logs-111111111111", "prefix": "api", "enabled": true}, apiServiceIn(alb, "accessLogs"))

	require.Len(t, g.OfType(tEgressRule), 2, "no database egress without a database group")
	assert.Equal(t, "X86_64", apiServiceIn(testkit.One(t, g, tTaskDef), "runtimePlatform", "cpuArchitecture"))

	taskRole := testkit.Named(t, g, tRole, "api-task-role")
	taskPol := testkit.Named(t, g, tRolePolicy, "api-task-policy")
	assert.Equal(t, []string{taskRole.URN}, taskPol.PropertyDependencies["role"])
	assert.Contains(t, graph.Str(apiServiceIn(taskPol, "policy")), "s3:GetObject")

	// A non-ECR image gets no ECR permissions; no secrets, no secret access.
	sts := apiServiceStatements(t, apiServiceIn(testkit.Named(t, g, tRolePolicy, "api-execution-policy"), "policy"))
	assert.Len(t, sts, 2)
	assert.Contains(t, sts, "Logs")
	assert.Contains(t, sts, "DataKey")

	var defs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(graph.Str(apiServiceIn(testkit.One(t, g, tTaskDef), "containerDefinitions"))), &defs))
	assert.Empty(t, defs[0]["secrets"])
	testkit.NoMandatoryViolations(t, g, accountLevel)
}

func TestAPIServiceValidFargateSize(t *testing.T) {
	for _, ok := range [][2]int{{256, 512}, {256, 2048}, {512, 4096}, {1024, 8192}, {2048, 16384}, {4096, 30720}, {8192, 20480}, {16384, 122880}} {
		assert.True(t, apiservice.ValidFargateSize(ok[0], ok[1]), "%v", ok)
	}
	for _, bad := range [][2]int{{256, 4096}, {512, 512}, {1024, 1024}, {1024, 2500}, {8192, 18432}, {300, 1024}, {16384, 30720}} {
		assert.False(t, apiservice.ValidFargateSize(bad[0], bad[1]), "%v", bad)
	}
}

func TestAPIServiceECRRepositoryArn(t *testing.T) {
	assert.Equal(t, "arn:aws:ecr:ap-northeast-1:111111111111:repository/team/api",
		apiservice.ECRRepositoryArn("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/team/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
	assert.Equal(t, "arn:aws:ecr:us-east-1:222222222222:repository/api",
		apiservice.ECRRepositoryArn("222222222222.dkr.ecr.us-east-1.amazonaws.com/api"))
	assert.Empty(t, apiservice.ECRRepositoryArn("public.ecr.aws/nginx/nginx:1"))
	assert.Empty(t, apiservice.ECRRepositoryArn("nginx:latest"))
}

func TestApiServiceRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *apiservice.Args)
		want   string
	}{
		"bad service name":      {func(a *apiservice.Args) { a.ServiceName = "API_Service" }, `ServiceName "API_Service"`},
		"bad account":           {func(a *apiservice.Args) { a.AccountID = "123" }, `AccountID "123"`},
		"bad region":            {func(a *apiservice.Args) { a.Region = "tokyo" }, `Region "tokyo"`},
		"no vpc":                {func(a *apiservice.Args) { a.VpcID = nil }, "VpcID is required"},
		"no subnets":            {func(a *apiservice.Args) { a.PrivateSubnetIDs = nil }, "PrivateSubnetIDs is required"},
		"no image":              {func(a *apiservice.Args) { a.Image = nil }, "Image is required"},
		"bad arch":              {func(a *apiservice.Args) { a.CpuArchitecture = "arm" }, `CpuArchitecture "arm"`},
		"bad fargate size":      {func(a *apiservice.Args) { a.Memory = 512 }, "Cpu 512 / Memory 512 is not a Fargate task size"},
		"bad app port":          {func(a *apiservice.Args) { a.AppPort = 0 }, "AppPort 0"},
		"negative count":        {func(a *apiservice.Args) { a.DesiredCount = -1 }, "DesiredCount -1"},
		"bad env name":          {func(a *apiservice.Args) { a.Environment = map[string]string{"1X": "y"} }, `Environment: "1X"`},
		"secret in env":         {func(a *apiservice.Args) { a.Environment = map[string]string{"DB": dbSecret} }, "Environment: DB holds a secret reference"},
		"secret also env":       {func(a *apiservice.Args) { a.Environment = map[string]string{"API_TOKEN": "x"} }, "Secrets: API_TOKEN is also in Environment"},
		"secret not sm arn":     {func(a *apiservice.Args) { a.Secrets["X"] = pulumi.String("plaintext") }, `Secrets: X valueFrom "plaintext"`},
		"secrets without arns":  {func(a *apiservice.Args) { a.SecretArns = nil }, "SecretArns must list the secrets"},
		"bad secret arn":        {func(a *apiservice.Args) { a.SecretArns = []pulumi.StringInput{pulumi.String("arn:aws:s3:::x")} }, "SecretArns[0]"},
		"bad task policy":       {func(a *apiservice.Args) { a.TaskPolicyJSON = pulumi.String("{") }, "TaskPolicyJSON is not valid JSON"},
		"no data key":           {func(a *apiservice.Args) { a.DataKeyArn = nil }, "DataKeyArn (a customer-managed key) is required"},
		"no logs key":           {func(a *apiservice.Args) { a.LogsKeyArn = nil }, "LogsKeyArn (a customer-managed key) is required"},
		"bad retention":         {func(a *apiservice.Args) { a.LogRetentionDays = 10 }, "LogRetentionDays 10"},
		"443 without cert":      {func(a *apiservice.Args) { a.CertificateArn = nil }, "ListenerPort 443 requires CertificateArn"},
		"80 with cert":          {func(a *apiservice.Args) { a.ListenerPort = 80 }, "CertificateArn is set but ListenerPort is 80"},
		"other listener port":   {func(a *apiservice.Args) { a.ListenerPort = 8443 }, "ListenerPort 8443 must be 443"},
		"bad health path":       {func(a *apiservice.Args) { a.HealthCheckPath = "healthz" }, `HealthCheckPath "healthz"`},
		"bad prefix list":       {func(a *apiservice.Args) { a.CloudFrontPrefixListID = "0.0.0.0/0" }, `CloudFrontPrefixListID "0.0.0.0/0"`},
		"short prefix list":     {func(a *apiservice.Args) { a.CloudFrontPrefixListID = "pl-123" }, `CloudFrontPrefixListID "pl-123"`},
		"bad bucket":            {func(a *apiservice.Args) { a.AccessLogsBucket = "Bad_Bucket" }, `AccessLogsBucket "Bad_Bucket"`},
		"prefix without bucket": {func(a *apiservice.Args) { a.AccessLogsPrefix = "x" }, "AccessLogsPrefix is set but AccessLogsBucket is not"},
		"db sg without port":    {func(a *apiservice.Args) { a.DatabasePort = 0 }, "DatabasePort 0 is not a port"},
		"db port without sg":    {func(a *apiservice.Args) { a.DatabaseSecurityGroupID = nil }, "DatabasePort is set but DatabaseSecurityGroupID is not"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := apiServiceValidArgs()
			c.mutate(args)
			g, _, err := apiServiceRun(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, g)
		})
	}
	t.Run("all problems in one error", func(t *testing.T) {
		args := apiServiceValidArgs()
		args.AppPort = 0
		args.LogsKeyArn = nil
		_, _, err := apiServiceRun(t, args)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "AppPort 0")
		assert.Contains(t, err.Error(), "LogsKeyArn")
	})
	t.Run("nil args", func(t *testing.T) {
		_, _, err := apiServiceRun(t, nil)
		require.ErrorContains(t, err, "args are required")
	})
}
