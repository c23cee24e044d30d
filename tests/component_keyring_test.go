package tests

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/keyring"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	keyRingAccount = testkit.Account
	tAlias         = "aws:kms/alias:Alias"
)

// stmt is a policy statement decoded generically, so that the test does
// not share the production types.
type keyRingStmt struct {
	Sid       string
	Effect    string
	Principal map[string]any
	Action    []string
	Resource  string
	Condition map[string]map[string]any
}

func decode(t *testing.T, policy string) map[string]keyRingStmt {
	t.Helper()
	var doc struct {
		Version   string
		Statement []keyRingStmt
	}
	require.NoError(t, json.Unmarshal([]byte(policy), &doc))
	assert.Equal(t, "2012-10-17", doc.Version)
	out := map[string]keyRingStmt{}
	for _, s := range doc.Statement {
		_, dup := out[s.Sid]
		require.False(t, dup, "Sid %s twice", s.Sid)
		out[s.Sid] = s
	}
	return out
}

// principals lists every principal value of a statement.
func principals(s keyRingStmt) []string {
	var out []string
	for _, v := range s.Principal {
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case []any:
			for _, e := range t {
				out = append(out, e.(string))
			}
		}
	}
	return out
}

func keyRingStrs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := []string{}
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

var allPurposes = []keyring.Purpose{
	{Name: "data", Description: "Data", ViaServices: []string{"rds", "secretsmanager"}},
	{Name: "logs", Description: "Logs", ServicePrincipals: []string{"logs"}},
	{Name: "notifications", Description: "Notifications", ViaServices: []string{"sns", "sqs"},
		ServicePrincipals: []string{"backup", "cloudwatch", "events"}},
	{Name: "backup", Description: "Backup", ViaServices: []string{"backup"}, CrossAccountPrincipals: []string{"222222222222"}},
}

func TestKeyPolicyInvariants(t *testing.T) {
	for _, p := range allPurposes {
		t.Run(p.Name, func(t *testing.T) {
			policy, err := keyring.KeyPolicy(keyRingAccount, region, p)
			require.NoError(t, err)
			sts := decode(t, policy)
			for sid, s := range sts {
				assert.Equal(t, "Allow", s.Effect, sid)
				assert.Equal(t, "*", s.Resource, sid)
				require.NotEmpty(t, s.Principal, sid)
				for _, pr := range principals(s) {
					assert.NotEqual(t, "*", pr, "%s has principal *", sid)
				}
				if sid != "AccountAdministersKey" {
					assert.NotEmpty(t, s.Condition, "%s uses the key without a condition", sid)
				}
			}

			admin, ok := sts["AccountAdministersKey"]
			require.True(t, ok)
			assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::111111111111:root"}, admin.Principal)
			for _, a := range []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant", "kms:*"} {
				assert.NotContains(t, admin.Action, a, "administration must not use the key")
			}
			for _, a := range []string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation", "kms:DescribeKey"} {
				assert.Contains(t, admin.Action, a)
			}
			assert.Empty(t, admin.Condition)

			via, hasVia := sts["UseThroughNamedServices"]
			assert.Equal(t, len(p.ViaServices) > 0, hasVia)
			if hasVia {
				var wantVia []string
				for _, s := range p.ViaServices {
					wantVia = append(wantVia, s+"."+region+".amazonaws.com")
				}
				cond := via.Condition["StringEquals"]
				assert.Equal(t, wantVia, keyRingStrs(cond["kms:ViaService"]))
				assert.Equal(t, []string{keyRingAccount}, keyRingStrs(cond["kms:CallerAccount"]))
				assert.Contains(t, via.Action, "kms:Decrypt")
				assert.Contains(t, via.Action, "kms:Encrypt")
				assert.Contains(t, via.Action, "kms:CreateGrant")
			}

			for _, svc := range p.ServicePrincipals {
				sid := "ServiceUse" + strings.ToUpper(svc[:1]) + svc[1:]
				s, ok := sts[sid]
				require.True(t, ok, "no statement %s in %v", sid, keys(sts))
				if svc == "logs" {
					assert.Equal(t, map[string]any{"Service": "logs.ap-northeast-1.amazonaws.com"}, s.Principal)
					assert.Equal(t, map[string]map[string]any{"ArnLike": {
						"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:ap-northeast-1:111111111111:log-group:*",
					}}, s.Condition)
				} else {
					assert.Equal(t, map[string]any{"Service": svc + ".amazonaws.com"}, s.Principal)
					assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:SourceAccount": keyRingAccount}}, s.Condition)
				}
				assert.NotContains(t, s.Action, "kms:CreateGrant")
			}
			// admin + via + cross-account + one per service principal, nothing else.
			want := 1 + len(p.ServicePrincipals)
			if hasVia {
				want++
			}
			if len(p.CrossAccountPrincipals) > 0 {
				want++
			}
			assert.Len(t, sts, want, "statements %v", keys(sts))
		})
	}
}

func TestKeyPolicyCrossAccount(t *testing.T) {
	policy, err := keyring.KeyPolicy(keyRingAccount, region, allPurposes[3])
	require.NoError(t, err)
	sts := decode(t, policy)
	via := sts["UseThroughNamedServices"]
	assert.Equal(t, []string{"arn:aws:iam::111111111111:root"}, keyRingStrs(via.Principal["AWS"]))
	assert.Equal(t, []string{"111111111111"}, keyRingStrs(via.Condition["StringEquals"]["kms:CallerAccount"]))
	cross := sts["CrossAccountCopyThroughBackup"]
	assert.Equal(t, []string{"arn:aws:iam::222222222222:root"}, keyRingStrs(cross.Principal["AWS"]))
	// AWS Backup copies, and RDS acts for it on Aurora snapshots.
	assert.Equal(t, []string{"backup.ap-northeast-1.amazonaws.com", "rds.ap-northeast-1.amazonaws.com"}, keyRingStrs(cross.Condition["StringEquals"]["kms:ViaService"]))
	assert.Equal(t, []string{"222222222222"}, keyRingStrs(cross.Condition["StringEquals"]["kms:CallerAccount"]))
	assert.NotContains(t, cross.Action, "kms:Encrypt")
}

func TestKeyPolicyIsDeterministic(t *testing.T) {
	a, err := keyring.KeyPolicy(keyRingAccount, region, allPurposes[2])
	require.NoError(t, err)
	b, err := keyring.KeyPolicy(keyRingAccount, region, allPurposes[2])
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Contains(t, a, `"Sid":"ServiceUseCloudwatch"`)
}

// A service's statement id is its name in CamelCase.
func TestSidPart(t *testing.T) {
	doc, err := keyring.KeyPolicy(keyRingAccount, region, keyring.Purpose{
		Name: "sids", Description: "statement ids", ServicePrincipals: []string{"events", "vpc-flow-logs", "ec2"},
	})
	require.NoError(t, err)
	for _, sid := range []string{"ServiceUseEvents", "ServiceUseVpcFlowLogs", "ServiceUseEc2"} {
		assert.Contains(t, doc, `"Sid":"`+sid+`"`)
	}
}

func keys(m map[string]keyRingStmt) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keyRingBaseArgs() *keyring.Args {
	return &keyring.Args{
		AccountID:          keyRingAccount,
		Region:             region,
		AliasPrefix:        "fintech/test",
		DeletionWindowDays: 14,
		Purposes:           allPurposes,
	}
}

func TestKeyRingUnderMocks(t *testing.T) {
	var kr *keyring.KeyRing
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		var err error
		kr, err = keyring.NewKeyRing(ctx, "ring", keyRingBaseArgs())
		return err
	}, testkit.Options())
	require.NoError(t, err)
	require.NotNil(t, kr)

	const compURN = "urn:pulumi:test::test::fintech:kms:KeyRing::ring"
	comp := g.ByURN(compURN)
	require.NotNil(t, comp)
	assert.Equal(t, keyring.TypeToken, comp.Type)

	keysByName := map[string]*graph.Resource{}
	for _, k := range g.OfType(tKey) {
		keysByName[k.Name] = k
	}
	require.Len(t, keysByName, len(allPurposes))
	aliases := g.OfType(tAlias)
	require.Len(t, aliases, len(allPurposes))

	for _, p := range allPurposes {
		k, ok := keysByName["ring-"+p.Name]
		require.True(t, ok, "no key ring-%s", p.Name)
		assert.Equal(t, compURN, k.Parent)
		rot, _ := k.Input("enableKeyRotation")
		assert.Equal(t, true, rot)
		win, _ := k.Input("deletionWindowInDays")
		n, isNum := graph.Num(win)
		require.True(t, isNum)
		assert.Equal(t, 14, int(n))
		usage, _ := k.Input("keyUsage")
		assert.Equal(t, "ENCRYPT_DECRYPT", usage)
		desc, _ := k.Input("description")
		assert.Equal(t, p.Description+" ("+p.Name+")", desc)
		tag, _ := k.Input("tags", "key-purpose")
		assert.Equal(t, p.Name, tag)
		pol, _ := k.Input("policy")
		want, err := keyring.KeyPolicy(keyRingAccount, region, p)
		require.NoError(t, err)
		assert.JSONEq(t, want, graph.Str(pol))

		al := g.ReferencedBy(k, tAlias, "targetKeyId")
		require.Len(t, al, 1, "aliases of %s", k.Name)
		assert.Equal(t, "ring-"+p.Name+"-alias", al[0].Name)
		assert.Equal(t, compURN, al[0].Parent)
		name, _ := al[0].Input("name")
		assert.Equal(t, "alias/fintech/test/"+p.Name, name)

		got, err := kr.Key(p.Name)
		require.NoError(t, err)
		assert.NotNil(t, got)
	}
	_, err = kr.Key("missing")
	assert.EqualError(t, err, `keyring has no "missing" key (has [backup data logs notifications])`)
	// The component, a key and an alias per purpose; per key the
	// declaration that no outsider decrypts with it; per account admitted
	// for backup copies, the copy through AWS Backup and through RDS
	// (required) and direct use (forbidden).
	// and, for the key CloudWatch Logs uses, that service's use.
	cross, logs := 0, 0
	for _, p := range allPurposes {
		cross += len(p.CrossAccountPrincipals)
		for _, s := range p.ServicePrincipals {
			if s == "logs" {
				logs++
			}
		}
	}
	assert.Len(t, g.OfType("fintech:flow:Forbidden"), len(allPurposes)+cross)
	assert.Len(t, g.OfType("fintech:flow:Required"), 2*cross+logs)
	assert.Len(t, g.Resources, 1+3*len(allPurposes)+3*cross+logs)
}

func TestKeyRingTags(t *testing.T) {
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		a := keyRingBaseArgs()
		a.Purposes = allPurposes[:1]
		a.Tags = pulumi.StringMap{"owner": pulumi.String("platform")}
		_, err := keyring.NewKeyRing(ctx, "ring", a)
		return err
	}, testkit.Options())
	require.NoError(t, err)
	k := g.OfType(tKey)
	require.Len(t, k, 1)
	tags, _ := k[0].Input("tags")
	assert.Equal(t, map[string]any{"owner": "platform", "key-purpose": "data"}, tags)
}

func TestKeyRingValidation(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *keyring.Args)
		want   string
	}{
		{"window 6", func(a *keyring.Args) { a.DeletionWindowDays = 6 }, "DeletionWindowDays 6 is outside 7 to 30"},
		{"window 31", func(a *keyring.Args) { a.DeletionWindowDays = 31 }, "DeletionWindowDays 31 is outside 7 to 30"},
		{"duplicate purpose", func(a *keyring.Args) {
			a.Purposes = []keyring.Purpose{allPurposes[0], allPurposes[1], allPurposes[0]}
		}, `purpose "data" is listed twice`},
		{"purpose with no service", func(a *keyring.Args) {
			a.Purposes = []keyring.Purpose{{Name: "orphan", Description: "nobody may use it"}}
		}, `purpose "orphan" names no service that may use the key`},
		{"bad account", func(a *keyring.Args) { a.AccountID = "11111111111" }, `AccountID "11111111111" is not a 12-digit account id`},
		{"no region", func(a *keyring.Args) { a.Region = "" }, "Region is required"},
		{"bad alias prefix", func(a *keyring.Args) { a.AliasPrefix = "fintech test" }, `AliasPrefix "fintech test" must be letters`},
		{"no purposes", func(a *keyring.Args) { a.Purposes = nil }, "at least one Purpose is required"},
		{"bad purpose name", func(a *keyring.Args) {
			a.Purposes = []keyring.Purpose{{Name: "Data", ViaServices: []string{"rds"}}}
		}, `purpose name "Data" must be lower-case letters, digits and '-'`},
		{"bad service", func(a *keyring.Args) {
			a.Purposes = []keyring.Purpose{{Name: "data", ViaServices: []string{"rds.amazonaws.com"}}}
		}, `purpose "data": service "rds.amazonaws.com" is not a service prefix such as rds`},
		{"bad cross-account principal", func(a *keyring.Args) {
			a.Purposes = []keyring.Purpose{{Name: "data", ViaServices: []string{"rds"}, CrossAccountPrincipals: []string{"*"}}}
		}, `purpose "data": cross-account principal "*" is not an account id`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buildErr error
			g, err := preview.Run(func(ctx *pulumi.Context) error {
				a := keyRingBaseArgs()
				tc.mutate(a)
				kr, err := keyring.NewKeyRing(ctx, "ring", a)
				assert.Nil(t, kr)
				buildErr = err
				return nil
			}, testkit.Options())
			require.NoError(t, err)
			require.Error(t, buildErr)
			assert.True(t, strings.HasPrefix(buildErr.Error(), "keyring ring: keyring: invalid arguments: "), buildErr.Error())
			assert.Contains(t, buildErr.Error(), tc.want)
			assert.Empty(t, g.Resources, "invalid arguments must register nothing")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		_, err := preview.Run(func(ctx *pulumi.Context) error {
			_, err := keyring.NewKeyRing(ctx, "ring", nil)
			return err
		}, testkit.Options())
		assert.ErrorContains(t, err, "keyring ring: args are required")
	})
}
