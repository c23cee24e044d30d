package notifytopic

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// RequirePublish declares that principal publishes to the topic: sns:Publish
// on the topic and, because SNS encrypts the message with the topic's key,
// kms:GenerateDataKey and kms:Decrypt on that key through SNS (the implied
// KMS need of every publisher of a CMK-encrypted topic). A service
// principal publishes on behalf of this account (aws:SourceAccount), and of
// sourceArn when given.
func (t *Topic) RequirePublish(ctx *pulumi.Context, parent pulumi.Resource, parentName, part string,
	principal pulumi.StringInput, sourceArn pulumi.StringInput, caller, reason string) error {
	sctx := map[string]pulumi.StringInput{}
	if isService(principal) {
		sctx["aws:SourceAccount"] = pulumi.String(t.account)
		if sourceArn != nil {
			sctx["aws:SourceArn"] = sourceArn
		}
	}
	if err := flow.Require(ctx, parent, parentName, part+"-publish", flow.Access{
		Principal: principal, Actions: []string{"sns:Publish"}, Resource: t.Arn, Context: sctx,
		Caller: caller, Reason: reason,
	}); err != nil {
		return err
	}
	kctx := map[string]pulumi.StringInput{
		"kms:ViaService": t.Arn.ApplyT(func(arn string) string {
			return "sns." + arnRegion(arn) + ".amazonaws.com"
		}).(pulumi.StringOutput),
		"kms:CallerAccount":                      pulumi.String(t.account),
		"kms:EncryptionContext:aws:sns:topicArn": t.Arn,
	}
	for k, v := range sctx {
		kctx[k] = v
	}
	return flow.Require(ctx, parent, parentName, part+"-topic-key", flow.Access{
		Principal: principal, Actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: t.keyArn, Context: kctx,
		Caller: caller + " (SNS encrypts with the topic key)",
		Reason: fmt.Sprintf("%s; the topic is encrypted with a customer-managed key", reason),
	})
}

func isService(p pulumi.StringInput) bool {
	s, ok := p.(pulumi.String)
	return ok && strings.HasSuffix(string(s), ".amazonaws.com")
}

func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}
