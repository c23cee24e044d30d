package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/gofunction"
	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
)

func TestArchivesPrebuilt(t *testing.T) {
	pre := map[string]lambdabuild.Artifact{"pick": {ZipPath: "/tmp/pick.zip", SHA256Base64: "abc="}}
	got, err := gofunction.Archives(pre, "/nonexistent", "pick")
	require.NoError(t, err)
	assert.Equal(t, pre, got)
}

func TestArchivesBuildError(t *testing.T) {
	_, err := gofunction.Archives(nil, t.TempDir(), "missing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "build missing")
}
