package awsfacts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidAccountID(t *testing.T) {
	for id, want := range map[string]bool{
		"111111111111":  true,
		"012345678901":  true, // leading zeros are part of the id
		"":              false,
		"11111111111":   false, // 11 digits
		"1111111111111": false, // 13 digits
		"11111111111a":  false,
		" 111111111111": false,
		"1111-1111-111": false,
		"１１１１１１１１１１１１":  false, // full-width digits
	} {
		assert.Equal(t, want, ValidAccountID(id), "%q", id)
	}
}

func TestValidRegion(t *testing.T) {
	for region, want := range map[string]bool{
		// aws partition
		"ap-northeast-1": true, "ap-northeast-3": true, "us-east-1": true, "eu-central-2": true,
		"il-central-1": true, "mx-central-1": true, "ca-west-1": true, "ap-southeast-7": true,
		// other partitions
		"us-gov-west-1": false, "us-gov-east-1": false, // aws-us-gov
		"cn-north-1": false, "cn-northwest-1": false, // aws-cn
		"us-iso-east-1": false, "us-isob-east-1": false, "eu-isoe-west-1": false, "us-isof-south-1": false, // aws-iso*
		// not regions
		"": false, "tokyo": false, "ap_northeast_1": false, "AP-NORTHEAST-1": false,
		"ap-northeast": false, "ap-northeast-1a": false, "apx-northeast-1": false, "ap-northeast-1 ": false,
	} {
		assert.Equal(t, want, ValidRegion(region), "%q", region)
	}
}

func TestRegionProblem(t *testing.T) {
	assert.Empty(t, RegionProblem("ap-northeast-1"))
	for _, r := range []string{"us-gov-west-1", "cn-north-1", "us-iso-east-1", "eu-isoe-west-1"} {
		p := RegionProblem(r)
		assert.Contains(t, p, "outside the aws partition", r)
		assert.Contains(t, p, "docs/decisions/0020", r)
	}
	for _, r := range []string{"tokyo", "ap_northeast_1", ""} {
		assert.Equal(t, "is not an AWS region name (expected e.g. ap-northeast-1)", RegionProblem(r), r)
	}
}

func TestValidLogRetention(t *testing.T) {
	for _, d := range LogRetentionDays() {
		assert.True(t, ValidLogRetention(d), d)
	}
	for _, d := range []int{-1, 0, 2, 4, 6, 10, 31, 366, 730, 1095, 3652, 3654, 36500} {
		assert.False(t, ValidLogRetention(d), d)
	}
	// A caller changing the returned slice changes no later answer.
	LogRetentionDays()[0] = 2
	assert.False(t, ValidLogRetention(2))
}

// The retention set is the one the CloudWatch Logs API documents for
// PutRetentionPolicy, read from the SDK version go.mod requires.
func TestLogRetentionMatchesSDK(t *testing.T) {
	const mod = "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	require.NoError(t, err, "go.mod requires %s", mod)
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "api_op_PutRetentionPolicy.go"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)Possible values are: (.*?)\.`).FindSubmatch(src)
	require.NotNil(t, m, "PutRetentionPolicy documents its values")
	var documented []int
	for _, s := range regexp.MustCompile(`[0-9]+`).FindAllString(string(m[1]), -1) {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		documented = append(documented, n)
	}
	assert.Equal(t, documented, LogRetentionDays())
	assert.Len(t, documented, 22)
}
