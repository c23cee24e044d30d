package isolation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAccount  = "111111111111"
	testRegion   = "ap-northeast-1"
	vpcA         = "vpc-0aaaaaaaaaaaaaaa1"
	vpcB         = "vpc-0bbbbbbbbbbbbbbb2"
	vpcOther     = "vpc-0ccccccccccccccc3"
	qaclA        = "acl-0aaaaaaaaaaaa0001"
	qaclB        = "acl-0bbbbbbbbbbbb0002"
	appACL       = "acl-0a0a0a0a0a0a0a0a1"
	dbACL        = "acl-0d0d0d0d0d0d0d0d1"
	stateMachine = "arn:aws:states:ap-northeast-1:111111111111:stateMachine:approve"
)

func subnetID(n int) string { return fmt.Sprintf("subnet-%017x", n) }

// fakeEC2 models subnets' NACL associations. ReplaceAssociation fails when the association id is no
// longer current, like EC2.
type fakeEC2 struct {
	mu        sync.Mutex
	assoc     map[string]Association // by subnet
	nextID    int
	delay     time.Duration
	failTimes map[string]int // subnet -> remaining transient failures (-1 = always)
	volumes   map[string][]string

	describeCalls, replaceCalls, snapshotCalls, volumeCalls atomic.Int64
	inFlight, maxInFlight                                   atomic.Int64
	replacedSubnets                                         []string
	describeArgs                                            [][]string
	snapshotTags                                            []map[string]string
	lastReplaceEnd                                          atomic.Int64 // unix nanos
}

func newFakeEC2() *fakeEC2 {
	return &fakeEC2{assoc: map[string]Association{}, failTimes: map[string]int{}, volumes: map[string][]string{}}
}

func (f *fakeEC2) addSubnet(subnet, vpc, nacl string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.assoc[subnet] = Association{SubnetID: subnet, VpcID: vpc, NaclID: nacl, AssociationID: fmt.Sprintf("aclassoc-%08d", f.nextID)}
}

func (f *fakeEC2) naclOf(subnet string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.assoc[subnet].NaclID
}

func (f *fakeEC2) wait(ctx context.Context) error {
	if f.delay == 0 {
		return nil
	}
	return sleepCtx(ctx, f.delay)
}

func (f *fakeEC2) DescribeAssociations(ctx context.Context, subnetIDs []string) (map[string]Association, error) {
	f.describeCalls.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describeArgs = append(f.describeArgs, append([]string(nil), subnetIDs...))
	out := map[string]Association{}
	for _, s := range subnetIDs {
		if a, ok := f.assoc[s]; ok {
			out[s] = a
		}
	}
	return out, nil
}

func (f *fakeEC2) ReplaceAssociation(ctx context.Context, associationID, naclID string) (string, error) {
	f.replaceCalls.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	err := f.wait(ctx)
	defer f.lastReplaceEnd.Store(time.Now().UnixNano())
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for s, a := range f.assoc {
		if a.AssociationID != associationID {
			continue
		}
		if left := f.failTimes[s]; left != 0 {
			if left > 0 {
				f.failTimes[s] = left - 1
			}
			return "", fmt.Errorf("RequestLimitExceeded: simulated failure for %s", s)
		}
		f.nextID++
		a.NaclID, a.AssociationID = naclID, fmt.Sprintf("aclassoc-%08d", f.nextID)
		f.assoc[s] = a
		f.replacedSubnets = append(f.replacedSubnets, s)
		return a.AssociationID, nil
	}
	return "", Permanent(fmt.Errorf("InvalidAssociationID.NotFound: %s", associationID))
}

func (f *fakeEC2) InstanceVolumes(ctx context.Context, instanceID string) ([]string, error) {
	f.volumeCalls.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.volumes[instanceID], nil
}

func (f *fakeEC2) CreateSnapshot(ctx context.Context, volumeID, description string, tags map[string]string) (Snapshot, error) {
	f.snapshotCalls.Add(1)
	if err := f.wait(ctx); err != nil {
		return Snapshot{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshotTags = append(f.snapshotTags, tags)
	return Snapshot{ID: "snap-" + volumeID[4:], Encrypted: true, KmsKeyID: "arn:aws:kms:ap-northeast-1:111111111111:key/ebs-cmk"}, nil
}

type fakeECS struct {
	tasks    map[string][]string
	calls    atomic.Int64
	clusters []string
	mu       sync.Mutex
}

func (f *fakeECS) TaskSubnets(_ context.Context, cluster string, taskARNs []string) ([]string, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.clusters = append(f.clusters, cluster)
	f.mu.Unlock()
	var out []string
	for _, t := range taskARNs {
		s, ok := f.tasks[t]
		if !ok {
			return nil, Permanent(fmt.Errorf("MISSING task %s", t))
		}
		out = append(out, s...)
	}
	return out, nil
}

type fakeRDS struct {
	mu    sync.Mutex
	snaps map[string]string // snapshot id -> cluster
	err   error
	delay time.Duration
	calls atomic.Int64
}

func (f *fakeRDS) CreateClusterSnapshot(ctx context.Context, clusterID, snapshotID string, _ map[string]string) (Snapshot, error) {
	f.calls.Add(1)
	if f.delay > 0 {
		_ = sleepCtx(ctx, f.delay)
	}
	if f.err != nil {
		return Snapshot{}, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snaps == nil {
		f.snaps = map[string]string{}
	}
	if _, ok := f.snaps[snapshotID]; ok {
		return Snapshot{ID: snapshotID}, ErrSnapshotExists
	}
	f.snaps[snapshotID] = clusterID
	return Snapshot{ID: snapshotID, Encrypted: true, KmsKeyID: "arn:aws:kms:ap-northeast-1:111111111111:key/db-cmk"}, nil
}

// fakeStore implements the conditional semantics of the DynamoDB store.
type fakeStore struct {
	mu     sync.Mutex
	items  map[string]Record
	delay  time.Duration
	writes atomic.Int64
	claims atomic.Int64
	fail   map[string]error // subnet -> Claim error
}

func newFakeStore() *fakeStore {
	return &fakeStore{items: map[string]Record{}, fail: map[string]error{}}
}

func (s *fakeStore) wait(ctx context.Context) error {
	if s.delay == 0 {
		return nil
	}
	return sleepCtx(ctx, s.delay)
}

func (s *fakeStore) Claim(ctx context.Context, rec Record, staleBefore time.Time) error {
	s.claims.Add(1)
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail[rec.SubnetID]; err != nil {
		return err
	}
	old, ok := s.items[rec.SubnetID]
	stale := old.UpdatedAt < staleBefore.UTC().Format(time.RFC3339)
	if ok && old.State != StateReleased && !(old.State == StateIsolating && (old.Abandoned || stale)) {
		return &ClaimConflictError{SubnetID: rec.SubnetID, IncidentID: old.IncidentID, State: old.State}
	}
	s.items[rec.SubnetID] = rec
	s.writes.Add(1)
	return nil
}

func (s *fakeStore) update(ctx context.Context, subnetID string, ok func(Record) bool, set func(*Record)) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.items[subnetID]
	if !found || !ok(r) {
		return Permanent(fmt.Errorf("conditional check failed for %s", subnetID))
	}
	set(&r)
	s.items[subnetID] = r
	s.writes.Add(1)
	return nil
}

func (s *fakeStore) MarkIsolated(ctx context.Context, subnetID, incidentID, attempt, q string, at time.Time) error {
	return s.update(ctx, subnetID,
		func(r Record) bool {
			return r.IncidentID == incidentID && r.Attempt == attempt && r.State == StateIsolating
		},
		func(r *Record) {
			r.State, r.QuarantineAssociationID, r.UpdatedAt = StateIsolated, q, at.Format(time.RFC3339)
		})
}

func (s *fakeStore) Abandon(ctx context.Context, subnetID, incidentID, attempt string, at time.Time) error {
	return s.update(ctx, subnetID,
		func(r Record) bool {
			return r.IncidentID == incidentID && r.Attempt == attempt && r.State == StateIsolating
		},
		func(r *Record) { r.Abandoned, r.UpdatedAt = true, at.Format(time.RFC3339) })
}

func (s *fakeStore) MarkReleased(ctx context.Context, subnetID, incidentID, by, why string, at time.Time) error {
	return s.update(ctx, subnetID,
		func(r Record) bool {
			return r.IncidentID == incidentID && (r.State == StateIsolated || r.State == StateIsolating)
		},
		func(r *Record) {
			r.State, r.ReleasedBy, r.ReleaseReason, r.Abandoned, r.UpdatedAt = StateReleased, by, why, false, at.Format(time.RFC3339)
		})
}

func (s *fakeStore) ByIncident(ctx context.Context, incidentID string) ([]Record, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, r := range s.items {
		if r.IncidentID == incidentID {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].SubnetID < out[b].SubnetID })
	return out, nil
}

func (s *fakeStore) get(subnet string) Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[subnet]
}

type message struct{ Subject, Body string }

type fakeNotifier struct {
	mu    sync.Mutex
	msgs  []message
	delay time.Duration
	err   error
}

func (n *fakeNotifier) Publish(ctx context.Context, subject, body string) error {
	if n.delay > 0 {
		_ = sleepCtx(ctx, n.delay)
	}
	if n.err != nil {
		return n.err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, message{subject, body})
	return nil
}

func (n *fakeNotifier) all() []message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]message(nil), n.msgs...)
}

type fakeTimeline struct {
	mu    sync.Mutex
	lines map[string][]string
	delay time.Duration
}

func (t *fakeTimeline) Write(ctx context.Context, stream string, lines []string) error {
	if t.delay > 0 {
		_ = sleepCtx(ctx, t.delay)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lines == nil {
		t.lines = map[string][]string{}
	}
	t.lines[stream] = append(t.lines[stream], lines...)
	return nil
}

func (t *fakeTimeline) events(stream string) []map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []map[string]any
	for _, l := range t.lines[stream] {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err == nil {
			out = append(out, m)
		}
	}
	return out
}

type fakeApprovals struct {
	mu      sync.Mutex
	started map[string][]byte
}

func (a *fakeApprovals) Start(_ context.Context, name string, input []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started == nil {
		a.started = map[string][]byte{}
	}
	if _, ok := a.started[name]; ok {
		return "", ErrApprovalAlreadyStarted
	}
	a.started[name] = input
	return "arn:aws:states:ap-northeast-1:111111111111:execution:approve:" + name, nil
}

// world bundles a configured Isolator with its fakes.
type world struct {
	cfg       Config
	ec2       *fakeEC2
	ecs       *fakeECS
	rds       *fakeRDS
	store     *fakeStore
	notifier  *fakeNotifier
	timeline  *fakeTimeline
	approvals *fakeApprovals
	sleeps    *[]time.Duration
	iso       *Isolator
	rel       *Releaser
}

func testConfig() Config {
	return Config{
		StateTable:              "isolation-state",
		QuarantineNACLs:         map[string]string{vpcA: qaclA, vpcB: qaclB},
		BlastRadiusSubnets:      map[string][]string{vpcA: {subnetID(1), subnetID(2)}},
		AccountID:               testAccount,
		Region:                  testRegion,
		SeverityThreshold:       7,
		ImmediateSeverity:       9,
		ApprovalStateMachineARN: stateMachine,
		TopicARN:                "arn:aws:sns:ap-northeast-1:111111111111:isolation",
		EvidenceLogGroup:        "/fintech/isolation/evidence",
		AuroraClusterIDs:        []string{"core-db"},
		ReleaseFunctionName:     "fintech-release",
	}
}

func newWorld(t testing.TB, cfg Config) *world {
	t.Helper()
	w := &world{
		cfg: cfg, ec2: newFakeEC2(), ecs: &fakeECS{tasks: map[string][]string{}}, rds: &fakeRDS{},
		store: newFakeStore(), notifier: &fakeNotifier{}, timeline: &fakeTimeline{}, approvals: &fakeApprovals{},
		sleeps: &[]time.Duration{},
	}
	var mu sync.Mutex
	retry := RetryPolicy{
		MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			*w.sleeps = append(*w.sleeps, d)
			return nil
		},
		Jitter: func(d time.Duration) time.Duration { return d },
	}
	now := func() time.Time { return time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC) }
	var n atomic.Int64
	iso, err := NewIsolator(cfg, Deps{
		EC2: w.ec2, ECS: w.ecs, RDS: w.rds, Store: w.store, Notifier: w.notifier, Timeline: w.timeline,
		Approvals: w.approvals, Retry: retry, Now: now,
		NewAttemptID: func() string { return fmt.Sprintf("attempt-%d", n.Add(1)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := NewReleaser(ReleaseConfig{StateTable: cfg.StateTable, TopicARN: cfg.TopicARN, EvidenceLogGroup: cfg.EvidenceLogGroup, AccountID: cfg.AccountID},
		ReleaseDeps{EC2: w.ec2, Store: w.store, Notifier: w.notifier, Timeline: w.timeline, Retry: retry, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	w.iso, w.rel = iso, rel
	return w
}

// calls is the number of calls made to any fake (used to assert "nothing called").
func (w *world) calls() int64 {
	return w.ec2.describeCalls.Load() + w.ec2.replaceCalls.Load() + w.ec2.snapshotCalls.Load() + w.ec2.volumeCalls.Load() +
		w.ecs.calls.Load() + w.rds.calls.Load() + w.store.claims.Load() + w.store.writes.Load() +
		int64(len(w.notifier.all())+len(w.timeline.lines)+len(w.approvals.started))
}

// Event builders.

func baseEvent(id, typ string, sev float64, resource map[string]any) map[string]any {
	return map[string]any{
		"version": "0", "id": "evt-" + id, "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
		"account": testAccount, "time": "2026-11-23T03:00:00Z", "region": testRegion, "resources": []any{},
		"detail": map[string]any{
			"schemaVersion": "2.0", "accountId": testAccount, "region": testRegion, "partition": "aws",
			"id": id, "type": typ, "severity": sev, "title": "test finding " + typ,
			"resource": resource,
			"service":  map[string]any{"serviceName": "guardduty", "additionalInfo": map[string]any{}},
		},
	}
}

func ec2Event(id string, sev float64, enis ...[2]string) map[string]any {
	var nis []any
	for k, e := range enis {
		nis = append(nis, map[string]any{"networkInterfaceId": fmt.Sprintf("eni-%017x", k+1), "subnetId": e[0], "vpcId": e[1]})
	}
	return baseEvent(id, "Backdoor:EC2/C&CActivity.B!DNS", sev, map[string]any{
		"resourceType":    "Instance",
		"instanceDetails": map[string]any{"instanceId": "i-0123456789abcdef0", "networkInterfaces": nis},
	})
}

const (
	testTaskARN    = "arn:aws:ecs:ap-northeast-1:111111111111:task/core/0123456789abcdef0123456789abcdef"
	testClusterARN = "arn:aws:ecs:ap-northeast-1:111111111111:cluster/core"
)

func ecsEvent(id string, sev float64) map[string]any {
	return baseEvent(id, "Execution:Runtime/NewBinaryExecuted", sev, map[string]any{
		"resourceType": "ECSCluster",
		"ecsClusterDetails": map[string]any{
			"name": "core", "arn": testClusterARN,
			"taskDetails": map[string]any{"arn": testTaskARN, "definitionArn": "arn:aws:ecs:ap-northeast-1:111111111111:task-definition/api:3"},
		},
	})
}

func noNetworkEvent(id string, sev float64) map[string]any {
	return baseEvent(id, "CredentialAccess:IAMUser/AnomalousBehavior", sev, map[string]any{
		"resourceType":     "AccessKey",
		"accessKeyDetails": map[string]any{"userName": "batch", "accessKeyId": "ASIAEXAMPLE"},
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var fixedTime = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
