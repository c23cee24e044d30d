package isolation

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// benchLatency is the simulated latency of every AWS call in BenchmarkIsolate.
const benchLatency = 50 * time.Millisecond

// BenchmarkIsolate isolates N subnets (a finding naming no network resource, blast radius of N
// subnets) against fakes whose every call takes 50 ms: EC2, the state table, RDS, CloudWatch Logs and
// SNS. Metrics:
//   - roundtrips: sequential 50 ms round trips until the last subnet is on the quarantine NACL
//     (DescribeNetworkAcls, conditional PutItem, ReplaceNetworkAclAssociation); target <= 3 for any N.
//   - total_roundtrips: the whole invocation, including marking ISOLATED with the evidence, then
//     the timeline with the notification.
func BenchmarkIsolate(b *testing.B) {
	for _, n := range []int{1, 6, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			cfg := testConfig()
			cfg.BlastRadiusSubnets = map[string][]string{vpcA: nil}
			for k := 0; k < n; k++ {
				cfg.BlastRadiusSubnets[vpcA] = append(cfg.BlastRadiusSubnets[vpcA], subnetID(k+1))
			}
			var quarantine, total float64
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				w := newWorld(b, cfg)
				w.ec2.delay, w.store.delay, w.rds.delay = benchLatency, benchLatency, benchLatency
				w.notifier.delay, w.timeline.delay = benchLatency, benchLatency
				for k := 0; k < n; k++ {
					w.ec2.addSubnet(subnetID(k+1), vpcA, appACL)
				}
				event := mustJSON(b, noNetworkEvent(fmt.Sprintf("bench%d", it), 9.5))
				b.StartTimer()

				start := time.Now()
				res, err := w.iso.Handle(context.Background(), event)
				elapsed := time.Since(start)

				b.StopTimer()
				if err != nil || res.Status != StatusIsolated || len(res.Subnets) != n {
					b.Fatalf("status %s, %d subnets, err %v", res.Status, len(res.Subnets), err)
				}
				toQuarantine := time.Duration(w.ec2.lastReplaceEnd.Load() - start.UnixNano())
				quarantine += math.Round(float64(toQuarantine) / float64(benchLatency))
				total += math.Round(float64(elapsed) / float64(benchLatency))
				b.StartTimer()
			}
			b.ReportMetric(quarantine/float64(b.N), "roundtrips")
			b.ReportMetric(total/float64(b.N), "total_roundtrips")
		})
	}
}
