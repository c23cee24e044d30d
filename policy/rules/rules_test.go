package rules

import (
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func allCases() []ruleCase {
	var out []ruleCase
	for _, cs := range [][]ruleCase{encryptionCases, networkCases, edgeCases, databaseCases, resilienceCases, iamCases, iamRefCases, backupGapCases} {
		out = append(out, cs...)
	}
	return out
}

// Every rule of the pack has a passing case, a failing case and a case
// whose decisive input is unknown.
func TestEveryRuleHasCases(t *testing.T) {
	have := map[string]map[caseKind]int{}
	for _, c := range allCases() {
		_, err := Find(All(), c.rule)
		require.NoError(t, err, "case %q names no rule", c.name)
		if have[c.rule] == nil {
			have[c.rule] = map[caseKind]int{}
		}
		have[c.rule][c.kind]++
	}
	for _, r := range All() {
		for _, k := range []caseKind{pass, fail, unknown} {
			assert.Positive(t, have[r.Name][k], "rule %s has no %s case", r.Name, k)
		}
	}
}

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestRuleMetadata(t *testing.T) {
	all := All()
	require.NotEmpty(t, all)
	seen := map[string]bool{}
	for _, r := range all {
		t.Run(r.Name, func(t *testing.T) {
			assert.Regexp(t, kebab, r.Name, "name is not kebab-case")
			assert.False(t, seen[r.Name], "duplicate rule name")
			seen[r.Name] = true
			assert.NotEmpty(t, r.Description)
			assert.NotEmpty(t, r.Practice)
			assert.NotEmpty(t, r.Family)
			assert.NotNil(t, r.Check)
			assert.Contains(t, []Enforcement{Mandatory, Advisory}, r.Enforcement, "default enforcement")
			require.NotEmpty(t, r.Controls)
			for _, code := range r.Controls {
				c, ok := FISCControl(code)
				if assert.True(t, ok, "control %q is not in the FISC catalog", code) {
					assert.Equal(t, code, c.Code)
					assert.Contains(t, FISCControls(), c)
				}
			}
			if r.Scope == ResourceScope {
				assert.NotEmpty(t, r.Types, "a resource-scope rule needs Types")
			} else {
				assert.Equal(t, StackScope, r.Scope)
			}
		})
	}
	// All is stable.
	names := func(rs []Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	assert.Equal(t, names(all), names(All()))
}

func TestFISCCatalog(t *testing.T) {
	cs := FISCControls()
	require.NotEmpty(t, cs)
	codes := map[string]bool{}
	for _, c := range cs {
		assert.False(t, codes[c.Code], "duplicate control %s", c.Code)
		codes[c.Code] = true
		assert.NotEmpty(t, c.Title, c.Code)
		assert.NotEmpty(t, c.English, c.Code)
	}
	order := func(code string) int {
		for i, c := range cs {
			if c.Code == code {
				return i
			}
		}
		return -1
	}
	assert.Less(t, order("実3"), order("実13"))
	assert.Less(t, order("実14"), order("実14-1"))
	assert.Less(t, order("実14-1"), order("実15"))
	assert.Less(t, order("実74"), order("実101"))

	c, ok := FISCControl("実 3")
	assert.True(t, ok, "spaces are ignored")
	assert.Equal(t, "実3", c.Code)
	_, ok = FISCControl("実999")
	assert.False(t, ok)

	cs[0].Code = "changed"
	assert.NotEqual(t, "changed", FISCControls()[0].Code, "FISCControls returns a copy")
}

func TestFind(t *testing.T) {
	r, err := Find(All(), "kms-key-rotation")
	require.NoError(t, err)
	assert.Equal(t, "kms-key-rotation", r.Name)
	_, err = Find(All(), "no-such-rule")
	assert.ErrorContains(t, err, `no rule named "no-such-rule"`)
}

// mixedGraph violates kms-key-rotation (mandatory) and aurora-iam-auth
// (advisory) and nothing else.
func mixedGraph() *graph.Graph {
	return gr(
		R(typeDetector, "gd", M{"enable": true}),
		R(typeKey, "k", M{"enableKeyRotation": false}),
		R(typeRDSCluster, "ledger", M{
			"storageEncrypted": true, "kmsKeyId": cmk, "deletionProtection": true, "backupRetentionPeriod": 14.0,
			"engine": "aurora-postgresql", "engineVersion": "16.4", "serverlessv2ScalingConfiguration": M{"minCapacity": 0.5, "maxCapacity": 4.0},
			"iamDatabaseAuthenticationEnabled": false,
		}).ARN(ledgerArn),
		plan(bunkerVaultArn),
		R(typeBackupSelection, "sel", M{"planId": "plan-0001", "resources": L{ledgerArn}}),
	)
}

func policies(vs []Violation) map[string]Enforcement {
	out := map[string]Enforcement{}
	for _, v := range vs {
		out[v.Policy] = v.Enforcement
	}
	return out
}

func TestEvaluate(t *testing.T) {
	g := mixedGraph()

	vs := Evaluate(g, All(), nil)
	assert.Equal(t, map[string]Enforcement{"kms-key-rotation": Mandatory, "aurora-iam-auth": Advisory}, policies(vs))
	assert.True(t, HasMandatory(vs))
	for _, v := range vs {
		switch v.Policy {
		case "kms-key-rotation":
			assert.Equal(t, U(typeKey, "k"), v.URN)
			assert.Contains(t, v.Message, "automatic key rotation is off")
			assert.Equal(t, ctlKeyManagement, v.Controls)
		case "aurora-iam-auth":
			assert.Equal(t, U(typeRDSCluster, "ledger"), v.URN)
			assert.Equal(t, ctlAccessControl, v.Controls)
		}
	}
	assert.True(t, sort.SliceIsSorted(vs, func(i, j int) bool { return vs[i].Policy < vs[j].Policy }), "sorted by policy")

	// Controls are a copy: changing a violation leaves the rule alone.
	vs[0].Controls[0] = "changed"
	r, err := Find(All(), vs[0].Policy)
	require.NoError(t, err)
	assert.NotEqual(t, "changed", r.Controls[0])
}

func TestEvaluateOverrides(t *testing.T) {
	g := mixedGraph()
	tests := []struct {
		name          string
		overrides     map[string]Enforcement
		want          map[string]Enforcement
		wantMandatory bool
	}{
		{"no override", nil,
			map[string]Enforcement{"kms-key-rotation": Mandatory, "aurora-iam-auth": Advisory}, true},
		{"mandatory disabled", map[string]Enforcement{"kms-key-rotation": Disabled},
			map[string]Enforcement{"aurora-iam-auth": Advisory}, false},
		{"mandatory made advisory", map[string]Enforcement{"kms-key-rotation": Advisory},
			map[string]Enforcement{"kms-key-rotation": Advisory, "aurora-iam-auth": Advisory}, false},
		{"advisory made mandatory", map[string]Enforcement{"kms-key-rotation": Disabled, "aurora-iam-auth": Mandatory},
			map[string]Enforcement{"aurora-iam-auth": Mandatory}, true},
		{"everything disabled", map[string]Enforcement{"kms-key-rotation": Disabled, "aurora-iam-auth": Disabled},
			map[string]Enforcement{}, false},
		{"unknown rule name ignored", map[string]Enforcement{"no-such-rule": Disabled},
			map[string]Enforcement{"kms-key-rotation": Mandatory, "aurora-iam-auth": Advisory}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := Evaluate(g, All(), tt.overrides)
			assert.Equal(t, tt.want, policies(vs))
			assert.Equal(t, tt.wantMandatory, HasMandatory(vs))
		})
	}
}

func TestEvaluateDisabledRuleIsNotRun(t *testing.T) {
	called := false
	r := Rule{Name: "probe", Enforcement: Mandatory, Check: func(*graph.Graph) []Finding {
		called = true
		return []Finding{{URN: "u", Message: "m"}}
	}}
	assert.Empty(t, Evaluate(gr(), []Rule{r}, map[string]Enforcement{"probe": Disabled}))
	assert.False(t, called)
	vs := Evaluate(gr(), []Rule{r}, map[string]Enforcement{"probe": Advisory})
	require.Len(t, vs, 1)
	assert.Equal(t, Violation{Policy: "probe", Enforcement: Advisory, URN: "u", Message: "m", Controls: []string{}}, vs[0])
}

func TestEvaluateOrder(t *testing.T) {
	r := func(name string, fs ...Finding) Rule {
		return Rule{Name: name, Enforcement: Advisory, Check: func(*graph.Graph) []Finding { return fs }}
	}
	vs := Evaluate(gr(), []Rule{
		r("b", Finding{URN: "u2", Message: "y"}, Finding{URN: "u1", Message: "z"}),
		r("a", Finding{URN: "u1", Message: "y"}, Finding{URN: "u1", Message: "x"}),
	}, nil)
	var got []string
	for _, v := range vs {
		got = append(got, v.Policy+" "+v.URN+" "+v.Message)
	}
	assert.Equal(t, []string{"a u1 x", "a u1 y", "b u1 z", "b u2 y"}, got)
}

func TestHasMandatory(t *testing.T) {
	assert.False(t, HasMandatory(nil))
	assert.False(t, HasMandatory([]Violation{{Enforcement: Advisory}, {Enforcement: Advisory}}))
	assert.True(t, HasMandatory([]Violation{{Enforcement: Advisory}, {Enforcement: Mandatory}}))
}

// ruleTypes lists every resource type token the rules look at.
var ruleTypes = []string{
	typeKey, typeLogGroup, typeTopic, typeQueue, typeSecret, typeVault, typeLAGVault, typeVaultLock,
	typeBackupPlan, typeBackupSelection, typeVolume, typeECSCluster, typeLambda, typeRDSCluster,
	typeRDSInstance, typeRDSClusterInstance, typeRDSSubnetGroup, typeSubnet, typeVpc, typeRouteTable,
	typeRoute, typeRouteTableAssoc, typeIGW, typeNAT, typeNACL, typeNACLAssoc, typeFlowLog, typeSG,
	typeSGRule, typeSGIngressRule, typeLB, typeALB, typeDistribution, typeVpcOrigin, typeWebACL,
	typeWebACLAssoc, typeAppRunner, typeDetector, typeResourceShare, typeBucket, typeBucketV2,
	typeBucketSSE, typeBucketSSEV2, typeIAMPolicy, typeIAMRolePolicy, typeIAMUserPolicy,
	typeIAMGroupPolicy, typeIAMRole, typeRolePolicyAttach, typePolicyAttach, typeUserPolicyAttach,
	typeGroupPolicyAttach,
	// iam-reference-valid
	"aws:kms/keyPolicy:KeyPolicy", "aws:sns/topicPolicy:TopicPolicy", "aws:sqs/queuePolicy:QueuePolicy",
	"aws:backup/vaultPolicy:VaultPolicy", "aws:secretsmanager/secretPolicy:SecretPolicy",
	"aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:ecr/registryPolicy:RegistryPolicy", "aws:s3/bucketPolicy:BucketPolicy",
	"aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
	"aws:cloudwatch/eventBusPolicy:EventBusPolicy", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
}

// ruleInputs lists every input name the rules read.
var ruleInputs = []string{
	"storageEncrypted", "kmsKeyId", "enableKeyRotation", "policy", "kmsMasterKeyId", "kmsKeyArn", "encrypted",
	"configuration", "environment", "serverSideEncryptionConfiguration", "bucket", "rules", "subnetIds", "subnetId",
	"mapPublicIpOnLaunch", "vpcId", "ingress", "type", "protocol", "ipProtocol", "fromPort", "toPort",
	"cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "securityGroups", "securityGroupId",
	"publiclyAccessible", "routeTableId", "routes", "gatewayId", "natGatewayId", "internal", "webAclId",
	"scope", "webAclArn", "resourceArn", "origins", "vpcOriginEndpointConfig", "networkConfiguration",
	"deletionProtection", "backupRetentionPeriod", "engine", "engineVersion", "engineMode",
	"serverlessv2ScalingConfiguration", "iamDatabaseAuthenticationEnabled", "enable", "tags", "resources",
	"selectionTags", "condition", "planId", "minRetentionDays", "maxRetentionDays", "backupVaultName", "name",
	"allowExternalPrincipals", "inlinePolicies", "managedPolicyArns", "policyArn", "assumeRolePolicy", "policyDocument",
}

// No rule panics, whatever is unknown, missing, secret or of the wrong
// type, and rules that decide from a resource's own inputs report nothing
// when all of them are unknown.
func TestRulesNeverPanic(t *testing.T) {
	variants := map[string]func() any{
		"unknown":         func() any { return unk },
		"secret unknown":  func() any { return graph.Secret{Value: unk} },
		"list of unknown": func() any { return L{unk, M{"x": unk}} },
		"nested unknown": func() any {
			return M{"rule": unk, "variables": unk, "egressConfiguration": unk, "managedStorageConfiguration": unk}
		},
		"wrong type":   func() any { return 42.0 },
		"null":         func() any { return nil },
		"empty string": func() any { return "" },
	}
	for name, mk := range variants {
		t.Run(name, func(t *testing.T) {
			var nodes []node
			for _, typ := range ruleTypes {
				in := M{}
				for _, k := range ruleInputs {
					in[k] = mk()
				}
				nodes = append(nodes, R(typ, "all", in), R(typ, "empty", nil), node{&graph.Resource{URN: U(typ, "nil"), Type: typ, Name: "nil"}})
			}
			g := gr(nodes...)
			var vs []Violation
			require.NotPanics(t, func() { vs = Evaluate(g, All(), nil) })
			if name == "unknown" || name == "secret unknown" {
				for _, v := range vs {
					r := g.ByURN(v.URN)
					if r == nil || r.Name == "empty" || r.Name == "nil" {
						continue // nil inputs: AWS defaults apply
					}
					rule, _ := Find(All(), v.Policy)
					if rule.Scope == ResourceScope {
						t.Errorf("%s reported %q on %s whose inputs are all unknown", v.Policy, v.Message, v.URN)
					}
				}
			}
		})
	}
}
