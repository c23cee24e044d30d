package cwlogs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidRetention(t *testing.T) {
	assert.True(t, ValidRetention(1))
	assert.True(t, ValidRetention(365))
	assert.True(t, ValidRetention(3653))
	assert.False(t, ValidRetention(0))
	assert.False(t, ValidRetention(366))
	assert.Len(t, RetentionValues(), 22)
}
