package isolation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func outcomes(res Result) map[string]string {
	out := map[string]string{}
	for _, s := range res.Subnets {
		out[s.SubnetID] = s.Outcome
	}
	return out
}

func TestEC2FindingTwoENIsInTwoSubnets(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.ec2.addSubnet(subnetID(11), vpcA, dbACL)
	w.ec2.volumes["i-0123456789abcdef0"] = []string{"vol-0000000000000000a", "vol-0000000000000000b"}
	before10, before11 := w.ec2.assoc[subnetID(10)], w.ec2.assoc[subnetID(11)]

	res, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f1", 9.5, [2]string{subnetID(10), vpcA}, [2]string{subnetID(11), vpcA})))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, "instance", res.ResolvedFrom)
	assert.Equal(t, map[string]string{subnetID(10): OutcomeIsolated, subnetID(11): OutcomeIsolated}, outcomes(res))
	assert.Equal(t, [][]string{{subnetID(10), subnetID(11)}}, w.ec2.describeArgs, "one DescribeNetworkAcls for all subnets")
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(11)))

	for _, s := range res.Subnets {
		rec := w.store.get(s.SubnetID)
		assert.Equal(t, StateIsolated, rec.State)
		assert.Equal(t, "f1", rec.IncidentID)
		assert.Equal(t, s.NewAssociationID, rec.QuarantineAssociationID)
		assert.Equal(t, qaclA, rec.QuarantineNaclID)
		assert.Equal(t, vpcA, rec.VpcID)
		assert.Equal(t, 9.5, rec.Severity)
		assert.Equal(t, "2026-11-23T03:00:00Z", rec.UpdatedAt)
	}
	assert.Equal(t, appACL, w.store.get(subnetID(10)).PreviousNaclID)
	assert.Equal(t, before10.AssociationID, w.store.get(subnetID(10)).PreviousAssociationID)
	assert.Equal(t, dbACL, w.store.get(subnetID(11)).PreviousNaclID)
	assert.Equal(t, before11.AssociationID, res.Subnets[1].PreviousAssociationID)

	// Evidence: both volumes and the Aurora cluster, tagged with the incident.
	require.Len(t, res.Evidence, 3)
	assert.Equal(t, Evidence{Kind: "db-cluster-snapshot", Source: "core-db", ID: "incident-f1-core-db", Encrypted: true,
		KmsKeyID: "arn:aws:kms:ap-northeast-1:111111111111:key/db-cmk"}, res.Evidence[0])
	assert.Equal(t, "ebs-snapshot", res.Evidence[1].Kind)
	assert.Equal(t, "snap-0000000000000000a", res.Evidence[1].ID)
	assert.True(t, res.Evidence[1].Encrypted)
	for _, tags := range w.ec2.snapshotTags {
		assert.Equal(t, "f1", tags["incident-id"])
		assert.Equal(t, "Backdoor:EC2/C_CActivity.B_DNS", tags["finding-type"])
		assert.Equal(t, "i-0123456789abcdef0", tags["source-instance"])
	}

	// Timeline: finding, two subnets with before/after, evidence, result.
	ev := w.timeline.events("f1")
	require.Len(t, ev, 1+2+3+1)
	assert.Equal(t, "finding", ev[0]["event"])
	assert.Equal(t, "subnet", ev[1]["event"])
	assert.Equal(t, map[string]any{"naclId": appACL, "associationId": before10.AssociationID}, ev[1]["before"])
	assert.Equal(t, "result", ev[6]["event"])
	assert.Equal(t, "ISOLATED", ev[6]["status"])

	msgs := w.notifier.all()
	require.Len(t, msgs, 1)
	assert.Equal(t, "[ISOLATED] GuardDuty Backdoor:EC2/C&CActivity.B!DNS (severity 9.5)", msgs[0].Subject)
	assert.Contains(t, msgs[0].Body, subnetID(10)+" ("+vpcA+"): isolated, was "+appACL)
	assert.Contains(t, msgs[0].Body, `--function-name fintech-release`)
	assert.Contains(t, msgs[0].Body, `"incidentId":"f1"`)
}

func TestECSTaskFindingResolvesTheTaskSubnet(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(20), vpcB, appACL)
	w.ecs.tasks[testTaskARN] = []string{subnetID(20)}

	res, err := w.iso.Handle(context.Background(), mustJSON(t, ecsEvent("f2", 9)))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, "ecs-task", res.ResolvedFrom)
	require.Len(t, res.Subnets, 1)
	assert.Equal(t, SubnetResult{SubnetID: subnetID(20), VpcID: vpcB, PreviousNaclID: appACL,
		PreviousAssociationID: "aclassoc-00000001", NewAssociationID: "aclassoc-00000002", Outcome: OutcomeIsolated}, res.Subnets[0])
	assert.Equal(t, []string{testClusterARN}, w.ecs.clusters)
	assert.Equal(t, qaclB, w.ec2.naclOf(subnetID(20)), "VPC taken from the NACL, quarantine NACL of vpc B")
	assert.Zero(t, w.ec2.volumeCalls.Load(), "no instance to snapshot")
}

func TestNoNetworkFindingUsesBlastRadius(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(1), vpcA, appACL)
	w.ec2.addSubnet(subnetID(2), vpcA, dbACL)

	res, err := w.iso.Handle(context.Background(), mustJSON(t, noNetworkEvent("f3", 9.1)))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, "blast-radius", res.ResolvedFrom)
	assert.Equal(t, map[string]string{subnetID(1): OutcomeIsolated, subnetID(2): OutcomeIsolated}, outcomes(res))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(1)))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(2)))
}

func TestUnresolvableECSTaskFallsBackToBlastRadius(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(1), vpcA, appACL)
	w.ec2.addSubnet(subnetID(2), vpcA, dbACL)
	res, err := w.iso.Handle(context.Background(), mustJSON(t, ecsEvent("f4", 9)))
	require.NoError(t, err)
	assert.Equal(t, "blast-radius", res.ResolvedFrom)
	assert.Equal(t, StatusIsolated, res.Status)
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], "could not be resolved")
}

func TestOnlyQuarantineVPCsAreTouched(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(30), vpcOther, appACL)
	w.ec2.addSubnet(subnetID(31), vpcA, appACL)
	res, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f5", 9.5,
		[2]string{subnetID(30), vpcOther}, [2]string{subnetID(31), vpcA})))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, map[string]string{subnetID(31): OutcomeIsolated}, outcomes(res))
	assert.Equal(t, []SkippedSubnet{{SubnetID: subnetID(30), VpcID: vpcOther, Reason: "VPC has no quarantine network ACL"}}, res.Skipped)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(30)))
	assert.Equal(t, [][]string{{subnetID(31)}}, w.ec2.describeArgs)

	// A finding whose only subnet is outside the managed VPCs is IGNORED, without fallback.
	res, err = w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f6", 9.5, [2]string{subnetID(30), vpcOther})))
	require.NoError(t, err)
	assert.Equal(t, StatusIgnored, res.Status)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(30)))
}

func TestConcurrentReplacement(t *testing.T) {
	cfg := testConfig()
	cfg.BlastRadiusSubnets = map[string][]string{vpcA: {}}
	for n := 1; n <= 6; n++ {
		cfg.BlastRadiusSubnets[vpcA] = append(cfg.BlastRadiusSubnets[vpcA], subnetID(n))
	}
	w := newWorld(t, cfg)
	w.ec2.delay = 20 * time.Millisecond
	w.store.delay = 20 * time.Millisecond
	for n := 1; n <= 6; n++ {
		w.ec2.addSubnet(subnetID(n), vpcA, appACL)
	}
	res, err := w.iso.Handle(context.Background(), mustJSON(t, noNetworkEvent("f7", 10)))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Len(t, res.Subnets, 6)
	assert.EqualValues(t, 6, w.ec2.replaceCalls.Load())
	assert.Greater(t, w.ec2.maxInFlight.Load(), int64(1), "replacements must overlap")
	assert.EqualValues(t, 1, w.ec2.describeCalls.Load())
}

func TestSecondIdenticalEventChangesNothing(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.ec2.addSubnet(subnetID(11), vpcA, dbACL)
	w.ec2.volumes["i-0123456789abcdef0"] = []string{"vol-0000000000000000a"}
	event := mustJSON(t, ec2Event("f8", 9.5, [2]string{subnetID(10), vpcA}, [2]string{subnetID(11), vpcA}))
	_, err := w.iso.Handle(context.Background(), event)
	require.NoError(t, err)
	replaces, writes, snaps, rdsCalls, msgs := w.ec2.replaceCalls.Load(), w.store.writes.Load(), w.ec2.snapshotCalls.Load(), w.rds.calls.Load(), len(w.notifier.all())
	recBefore := w.store.get(subnetID(10))

	res, err := w.iso.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Equal(t, StatusAlreadyIsolated, res.Status)
	assert.Equal(t, map[string]string{subnetID(10): OutcomeAlreadyIsolated, subnetID(11): OutcomeAlreadyIsolated}, outcomes(res))
	assert.Equal(t, replaces, w.ec2.replaceCalls.Load(), "no replacement")
	assert.Equal(t, writes, w.store.writes.Load(), "no state write")
	assert.Equal(t, snaps, w.ec2.snapshotCalls.Load(), "no new snapshot")
	assert.Equal(t, rdsCalls, w.rds.calls.Load(), "no new cluster snapshot")
	assert.Len(t, w.notifier.all(), msgs, "no new notification")
	assert.Equal(t, recBefore, w.store.get(subnetID(10)))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))
}

func TestNewIncidentOnAlreadyQuarantinedSubnetsIsNotifiedWithEvidence(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	_, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f9", 9.5, [2]string{subnetID(10), vpcA})))
	require.NoError(t, err)
	res, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f10", 9.5, [2]string{subnetID(10), vpcA})))
	require.NoError(t, err)
	assert.Equal(t, StatusAlreadyIsolated, res.Status)
	assert.EqualValues(t, 1, w.ec2.replaceCalls.Load())
	assert.Equal(t, "f9", w.store.get(subnetID(10)).IncidentID, "the record still belongs to the first incident")
	assert.Len(t, w.notifier.all(), 2)
	assert.EqualValues(t, 2, w.rds.calls.Load(), "the new incident gets its own cluster snapshot")
}

func TestConcurrentEventsForTheSameSubnets(t *testing.T) {
	for _, tc := range []struct{ name, id1, id2 string }{
		{"same finding delivered twice", "f11", "f11"},
		{"two findings", "f11", "f12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, testConfig())
			w.ec2.delay = 5 * time.Millisecond
			w.store.delay = 5 * time.Millisecond
			for n := 40; n < 45; n++ {
				w.ec2.addSubnet(subnetID(n), vpcA, appACL)
			}
			mk := func(id string) []byte {
				var enis [][2]string
				for n := 40; n < 45; n++ {
					enis = append(enis, [2]string{subnetID(n), vpcA})
				}
				return mustJSON(t, ec2Event(id, 9.5, enis...))
			}
			events := [][]byte{mk(tc.id1), mk(tc.id2)}
			results := make([]Result, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for k := range events {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[k], errs[k] = w.iso.Handle(context.Background(), events[k])
				}()
			}
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			assert.EqualValues(t, 5, w.ec2.replaceCalls.Load(), "each subnet replaced exactly once")
			seen := map[string]int{}
			for _, s := range w.ec2.replacedSubnets {
				seen[s]++
			}
			for n := 40; n < 45; n++ {
				assert.Equal(t, 1, seen[subnetID(n)])
				assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(n)))
				assert.Equal(t, appACL, w.store.get(subnetID(n)).PreviousNaclID, "the record keeps the real previous NACL")
				assert.Equal(t, StateIsolated, w.store.get(subnetID(n)).State)
			}
			isolated := 0
			for _, r := range results {
				for _, s := range r.Subnets {
					if s.Outcome == OutcomeIsolated {
						isolated++
					} else {
						assert.Equal(t, OutcomeAlreadyIsolated, s.Outcome)
					}
				}
			}
			assert.Equal(t, 5, isolated)
		})
	}
}

func TestOneFailingCallAmongN(t *testing.T) {
	cfg := testConfig()
	cfg.BlastRadiusSubnets = map[string][]string{vpcA: {subnetID(1), subnetID(2), subnetID(3), subnetID(4)}}
	w := newWorld(t, cfg)
	for n := 1; n <= 4; n++ {
		w.ec2.addSubnet(subnetID(n), vpcA, appACL)
	}
	w.ec2.failTimes[subnetID(2)] = 2  // transient: succeeds on the 3rd attempt
	w.ec2.failTimes[subnetID(3)] = -1 // keeps failing

	res, err := w.iso.Handle(context.Background(), mustJSON(t, noNetworkEvent("f13", 9.5)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "INCOMPLETE")
	assert.Contains(t, err.Error(), subnetID(3))
	assert.Equal(t, StatusIncomplete, res.Status)
	assert.Equal(t, map[string]string{subnetID(1): OutcomeIsolated, subnetID(2): OutcomeIsolated,
		subnetID(3): OutcomeFailed, subnetID(4): OutcomeIsolated}, outcomes(res))
	assert.Contains(t, res.Subnets[2].Error, "failed after 3 attempts")
	assert.EqualValues(t, 2+3+3, w.ec2.replaceCalls.Load(), "1+1 first tries, 3 for the transient one, 3 for the failing one")
	assert.ElementsMatch(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}, *w.sleeps,
		"exponential backoff, deterministic")
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(3)))
	assert.True(t, w.store.get(subnetID(3)).Abandoned, "failed claim is abandoned but keeps the previous association")
	assert.Equal(t, appACL, w.store.get(subnetID(3)).PreviousNaclID)
	assert.Equal(t, StateIsolated, w.store.get(subnetID(2)).State)
	assert.Contains(t, w.notifier.all()[0].Body, "SOME SUBNETS ARE NOT ISOLATED")

	// EventBridge retries the event after the cause is fixed: only the failed subnet is replaced.
	w.ec2.mu.Lock()
	w.ec2.failTimes[subnetID(3)] = 0
	w.ec2.mu.Unlock()
	res, err = w.iso.Handle(context.Background(), mustJSON(t, noNetworkEvent("f13", 9.5)))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, map[string]string{subnetID(1): OutcomeAlreadyIsolated, subnetID(2): OutcomeAlreadyIsolated,
		subnetID(3): OutcomeIsolated, subnetID(4): OutcomeAlreadyIsolated}, outcomes(res))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(3)))
	assert.Equal(t, StateIsolated, w.store.get(subnetID(3)).State)
}

func TestStoreFailureLeavesSubnetUntouched(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(1), vpcA, appACL)
	w.ec2.addSubnet(subnetID(2), vpcA, appACL)
	w.store.fail[subnetID(2)] = errors.New("ProvisionedThroughputExceeded")
	res, err := w.iso.Handle(context.Background(), mustJSON(t, noNetworkEvent("f14", 9.5)))
	require.Error(t, err)
	assert.Equal(t, StatusIncomplete, res.Status)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(2)), "never quarantined without a record of the way back")
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(1)))
}

func TestRefusedEventsCallNothing(t *testing.T) {
	withTop := func(k string, v any) []byte {
		m := ec2Event("f15", 9.5, [2]string{subnetID(10), vpcA})
		m[k] = v
		return mustJSON(t, m)
	}
	withDetail := func(k string, v any) []byte {
		m := ec2Event("f15", 9.5, [2]string{subnetID(10), vpcA})
		m["detail"].(map[string]any)[k] = v
		return mustJSON(t, m)
	}
	for _, tc := range []struct {
		name  string
		event []byte
		want  string
	}{
		{"not JSON", []byte(`{"source":`), "not a JSON object"},
		{"empty", []byte(``), "not a JSON object"},
		{"array", []byte(`[1,2]`), "not a JSON object"},
		{"null", []byte(`null`), "source is"},
		{"other source", withTop("source", "aws.securityhub"), `source is "aws.securityhub"`},
		{"other detail-type", withTop("detail-type", "EC2 Instance State-change Notification"), "detail-type"},
		{"no detail", withTop("detail", nil), "detail.id"},
		{"severity as string", withDetail("severity", "HIGH"), "not a JSON"},
		{"severity out of range", withDetail("severity", 42), "outside 0-10"},
		{"no id", withDetail("id", ""), "detail.id"},
		{"bad id", withDetail("id", "a b/c"), "detail.id"},
		{"other account", withTop("account", "222222222222"), `account "222222222222"`},
		{"other resource account", withDetail("accountId", "222222222222"), `about account "222222222222"`},
		{"other region", withTop("region", "us-east-1"), `region "us-east-1"`},
		{"other resource region", withDetail("region", "us-east-1"), `about region "us-east-1"`},
		{"unknown action", []byte(`{"action":"delete-everything"}`), "unknown action"},
		{"approval without approver", []byte(`{"action":"isolate-approved","finding":{}}`), "without approvedBy"},
		{"approval with bad finding", []byte(`{"action":"isolate-approved","approvedBy":"a","finding":{"source":"x"}}`), "isolate-approved finding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, testConfig())
			w.ec2.addSubnet(subnetID(10), vpcA, appACL)
			res, err := w.iso.Handle(context.Background(), tc.event)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidEvent)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, res.Status)
			assert.Zero(t, w.calls(), "nothing may be called for a refused event")
			assert.Equal(t, appACL, w.ec2.naclOf(subnetID(10)))
		})
	}
}

func TestIgnoredFindings(t *testing.T) {
	sample := ec2Event("f16", 9.5, [2]string{subnetID(10), vpcA})
	sample["detail"].(map[string]any)["service"] = map[string]any{"additionalInfo": map[string]any{"sample": true}}
	prefixCfg := testConfig()
	prefixCfg.FindingTypePrefixes = []string{"UnauthorizedAccess:", "CryptoCurrency:"}
	for _, tc := range []struct {
		name   string
		cfg    Config
		event  []byte
		reason string
	}{
		{"below threshold", testConfig(), mustJSON(t, ec2Event("f17", 5, [2]string{subnetID(10), vpcA})), "below SEVERITY_THRESHOLD 7"},
		{"type prefix", prefixCfg, mustJSON(t, ec2Event("f18", 9.5, [2]string{subnetID(10), vpcA})), "matches none of FINDING_TYPE_PREFIXES"},
		{"sample finding", testConfig(), mustJSON(t, sample), "sample finding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.cfg)
			w.ec2.addSubnet(subnetID(10), vpcA, appACL)
			res, err := w.iso.Handle(context.Background(), tc.event)
			require.NoError(t, err)
			assert.Equal(t, StatusIgnored, res.Status)
			assert.Contains(t, res.Reason, tc.reason)
			assert.Zero(t, w.calls())
		})
	}

	t.Run("sample finding acted on when ACT_ON_SAMPLE_FINDINGS", func(t *testing.T) {
		cfg := testConfig()
		cfg.ActOnSampleFindings = true
		w := newWorld(t, cfg)
		w.ec2.addSubnet(subnetID(10), vpcA, appACL)
		res, err := w.iso.Handle(context.Background(), mustJSON(t, sample))
		require.NoError(t, err)
		assert.Equal(t, StatusIsolated, res.Status)
		assert.Contains(t, w.notifier.all()[0].Body, "SAMPLE finding")
	})
}

func TestApprovalPath(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	event := mustJSON(t, ec2Event("f19", 8, [2]string{subnetID(10), vpcA}))

	res, err := w.iso.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Equal(t, StatusPendingApproval, res.Status)
	assert.Equal(t, []string{subnetID(10)}, res.CandidateSubnets)
	assert.Equal(t, "arn:aws:states:ap-northeast-1:111111111111:execution:approve:incident-f19", res.ApprovalExecution)
	require.Contains(t, w.approvals.started, "incident-f19")
	var input struct {
		Finding json.RawMessage `json:"finding"`
	}
	require.NoError(t, json.Unmarshal(w.approvals.started["incident-f19"], &input))
	assert.JSONEq(t, string(event), string(input.Finding), "the state machine gets the original event")
	assert.Zero(t, w.ec2.replaceCalls.Load())
	assert.Zero(t, w.ec2.describeCalls.Load())
	assert.Zero(t, w.store.writes.Load())
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(10)))
	msgs := w.notifier.all()
	require.Len(t, msgs, 1)
	assert.Equal(t, "[PENDING_APPROVAL] GuardDuty Backdoor:EC2/C&CActivity.B!DNS (severity 8.0)", msgs[0].Subject)
	assert.Contains(t, msgs[0].Body, "send-task-success")
	assert.Contains(t, msgs[0].Body, "Subnets that approval would isolate: "+subnetID(10))

	// An updated finding (same id) while approval is pending does not start a second one or re-notify.
	res, err = w.iso.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Equal(t, StatusPendingApproval, res.Status)
	assert.Len(t, w.approvals.started, 1)
	assert.Len(t, w.notifier.all(), 1)

	// The state machine's continuation isolates.
	cont := mustJSON(t, map[string]any{"action": ActionIsolateApproved, "approvedBy": "alice", "finding": json.RawMessage(event)})
	res, err = w.iso.Handle(context.Background(), cont)
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, "alice", res.ApprovedBy)
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))
	assert.Equal(t, "alice", w.store.get(subnetID(10)).ApprovedBy)
	assert.Contains(t, w.notifier.all()[1].Body, "Approved by: alice")
	assert.Len(t, w.approvals.started, 1)
}

func TestApprovedContinuationStillChecksOrigin(t *testing.T) {
	w := newWorld(t, testConfig())
	ev := ec2Event("f20", 8, [2]string{subnetID(10), vpcA})
	ev["account"] = "222222222222"
	cont := mustJSON(t, map[string]any{"action": ActionIsolateApproved, "approvedBy": "alice", "finding": ev})
	_, err := w.iso.Handle(context.Background(), cont)
	assert.ErrorIs(t, err, ErrInvalidEvent)
	assert.Zero(t, w.calls())
}

func TestEvidenceFailureDoesNotUndoIsolation(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.rds.err = Permanent(errors.New("InvalidDBClusterStateFault: cluster is stopped"))
	res, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f21", 9.5, [2]string{subnetID(10), vpcA})))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res.Status)
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))
	var failed []Evidence
	for _, e := range res.Evidence {
		if e.Error != "" {
			failed = append(failed, e)
		}
	}
	require.Len(t, failed, 1)
	assert.Equal(t, "core-db", failed[0].Source)
	assert.Contains(t, w.notifier.all()[0].Body, "db-cluster-snapshot of core-db: incident-f21-core-db FAILED: snapshot cluster core-db: InvalidDBClusterStateFault")
}

func TestNotificationFailureIsAnError(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.notifier.err = Permanent(errors.New("AuthorizationError"))
	res, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f22", 9.5, [2]string{subnetID(10), vpcA})))
	require.Error(t, err)
	assert.Equal(t, StatusIsolated, res.Status, "isolation stands")
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))
}

func TestRelease(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.ec2.addSubnet(subnetID(11), vpcA, dbACL)
	w.ec2.addSubnet(subnetID(12), vpcB, appACL) // not part of the incident
	_, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f23", 9.5, [2]string{subnetID(10), vpcA}, [2]string{subnetID(11), vpcA})))
	require.NoError(t, err)
	require.Equal(t, qaclA, w.ec2.naclOf(subnetID(10)))

	req := mustJSON(t, ReleaseRequest{IncidentID: "f23", RequestedBy: "bob", Reason: "forensics done, host rebuilt"})
	res, err := w.rel.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, StatusReleased, res.Status)
	require.Len(t, res.Subnets, 2)
	assert.Equal(t, OutcomeReleased, res.Subnets[0].Outcome)
	assert.Equal(t, appACL, res.Subnets[0].RestoredNaclID)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(10)), "exactly the recorded NACL")
	assert.Equal(t, dbACL, w.ec2.naclOf(subnetID(11)), "exactly the recorded NACL")
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(12)))
	for _, s := range []string{subnetID(10), subnetID(11)} {
		rec := w.store.get(s)
		assert.Equal(t, StateReleased, rec.State)
		assert.Equal(t, "bob", rec.ReleasedBy)
		assert.Equal(t, "forensics done, host rebuilt", rec.ReleaseReason)
	}
	ev := w.timeline.events("f23")
	assert.Equal(t, "release-result", ev[len(ev)-1]["event"])
	assert.Equal(t, "RELEASED", ev[len(ev)-1]["status"])
	msgs := w.notifier.all()
	assert.Equal(t, "[RELEASE RELEASED] incident f23", msgs[len(msgs)-1].Subject)
	assert.Contains(t, msgs[len(msgs)-1].Body, "Requested by: bob")

	// Releasing again changes nothing.
	replaces := w.ec2.replaceCalls.Load()
	res, err = w.rel.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, StatusAlreadyReleased, res.Status)
	assert.Equal(t, replaces, w.ec2.replaceCalls.Load())

	// After a release the subnet can be isolated again by a new incident.
	res2, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f24", 9.5, [2]string{subnetID(10), vpcA})))
	require.NoError(t, err)
	assert.Equal(t, StatusIsolated, res2.Status)
	assert.Equal(t, appACL, w.store.get(subnetID(10)).PreviousNaclID)
}

func TestPartialReleaseIsIncomplete(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	w.ec2.addSubnet(subnetID(11), vpcA, dbACL)
	_, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f25", 9.5, [2]string{subnetID(10), vpcA}, [2]string{subnetID(11), vpcA})))
	require.NoError(t, err)
	w.ec2.mu.Lock()
	w.ec2.failTimes[subnetID(11)] = -1
	w.ec2.mu.Unlock()

	req := mustJSON(t, ReleaseRequest{IncidentID: "f25", RequestedBy: "bob", Reason: "clean"})
	res, err := w.rel.Handle(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "INCOMPLETE")
	assert.Equal(t, StatusIncomplete, res.Status)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(10)))
	assert.Equal(t, qaclA, w.ec2.naclOf(subnetID(11)))
	assert.Equal(t, StateReleased, w.store.get(subnetID(10)).State)
	assert.Equal(t, StateIsolated, w.store.get(subnetID(11)).State)

	// Invoking the release again once the cause is gone finishes it.
	w.ec2.mu.Lock()
	w.ec2.failTimes[subnetID(11)] = 0
	w.ec2.mu.Unlock()
	res, err = w.rel.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, StatusReleased, res.Status)
	assert.Equal(t, []string{subnetID(11)}, []string{res.Subnets[0].SubnetID})
	assert.Equal(t, dbACL, w.ec2.naclOf(subnetID(11)))
}

func TestReleaseRefusesUnexpectedNACLAndBadRequests(t *testing.T) {
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	_, err := w.iso.Handle(context.Background(), mustJSON(t, ec2Event("f26", 9.5, [2]string{subnetID(10), vpcA})))
	require.NoError(t, err)
	// Someone moved the subnet by hand to a third NACL: release does not guess.
	w.ec2.mu.Lock()
	a := w.ec2.assoc[subnetID(10)]
	a.NaclID = "acl-0eeeeeeeeeeeeeee1"
	w.ec2.assoc[subnetID(10)] = a
	w.ec2.mu.Unlock()
	res, err := w.rel.Handle(context.Background(), mustJSON(t, ReleaseRequest{IncidentID: "f26", RequestedBy: "bob", Reason: "x"}))
	require.Error(t, err)
	assert.Equal(t, StatusIncomplete, res.Status)
	assert.Contains(t, res.Subnets[0].Error, "neither the quarantine")
	assert.Equal(t, "acl-0eeeeeeeeeeeeeee1", w.ec2.naclOf(subnetID(10)))

	for _, tc := range []struct{ body, want string }{
		{`{"incidentId":"f26","reason":"x"}`, "requestedBy is required"},
		{`{"incidentId":"f26","requestedBy":"bob"}`, "reason is required"},
		{`{"requestedBy":"bob","reason":"x"}`, "incidentId"},
		{`nope`, "not a JSON object"},
		{`{"incidentId":"unknown","requestedBy":"bob","reason":"x"}`, "no subnet was ever isolated"},
	} {
		_, err := w.rel.Handle(context.Background(), []byte(tc.body))
		require.Error(t, err, tc.body)
		assert.ErrorIs(t, err, ErrInvalidRequest)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestReleaseRestoresAnIsolatingRecord(t *testing.T) {
	// The function died after the swap but before marking ISOLATED: release still restores.
	w := newWorld(t, testConfig())
	w.ec2.addSubnet(subnetID(10), vpcA, appACL)
	prev := w.ec2.assoc[subnetID(10)]
	require.NoError(t, w.store.Claim(context.Background(), Record{SubnetID: subnetID(10), VpcID: vpcA, IncidentID: "f27",
		PreviousNaclID: appACL, PreviousAssociationID: prev.AssociationID, QuarantineNaclID: qaclA, State: StateIsolating,
		UpdatedAt: "2026-11-23T03:00:00Z", Attempt: "x"}, time.Time{}))
	_, err := w.ec2.ReplaceAssociation(context.Background(), prev.AssociationID, qaclA)
	require.NoError(t, err)

	res, err := w.rel.Handle(context.Background(), mustJSON(t, ReleaseRequest{IncidentID: "f27", RequestedBy: "bob", Reason: "x"}))
	require.NoError(t, err)
	assert.Equal(t, StatusReleased, res.Status)
	assert.Equal(t, appACL, w.ec2.naclOf(subnetID(10)))
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		EnvStateTable:          "isolation-state",
		EnvQuarantineNACLs:     `{"` + vpcA + `":"` + qaclA + `"}`,
		EnvBlastRadiusSubnets:  `{"` + vpcA + `":["` + subnetID(1) + `"]}`,
		EnvAccountID:           testAccount,
		EnvRegion:              testRegion,
		EnvFindingTypePrefixes: "Backdoor:, CryptoCurrency:",
		EnvImmediateSeverity:   "8.5",
		EnvApprovalSMArn:       stateMachine,
		EnvTopicArn:            "arn:aws:sns:ap-northeast-1:111111111111:isolation",
		EnvEvidenceLogGroup:    "/fintech/isolation",
		EnvAuroraClusterIDs:    "core-db, ledger-db",
		EnvActOnSamples:        "true",
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, Config{
		StateTable: "isolation-state", QuarantineNACLs: map[string]string{vpcA: qaclA},
		BlastRadiusSubnets: map[string][]string{vpcA: {subnetID(1)}}, AccountID: testAccount, Region: testRegion,
		SeverityThreshold: 7, FindingTypePrefixes: []string{"Backdoor:", "CryptoCurrency:"}, ImmediateSeverity: 8.5,
		ApprovalStateMachineARN: stateMachine, TopicARN: env[EnvTopicArn], EvidenceLogGroup: "/fintech/isolation",
		AuroraClusterIDs: []string{"core-db", "ledger-db"}, ActOnSampleFindings: true,
	}, cfg)

	bad := map[string]string{
		EnvQuarantineNACLs:    `{"vpc-x":"sg-1"}`,
		EnvBlastRadiusSubnets: `{"` + vpcB + `":["subnet-nope"]}`,
		EnvAccountID:          "12",
		EnvRegion:             testRegion,
		EnvSeverityThreshold:  "high",
		EnvImmediateSeverity:  "NaN",
		EnvAuroraClusterIDs:   "1bad",
		EnvActOnSamples:       "maybe",
	}
	_, err = LoadConfig(func(k string) string { return bad[k] })
	require.Error(t, err)
	for _, want := range []string{
		"STATE_TABLE is required", "TOPIC_ARN is required", "EVIDENCE_LOG_GROUP is required",
		`ACCOUNT_ID "12" is not a 12-digit account id`, `key "vpc-x" is not a VPC id`, `value "sg-1"`,
		`VPC "` + vpcB + `" has no quarantine network ACL`, `"subnet-nope"`, `SEVERITY_THRESHOLD "high"`,
		`IMMEDIATE_SEVERITY "NaN"`, `AURORA_CLUSTER_IDS: "1bad"`, `ACT_ON_SAMPLE_FINDINGS "maybe"`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// Approval needs a state machine only when it can happen.
	noApproval := map[string]string{}
	for k, v := range env {
		noApproval[k] = v
	}
	delete(noApproval, EnvApprovalSMArn)
	_, err = LoadConfig(func(k string) string { return noApproval[k] })
	assert.ErrorContains(t, err, "APPROVAL_STATE_MACHINE_ARN is required when IMMEDIATE_SEVERITY (8.5) is above SEVERITY_THRESHOLD (7)")
	noApproval[EnvImmediateSeverity] = "7"
	cfg, err = LoadConfig(func(k string) string { return noApproval[k] })
	require.NoError(t, err)
	assert.Equal(t, 7.0, cfg.ImmediateSeverity)
}

func TestLoadReleaseConfig(t *testing.T) {
	cfg, err := LoadReleaseConfig(func(k string) string {
		return map[string]string{EnvStateTable: "t", EnvTopicArn: "arn:topic", EnvEvidenceLogGroup: "g", EnvAccountID: testAccount, EnvRegion: testRegion}[k]
	})
	require.NoError(t, err)
	assert.Equal(t, ReleaseConfig{StateTable: "t", TopicARN: "arn:topic", EvidenceLogGroup: "g", AccountID: testAccount, Region: testRegion}, cfg)
	_, err = LoadReleaseConfig(func(string) string { return "" })
	require.Error(t, err)
	for _, k := range []string{EnvStateTable, EnvTopicArn, EnvEvidenceLogGroup, EnvAccountID} {
		assert.Contains(t, err.Error(), k+" is required")
	}
}

func TestRetryPolicy(t *testing.T) {
	var slept []time.Duration
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second,
		Sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
		Jitter: func(d time.Duration) time.Duration { return d }}
	calls := 0
	err := p.Do(context.Background(), "op", func(context.Context) error { calls++; return errors.New("throttled") })
	assert.ErrorContains(t, err, "op: failed after 5 attempts: throttled")
	assert.Equal(t, 5, calls)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}, slept)

	calls = 0
	err = p.Do(context.Background(), "op", func(context.Context) error { calls++; return Permanent(errors.New("not found")) })
	assert.ErrorIs(t, err, ErrPermanent)
	assert.Equal(t, 1, calls)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	err = DefaultRetryPolicy().Do(ctx, "op", func(context.Context) error { calls++; return nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, calls)

	// The default sleeper honours the context.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Hour}.Do(ctx, "op", func(context.Context) error { return errors.New("x") })
	assert.Error(t, err)
	assert.Less(t, time.Since(start), time.Second)
}

func TestNames(t *testing.T) {
	assert.Equal(t, "incident-abc123-core-db", clusterSnapshotID("abc123", "core-db"))
	assert.Equal(t, "incident-ab-c-core-db", clusterSnapshotID("AB--C", "Core--DB"))
	assert.Equal(t, 80, len(executionName(strings.Repeat("a", 128))))
	assert.Equal(t, "Backdoor:EC2/C_CActivity.B_DNS", tagValue("Backdoor:EC2/C&CActivity.B!DNS"))
	assert.Equal(t, "core", clusterFromTaskARN(testTaskARN))
	assert.Equal(t, "", clusterFromTaskARN("arn:aws:ecs:ap-northeast-1:111111111111:task/abc"))
	s := asciiSubject("[ISOLATED] " + strings.Repeat("é", 200))
	assert.LessOrEqual(t, len(s), 99)
	assert.NotContains(t, s, "é")
}

func TestNewIsolatorRequiresDependencies(t *testing.T) {
	_, err := NewIsolator(testConfig(), Deps{})
	require.Error(t, err)
	for _, d := range []string{"EC2", "ECS", "Store", "Notifier", "Timeline", "RDS", "Approvals"} {
		assert.Contains(t, err.Error(), d)
	}
	_, err = NewReleaser(ReleaseConfig{}, ReleaseDeps{})
	assert.ErrorContains(t, err, "EC2, Store, Notifier, Timeline")
}

// The error names every missing collaborator in order, and nothing when
// the configuration does not need the optional ones.
func TestMissingDependenciesErrorText(t *testing.T) {
	_, err := NewIsolator(testConfig(), Deps{})
	assert.EqualError(t, err, "isolation: missing dependencies: EC2, ECS, Store, Notifier, Timeline, "+
		"RDS (AURORA_CLUSTER_IDS is set), Approvals (IMMEDIATE_SEVERITY is above SEVERITY_THRESHOLD)")
	cfg := testConfig()
	cfg.AuroraClusterIDs, cfg.ImmediateSeverity = nil, cfg.SeverityThreshold
	_, err = NewIsolator(cfg, Deps{})
	assert.EqualError(t, err, "isolation: missing dependencies: EC2, ECS, Store, Notifier, Timeline")
	_, err = NewReleaser(ReleaseConfig{}, ReleaseDeps{})
	assert.EqualError(t, err, "release: missing dependencies: EC2, Store, Notifier, Timeline")
	assert.NoError(t, missingDeps("x", dep{"A", false}))
}

func ExampleParseEvent() {
	f, err := ParseEvent([]byte(`{"source":"aws.guardduty","detail-type":"GuardDuty Finding","account":"111111111111",
		"region":"ap-northeast-1","detail":{"id":"abc","type":"Recon:EC2/PortProbeUnprotectedPort","severity":8,
		"resource":{"instanceDetails":{"instanceId":"i-1","networkInterfaces":[{"subnetId":"subnet-0123456789abcdef0","vpcId":"vpc-1"}]}}}}`))
	fmt.Println(f.IncidentID(), f.Severity(), f.InstanceID(), err)
	// Output: abc 8 i-1 <nil>
}
