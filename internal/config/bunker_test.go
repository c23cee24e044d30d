package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBunkerVaultDefaults(t *testing.T) {
	c, err := Load(getter(goodBunker()), "bunker")
	require.NoError(t, err)
	require.NotNil(t, c.Bunker)
	assert.Equal(t, Bunker{VaultName: "fintech-bunker", MinRetentionDays: 35, MaxRetentionDays: 400, CopyAlarmHours: 36}, *c.Bunker)
}

func TestBunkerVaultRetention(t *testing.T) {
	const ns = "fintech-resilience:"
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"minimum of 3 days", map[string]string{ns + "airGappedMinRetentionDays": "3"},
			`fintech-resilience:airGappedMinRetentionDays: "3" is out of range (expected 7 to 36500)`},
		{"maximum below minimum", map[string]string{ns + "airGappedMinRetentionDays": "60", ns + "airGappedMaxRetentionDays": "30"},
			`fintech-resilience:airGappedMaxRetentionDays: "30" is below fintech-resilience:airGappedMinRetentionDays (60)`},
		{"bad vault name", map[string]string{ns + "airGappedVaultName": "x y"},
			`fintech-resilience:airGappedVaultName: "x y" is not a vault name`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(getter(with(goodBunker(), c.set)), "bunker")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
