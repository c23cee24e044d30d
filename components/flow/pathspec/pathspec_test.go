package pathspec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPorts(t *testing.T) {
	assert.Equal(t, []string{"0-442", "444-5431", "5433-65535"}, PortsExcept(5432, 443))
	assert.Equal(t, []string{"1-65535"}, PortsExcept(0))
	assert.Equal(t, []string{"443"}, Port(443))
	r, err := ParsePorts([]string{"443", "1024-65535"})
	require.NoError(t, err)
	assert.Equal(t, [][2]int{{443, 443}, {1024, 65535}}, r)
	for _, bad := range []string{"x", "5-1", "70000", "1-x"} {
		_, err := ParsePorts([]string{bad})
		assert.Error(t, err, bad)
	}
}

func TestComplementCIDRs(t *testing.T) {
	all, err := ComplementCIDRs(nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"0.0.0.0/0"}, all)
	c, err := ComplementCIDRs([]string{"10.99.0.0/16"})
	require.NoError(t, err)
	assert.Len(t, c, 16)
	assert.Contains(t, c, "10.98.0.0/16")
	assert.Contains(t, c, "128.0.0.0/1")
	assert.NotContains(t, c, "10.99.0.0/16")
	_, err = ComplementCIDRs([]string{"nope"})
	assert.Error(t, err)
	assert.True(t, ValidLayer(LayerNACL))
	assert.False(t, ValidLayer("firewall"))
}
