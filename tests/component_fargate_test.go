package tests

import (
	"testing"

	"github.com/fintech-resilience/fintech-resilience/components/fargate"
	"github.com/stretchr/testify/assert"
)

func TestFargateValidSize(t *testing.T) {
	for _, ok := range [][2]int{{256, 512}, {512, 4096}, {4096, 30720}, {8192, 20480}, {16384, 122880}} {
		assert.True(t, fargate.ValidSize(ok[0], ok[1]), "%v", ok)
	}
	for _, bad := range [][2]int{{256, 4096}, {1024, 1024}, {8192, 18432}, {300, 512}} {
		assert.False(t, fargate.ValidSize(bad[0], bad[1]), "%v", bad)
	}
}

func TestFargateECRRepositoryArn(t *testing.T) {
	assert.Equal(t, "arn:aws:ecr:ap-northeast-1:111111111111:repository/team/api",
		fargate.ECRRepositoryArn("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/team/api:v1"))
	assert.Equal(t, "arn:aws:ecr:ap-northeast-1:111111111111:repository/api",
		fargate.ECRRepositoryArn("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
	// China (aws-cn) is not a partition the program accepts (ADR 0020).
	assert.Empty(t, fargate.ECRRepositoryArn("111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
	assert.Empty(t, fargate.ECRRepositoryArn("public.ecr.aws/nginx/nginx:1"))
	// A malformed digest is not an image ECS can pull: no repository is granted.
	assert.Empty(t, fargate.ECRRepositoryArn("111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/api@sha256:abc"))
}
