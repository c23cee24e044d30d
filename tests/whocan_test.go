package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
)

// The check sheet answers the auditors' question from the declarations:
// nobody, in any account of the design or outside it, deletes the backups,
// and the Deny statement that guarantees it is named.
func TestCheckSheetSaysWhoCanDeleteTheBackups(t *testing.T) {
	sheet, err := fincheck.CheckSheet("..")
	require.NoError(t, err)
	i := strings.Index(sheet, "### Who can delete the backups?")
	require.GreaterOrEqual(t, i, 0)
	section := sheet[i:]
	if j := strings.Index(section[4:], "\n### "); j >= 0 {
		section = section[:j+4]
	}
	for _, account := range []string{"111111111111", "222222222222", "333333333333", "999999999999"} {
		for _, flow := range []string{"no-recovery-point-deletion-", "no-vault-tampering-"} {
			var row string
			for _, line := range strings.Split(section, "\n") {
				if strings.Contains(line, "bunker-flow-"+flow+account) {
					row = line
				}
			}
			if assert.NotEmpty(t, row, "no row for %s%s", flow, account) {
				assert.True(t, strings.HasPrefix(row, "| **no** (forbidden) | any principal of account "+account), row)
				assert.Contains(t, row, "`NoOneDeletesOrRewrites`")
			}
		}
	}
	assert.NotContains(t, section, "yes (required)")
}
