package isolation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewAWSDeps(t *testing.T) {
	awsCfg := aws.Config{Region: "ap-northeast-1"}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := NewAWSDeps(awsCfg, Config{StateTable: "t", TopicARN: "arn:aws:sns:ap-northeast-1:111111111111:x", EvidenceLogGroup: "g"}, logger)
	assert.NotNil(t, d.EC2)
	assert.NotNil(t, d.ECS)
	assert.NotNil(t, d.RDS)
	assert.Equal(t, "t", d.Store.(dynamoStore).table)
	assert.NotNil(t, d.Notifier)
	assert.NotNil(t, d.Timeline)
	assert.Nil(t, d.Approvals, "no approval state machine configured")
	assert.Same(t, logger, d.Logger)

	d = NewAWSDeps(awsCfg, Config{StateTable: "t", ApprovalStateMachineARN: "arn:aws:states:ap-northeast-1:111111111111:stateMachine:a"}, logger)
	assert.NotNil(t, d.Approvals)

	r := NewAWSReleaseDeps(awsCfg, ReleaseConfig{StateTable: "r"}, logger)
	assert.NotNil(t, r.EC2)
	assert.Equal(t, "r", r.Store.(dynamoStore).table)
	assert.NotNil(t, r.Notifier)
	assert.NotNil(t, r.Timeline)
	assert.Same(t, logger, r.Logger)
}

type echoHandler struct{}

func (echoHandler) Handle(_ context.Context, raw []byte) (string, error) { return string(raw), nil }

func TestHandler(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	got, err := Handler[string](logger, "echo", echoHandler{}, nil)(context.Background(), []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, got)

	setupErr := errors.New("STATE_TABLE is required")
	got, err = Handler[string](logger, "echo", nil, setupErr)(context.Background(), []byte(`{}`))
	assert.ErrorIs(t, err, setupErr)
	assert.Empty(t, got)
}
