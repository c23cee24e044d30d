package iamref

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type M = map[string]any
type L = []any

func doc(t *testing.T, statements ...M) []byte {
	t.Helper()
	b, err := json.Marshal(M{"Version": "2012-10-17", "Statement": statements})
	require.NoError(t, err)
	return b
}

func validate(t *testing.T, statements ...M) []Problem {
	t.Helper()
	ps, err := ValidateDocument(doc(t, statements...))
	require.NoError(t, err)
	return ps
}

const (
	nacl   = "arn:aws:ec2:ap-northeast-1:111111111111:network-acl/*"
	subnet = "arn:aws:ec2:ap-northeast-1:111111111111:subnet/*"
	key    = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	topic  = "arn:aws:sns:ap-northeast-1:111111111111:alerts"
)

func TestReplaceNetworkAclAssociationNeedsSubnet(t *testing.T) {
	ps := validate(t, M{"Sid": "Quarantine", "Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": nacl})
	require.Len(t, ps, 1)
	assert.Equal(t, "Quarantine", ps[0].Statement)
	assert.Equal(t, KindMissingResourceType, ps[0].Kind)
	assert.Contains(t, ps[0].Detail, "ec2:ReplaceNetworkAclAssociation requires resource type subnet")
	assert.Contains(t, ps[0].Detail, "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}")

	// Both types in one statement, or in two statements.
	assert.Empty(t, validate(t, M{"Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": L{nacl, subnet}}))
	assert.Empty(t, validate(t,
		M{"Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": nacl},
		M{"Effect": "Allow", "Action": L{"ec2:ReplaceNetworkAclAssociation", "ec2:DescribeNetworkAcls"}, "Resource": subnet}))
	// A Resource "*" statement covers it; a Deny does not.
	assert.Empty(t, validate(t,
		M{"Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": nacl},
		M{"Effect": "Allow", "Action": "ec2:Replace*", "Resource": "*"}))
	ps = validate(t,
		M{"Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": nacl},
		M{"Effect": "Deny", "Action": "ec2:ReplaceNetworkAclAssociation", "Resource": subnet})
	require.Len(t, ps, 1)
	assert.Equal(t, "#1", ps[0].Statement)
	// Reached through a wildcard whose resources reach one of its types.
	ps = validate(t, M{"Effect": "Allow", "Action": "ec2:Replace*", "Resource": nacl})
	kinds := map[string]bool{}
	for _, p := range ps {
		kinds[p.Kind] = true
		assert.NotContains(t, p.Detail, "ReplaceRoute ", "a wildcard does not require types it does not reach")
	}
	assert.Equal(t, map[string]bool{KindMissingResourceType: true}, kinds)
	assert.Contains(t, ps[0].Detail, "subnet")
}

func TestActions(t *testing.T) {
	ps := validate(t, M{"Sid": "Isolate", "Effect": "Allow", "Action": L{"dynamodb:PutItem", "dynamodb:TransactWriteItems"},
		"Resource": "arn:aws:dynamodb:ap-northeast-1:111111111111:table/isolation"})
	require.Len(t, ps, 1)
	assert.Equal(t, Problem{"Isolate", KindUnknownAction, `Action "dynamodb:TransactWriteItems" is not an IAM action of dynamodb (AWS ignores it)`}, ps[0])

	for _, a := range []string{"kms:GenerateDataKey*", "s3:Get*", "KMS:decrypt", "*", "sns:Pub?ish", "ec2:*"} {
		assert.Empty(t, validate(t, M{"Effect": "Allow", "Action": a, "Resource": "*"}), a)
	}
	assert.Empty(t, validate(t, M{"Effect": "Allow", "Action": "kms:GenerateDataKey*", "Resource": key}))
	assert.Empty(t, validate(t, M{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"}))

	ps = validate(t,
		M{"Effect": "Allow", "Action": "kms:Bogus*", "Resource": "*"},
		M{"Effect": "Deny", "NotAction": L{"nosuchservice:Get"}, "Resource": "*"},
		M{"Effect": "Allow", "Action": "publish", "Resource": "*"})
	assert.Equal(t, []Problem{
		{"#1", KindUnknownAction, `Action "kms:Bogus*" matches no kms action`},
		{"#2", KindUnknownService, `NotAction "nosuchservice:Get": no AWS service has the prefix "nosuchservice"`},
		{"#3", KindUnknownAction, `Action "publish" is not of the form service:action`},
	}, ps)
}

func TestConditionKeys(t *testing.T) {
	ok := []string{
		"kms:ViaService", "aws:SourceAccount", "AWS:SourceArn", "kms:EncryptionContext:aws:sns:topicArn",
		"kms:CallerAccount", "aws:ResourceTag/team", "aws:PrincipalTag/dept", "aws:PrincipalOrgID",
		"s3:ExistingObjectTag/class", "ec2:ResourceTag/quarantine", "token.actions.githubusercontent.com:sub",
		"token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:repository",
		"oidc.eks.ap-northeast-1.amazonaws.com/id/ABC:sub", "lambda:SourceFunctionArn",
	}
	for _, k := range ok {
		assert.Empty(t, validate(t, M{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
			"Condition": M{"StringEquals": M{k: "x"}}}), k)
	}
	ps := validate(t, M{"Sid": "Dec", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
		"Condition": M{"StringEquals": M{"kms:Bogus": "x", "kms:ViaService": "sns.ap-northeast-1.amazonaws.com"},
			"StringLike": M{"kms:Bogus": "y"}, "Bool": M{"aws:SecureTransportX": "true", "aws:ResourceTag/": "x"}}})
	assert.Equal(t, []Problem{
		{"Dec", KindUnknownConditionKey, `condition key "aws:ResourceTag/" does not exist (the condition never matches as written)`},
		{"Dec", KindUnknownConditionKey, `condition key "aws:SecureTransportX" does not exist (the condition never matches as written)`},
		{"Dec", KindUnknownConditionKey, `condition key "kms:Bogus" does not exist (the condition never matches as written)`},
	}, ps)
	ps = validate(t, M{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic,
		"Condition": M{"StringEquals": M{"nosuch:Key": "x"}}})
	require.Len(t, ps, 1)
	assert.Equal(t, KindUnknownConditionKey, ps[0].Kind)
}

func TestResourcePolicies(t *testing.T) {
	// A topic policy: actions and keys are checked, resource types are not.
	ps := validate(t,
		M{"Sid": "Events", "Effect": "Allow", "Principal": M{"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
			"Resource": topic, "Condition": M{"ArnEquals": M{"aws:SourceArn": "arn:aws:events:ap-northeast-1:111111111111:rule/r"}}},
		M{"Sid": "Quarantine", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:root"},
			"Action": L{"ec2:ReplaceNetworkAclAssociation", "sns:Publishh"}, "Resource": nacl,
			"Condition": M{"StringEquals": M{"sns:Bogus": "x"}}})
	assert.Equal(t, []Problem{
		{"Quarantine", KindUnknownAction, `Action "sns:Publishh" is not an IAM action of sns (AWS ignores it)`},
		{"Quarantine", KindUnknownConditionKey, `condition key "sns:Bogus" does not exist (the condition never matches as written)`},
	}, ps)
	// A key policy with the root delegation and a service grant.
	assert.Empty(t, validate(t,
		M{"Sid": "Root", "Effect": "Allow", "Principal": M{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
		M{"Sid": "SNS", "Effect": "Allow", "Principal": M{"Service": "sns.amazonaws.com"}, "Action": L{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Resource": "*", "Condition": M{"StringEquals": M{"aws:SourceAccount": "111111111111", "kms:EncryptionContext:aws:sns:topicArn": topic}}}))
	// A trust policy.
	assert.Empty(t, validate(t, M{"Effect": "Allow", "Principal": M{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
		"Condition": M{"StringEquals": M{"aws:SourceAccount": "111111111111"}}}))
}

func TestIdentityPolicyResourceMatching(t *testing.T) {
	cases := []struct {
		name      string
		statement M
		missing   []string
	}{
		{"object action on objects", M{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::audit/*"}, nil},
		{"log stream through a log-group wildcard", M{"Effect": "Allow", "Action": L{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": "arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/x:*"}, nil},
		{"policy variable in the resource", M{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::111111111111:user/${aws:username}"}, nil},
		{"publish on a queue ARN", M{"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sqs:ap-northeast-1:111111111111:q"}, []string{"topic"}},
		{"decrypt on an alias", M{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:ap-northeast-1:111111111111:alias/app"}, []string{"key"}},
		{"NotResource is not checked", M{"Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sqs:*:*:*"}, nil},
		{"Deny is not checked", M{"Effect": "Deny", "Action": "sns:Publish", "Resource": "arn:aws:sqs:*:*:*"}, nil},
		{"NotAction is not checked", M{"Effect": "Allow", "NotAction": "sns:Publish", "Resource": "arn:aws:sqs:*:*:*"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := validate(t, c.statement)
			var got []string
			for _, p := range ps {
				require.Equal(t, KindMissingResourceType, p.Kind, p.Detail)
				got = append(got, p.Detail)
			}
			require.Len(t, got, len(c.missing), "%v", got)
			for i, m := range c.missing {
				assert.Contains(t, got[i], "requires resource type "+m+" ")
			}
		})
	}
}

func TestNotAPolicyDocument(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":                `{"Statement": [`,
		"a list":                  `[{"Effect": "Allow"}]`,
		"no Statement":            `{"Version": "2012-10-17"}`,
		"Statement a string":      `{"Statement": "x"}`,
		"statement not an object": `{"Statement": ["x"]}`,
		"Action a number":         `{"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]}`,
		"Action list of numbers":  `{"Statement": [{"Effect": "Allow", "Action": [3], "Resource": "*"}]}`,
		"Resource an object":      `{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {}}]}`,
		"Condition a list":        `{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": []}]}`,
		"Condition operator list": `{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": []}}]}`,
		"trailing data":           `{"Statement": []} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			ps, err := ValidateDocument([]byte(in))
			assert.Error(t, err)
			assert.Nil(t, ps)
		})
	}
	// A single statement object is a policy document.
	ps, err := ValidateDocument([]byte(`{"Statement": {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}`))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, KindUnknownAction, ps[0].Kind)
}

func TestDataVersion(t *testing.T) {
	v, err := DataVersion()
	require.NoError(t, err)
	assert.Regexp(t, `^0\.\d+\.\d{9}$`, v)
	ix, err := load()
	require.NoError(t, err)
	a, err := ix.lookupAction("EC2", "replacenetworkaclassociation")
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, "ReplaceNetworkAclAssociation", a.Name, "AWS's case is kept")
	var required []string
	for _, rt := range a.ResourceTypes {
		if rt.Required {
			required = append(required, rt.Name)
		}
	}
	assert.Equal(t, []string{"network-acl", "subnet"}, required)
	for _, c := range [][2]string{{"dynamodb", "TransactWriteItems"}, {"nosuch", "Get"}} {
		a, err := ix.lookupAction(c[0], c[1])
		require.NoError(t, err)
		assert.Nil(t, a, "%s:%s", c[0], c[1])
	}
}

// Every service of the embedded data decodes, and a service is decoded
// once, on first use.
func TestEveryServiceDecodes(t *testing.T) {
	ix, err := parse(dataGz)
	require.NoError(t, err)
	assert.Greater(t, len(ix.raw), 400)
	assert.Empty(t, ix.parsed, "nothing is decoded before a policy names it")
	actions := 0
	for prefix := range ix.raw {
		svc, err := ix.service(strings.ToUpper(prefix))
		require.NoError(t, err, prefix)
		require.NotNil(t, svc, prefix)
		assert.Equal(t, prefix, svc.Prefix)
		assert.Len(t, svc.Names, len(svc.Actions), prefix)
		actions += len(svc.Actions)
		again, err := ix.service(prefix)
		require.NoError(t, err)
		assert.Same(t, svc, again, prefix)
	}
	assert.Greater(t, actions, 15000, "AWS has well over 15,000 IAM actions")
	// Keys of services and actions are known without decoding a service.
	fresh, err := parse(dataGz)
	require.NoError(t, err)
	assert.True(t, fresh.knownKey("ec2:Region"))
	assert.True(t, fresh.knownKey("backup:CopyTargets"))
	assert.False(t, fresh.knownKey("ec2:NoSuchKey"))
	assert.Empty(t, fresh.parsed)
}

func TestParseCorruptData(t *testing.T) {
	_, err := parse([]byte("not gzip"))
	assert.ErrorContains(t, err, "iamref: open embedded reference data")

	cases := map[string]string{
		"not json\n":                         "decode embedded reference data header",
		"{}\n":                               "has no services",
		"{}\nec2 without a tab\n":            "line 2 is not <prefix><tab><json>",
		"{}\nec2\t{\"actions\": {}}\n\t{}\n": "line 3 is not <prefix><tab><json>",
	}
	for data, want := range cases {
		_, err := parse(gzipped(t, data))
		assert.ErrorContains(t, err, want, "%q", data)
	}
	// A damaged service line is an error when a policy names the service,
	// not a silent pass.
	ix, err := parse(gzipped(t, "{}\nec2\t{not json\n"))
	require.NoError(t, err)
	_, err = ix.service("ec2")
	assert.ErrorContains(t, err, `decode service "ec2"`)
	_, err = ix.checkActions(statement{label: "s", actions: []string{"ec2:RunInstances"}})
	assert.ErrorContains(t, err, `decode service "ec2"`)
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "ab", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"generatedatakey*", "generatedatakeypair", true},
		{"generatedatakey*", "generatedatakey", true},
		{"*key*", "generatedatakeywithoutplaintext", true},
		{"abc", "abd", false},
		{"", "", true},
		{"", "a", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, globMatch(c.pattern, c.s), "%q ~ %q", c.pattern, c.s)
	}
}

func TestGlobsOverlap(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"arn:aws:ec2:r:1:network-acl/*", "arn:*:ec2:*:*:subnet/*", true}, // as plain globs: the account * runs on
		{"arn:aws:ec2:r:1:subnet/*", "arn:*:ec2:*:*:subnet/*", true},
		{"arn:aws:ec2:*:*:*", "arn:*:ec2:*:*:subnet/*", true},
		{"arn:aws:s3:::b/*", "arn:*:s3:::*", true},
		{"arn:aws:sqs:r:1:q", "arn:*:sns:*:*:*", false},
		{"x*", "*y", true},
		{"*x", "*y", false},
		{"a?c", "a*", true},
		{"a?c", "ab", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"*", "", true},
		{"", "", true},
		{"a", "", false},
		{"a*b*c", "*bc", true},
		{"a*b*c", "*d", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, globsOverlap(c.a, c.b), "%q ∩ %q", c.a, c.b)
		assert.Equal(t, c.want, globsOverlap(c.b, c.a), "%q ∩ %q (swapped)", c.b, c.a)
	}
}

func TestARNsOverlap(t *testing.T) {
	cases := []struct {
		resource, format string
		want             bool
	}{
		{"arn:aws:ec2:r:1:network-acl/*", "arn:*:ec2:*:*:subnet/*", false},
		{"arn:aws:ec2:r:1:network-acl/*", "arn:*:ec2:*:*:network-acl/*", true},
		{"arn:aws:ec2:*:*:*", "arn:*:ec2:*:*:subnet/*", true},
		{"arn:aws:ec2:r:1:*", "arn:*:ec2:*:*:subnet/*", true},
		{"arn:aws:sqs:r:1:q", "arn:*:sns:*:*:*", false},
		{"arn:aws:sns:r:1:q", "arn:*:sns:*:*:*", true},
		{"arn:aws:logs:r:1:log-group:/x:*", "arn:*:logs:*:*:log-group:*:log-stream:*", true},
		{"arn:aws:logs:r:1:log-group:/x", "arn:*:logs:*:*:log-group:*:log-stream:*", false},
		{"arn:aws:s3:::b/*", "arn:*:s3:::*/*", true},
		{"arn:aws:s3:::b", "arn:*:s3:::*/*", false},
		{"arn:aws:iam::1:role/x", "arn:*:iam::*:role/*", true},
		{"arn:aws:iam::1:role/x", "arn:*:iam::*:user/*", false},
		{"not-an-arn*", "not-an-arn", true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, arnsOverlap(c.resource, c.format), "%q ∩ %q", c.resource, c.format)
	}
}

func TestTemplateGlob(t *testing.T) {
	assert.Equal(t, "arn:*:ec2:*:*:subnet/*", templateGlob("arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}"))
	assert.Equal(t, "s3:existingobjecttag/*", templateGlob("s3:existingobjecttag/<key>"))
	assert.Equal(t, "x${open", templateGlob("x${open"))
	assert.Equal(t, "x<open", templateGlob("x<open"))
}
