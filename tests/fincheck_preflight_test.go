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

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/internal/preflight"
	"github.com/fintech-resilience/fintech-resilience/internal/preflight/fakeaws"
)

// awsEnv points the standard SDK chain at the fake endpoint through
// AWS_ENDPOINT_URL, with static credentials and no shared files or IMDS.
func awsEnv(t *testing.T, endpoint string, withKeys bool) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	if withKeys {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
	} else {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	}
}

func bunkerWorld() fakeaws.World {
	return fakeaws.World{
		Account: "222222222222", OrgID: "o-a1b2c3d4e5", CrossAccount: true, Bunker: "222222222222",
		Trails: []fakeaws.Trail{{Name: "org-trail", HomeRegion: "ap-northeast-1", MultiRegion: true, Logging: true}},
	}
}

func runFincheck(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := fincheck.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPreflightCommandPasses(t *testing.T) {
	f := fakeaws.New(t, bunkerWorld())
	awsEnv(t, f.URL, true)
	code, out, errOut := runFincheck("preflight", "--stack", "bunker", "--dir", "..")
	assert.Equal(t, fincheck.ExitOK, code, errOut)
	assert.Contains(t, out, "preflight bunker: bunker account 222222222222, ap-northeast-1")
	assert.Contains(t, out, "PASS cross-account-backup")
	assert.Contains(t, out, "all checks passed: next, pulumi up -s bunker")
	assert.Contains(t, f.Calls(), "sts GetCallerIdentity", "AWS_ENDPOINT_URL is honoured")
	assert.NotContains(t, out, "example-secret")
}

func TestPreflightCommandFailsWithFix(t *testing.T) {
	w := bunkerWorld()
	w.CrossAccount = false
	f := fakeaws.New(t, w)
	awsEnv(t, f.URL, true)

	code, out, _ := runFincheck("preflight", "--stack", "bunker", "--dir", "..")
	assert.Equal(t, fincheck.ExitViolation, code)
	assert.Contains(t, out, "FAIL cross-account-backup")
	assert.Contains(t, out, "fix: in the organization's management account: aws backup update-global-settings")
	assert.Contains(t, out, "1 check(s) failed")

	code, out, _ = runFincheck("preflight", "--stack", "bunker", "--dir", "..", "--format", "json")
	assert.Equal(t, fincheck.ExitViolation, code)
	var rep preflight.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "bunker", rep.Stack)
	var failed []string
	for _, r := range rep.Results {
		if r.Status == preflight.Fail {
			failed = append(failed, r.Check)
			assert.NotEmpty(t, r.Fix)
		}
	}
	assert.Equal(t, []string{preflight.CheckCrossAccount}, failed)
}

func TestPreflightCommandExits2(t *testing.T) {
	f := fakeaws.New(t, bunkerWorld())

	t.Run("no credentials", func(t *testing.T) {
		awsEnv(t, f.URL, false)
		code, out, errOut := runFincheck("preflight", "--stack", "bunker", "--dir", "..")
		assert.Equal(t, fincheck.ExitUsage, code)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "sts:GetCallerIdentity")
		assert.Contains(t, errOut, "check the AWS credentials")
	})
	t.Run("bad configuration names the key", func(t *testing.T) {
		awsEnv(t, f.URL, true)
		raw, err := os.ReadFile("../Pulumi.restore.yaml")
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "restore.yaml")
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), "natGateways: single", "natGateways: none", 1)), 0o600))
		code, _, errOut := runFincheck("preflight", "--stack", "restore", "--dir", "..", "--config", path)
		assert.Equal(t, fincheck.ExitUsage, code)
		assert.Contains(t, errOut, "fintech-resilience:apiMode")
	})
	t.Run("usage", func(t *testing.T) {
		code, _, errOut := runFincheck("preflight")
		assert.Equal(t, fincheck.ExitUsage, code)
		assert.Contains(t, errOut, "--stack is required")
		code, _, errOut = runFincheck("preflight", "--stack", "bunker", "--format", "sarif")
		assert.Equal(t, fincheck.ExitUsage, code)
		assert.Contains(t, errOut, "fincheck preflight --stack")
	})
}
