// The whole program: every stack previewed offline through fincheck,
// exactly as `fincheck preview` does.

package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

var stackNames = []string{"workload", "bunker", "restore"}

func previewStack(t *testing.T, stack string) (*graph.Graph, *config.Config) {
	t.Helper()
	g, cfg, err := offline.Preview("..", stack, "")
	require.NoError(t, err)
	require.NotNil(t, g)
	require.NotNil(t, cfg)
	require.NotEmpty(t, g.Resources)
	return g, cfg
}

func str(r *graph.Resource, path ...string) string {
	v, _ := r.Input(path...)
	return graph.Str(v)
}

// routeTablesOf follows a subnet's explicit route table associations.
func routeTablesOf(g *graph.Graph, subnet *graph.Resource) []*graph.Resource {
	var out []*graph.Resource
	for _, rta := range g.ReferencedBy(subnet, tRTA, "subnetId") {
		out = append(out, g.Refs(rta, "routeTableId", tRT)...)
	}
	return out
}

// egressTargets returns the internet and NAT gateways the routes of a
// route table lead to, by reference or by id.
func egressTargets(g *graph.Graph, rt *graph.Resource) []string {
	var out []string
	for _, route := range g.ReferencedBy(rt, tRoute, "routeTableId") {
		for _, gw := range g.Refs(route, "gatewayId", tIGW) {
			out = append(out, gw.Name)
		}
		for _, nat := range g.Refs(route, "natGatewayId", tNAT) {
			out = append(out, nat.Name)
		}
		if id := str(route, "gatewayId"); strings.HasPrefix(id, "igw-") {
			out = append(out, id)
		}
		if id := str(route, "natGatewayId"); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func TestStacks(t *testing.T) {
	for _, stack := range stackNames {
		t.Run(stack, func(t *testing.T) {
			g, cfg := previewStack(t, stack)
			assert.Equal(t, config.Role(stack), cfg.Role)

			t.Run("one explicit NACL association per subnet", func(t *testing.T) {
				for _, s := range g.OfType(tSubnet) {
					nacls := g.ReferencedBy(s, tNACL, "subnetIds")
					require.Len(t, nacls, 1, "subnet %s", s.Name)
					assert.Empty(t, g.ReferencedBy(s, tNACLAssoc, "subnetId"), "subnet %s: associations are inline", s.Name)
				}
			})

			t.Run("isolated subnets have no route out", func(t *testing.T) {
				for _, s := range g.OfType(tSubnet) {
					if str(s, "tags", "tier") != "isolated" {
						continue
					}
					rts := routeTablesOf(g, s)
					require.Len(t, rts, 1, "route tables of %s", s.Name)
					assert.Empty(t, egressTargets(g, rts[0]), "isolated subnet %s routes out", s.Name)
				}
			})

			t.Run("private subnets egress only through NAT", func(t *testing.T) {
				for _, s := range g.OfType(tSubnet) {
					if str(s, "tags", "tier") != "private" {
						continue
					}
					rts := routeTablesOf(g, s)
					require.Len(t, rts, 1, "route tables of %s", s.Name)
					for _, target := range egressTargets(g, rts[0]) {
						assert.False(t, strings.HasPrefix(target, "igw-") || strings.HasSuffix(target, "-igw"),
							"private subnet %s routes to internet gateway %s", s.Name, target)
					}
					if cfg.Network.NatGateways != config.NatNone {
						assert.NotEmpty(t, egressTargets(g, rts[0]), "private subnet %s has no NAT route", s.Name)
					}
				}
			})

			t.Run("flow logs to an encrypted log group", func(t *testing.T) {
				for _, vpc := range g.OfType(tVpc) {
					fls := g.ReferencedBy(vpc, tFlowLog, "vpcId")
					require.NotEmpty(t, fls, "VPC %s has no flow log", vpc.Name)
					for _, fl := range fls {
						assert.Equal(t, "ALL", str(fl, "trafficType"))
						lgs := g.Refs(fl, "logDestination", tLogGroup)
						require.Len(t, lgs, 1, "log group of %s", fl.Name)
						assert.NotEmpty(t, str(lgs[0], "kmsKeyId"), "log group %s is not encrypted", lgs[0].Name)
						keys := g.Refs(lgs[0], "kmsKeyId", tKey)
						require.Len(t, keys, 1, "key of %s", lgs[0].Name)
						assert.Equal(t, "keys-logs", keys[0].Name)
					}
				}
			})

			t.Run("every key rotates", func(t *testing.T) {
				keys := g.OfType(tKey)
				require.NotEmpty(t, keys)
				for _, k := range keys {
					v, known := k.Input("enableKeyRotation")
					require.True(t, known)
					assert.Equal(t, true, v, "key %s", k.Name)
				}
			})

			t.Run("one enabled GuardDuty detector", func(t *testing.T) {
				dets := g.OfType(tDetector)
				require.Len(t, dets, 1)
				v, _ := dets[0].Input("enable")
				assert.Equal(t, true, v)
			})

			t.Run("VPCs", func(t *testing.T) {
				vpcs := g.OfType(tVpc)
				switch stack {
				case "bunker":
					assert.Empty(t, vpcs)
					assert.Empty(t, g.OfType(tSubnet))
				default:
					require.Len(t, vpcs, 1)
					assert.Equal(t, cfg.Network.VpcCIDR, str(vpcs[0], "cidrBlock"))
					assert.Len(t, g.OfType(tSubnet), 9)
				}
			})
		})
	}
}

func TestStackSpecifics(t *testing.T) {
	g, _ := previewStack(t, "workload")
	assert.Len(t, g.OfType(tNAT), 3, "workload has a NAT gateway per zone")
	assert.Len(t, g.OfType(tKey), 4)

	g, _ = previewStack(t, "restore")
	assert.Len(t, g.OfType(tNAT), 1, "restore has a single NAT gateway")

	g, _ = previewStack(t, "bunker")
	var keys []string
	for _, k := range g.OfType(tKey) {
		keys = append(keys, k.Name)
	}
	assert.Equal(t, []string{"keys-backup", "keys-logs", "keys-notifications"}, keys)
}

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := fincheck.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPreviewIsDeterministic(t *testing.T) {
	args := []string{"preview", "--stack", "workload", "--dir", "..", "--format", "json"}
	code1, out1, err1 := runCLI(args...)
	require.Equal(t, fincheck.ExitOK, code1, err1)
	code2, out2, err2 := runCLI(args...)
	require.Equal(t, fincheck.ExitOK, code2, err2)
	assert.Empty(t, err1)
	require.NotEmpty(t, out1)
	assert.True(t, out1 == out2, "two previews of the same stack differ")

	var rep struct {
		Stack     string
		Resources []struct {
			URN  string
			Type string
		}
		Violations []any
	}
	require.NoError(t, json.Unmarshal([]byte(out1), &rep))
	assert.Equal(t, "workload", rep.Stack)
	require.NotEmpty(t, rep.Resources)
	for i := 1; i < len(rep.Resources); i++ {
		assert.Less(t, rep.Resources[i-1].URN, rep.Resources[i].URN, "resources are sorted by URN")
	}
}

const badConfig = `config:
  aws:region: ap-northeast-1
  aws:allowedAccountIds:
    - "111111111111"
  aws:assumeRole:
    roleArn: arn:aws:iam::111111111111:role/fintech-deployer
  fintech-resilience:role: banker
  fintech-resilience:workloadAccountId: "1111111111"
  fintech-resilience:bunkerAccountId: "222222222222"
  fintech-resilience:restoreAccountId: "333333333333"
  fintech-resilience:availabilityZones:
    - ap-northeast-1a
    - ap-northeast-1c
  fintech-resilience:vpcCidr: 10.0.0.0/33
  fintech-resilience:notificationEmails:
    - security-oncall@example.com
`

func TestBadConfigReportsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(badConfig), 0o600))
	code, out, errOut := runCLI("preview", "--stack", "workload", "--dir", "..", "--config", path)
	assert.Equal(t, fincheck.ExitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "invalid configuration (3 problem(s))")
	assert.Contains(t, errOut, `fintech-resilience:role: "banker" is not a known role`)
	assert.Contains(t, errOut, `fintech-resilience:workloadAccountId: "1111111111" is not a 12-digit AWS account id`)
	assert.Contains(t, errOut, `fintech-resilience:vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`)
	assert.NotContains(t, errOut, "internal error")
}

func TestCLI(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no arguments", nil, fincheck.ExitUsage, "usage:"},
		{"unknown command", []string{"deploy"}, fincheck.ExitUsage, `fincheck: unknown command "deploy"`},
		{"missing --stack", []string{"preview", "--dir", ".."}, fincheck.ExitUsage, "fincheck: --stack is required"},
		{"bad --format", []string{"preview", "--stack", "workload", "--dir", "..", "--format", "xml"}, fincheck.ExitUsage,
			`fincheck: --format "xml" is not one of text, json, sarif`},
		{"unknown flag", []string{"preview", "--stak", "workload"}, fincheck.ExitUsage, "flag provided but not defined: -stak"},
		{"flag without value", []string{"preview", "--stack"}, fincheck.ExitUsage, "flag needs an argument: -stack"},
		{"extra argument", []string{"preview", "--stack", "workload", "--dir", "..", "now"}, fincheck.ExitUsage,
			`fincheck: unexpected argument "now"`},
		{"unknown stack", []string{"preview", "--stack", "staging", "--dir", ".."}, fincheck.ExitUsage,
			"Pulumi.staging.yaml"},
		{"missing project dir", []string{"preview", "--stack", "workload", "--dir", "no-such-dir"}, fincheck.ExitUsage,
			"reading project file"},
		{"missing config file", []string{"preview", "--stack", "workload", "--dir", "..", "--config", "no-such.yaml"}, fincheck.ExitUsage,
			"no-such.yaml"},
		{"empty stack in a list", []string{"preview", "--stack", "bunker,", "--dir", ".."}, fincheck.ExitUsage,
			`--stack "bunker," names an empty stack`},
		{"several stacks as json", []string{"preview", "--stack", "bunker,workload", "--dir", "..", "--format", "json"}, fincheck.ExitUsage,
			"several stacks in one run take the text format"},
		{"several stacks with --config", []string{"preview", "--stack", "bunker,workload", "--dir", "..", "--config", "x.yaml"}, fincheck.ExitUsage,
			"no --config"},
		{"analyze without --state", []string{"analyze"}, fincheck.ExitUsage, "fincheck: --state is required"},
		{"analyze missing state", []string{"analyze", "--state", "no-such-state.json"}, fincheck.ExitUsage, "reading state"},
		{"analyze bad format", []string{"analyze", "--state", "x.json", "--format", "fisc"}, fincheck.ExitUsage,
			`--format "fisc" is not one of text, json, sarif`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var out, errOut string
			require.NotPanics(t, func() { code, out, errOut = runCLI(tc.args...) })
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, errOut, "internal error")
			assert.Empty(t, out)
		})
	}

	t.Run("help", func(t *testing.T) {
		code, out, errOut := runCLI("help")
		assert.Equal(t, fincheck.ExitOK, code)
		assert.Contains(t, out, "fincheck preview --stack")
		assert.Empty(t, errOut)
	})

	t.Run("text preview", func(t *testing.T) {
		code, out, errOut := runCLI("preview", "--stack", "bunker", "--dir", "..")
		assert.Equal(t, fincheck.ExitOK, code, errOut)
		assert.True(t, strings.HasPrefix(out, "stack bunker: "), out)
		assert.Contains(t, out, "fintech:kms:KeyRing keys")
	})

	t.Run("several stacks in one run", func(t *testing.T) {
		code, out, errOut := runCLI("preview", "--stack", "bunker,workload,restore", "--dir", "..")
		assert.Equal(t, fincheck.ExitOK, code, errOut)
		assert.Empty(t, errOut)
		var heads []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "stack ") {
				heads = append(heads, strings.SplitN(line, ":", 2)[0])
			}
		}
		assert.Equal(t, []string{"stack bunker", "stack workload", "stack restore"}, heads)
		// Each report is the one the stack gets alone.
		_, alone, _ := runCLI("preview", "--stack", "workload", "--dir", "..")
		assert.Contains(t, out, alone)
	})

	t.Run("several stacks, one unknown", func(t *testing.T) {
		code, out, errOut := runCLI("preview", "--stack", "bunker,staging", "--dir", "..")
		assert.Equal(t, fincheck.ExitUsage, code)
		assert.True(t, strings.HasPrefix(out, "stack bunker: "), "the known stack is still reported: %s", out)
		assert.Contains(t, errOut, "stack staging: ")
		assert.Contains(t, errOut, "Pulumi.staging.yaml")
	})

	t.Run("sarif preview", func(t *testing.T) {
		code, out, errOut := runCLI("preview", "--stack", "restore", "--dir", "..", "--format", "sarif")
		assert.Equal(t, fincheck.ExitOK, code, errOut)
		var log struct {
			Version string `json:"version"`
			Runs    []struct {
				Results []any `json:"results"`
			} `json:"runs"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &log))
		assert.Equal(t, "2.1.0", log.Version)
		require.Len(t, log.Runs, 1)
	})
}
