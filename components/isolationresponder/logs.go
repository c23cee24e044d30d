package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) logGroup(resName, groupName string) (*cloudwatch.LogGroup, error) {
	lg, err := cloudwatch.NewLogGroup(b.ctx, resName, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		KmsKeyId:        b.args.LogsKeyArn,
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("log group %s: %w", groupName, err)
	}
	return lg, nil
}

func (b *builder) logGroups() error {
	var err error
	if b.evidence, err = b.logGroup(b.child("evidence"), b.n.evidenceLogGroup); err != nil {
		return err
	}
	b.r.EvidenceLogGroupName = b.evidence.Name
	if b.smLogGroup, err = b.logGroup(b.child("approval-logs"), b.n.stateMachineLogGroup); err != nil {
		return err
	}
	b.fnLogGroups = map[string]*cloudwatch.LogGroup{}
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		lg, err := b.logGroup(b.child(fn+"-logs"), b.n.fnLogGroup[fn])
		if err != nil {
			return err
		}
		b.fnLogGroups[fn] = lg
	}
	return nil
}
