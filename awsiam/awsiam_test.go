package awsiam

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServiceTrust(t *testing.T) {
	got, err := ServiceTrust("ecs-tasks.amazonaws.com", "111111111111")
	require.NoError(t, err)
	assert.Equal(t, `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}},"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"}}],"Version":"2012-10-17"}`, got)
	got, err = ServiceTrust("tasks.apprunner.amazonaws.com", "")
	require.NoError(t, err)
	assert.Equal(t, `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"tasks.apprunner.amazonaws.com"}}],"Version":"2012-10-17"}`, got)
}

func TestSecretResources(t *testing.T) {
	const sec = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:db-AbCdEf"
	const par = "arn:aws:ssm:ap-northeast-1:111111111111:parameter/app/flag"
	secrets, params := SecretResources(map[string]string{
		"B_PASS": sec + ":password::",
		"A_USER": sec + ":username::",
		"FLAG":   par,
	})
	assert.Equal(t, []string{sec}, secrets)
	assert.Equal(t, []string{par}, params)
}

func TestSecretProblems(t *testing.T) {
	assert.Nil(t, SecretProblems(map[string]string{"OK": "arn:aws:ssm:ap-northeast-1:111111111111:parameter/x"}))
	assert.Equal(t, []string{
		`Secrets: "1BAD" is not an environment variable name`,
		`Secrets[1BAD]: "plain" is not a Secrets Manager secret ARN or SSM parameter ARN`,
	}, SecretProblems(map[string]string{"1BAD": "plain"}))
}

func TestPolicy(t *testing.T) {
	got, err := Policy(
		Statement{"Sid": "B", "Effect": "Allow", "Action": []string{"s3:GetObject"}, "Resource": "arn:aws:s3:::b/*"},
		Statement{"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
	)
	require.NoError(t, err)
	// Keys in sorted order, statements in the given order: one document
	// always renders to one string.
	assert.Equal(t, `{"Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Resource":"arn:aws:s3:::b/*","Sid":"B"},`+
		`{"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":"*","Resource":"*","Sid":"A"}],"Version":"2012-10-17"}`, got)
	_, err = Policy()
	assert.EqualError(t, err, "policy document: no statements")
	_, err = Policy(Statement{"Resource": make(chan int)})
	assert.ErrorContains(t, err, "encode JSON")
}

func TestAllow(t *testing.T) {
	got, err := Policy(Allow("Read", []string{"s3:GetObject", "s3:ListBucket"}, "arn:aws:s3:::b", "arn:aws:s3:::b/*"))
	require.NoError(t, err)
	assert.Equal(t, `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Sid":"Read"}],"Version":"2012-10-17"}`, got)
}
