package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppConfigProblems(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"latest tag", map[string]string{ns + "apiImage": "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:latest"},
			"uses the mutable tag latest"},
		{"secret in plain environment", map[string]string{ns + "apiEnvironment": `{"DB_PASSWORD":"x"}`},
			"looks like a secret"},
		{"bad fargate size", map[string]string{ns + "apiCpu": "256", ns + "apiMemory": "4096"},
			`fintech-resilience:apiMemory: "4096" is not a Fargate memory size for 256 CPU units`},
		{"app runner rate limit below 100", map[string]string{ns + "apiMode": "apprunner", ns + "wafRateLimit": "50"},
			`fintech-resilience:wafRateLimit: "50" must be at least 100 with apiMode apprunner`},
		{"database port does not match the engine", map[string]string{ns + "databaseEngine": "aurora-mysql", ns + "databaseEngineVersion": "8.0.mysql_aurora.3.08.0"},
			`fintech-resilience:databasePort: "5432" must be 3306 for aurora-mysql`},
		{"aurora-mysql 5.7", map[string]string{ns + "databaseEngine": "aurora-mysql", ns + "databaseEngineVersion": "5.7.mysql_aurora.2.11.2", ns + "databasePort": "3306"},
			"is not a MySQL 8.0-compatible Aurora MySQL 3 version"},
		{"bad batch schedule", map[string]string{ns + "batchJobs": `[{"name":"x","schedule":"daily","command":["a"]}]`},
			`fintech-resilience:batchJobs: "daily" is not a schedule`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(getter(with(goodWorkload(), c.set)), "workload")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := Load(getter(with(goodRestore(), map[string]string{ns + "apiMode": "apprunner"})), "restore")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fintech-resilience:apiMode: "apprunner" is not supported in the restore account`)
}
