package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/apprunnerapi"
	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

const (
	tConnector               = "aws:apprunner/vpcConnector:VpcConnector"
	tScaling                 = "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion"
	tAssoc                   = "aws:wafv2/webAclAssociation:WebAclAssociation"
	appRunnerAPIAccount      = testkit.Account
	appRunnerAPIImage        = "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/fintech/api:2.0.1"
	appRunnerAPISecretArn    = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:api-db-AbCdEf"
	appRunnerAPIParamArn     = "arn:aws:ssm:ap-northeast-1:111111111111:parameter/fintech/api/partner-url"
	appRunnerAPIComponentURN = "urn:pulumi:test::test::fintech:app:AppRunnerApi::api"
)

func appRunnerAPIBaseArgs() *apprunnerapi.Args {
	return &apprunnerapi.Args{
		ServiceName: "fintech-api",
		Image:       appRunnerAPIImage, Port: 8080, Cpu: "1 vCPU", Memory: "2 GB",
		Environment:  map[string]string{"LOG_LEVEL": "info"},
		Secrets:      map[string]string{"DB_PASSWORD": appRunnerAPISecretArn, "PARTNER_URL": appRunnerAPIParamArn},
		DatabasePort: 5432,
		MinSize:      2, MaxSize: 10, MaxConcurrency: 80,
		HealthCheckPath: "/healthz",
		RateLimit:       2000,
		AccountID:       appRunnerAPIAccount,
	}
}

type appRunnerAPIEnv struct {
	g                 *graph.Graph
	api               *apprunnerapi.AppRunnerApi
	dataKey, dbSGURN  string
	privateSubnetURNs []string
}

// build runs AppRunnerApi "api" next to a SecureVPC, a data key, a database
// security group and a GuardDuty detector (the stack-wide rule
// guardduty-enabled needs one).
func appRunnerAPIBuild(t *testing.T, mutate func(a *apprunnerapi.Args)) appRunnerAPIEnv {
	t.Helper()
	var e appRunnerAPIEnv
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		keys, err := testkit.Keys(ctx, "logs-key", "data-key")
		if err != nil {
			return err
		}
		logsKey, dataKey := keys["logs-key"], keys["data-key"]
		vpc, err := testkit.Network(ctx, "net", func(n *securevpc.Args) { n.FlowLogKeyArn = logsKey.Arn })
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
		a := appRunnerAPIBaseArgs()
		a.VpcID, a.PrivateSubnetIDs = vpc.VpcID, vpc.PrivateSubnetIDs
		a.DataKeyArn = dataKey.Arn
		a.DatabaseSecurityGroupID = dbSG.ID()
		if mutate != nil {
			mutate(a)
		}
		e.api, err = apprunnerapi.NewAppRunnerApi(ctx, "api", a)
		return err
	}, testkit.Options())
	require.NoError(t, err)
	e.g = g
	for _, k := range g.OfType("aws:kms/key:Key") {
		if k.Name == "data-key" {
			e.dataKey = testkit.ArnOf(k)
		}
	}
	for _, sg := range g.OfType(tSG) {
		if sg.Name == "db-sg" {
			e.dbSGURN = sg.URN
		}
	}
	for _, sn := range g.OfType(tSubnet) {
		if strings.HasPrefix(sn.Name, "net-private") {
			e.privateSubnetURNs = append(e.privateSubnetURNs, sn.URN)
		}
	}
	require.Len(t, e.privateSubnetURNs, 2)
	return e
}

type appRunnerAPIStmt struct {
	Sid       string
	Effect    string
	Principal any
	Action    []string
	Resource  []string
	Condition map[string]any
}

func appRunnerAPIStatements(t *testing.T, r *graph.Resource, prop string) map[string]appRunnerAPIStmt {
	t.Helper()
	var d struct{ Statement []json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs[prop])), &d))
	out := map[string]appRunnerAPIStmt{}
	for _, raw := range d.Statement {
		var s appRunnerAPIStmt
		var loose map[string]any
		require.NoError(t, json.Unmarshal(raw, &loose))
		s.Sid, s.Effect, s.Principal = graph.Str(loose["Sid"]), graph.Str(loose["Effect"]), loose["Principal"]
		s.Action, s.Resource = asStrings(loose["Action"]), asStrings(loose["Resource"])
		s.Condition, _ = loose["Condition"].(map[string]any)
		out[s.Sid] = s
	}
	return out
}

func asStrings(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return graph.Strings(v)
}

func TestAppRunnerApi(t *testing.T) {
	e := appRunnerAPIBuild(t, nil)
	g := e.g
	comp := testkit.One(t, g, apprunnerapi.TypeToken)
	assert.Equal(t, appRunnerAPIComponentURN, comp.URN)
	kids := g.Children(comp.URN)
	// connector SG, connector, 2 roles, instance policy, ECR attachment,
	// scaling, service, web ACL, association.
	assert.Len(t, kids, 10)
	for _, r := range kids {
		assert.True(t, strings.HasPrefix(r.Name, "api-"), r.Name)
	}

	// VPC connector in the private subnets, behind a no-ingress group.
	sg := testkit.Named(t, g, tSG, "api-connector-sg")
	assert.Empty(t, graph.List(sg.Inputs["ingress"]))
	egress := graph.List(sg.Inputs["egress"])
	require.Len(t, egress, 2)
	assert.Equal(t, 443.0, graph.Map(egress[0])["fromPort"])
	assert.Equal(t, []any{"0.0.0.0/0"}, graph.Map(egress[0])["cidrBlocks"])
	assert.Equal(t, 5432.0, graph.Map(egress[1])["fromPort"])
	assert.Equal(t, 5432.0, graph.Map(egress[1])["toPort"])
	assert.Contains(t, sg.PropertyDependencies["egress"], e.dbSGURN)
	conn := testkit.One(t, g, tConnector)
	assert.Equal(t, "fintech-api-vpc", conn.Inputs["vpcConnectorName"])
	assert.Equal(t, []any{sg.ID}, conn.Inputs["securityGroups"])
	var connSubnets []string
	for _, sn := range g.Refs(conn, "subnets", tSubnet) {
		connSubnets = append(connSubnets, sn.URN)
	}
	assert.ElementsMatch(t, e.privateSubnetURNs, connSubnets)

	// Auto scaling.
	sc := testkit.One(t, g, tScaling)
	assert.Equal(t, "fintech-api-as", sc.Inputs["autoScalingConfigurationName"])
	assert.Equal(t, 2.0, sc.Inputs["minSize"])
	assert.Equal(t, 10.0, sc.Inputs["maxSize"])
	assert.Equal(t, 80.0, sc.Inputs["maxConcurrency"])

	// Service: image, env, secrets, VPC egress, public ingress, CMK, health check.
	svc := testkit.One(t, g, tAppRunnerService)
	assert.Equal(t, "fintech-api", svc.Inputs["serviceName"])
	assert.Equal(t, testkit.ArnOf(sc), svc.Inputs["autoScalingConfigurationArn"])
	repo := graph.Map(graph.Map(svc.Inputs["sourceConfiguration"])["imageRepository"])
	assert.Equal(t, appRunnerAPIImage, repo["imageIdentifier"])
	assert.Equal(t, "ECR", repo["imageRepositoryType"])
	ic := graph.Map(repo["imageConfiguration"])
	assert.Equal(t, "8080", ic["port"])
	assert.Equal(t, map[string]any{"LOG_LEVEL": "info"}, ic["runtimeEnvironmentVariables"])
	assert.Equal(t, map[string]any{"DB_PASSWORD": appRunnerAPISecretArn, "PARTNER_URL": appRunnerAPIParamArn}, ic["runtimeEnvironmentSecrets"])
	assert.Equal(t, false, graph.Map(svc.Inputs["sourceConfiguration"])["autoDeploymentsEnabled"])
	access := testkit.Named(t, g, tRole, "api-access-role")
	auth := graph.Map(graph.Map(svc.Inputs["sourceConfiguration"])["authenticationConfiguration"])
	assert.Equal(t, testkit.ArnOf(access), auth["accessRoleArn"])
	net := graph.Map(svc.Inputs["networkConfiguration"])
	assert.Equal(t, map[string]any{"egressType": "VPC", "vpcConnectorArn": testkit.ArnOf(conn)}, net["egressConfiguration"])
	assert.Equal(t, map[string]any{"isPubliclyAccessible": true}, net["ingressConfiguration"])
	assert.Equal(t, map[string]any{"kmsKey": e.dataKey}, svc.Inputs["encryptionConfiguration"])
	inst := testkit.Named(t, g, tRole, "api-instance-role")
	assert.Equal(t, map[string]any{"cpu": "1 vCPU", "memory": "2 GB", "instanceRoleArn": testkit.ArnOf(inst)}, svc.Inputs["instanceConfiguration"])
	hc := graph.Map(svc.Inputs["healthCheckConfiguration"])
	assert.Equal(t, "HTTP", hc["protocol"])
	assert.Equal(t, "/healthz", hc["path"])
	assert.Equal(t, map[string]any{"observabilityEnabled": false}, svc.Inputs["observabilityConfiguration"])

	// Instance role: exactly the secrets and the key.
	assert.Equal(t, map[string]any{"Service": "tasks.apprunner.amazonaws.com"}, appRunnerAPIStatements(t, inst, "assumeRolePolicy")[""].Principal)
	ip := testkit.Named(t, g, tRolePolicy, "api-instance-policy")
	assert.Equal(t, []string{inst.URN}, ip.PropertyDependencies["role"])
	pol := appRunnerAPIStatements(t, ip, "policy")
	assert.Len(t, pol, 3)
	assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, pol["ReadServiceSecrets"].Action)
	assert.Equal(t, []string{appRunnerAPISecretArn}, pol["ReadServiceSecrets"].Resource)
	assert.Equal(t, []string{"ssm:GetParameters"}, pol["ReadServiceParameters"].Action)
	assert.Equal(t, []string{appRunnerAPIParamArn}, pol["ReadServiceParameters"].Resource)
	assert.Equal(t, []string{"kms:Decrypt"}, pol["DecryptServiceSecrets"].Action)
	assert.Equal(t, []string{e.dataKey}, pol["DecryptServiceSecrets"].Resource)

	// Access role: only the ECR access policy.
	assert.Equal(t, map[string]any{"Service": "build.apprunner.amazonaws.com"}, appRunnerAPIStatements(t, access, "assumeRolePolicy")[""].Principal)
	att := testkit.One(t, g, tAttachment)
	assert.Equal(t, apprunnerapi.ECRAccessPolicy, att.Inputs["policyArn"])
	assert.Equal(t, []string{access.URN}, att.PropertyDependencies["role"])
	for _, p := range g.OfType(tRolePolicy) {
		assert.NotContains(t, p.PropertyDependencies["role"], access.URN)
	}

	// WAF: REGIONAL, the four baseline groups then the rate limit, on the service.
	acl := testkit.One(t, g, tWebACL)
	assert.Equal(t, "REGIONAL", acl.Inputs["scope"])
	assert.Equal(t, map[string]any{"allow": map[string]any{}}, acl.Inputs["defaultAction"])
	rs := graph.List(acl.Inputs["rules"])
	require.Len(t, rs, 5)
	for i, want := range apprunnerapi.BaselineRuleGroups {
		r := graph.Map(rs[i])
		assert.Equal(t, float64(i), r["priority"])
		mg := graph.Map(graph.Map(r["statement"])["managedRuleGroupStatement"])
		assert.Equal(t, want, mg["name"])
		assert.Equal(t, "AWS", mg["vendorName"])
		assert.Equal(t, map[string]any{"none": map[string]any{}}, r["overrideAction"])
	}
	rate := graph.Map(rs[4])
	assert.Equal(t, map[string]any{"block": map[string]any{}}, rate["action"])
	assert.Equal(t, map[string]any{"limit": 2000.0, "aggregateKeyType": "IP"}, graph.Map(rate["statement"])["rateBasedStatement"])
	assoc := testkit.One(t, g, tAssoc)
	assert.Equal(t, []string{svc.URN}, assoc.PropertyDependencies["resourceArn"])
	assert.Equal(t, []string{acl.URN}, assoc.PropertyDependencies["webAclArn"])
	assert.Equal(t, testkit.ArnOf(svc), assoc.Inputs["resourceArn"])

	// The App Runner rule (advisory) and every mandatory rule pass.
	for _, v := range rules.Evaluate(g, rules.All(), nil) {
		if v.Enforcement == rules.Mandatory || v.Policy == "apprunner-waf-and-vpc-egress" {
			t.Errorf("violation %s (%s): %s %s", v.Policy, v.Enforcement, v.URN, v.Message)
		}
	}
}

func TestAppRunnerApiOutputs(t *testing.T) {
	e := appRunnerAPIBuild(t, nil)
	ch := make(chan []any, 1)
	pulumi.All(e.api.ServiceArn, e.api.WebAclArn, e.api.VpcConnectorArn, e.api.ConnectorSecurityGroupID).ApplyT(func(v []any) int {
		ch <- v
		return 0
	})
	v := <-ch
	assert.Equal(t, testkit.ArnOf(testkit.One(t, e.g, tAppRunnerService)), v[0])
	assert.Equal(t, testkit.ArnOf(testkit.One(t, e.g, tWebACL)), v[1])
	assert.Equal(t, testkit.ArnOf(testkit.One(t, e.g, tConnector)), v[2])
	assert.Equal(t, testkit.Named(t, e.g, tSG, "api-connector-sg").ID, v[3])
}

func TestAppRunnerApiVariants(t *testing.T) {
	t.Run("given access role, no secrets, no database, TCP check, observability, extra group", func(t *testing.T) {
		e := appRunnerAPIBuild(t, func(a *apprunnerapi.Args) {
			a.AccessRoleArn = pulumi.String("arn:aws:iam::111111111111:role/ecr-access")
			a.Secrets = nil
			a.DatabaseSecurityGroupID = nil
			a.HealthCheckPath = ""
			a.ServiceName = "core-api"
			a.ObservabilityConfigurationArn = pulumi.String("arn:aws:apprunner:ap-northeast-1:111111111111:observabilityconfiguration/xray/1/abc")
			a.ManagedRuleGroups = append(append([]string{}, apprunnerapi.BaselineRuleGroups...), "AWSManagedRulesLinuxRuleSet")
		})
		g := e.g
		for _, r := range g.OfType(tRole) {
			assert.NotEqual(t, "api-access-role", r.Name)
		}
		assert.Empty(t, g.OfType(tAttachment))
		for _, p := range g.OfType(tRolePolicy) {
			assert.NotEqual(t, testkit.One(t, g, apprunnerapi.TypeToken).URN, p.Parent, "no secrets: the instance role has no permissions")
		}
		svc := testkit.One(t, g, tAppRunnerService)
		assert.Equal(t, "core-api", svc.Inputs["serviceName"])
		auth := graph.Map(graph.Map(svc.Inputs["sourceConfiguration"])["authenticationConfiguration"])
		assert.Equal(t, "arn:aws:iam::111111111111:role/ecr-access", auth["accessRoleArn"])
		assert.Equal(t, "TCP", graph.Map(svc.Inputs["healthCheckConfiguration"])["protocol"])
		assert.Equal(t, true, graph.Map(svc.Inputs["observabilityConfiguration"])["observabilityEnabled"])
		assert.Len(t, graph.List(testkit.Named(t, g, tSG, "api-connector-sg").Inputs["egress"]), 1)
		assert.Equal(t, "core-api-vpc", testkit.One(t, g, tConnector).Inputs["vpcConnectorName"])
		assert.Len(t, graph.List(testkit.One(t, g, tWebACL).Inputs["rules"]), 6)
		for _, v := range rules.Evaluate(g, rules.All(), nil) {
			if v.Enforcement == rules.Mandatory || v.Policy == "apprunner-waf-and-vpc-egress" {
				t.Errorf("violation %s: %s %s", v.Policy, v.URN, v.Message)
			}
		}
	})
	t.Run("public ECR image needs no access role", func(t *testing.T) {
		e := appRunnerAPIBuild(t, func(a *apprunnerapi.Args) { a.Image = "public.ecr.aws/nginx/nginx:1.27" })
		svc := testkit.One(t, e.g, tAppRunnerService)
		repo := graph.Map(graph.Map(svc.Inputs["sourceConfiguration"])["imageRepository"])
		assert.Equal(t, "ECR_PUBLIC", repo["imageRepositoryType"])
		assert.Nil(t, graph.Map(svc.Inputs["sourceConfiguration"])["authenticationConfiguration"])
		assert.Empty(t, e.g.OfType(tAttachment))
	})
}

func TestAppRunnerAPIValidSize(t *testing.T) {
	assert.True(t, apprunnerapi.ValidSize("0.25 vCPU", "0.5 GB"))
	assert.True(t, apprunnerapi.ValidSize("1 vCPU", "4 GB"))
	assert.True(t, apprunnerapi.ValidSize("4 vCPU", "12 GB"))
	assert.False(t, apprunnerapi.ValidSize("0.25 vCPU", "2 GB"))
	assert.False(t, apprunnerapi.ValidSize("2 vCPU", "2 GB"))
	assert.False(t, apprunnerapi.ValidSize("1024", "2048"))
	assert.False(t, apprunnerapi.ValidSize("", ""))
}

func TestAppRunnerApiRejectsBadArgs(t *testing.T) {
	fixed := func(a *apprunnerapi.Args) {
		a.VpcID = pulumi.String("vpc-1")
		a.PrivateSubnetIDs = pulumi.StringArray{pulumi.String("subnet-1")}
		a.DataKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/data")
	}
	cases := map[string]struct {
		mutate func(a *apprunnerapi.Args)
		want   []string
	}{
		"short service name": {func(a *apprunnerapi.Args) { a.ServiceName = "ab" }, []string{`ServiceName "ab"`}},
		"long service name":  {func(a *apprunnerapi.Args) { a.ServiceName = strings.Repeat("a", 30) }, []string{"ServiceName"}},
		"docker hub image":   {func(a *apprunnerapi.Args) { a.Image = "nginx:latest" }, []string{`Image "nginx:latest" is not an ECR image identifier`}},
		"untagged image":     {func(a *apprunnerapi.Args) { a.Image = "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/api" }, []string{"Image"}},
		"bad port":           {func(a *apprunnerapi.Args) { a.Port = 0 }, []string{"Port 0"}},
		"bad size":           {func(a *apprunnerapi.Args) { a.Cpu, a.Memory = "2 vCPU", "2 GB" }, []string{`Cpu "2 vCPU" / Memory "2 GB"`}},
		"bad env name":       {func(a *apprunnerapi.Args) { a.Environment["log-level"] = "x" }, []string{`Environment: "log-level"`}},
		"env shadows secret": {func(a *apprunnerapi.Args) { a.Environment["DB_PASSWORD"] = "x" }, []string{`Environment: "DB_PASSWORD" is also a secret`}},
		"plain secret":       {func(a *apprunnerapi.Args) { a.Secrets["TOKEN"] = "abc" }, []string{`Secrets[TOKEN]: "abc"`}},
		"no network":         {func(a *apprunnerapi.Args) { a.VpcID = nil }, []string{"PrivateSubnetIDs and VpcID are required"}},
		"db without port":    {func(a *apprunnerapi.Args) { a.DatabaseSecurityGroupID = pulumi.String("sg-1"); a.DatabasePort = 0 }, []string{"DatabasePort 0"}},
		"min above max":      {func(a *apprunnerapi.Args) { a.MinSize, a.MaxSize = 5, 2 }, []string{"MinSize 5 / MaxSize 2"}},
		"max above 25":       {func(a *apprunnerapi.Args) { a.MaxSize = 30 }, []string{"MaxSize 30"}},
		"zero concurrency":   {func(a *apprunnerapi.Args) { a.MaxConcurrency = 0 }, []string{"MaxConcurrency 0"}},
		"no key":             {func(a *apprunnerapi.Args) { a.DataKeyArn = nil }, []string{"DataKeyArn"}},
		"bad health path":    {func(a *apprunnerapi.Args) { a.HealthCheckPath = "healthz" }, []string{`HealthCheckPath "healthz"`}},
		"weakened WAF":       {func(a *apprunnerapi.Args) { a.ManagedRuleGroups = []string{"AWSManagedRulesCommonRuleSet"} }, []string{"must keep the baseline group AWSManagedRulesSQLiRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}},
		"bad group": {func(a *apprunnerapi.Args) {
			a.ManagedRuleGroups = append(append([]string{}, apprunnerapi.BaselineRuleGroups...), "MyGroup")
		}, []string{`"MyGroup" is not an AWS managed rule group`}},
		"duplicate group": {func(a *apprunnerapi.Args) {
			a.ManagedRuleGroups = append(append([]string{}, apprunnerapi.BaselineRuleGroups...), apprunnerapi.BaselineRuleGroups[0])
		}, []string{"listed twice"}},
		"low rate limit": {func(a *apprunnerapi.Args) { a.RateLimit = 10 }, []string{"RateLimit 10"}},
		"bad account":    {func(a *apprunnerapi.Args) { a.AccountID = "x" }, []string{`AccountID "x"`}},
		"several":        {func(a *apprunnerapi.Args) { a.Port = -1; a.RateLimit = 0 }, []string{"Port -1", "RateLimit 0"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			g, runErr := preview.Run(func(ctx *pulumi.Context) error {
				a := appRunnerAPIBaseArgs()
				fixed(a)
				c.mutate(a)
				_, err = apprunnerapi.NewAppRunnerApi(ctx, "api", a)
				return nil
			}, testkit.Options())
			require.NoError(t, runErr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "apprunnerapi api: invalid arguments")
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Empty(t, g.Resources, "nothing is registered when the arguments are invalid")
		})
	}
	a := appRunnerAPIBaseArgs()
	fixed(a)
	assert.NoError(t, a.Validate("api"))
	_, err := apprunnerapi.NewAppRunnerApi(nil, "api", nil)
	assert.ErrorContains(t, err, "args are required")
}
