package sfntest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSDKName(t *testing.T) {
	for in, want := range map[string]string{
		"DBClusterIdentifier":              "DbClusterIdentifier",
		"DBInstanceStatus":                 "DbInstanceStatus",
		"KmsKeyId":                         "KmsKeyId",
		"VpcSecurityGroupIds":              "VpcSecurityGroupIds",
		"ServerlessV2ScalingConfiguration": "ServerlessV2ScalingConfiguration",
		"RestoreJobId":                     "RestoreJobId",
		"forceNewDeployment":               "ForceNewDeployment",
		"serviceArn":                       "ServiceArn",
		"CACertificateIdentifier":          "CaCertificateIdentifier",
		"rds":                              "Rds",
	} {
		assert.Equal(t, want, SDKName(in), in)
	}
}

func TestModelChecksRequests(t *testing.T) {
	h := New(t)
	rds := h.models["rds"]
	op, err := rds.Operation("modifyDBCluster")
	require.NoError(t, err)
	assert.Equal(t, "ModifyDBCluster", op)
	_, err = rds.Operation("ModifyDBCluster")
	assert.ErrorContains(t, err, "lower-case")
	_, err = rds.Operation("modifyDbCluster")
	assert.ErrorContains(t, err, "no API action")

	got, err := rds.request(op, map[string]any{"DbClusterIdentifier": "c", "ApplyImmediately": true,
		"ServerlessV2ScalingConfiguration": map[string]any{"MinCapacity": 0.5, "MaxCapacity": 16.0}}, SDKName)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"DBClusterIdentifier": "c", "ApplyImmediately": true,
		"ServerlessV2ScalingConfiguration": map[string]any{"MinCapacity": 0.5, "MaxCapacity": 16.0}}, got)

	for want, params := range map[string]map[string]any{
		`required member "DbClusterIdentifier" missing`: {"ApplyImmediately": true},
		`unknown member "DBClusterIdentifier"`:          {"DBClusterIdentifier": "c"},
		`want a boolean`:                                {"DbClusterIdentifier": "c", "ApplyImmediately": "true"},
		`want an integer`:                               {"DbClusterIdentifier": "c", "Port": 5432.5},
	} {
		_, err := rds.request(op, params, SDKName)
		assert.ErrorContains(t, err, want)
	}

	out, err := rds.response("DescribeDBInstances", map[string]any{"DBInstances": []any{map[string]any{"DBInstanceIdentifier": "i", "DBInstanceStatus": "available"}}}, SDKName)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"DbInstances": []any{map[string]any{"DbInstanceIdentifier": "i", "DbInstanceStatus": "available"}}}, out)
	_, err = rds.response("DescribeDBInstances", map[string]any{"Instances": []any{}}, SDKName)
	assert.ErrorContains(t, err, `unknown member "Instances"`)
}
