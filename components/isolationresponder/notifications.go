package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
)

func (b *builder) notifications() error {
	topic, err := notifytopic.NewTopic(b.ctx, b.child("alerts"), &notifytopic.Args{
		AccountID: b.args.AccountID,
		KeyArn:    b.args.NotificationKeyArn,
		// Alarms publish as a service; the functions and the state machine
		// publish with their roles.
		Publishers: []string{"cloudwatch.amazonaws.com"},
		Emails:     b.args.NotificationEmails,
	}, b.parent)
	if err != nil {
		return err
	}
	b.topic = topic
	b.r.TopicArn = topic.Arn
	dlq, err := sqs.NewQueue(b.ctx, b.child("dlq"), &sqs.QueueArgs{
		Name:                         pulumi.String(b.child("dlq")),
		KmsMasterKeyId:               b.args.NotificationKeyArn,
		KmsDataKeyReusePeriodSeconds: pulumi.Int(300),
		MessageRetentionSeconds:      pulumi.Int(1209600),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	b.dlq = dlq
	b.r.DeadLetterQueue = dlq
	return nil
}
