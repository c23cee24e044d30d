package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The bunker watches itself: with the shipped file, tamper rules on the
// CloudTrail events that attack a bunker deliver to the vault's
// CMK-encrypted topic, and an alarm fires when copies stop arriving. The
// workload watches its backup vault the same way.
func TestVaultWatchInStacks(t *testing.T) {
	cases := []struct {
		stack, topicOwner, copyVault string
		sources                      []string
		hours                        float64
	}{
		{"bunker", "bunker-notifications", "fintech-bunker",
			[]string{"aws.backup", "aws.cloudtrail", "aws.guardduty", "aws.kms", "aws.ram"}, 36},
		// Daily backup, 8-hour completion window: 24 + 8 + 4.
		{"workload", "backup-alerts", "fintech-bunker",
			[]string{"aws.backup", "aws.cloudtrail", "aws.guardduty", "aws.kms"}, 36},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			g, _, err := offline.Preview("..", c.stack, "")
			require.NoError(t, err)
			topic := testkit.Named(t, g, "aws:sns/topic:Topic", c.topicOwner+"-topic")
			topicArn := testkit.ArnOf(topic)
			keyArn := graph.Str(topic.Inputs["kmsMasterKeyId"])
			assert.Contains(t, keyArn, ":key/", "the topic is encrypted with a customer-managed key")

			var sources []string
			for _, r := range g.OfType("aws:cloudwatch/eventRule:EventRule") {
				var p struct {
					Source     []string `json:"source"`
					DetailType []string `json:"detail-type"`
					Detail     struct {
						EventName []string `json:"eventName"`
					} `json:"detail"`
				}
				require.NoError(t, json.Unmarshal([]byte(graph.Str(r.Inputs["eventPattern"])), &p))
				if len(p.DetailType) != 1 || p.DetailType[0] != "AWS API Call via CloudTrail" {
					continue
				}
				sources = append(sources, p.Source...)
				require.NotEmpty(t, p.Detail.EventName, r.Name)
				targets := g.ReferencedBy(r, "aws:cloudwatch/eventTarget:EventTarget", "rule")
				require.Len(t, targets, 1, r.Name)
				assert.Equal(t, topicArn, targets[0].Inputs["arn"], "%s delivers to the CMK topic", r.Name)
			}
			assert.ElementsMatch(t, c.sources, sources)

			var alarm *graph.Resource
			for _, a := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
				if a.Inputs["metricName"] == "NumberOfCopyJobsCompleted" {
					alarm = a
				}
			}
			require.NotNil(t, alarm, "missing-copy alarm")
			assert.Equal(t, "AWS/Backup", alarm.Inputs["namespace"])
			assert.Equal(t, map[string]any{"BackupVaultName": c.copyVault}, alarm.Inputs["dimensions"])
			assert.Equal(t, "breaching", alarm.Inputs["treatMissingData"])
			assert.Equal(t, c.hours, alarm.Inputs["evaluationPeriods"])
			assert.Equal(t, []any{topicArn}, alarm.Inputs["alarmActions"])

			// EventBridge and CloudWatch may publish to the topic.
			var pol *graph.Resource
			for _, p := range g.OfType("aws:sns/topicPolicy:TopicPolicy") {
				if graph.Str(p.Inputs["arn"]) == topicArn {
					pol = p
				}
			}
			require.NotNil(t, pol)
			doc := graph.Str(pol.Inputs["policy"])
			assert.Contains(t, doc, "events.amazonaws.com")
			assert.Contains(t, doc, "cloudwatch.amazonaws.com")

			// Zero mandatory violations per stack: TestStacksHaveNoMandatoryViolations.
		})
	}
}
