package awsfacts

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseECRImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	const host = "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/"
	cases := []struct {
		image string
		want  ECRImage
		ok    bool
	}{
		{host + "bank-api:1.4.2", ECRImage{"111111111111", "ap-northeast-1", "bank-api", "1.4.2", ""}, true},
		{host + "team/bank-api@" + digest, ECRImage{"111111111111", "ap-northeast-1", "team/bank-api", "", digest}, true},
		{host + "bank-api", ECRImage{"111111111111", "ap-northeast-1", "bank-api", "", ""}, true},
		{"public.ecr.aws/nginx/nginx:1.27", ECRImage{}, false},
		{"docker.io/library/nginx:1.27", ECRImage{}, false},
		{"11111111111.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:1", ECRImage{}, false}, // 11 digits
		{host + "Bank-API:1", ECRImage{}, false},                                           // upper case repository
		{host + "bank-api@sha256:abc", ECRImage{}, false},                                  // short digest
		{host + "bank-api:1@" + digest, ECRImage{}, false},                                 // tag and digest
		{host + "bank-api:", ECRImage{}, false},
		{"111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/bank-api:1", ECRImage{}, false}, // aws-cn (ADR 0020)
	}
	for _, c := range cases {
		got, ok := ParseECRImage(c.image)
		assert.Equal(t, c.ok, ok, c.image)
		assert.Equal(t, c.want, got, c.image)
	}
}

func TestECRImageDerived(t *testing.T) {
	img, ok := ParseECRImage("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/team/bank-api:7")
	assert.True(t, ok)
	assert.True(t, img.Pinned())
	assert.Equal(t, "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/", img.Registry())
	assert.Equal(t, "arn:aws:ecr:ap-northeast-1:111111111111:repository/team/bank-api", img.RepositoryArn())
	img.Tag = ""
	assert.False(t, img.Pinned())
}
