package config

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The bounded forms accept exactly what the counted patterns they replace
// accept.
func TestBoundedREMatchesTheCountedPattern(t *testing.T) {
	cases := []struct {
		name    string
		bounded boundedRE
		counted *regexp.Regexp
		inputs  []string
	}{
		{
			name:    "environment variable name",
			bounded: envKeyRE,
			counted: regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`),
			inputs: []string{"", "A", "_", "1A", "A1", "a", "DB_HOST", "DB-HOST",
				"A" + strings.Repeat("B", 127), "A" + strings.Repeat("B", 128)},
		},
		{
			name:    "tag key",
			bounded: tagKeyRE,
			counted: regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`),
			inputs: []string{"", "a", "cost-center", "Ünïcødé key", "a/b:c=d+e@f_g.h", "bad*key", "tab\tkey",
				strings.Repeat("é", 128), strings.Repeat("é", 129), strings.Repeat("x", 128), strings.Repeat("x", 129)},
		},
	}
	for _, c := range cases {
		for _, in := range c.inputs {
			assert.Equal(t, c.counted.MatchString(in), c.bounded.MatchString(in), "%s %q (%d bytes)", c.name, in, len(in))
		}
	}
	// The limit is counted in runes, not bytes: 128 two-byte letters fit.
	assert.True(t, tagKeyRE.MatchString(strings.Repeat("é", 128)))
	assert.False(t, tagKeyRE.MatchString(strings.Repeat("é", 129)))
}
