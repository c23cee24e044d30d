package tests

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/notifytopic"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func notifyTopicRun(args *notifytopic.Args) (*graph.Graph, error) {
	return preview.Run(func(ctx *pulumi.Context) error {
		_, err := notifytopic.NewTopic(ctx, "alerts", args)
		return err
	}, testkit.Options())
}

func TestTopic(t *testing.T) {
	g, err := notifyTopicRun(&notifytopic.Args{
		AccountID: "111111111111", KeyArn: pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/k"),
		Publishers: []string{"backup.amazonaws.com", "events.amazonaws.com"},
		Emails:     []string{"a@example.com", "b@example.com"},
	})
	require.NoError(t, err)
	topics := g.OfType("aws:sns/topic:Topic")
	require.Len(t, topics, 1)
	assert.Equal(t, "arn:aws:kms:ap-northeast-1:111111111111:key/k", topics[0].Inputs["kmsMasterKeyId"])

	pols := g.OfType("aws:sns/topicPolicy:TopicPolicy")
	require.Len(t, pols, 1)
	var doc struct {
		Statement []struct {
			Principal map[string][]string
			Action    string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(graph.Str(pols[0].Inputs["policy"])), &doc))
	require.Len(t, doc.Statement, 1)
	st := doc.Statement[0]
	assert.Equal(t, []string{"backup.amazonaws.com", "events.amazonaws.com"}, st.Principal["Service"])
	assert.Equal(t, "sns:Publish", st.Action)
	assert.Equal(t, "arn:aws:sns:ap-northeast-1:111111111111:alerts", st.Resource)
	assert.Equal(t, "111111111111", st.Condition["StringEquals"]["aws:SourceAccount"])

	subs := g.OfType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, subs, 2)
	assert.Equal(t, "alerts-email-a-example-com", subs[0].Name)
	assert.Equal(t, "email", subs[0].Inputs["protocol"])
	assert.Equal(t, "a@example.com", subs[0].Inputs["endpoint"])
}

func TestTopicRejectsBadArgs(t *testing.T) {
	for name, args := range map[string]*notifytopic.Args{
		"no key":        {AccountID: "111111111111"},
		"bad publisher": {AccountID: "111111111111", KeyArn: pulumi.String("k"), Publishers: []string{"*"}},
		"bad email":     {AccountID: "111111111111", KeyArn: pulumi.String("k"), Emails: []string{"Ops <ops@example.com>"}},
		"bad account":   {AccountID: "1", KeyArn: pulumi.String("k")},
	} {
		t.Run(name, func(t *testing.T) {
			g, err := notifyTopicRun(args)
			require.Error(t, err)
			assert.Nil(t, g)
		})
	}
}
