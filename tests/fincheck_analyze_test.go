package tests

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

const prodURN = "urn:pulumi:prod::fintech-resilience::"

// analyze runs `fincheck analyze` on a testdata file.
func analyze(t *testing.T, file, format string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = fincheck.Run([]string{"analyze", "--state", filepath.Join("testdata", "fincheck", file), "--format", format}, &out, &errb)
	return code, out.String(), errb.String()
}

// analyzeJSON runs analyze with --format json and decodes the report.
func analyzeJSON(t *testing.T, file string) (int, fincheck.Report, string) {
	t.Helper()
	code, out, errs := analyze(t, file, "json")
	var rep fincheck.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout is not a JSON report: %s\nstderr: %s", out, errs)
	return code, rep, out
}

func TestAnalyzeCleanState(t *testing.T) {
	code, rep, _ := analyzeJSON(t, "clean.json")
	assert.Equal(t, fincheck.ExitOK, code)
	assert.Equal(t, "clean", rep.Stack)
	assert.NotNil(t, rep.Violations, "violations is [] rather than null")
	assert.Empty(t, rep.Violations)

	urns := map[string]fincheck.ResourceOut{}
	for _, r := range rep.Resources {
		urns[r.URN] = r
	}
	assert.NotContains(t, urns, "urn:pulumi:clean::fintech-resilience::pulumi:pulumi:Stack::fintech-resilience-clean", "the stack resource is not a resource of the graph")
	vpc, ok := urns["urn:pulumi:clean::fintech-resilience::fintech:network:SecureVPC$aws:ec2/vpc:Vpc::net"]
	require.True(t, ok, "VPC in the report")
	assert.Equal(t, "aws:ec2/vpc:Vpc", vpc.Type)
	assert.Equal(t, "net", vpc.Name)
	assert.Equal(t, "urn:pulumi:clean::fintech-resilience::fintech:network:SecureVPC::net", vpc.Parent)
	assert.True(t, vpc.Custom)
	comp := urns["urn:pulumi:clean::fintech-resilience::fintech:network:SecureVPC::net"]
	assert.False(t, comp.Custom, "component")
}

// The clean state only passes because references resolve through ids: the
// flow log names its VPC and the route table association its subnet by id,
// with no property dependencies.
func TestAnalyzeCleanStateResolvesIDs(t *testing.T) {
	g, err := fincheck.LoadState(filepath.Join("testdata", "fincheck", "clean.json"))
	require.NoError(t, err)
	flow := g.ByURN("urn:pulumi:clean::fintech-resilience::fintech:network:SecureVPC$aws:ec2/flowLog:FlowLog::net")
	require.NotNil(t, flow)
	assert.Empty(t, flow.PropertyDependencies)
	refs := g.Refs(flow, "vpcId")
	require.Len(t, refs, 1)
	assert.Equal(t, "urn:pulumi:clean::fintech-resilience::fintech:network:SecureVPC$aws:ec2/vpc:Vpc::net", refs[0].URN)

	key := g.ByURN("urn:pulumi:clean::fintech-resilience::aws:kms/key:Key::keys-data")
	require.NotNil(t, key)
	rot, known := key.Input("enableKeyRotation")
	assert.True(t, known)
	assert.Equal(t, true, rot)
	days, _ := key.Input("deletionWindowInDays")
	assert.Equal(t, 30.0, days, "numbers are float64")
	arn, ok := key.Output("arn")
	assert.True(t, ok)
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", arn)

	// Without ids the flow log would not find its VPC.
	flow.Inputs["vpcId"] = "vpc-elsewhere"
	assert.Empty(t, g.Refs(flow, "vpcId"))
}

func TestAnalyzeViolatingStates(t *testing.T) {
	tests := []struct {
		file   string
		family string
		policy string
		urn    string
		msg    string
	}{
		{"rds-unencrypted.json", "encryption", "rds-encrypted-with-cmk",
			prodURN + "aws:rds/cluster:Cluster::ledger", "storage is not encrypted"},
		{"kms-rotation-off.json", "encryption", "kms-key-rotation",
			prodURN + "aws:kms/key:Key::keys-data", "automatic key rotation is off"},
		{"aurora-no-deletion-protection.json", "database", "aurora-deletion-protection",
			prodURN + "aws:rds/cluster:Cluster::ledger", "deletion protection is off"},
		{"lb-internet-facing.json", "edge", "lb-internal-only",
			prodURN + "aws:lb/loadBalancer:LoadBalancer::app", "load balancer is internet-facing"},
		{"sg-open-5432.json", "network", "no-open-ingress",
			prodURN + "aws:ec2/securityGroup:SecurityGroup::db", "reaches database port 5432"},
		{"subnet-no-nacl.json", "network", "subnet-explicit-nacl",
			prodURN + "aws:ec2/subnet:Subnet::net-private-c", "subnet has no explicit network ACL association"},
		{"iam-wildcard.json", "iam", "iam-no-wildcard-actions",
			prodURN + "aws:iam/policy:Policy::ops-admin", `statement Everything allows action "*"`},
		{"vault-unlocked.json", "resilience", "backup-vault-locked",
			prodURN + "aws:backup/vault:Vault::workload", "backup vault has no vault lock configuration"},
		{"no-guardduty.json", "resilience", "guardduty-enabled",
			"", "the stack has no enabled GuardDuty detector"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, rep, out := analyzeJSON(t, tt.file)
			assert.Equal(t, fincheck.ExitViolation, code)
			assert.Equal(t, tt.file[:len(tt.file)-len(".json")], rep.Stack)
			require.NotEmpty(t, rep.Violations)

			found := false
			for _, v := range rep.Violations {
				r, err := rules.Find(rules.All(), v.Policy)
				require.NoError(t, err)
				assert.Equal(t, tt.family, r.Family, "the state breaks only the %s family, but %s fired: %s", tt.family, v.Policy, v.Message)
				assert.Equal(t, r.Controls, v.Controls)
				if v.Policy == tt.policy && v.URN == tt.urn && strings.Contains(v.Message, tt.msg) {
					assert.Equal(t, rules.Mandatory, v.Enforcement)
					found = true
				}
			}
			assert.True(t, found, "no %s violation on %q containing %q in %s", tt.policy, tt.urn, tt.msg, out)
			assert.NotContains(t, out, "CIPHER", "secret ciphertext in the output")
		})
	}
}

func TestAnalyzeSARIF(t *testing.T) {
	type sarif struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                `json:"ruleId"`
				Level     string                `json:"level"`
				Message   struct{ Text string } `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
						Kind               string `json:"kind"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	decode := func(t *testing.T, out string) sarif {
		t.Helper()
		var s sarif
		require.NoError(t, json.Unmarshal([]byte(out), &s), out)
		assert.Equal(t, "2.1.0", s.Version)
		assert.Contains(t, s.Schema, "sarif-2.1.0")
		require.Len(t, s.Runs, 1)
		assert.Equal(t, "fincheck", s.Runs[0].Tool.Driver.Name)
		assert.Len(t, s.Runs[0].Tool.Driver.Rules, len(rules.All()), "one SARIF rule per policy")
		return s
	}

	t.Run("violation", func(t *testing.T) {
		code, out, errs := analyze(t, "iam-wildcard.json", "sarif")
		assert.Equal(t, fincheck.ExitViolation, code, errs)
		s := decode(t, out)
		require.Len(t, s.Runs[0].Results, 1)
		res := s.Runs[0].Results[0]
		assert.Equal(t, "iam-no-wildcard-actions", res.RuleID)
		assert.Equal(t, "error", res.Level)
		assert.Contains(t, res.Message.Text, `allows action "*"`)
		require.Len(t, res.Locations, 1)
		assert.Equal(t, filepath.Join("testdata", "fincheck", "iam-wildcard.json"), res.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		require.Len(t, res.Locations[0].LogicalLocations, 1)
		assert.Equal(t, prodURN+"aws:iam/policy:Policy::ops-admin", res.Locations[0].LogicalLocations[0].FullyQualifiedName)
		assert.Equal(t, "resource", res.Locations[0].LogicalLocations[0].Kind)
	})
	t.Run("clean", func(t *testing.T) {
		code, out, errs := analyze(t, "clean.json", "sarif")
		assert.Equal(t, fincheck.ExitOK, code, errs)
		s := decode(t, out)
		assert.NotNil(t, s.Runs[0].Results, "results is [] rather than null")
		assert.Empty(t, s.Runs[0].Results)
		assert.NotContains(t, out, "CIPHER")
	})
}

func TestAnalyzeTextFormat(t *testing.T) {
	code, out, errs := analyze(t, "sg-open-5432.json", "text")
	assert.Equal(t, fincheck.ExitViolation, code, errs)
	assert.Contains(t, out, "stack sg-open-5432:")
	assert.Contains(t, out, "[mandatory] no-open-ingress "+prodURN+"aws:ec2/securityGroup:SecurityGroup::db")
	assert.Contains(t, out, "FISC 実14, 実15")

	code, out, _ = analyze(t, "clean.json", "text")
	assert.Equal(t, fincheck.ExitOK, code)
	assert.Contains(t, out, "policy: 0 mandatory, 0 advisory violation(s)")
}

// Secrets of the state (ciphertext or plaintext envelopes, in inputs or
// outputs) never appear in the output; redacted inputs print "[secret]".
func TestAnalyzeRedactsSecrets(t *testing.T) {
	for _, file := range []string{"clean.json", "rds-unencrypted.json", "aurora-no-deletion-protection.json"} {
		t.Run(file, func(t *testing.T) {
			for _, format := range []string{"json", "text", "sarif"} {
				_, out, errs := analyze(t, file, format)
				assert.Empty(t, errs)
				for _, secret := range []string{
					"TOPSECRETCIPHERTEXT", "Q2lQaEVSVEVYVC", "STACKOUTPUTCIPHER", "LEDGERPASSWORDCIPHER",
					"correct-horse-battery-staple", "ciphertext", "plaintext", "4dabf18193072939515e22adb298388d",
				} {
					assert.NotContains(t, out, secret, "%s output leaks %q", format, secret)
				}
			}
		})
	}

	_, rep, _ := analyzeJSON(t, "clean.json")
	inputs := map[string]map[string]any{}
	for _, r := range rep.Resources {
		inputs[r.URN] = r.Inputs
	}
	assert.Equal(t, "[secret]", inputs["urn:pulumi:clean::fintech-resilience::aws:secretsmanager/secretVersion:SecretVersion::db-credentials"]["secretString"])
	assert.Equal(t, "[secret]", inputs["urn:pulumi:clean::fintech-resilience::aws:ssm/parameter:Parameter::db-password"]["value"])
	assert.Equal(t, "SecureString", inputs["urn:pulumi:clean::fintech-resilience::aws:ssm/parameter:Parameter::db-password"]["type"], "other inputs are printed")

	_, rep, _ = analyzeJSON(t, "rds-unencrypted.json")
	for _, r := range rep.Resources {
		if r.Type == "aws:rds/cluster:Cluster" {
			assert.Equal(t, "[secret]", r.Inputs["masterPassword"])
		}
	}
}

// A secret decoded from a plaintext envelope is still read by the rules.
func TestAnalyzeRulesReadSecrets(t *testing.T) {
	g, err := fincheck.ParseState([]byte(`{"version":3,"deployment":{"resources":[
		{"urn":"urn:pulumi:s::p::aws:kms/key:Key::k","custom":true,"type":"aws:kms/key:Key",
		 "inputs":{"enableKeyRotation":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"false"}}}]}}`), "inline")
	require.NoError(t, err)
	vs := rules.Evaluate(g, rules.All(), nil)
	var got []string
	for _, v := range vs {
		got = append(got, v.Policy)
	}
	assert.Contains(t, got, "kms-key-rotation")
}

func TestAnalyzeMalformedState(t *testing.T) {
	tests := []struct {
		file string
		msg  string
	}{
		{"malformed/not-json.txt", "not a JSON stack export"},
		{"malformed/truncated.json", "not a JSON stack export"},
		{"malformed/wrong-version.json", "deployment version 2 is not supported (expected 3)"},
		{"malformed/missing-deployment.json", `not a stack export (expected {"version": 3, "deployment": {...}}`},
		{"malformed/resource-without-urn.json", "resource 0 has no urn or type"},
		{"malformed/does-not-exist.json", "reading state"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			for _, format := range []string{"json", "sarif", "text"} {
				code, out, errs := analyze(t, tt.file, format)
				assert.Equal(t, fincheck.ExitUsage, code)
				assert.Empty(t, out, "nothing on stdout")
				assert.Contains(t, errs, tt.msg)
				assert.Contains(t, errs, filepath.Join("testdata", "fincheck", tt.file), "the message names the file")
			}
		})
	}
}

func TestAnalyzeUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no state", []string{"analyze", "--format", "json"}, "--state is required"},
		{"bad format", []string{"analyze", "--state", "testdata/fincheck/clean.json", "--format", "xml"}, `--format "xml" is not one of text, json, sarif`},
		{"unknown flag", []string{"analyze", "--stack", "x"}, "flag provided but not defined"},
		{"extra argument", []string{"analyze", "--state", "testdata/fincheck/clean.json", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			assert.Equal(t, fincheck.ExitUsage, fincheck.Run(tt.args, &out, &errb))
			assert.Empty(t, out.String())
			assert.Contains(t, errb.String(), tt.msg)
			assert.Contains(t, errb.String(), "usage:")
		})
	}
}
