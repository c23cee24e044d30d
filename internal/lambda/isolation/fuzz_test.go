package isolation

import (
	"encoding/json"
	"testing"
)

func FuzzParseEvent(f *testing.F) {
	for _, ev := range []map[string]any{
		ec2Event("seed-ec2", 8.5, [2]string{subnetID(1), vpcA}, [2]string{subnetID(2), vpcB}),
		ecsEvent("seed-ecs", 9),
		noNetworkEvent("seed-iam", 7.2),
	} {
		b, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		cont, err := json.Marshal(map[string]any{"action": ActionIsolateApproved, "approvedBy": "alice", "finding": json.RawMessage(b)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cont)
	}
	f.Add([]byte(`{"source":"aws.guardduty","detail":{"severity":"HIGH"}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		fd, err := ParseEvent(data)
		if err == nil {
			if fd.IncidentID() == "" || fd.Type() == "" {
				t.Fatalf("accepted event without id or type: %q", data)
			}
			if s := fd.Severity(); s < 0 || s > 10 {
				t.Fatalf("accepted severity %v", s)
			}
			_ = fd.Sample()
			_, _, _ = fd.InstanceID(), fd.TaskARN(), fd.ClusterARN()
			_ = fd.CheckOrigin(testAccount, testRegion)
			_ = clusterSnapshotID(fd.IncidentID(), "core-db")
			_ = timelineLines(fd, Result{IncidentID: fd.IncidentID()}, fixedTime)
			_, _ = summary(testConfig(), fd, Result{IncidentID: fd.IncidentID(), Status: StatusIsolated})
		}
		_, _ = ParseInvocation(data)
		_, _ = ParseReleaseRequest(data)
	})
}
