// Package notifytopic provides Topic, an SNS topic for operational and
// security notifications.
//
// Guarantees: the topic is encrypted with the customer-managed key it is
// given; its policy lets only the named AWS services publish, and only on
// behalf of this account (aws:SourceAccount); every configured e-mail
// address is subscribed (each address must confirm its subscription).
package notifytopic

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:notify:Topic"

// Args configures a Topic.
type Args struct {
	// AccountID owns the topic; publishers act on its behalf only.
	AccountID string
	// KeyArn is the customer-managed key that encrypts the topic.
	KeyArn pulumi.StringInput
	// Publishers are service principals allowed to publish, e.g.
	// "backup.amazonaws.com", "events.amazonaws.com".
	Publishers []string
	// Emails are subscribed with the email protocol.
	Emails []string
}

// Topic is the notification topic.
type Topic struct {
	pulumi.ResourceState

	Topic *sns.Topic
	Arn   pulumi.StringOutput

	account string
	keyArn  pulumi.StringInput
}

var (
	principalRE = regexp.MustCompile(`^[a-z0-9.-]+\.amazonaws\.com$`)
)

func (a *Args) validate() error {
	if !awsfacts.ValidAccountID(a.AccountID) {
		return fmt.Errorf("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if a.KeyArn == nil {
		return fmt.Errorf("KeyArn (a customer-managed key) is required")
	}
	for _, p := range a.Publishers {
		if !principalRE.MatchString(p) {
			return fmt.Errorf("publisher %q is not a service principal such as backup.amazonaws.com", p)
		}
	}
	for _, e := range a.Emails {
		if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e {
			return fmt.Errorf("e-mail %q is not a plain address", e)
		}
	}
	return nil
}

// NewTopic creates the topic, its policy and the subscriptions.
func NewTopic(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Topic, error) {
	if args == nil {
		return nil, fmt.Errorf("notifytopic %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("notifytopic %s: %w", name, err)
	}
	t := &Topic{account: args.AccountID, keyArn: args.KeyArn}
	if err := ctx.RegisterComponentResource(TypeToken, name, t, opts...); err != nil {
		return nil, fmt.Errorf("notifytopic %s: register: %w", name, err)
	}
	parent := pulumi.Parent(t)
	topic, err := sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		Name:           pulumi.String(name),
		KmsMasterKeyId: args.KeyArn,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("notifytopic %s: topic: %w", name, err)
	}
	t.Topic = topic
	t.Arn = topic.Arn
	if len(args.Publishers) > 0 {
		publishers := append([]string{}, args.Publishers...)
		account := args.AccountID
		policy := topic.Arn.ApplyT(func(arn string) (string, error) {
			return awsiam.Policy(awsiam.Statement{
				"Sid":       "ServicesOfThisAccountPublish",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": publishers},
				"Action":    "sns:Publish",
				"Resource":  arn,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
			})
		}).(pulumi.StringOutput)
		if _, err := sns.NewTopicPolicy(ctx, name+"-policy", &sns.TopicPolicyArgs{
			Arn:    topic.Arn,
			Policy: policy,
		}, parent); err != nil {
			return nil, fmt.Errorf("notifytopic %s: policy: %w", name, err)
		}
	}
	for _, p := range args.Publishers {
		svc := strings.TrimSuffix(p, ".amazonaws.com")
		if err := t.RequirePublish(ctx, t, name, svc, pulumi.String(p), nil,
			svc+" (service principal)", "the service delivers its alerts to the topic"); err != nil {
			return nil, fmt.Errorf("notifytopic %s: %w", name, err)
		}
	}
	for _, e := range args.Emails {
		// Named by address, so reordering the list replaces nothing.
		if _, err := sns.NewTopicSubscription(ctx, name+"-email-"+slug(e), &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(e),
		}, parent); err != nil {
			return nil, fmt.Errorf("notifytopic %s: subscription %s: %w", name, e, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{"arn": t.Arn}); err != nil {
		return nil, fmt.Errorf("notifytopic %s: outputs: %w", name, err)
	}
	return t, nil
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return nonAlnum.ReplaceAllString(strings.ToLower(s), "-")
}
