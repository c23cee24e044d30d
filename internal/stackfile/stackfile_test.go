package stackfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const project = `name: demo
runtime:
  name: go
  options:
    binary: bin/demo
description: test project
config:
  defaultedKey:
    type: string
    default: from-project
  overridden:
    default: project-value
  valued:
    value: 42
  noDefault:
    type: string
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestLoadValues(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Pulumi.yaml", project)
	writeFile(t, dir, "Pulumi.dev.yaml", `config:
  aws:region: ap-northeast-1
  demo:plain: hello
  demo:quotedNumber: "111111111111"
  demo:number: 30
  demo:float: 1.5
  demo:flag: true
  noNamespace: short
  overridden: from-stack
  other:key: other-namespace
  demo:list:
    - a
    - b
  demo:object:
    roleArn: arn:aws:iam::111111111111:role/x
    nested:
      n: 1
      on: false
  demo:emptyList: []
`)
	s, err := Load(dir, "dev", "")
	require.NoError(t, err)
	assert.Equal(t, "demo", s.Project)
	assert.Equal(t, "go", s.Runtime)
	assert.Equal(t, "dev", s.Stack)
	assert.Empty(t, s.SecretKeys)
	assert.Equal(t, map[string]string{
		"aws:region":        "ap-northeast-1",
		"demo:plain":        "hello",
		"demo:quotedNumber": "111111111111",
		"demo:number":       "30",
		"demo:float":        "1.5",
		"demo:flag":         "true",
		"demo:noNamespace":  "short",
		"demo:overridden":   "from-stack",
		"other:key":         "other-namespace",
		"demo:list":         `["a","b"]`,
		"demo:object":       `{"nested":{"n":1,"on":false},"roleArn":"arn:aws:iam::111111111111:role/x"}`,
		"demo:emptyList":    `[]`,
		// From Pulumi.yaml.
		"demo:defaultedKey": "from-project",
		"demo:valued":       "42",
	}, s.Config)
}

func TestLoadRuntimeAsString(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Pulumi.yaml", "name: p\nruntime: go\n")
	writeFile(t, dir, "Pulumi.s.yaml", "config:\n  k: v\n")
	s, err := Load(dir, "s", "")
	require.NoError(t, err)
	assert.Equal(t, "go", s.Runtime)
	assert.Equal(t, map[string]string{"p:k": "v"}, s.Config)
}

func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Pulumi.yaml", "name: demo\nruntime: go\n")
	writeFile(t, dir, "Pulumi.prod.yaml", `config:
  demo:dbPassword:
    secure: v1:abcdefABCDEF==
  aws:secretKey:
    secure: AAABAKx0d2VudHk=
  demo:creds:
    user: admin
    password:
      secure: v1:ZZZZ==
  demo:tokens:
    - secure: v1:AAAA==
    - plain
  demo:visible: not-a-secret
`)
	s, err := Load(dir, "prod", "")
	require.NoError(t, err)
	assert.Equal(t, SecretPlaceholder, s.Config["demo:dbPassword"])
	assert.Equal(t, "[secret]", s.Config["aws:secretKey"])
	assert.Equal(t, `{"password":"[secret]","user":"admin"}`, s.Config["demo:creds"])
	assert.Equal(t, `["[secret]","plain"]`, s.Config["demo:tokens"])
	assert.Equal(t, "not-a-secret", s.Config["demo:visible"])
	assert.Equal(t, []string{"aws:secretKey", "demo:creds", "demo:dbPassword", "demo:tokens"}, s.SecretKeys)
	for k, v := range s.Config {
		assert.NotContains(t, v, "v1:", "ciphertext of %s leaked", k)
	}
}

func TestLoadExplicitConfigFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Pulumi.yaml", "name: demo\nruntime: go\n")
	writeFile(t, dir, "Pulumi.dev.yaml", "config:\n  demo:from: stack-file\n")
	other := writeFile(t, t.TempDir(), "custom.yaml", "config:\n  demo:from: custom-file\n")
	s, err := Load(dir, "dev", other)
	require.NoError(t, err)
	assert.Equal(t, "custom-file", s.Config["demo:from"])

	// No stack name is needed when the file is given.
	s, err = Load(dir, "", other)
	require.NoError(t, err)
	assert.Equal(t, "custom-file", s.Config["demo:from"])
}

func TestLoadErrors(t *testing.T) {
	t.Run("missing project file", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir, "dev", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "reading project file")
		assert.Contains(t, err.Error(), filepath.Join(dir, "Pulumi.yaml"))
	})
	t.Run("invalid project file", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "Pulumi.yaml", "name: [unclosed\n")
		_, err := Load(dir, "dev", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), p+": not valid YAML")
	})
	t.Run("project without name", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "Pulumi.yaml", "runtime: go\n")
		_, err := Load(dir, "dev", "")
		require.Error(t, err)
		assert.Equal(t, p+": has no project name", err.Error())
	})
	t.Run("missing stack file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		_, err := Load(dir, "nosuch", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "reading stack configuration")
		assert.Contains(t, err.Error(), filepath.Join(dir, "Pulumi.nosuch.yaml"))
	})
	t.Run("missing explicit file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		missing := filepath.Join(dir, "does-not-exist.yaml")
		_, err := Load(dir, "dev", missing)
		require.Error(t, err)
		assert.Contains(t, err.Error(), missing)
	})
	t.Run("invalid stack file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		p := writeFile(t, dir, "Pulumi.bad.yaml", "config:\n  demo:x: [1, 2\n")
		_, err := Load(dir, "bad", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), p+": not valid YAML")
	})
	t.Run("config is not a map", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		p := writeFile(t, dir, "Pulumi.bad.yaml", "config:\n  - a\n  - b\n")
		_, err := Load(dir, "bad", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), p)
	})
	t.Run("secure value not a string", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		p := writeFile(t, dir, "Pulumi.bad.yaml", "config:\n  demo:pw:\n    secure:\n      - x\n")
		_, err := Load(dir, "bad", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), p+": config demo:pw: secure value is not a string")
	})
	t.Run("no stack name", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Pulumi.yaml", "name: demo\n")
		_, err := Load(dir, "", "")
		require.Error(t, err)
		assert.Equal(t, "no stack name given", err.Error())
	})
}

func TestLoadRealStacks(t *testing.T) {
	for _, stack := range []string{"workload", "bunker", "restore"} {
		t.Run(stack, func(t *testing.T) {
			s, err := Load("../..", stack, "")
			require.NoError(t, err)
			assert.Equal(t, "fintech-resilience", s.Project)
			assert.Equal(t, "go", s.Runtime)
			assert.Equal(t, stack, s.Config["fintech-resilience:role"])
			assert.Equal(t, "ap-northeast-1", s.Config["aws:region"])
			assert.Equal(t, `["security-oncall@example.com","platform-team@example.com"]`, s.Config["fintech-resilience:notificationEmails"])
			assert.Equal(t, "30", s.Config["fintech-resilience:kmsDeletionWindowDays"])
			assert.Contains(t, s.Config["aws:assumeRole"], `"roleArn":"arn:aws:iam::`)
			assert.Empty(t, s.SecretKeys)
		})
	}
}
