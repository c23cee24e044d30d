package preflight

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type failingSTS struct{}

func (failingSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return nil, errors.New("no EC2 IMDS role found")
}
