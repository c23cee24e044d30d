package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
)

// Every ARN the program writes is arn:aws:…, so a region of another
// partition (GovCloud, China, ISO) is refused before anything is
// registered: exit 2 naming aws:region and saying why
// (docs/decisions/0020).
func TestOtherPartitionRegionExits2(t *testing.T) {
	for _, c := range []struct{ stack, region string }{
		{"bunker", "us-gov-west-1"},
		{"workload", "cn-north-1"},
		{"restore", "us-iso-east-1"},
	} {
		t.Run(c.stack+" in "+c.region, func(t *testing.T) {
			path := editedStackFile(t, c.stack, "aws:region: ap-northeast-1", "aws:region: "+c.region)
			code, out, errOut := runCLI("preview", "--stack", c.stack, "--dir", "..", "--config", path)
			assert.Equal(t, fincheck.ExitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, `aws:region: "`+c.region+`" is a region outside the aws partition`)
			assert.Contains(t, errOut, "only aws-partition regions are accepted (docs/decisions/0020)")
		})
	}
	// The same files with their own region preview cleanly: the edit, not
	// the file, is what fails.
	for _, stack := range []string{"bunker", "workload", "restore"} {
		path := editedStackFile(t, stack, "aws:region: ap-northeast-1", "aws:region: ap-northeast-1")
		code, _, errOut := runCLI("preview", "--stack", stack, "--dir", "..", "--config", path)
		assert.Equal(t, 0, code, "%s: %s", stack, errOut)
	}
}
