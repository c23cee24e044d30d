package isolation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultClaimTTL is how long an ISOLATING claim blocks other invocations when its holder neither
// finished nor abandoned it (e.g. the Lambda was killed). Keep the isolate function's timeout below it.
const DefaultClaimTTL = 5 * time.Minute

// Deps are the collaborators of the isolate logic.
type Deps struct {
	EC2       EC2
	ECS       ECS
	RDS       RDS // required when AURORA_CLUSTER_IDS is set
	Store     Store
	Notifier  Notifier
	Timeline  Timeline
	Approvals Approvals // required when approval is possible (IMMEDIATE_SEVERITY > SEVERITY_THRESHOLD)

	Retry        RetryPolicy      // zero value = DefaultRetryPolicy
	ClaimTTL     time.Duration    // zero = DefaultClaimTTL
	Now          func() time.Time // default time.Now
	NewAttemptID func() string    // default 16 random hex bytes
	Logger       *slog.Logger     // default discards
}

// Isolator handles functions/isolate invocations.
type Isolator struct {
	cfg Config
	d   Deps
}

// dep is a collaborator by name and whether it is absent.
type dep struct {
	name   string
	absent bool
}

// missingDeps returns "<who>: missing dependencies: a, b" naming every
// absent collaborator in order, or nil when none is absent.
func missingDeps(who string, deps ...dep) error {
	var missing []string
	for _, d := range deps {
		if d.absent {
			missing = append(missing, d.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing dependencies: %s", who, strings.Join(missing, ", "))
	}
	return nil
}

// NewIsolator checks that every collaborator the configuration needs is present.
func NewIsolator(cfg Config, d Deps) (*Isolator, error) {
	if err := missingDeps("isolation",
		dep{"EC2", d.EC2 == nil},
		dep{"ECS", d.ECS == nil},
		dep{"Store", d.Store == nil},
		dep{"Notifier", d.Notifier == nil},
		dep{"Timeline", d.Timeline == nil},
		dep{"RDS (" + EnvAuroraClusterIDs + " is set)", d.RDS == nil && len(cfg.AuroraClusterIDs) > 0},
		dep{"Approvals (" + EnvImmediateSeverity + " is above " + EnvSeverityThreshold + ")", d.Approvals == nil && cfg.ImmediateSeverity > cfg.SeverityThreshold},
	); err != nil {
		return nil, err
	}
	if d.ClaimTTL <= 0 {
		d.ClaimTTL = DefaultClaimTTL
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewAttemptID == nil {
		d.NewAttemptID = randomID
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Isolator{cfg: cfg, d: d}, nil
}

type target struct {
	SubnetID string
	VpcID    string // empty when not known before DescribeNetworkAcls (ECS tasks)
}

// Handle processes one invocation: a GuardDuty Finding event or an approval continuation.
// INCOMPLETE results come with a non-nil error.
func (i *Isolator) Handle(ctx context.Context, raw []byte) (Result, error) {
	inv, err := ParseInvocation(raw)
	if err != nil {
		i.d.Logger.Error("refused invocation", "error", err)
		return Result{}, err
	}
	f := inv.Finding
	if err := f.CheckOrigin(i.cfg.AccountID, i.cfg.Region); err != nil {
		i.d.Logger.Error("refused finding", "error", err)
		return Result{}, err
	}
	res := Result{
		IncidentID:  f.IncidentID(),
		FindingType: f.Type(),
		Severity:    f.Severity(),
		ApprovedBy:  inv.ApprovedBy,
		Subnets:     []SubnetResult{},
	}
	log := i.d.Logger.With("incidentId", res.IncidentID, "findingType", res.FindingType, "severity", res.Severity)
	if reason := i.ignoreReason(f); reason != "" {
		res.Status, res.Reason = StatusIgnored, reason
		log.Info("finding ignored", "reason", reason)
		return res, nil
	}

	targets, skipped, from, warnings := i.targets(ctx, f)
	res.ResolvedFrom, res.Skipped, res.Warnings = from, skipped, warnings
	if len(targets) == 0 {
		res.Status, res.Reason = StatusIgnored, noQuarantinedSubnet
		log.Warn("nothing to isolate", "skipped", skipped)
		return res, i.report(ctx, f, &res, true)
	}
	if !inv.Approved && f.Severity() < i.cfg.ImmediateSeverity {
		return i.requestApproval(ctx, f, targets, res)
	}
	return i.isolate(ctx, f, targets, res)
}

func (i *Isolator) ignoreReason(f Finding) string {
	if f.Sample() && !i.cfg.ActOnSampleFindings {
		return "GuardDuty sample finding and " + EnvActOnSamples + " is not true"
	}
	if f.Severity() < i.cfg.SeverityThreshold {
		return fmt.Sprintf("severity %g is below %s %g", f.Severity(), EnvSeverityThreshold, i.cfg.SeverityThreshold)
	}
	if len(i.cfg.FindingTypePrefixes) == 0 {
		return ""
	}
	for _, p := range i.cfg.FindingTypePrefixes {
		if strings.HasPrefix(f.Type(), p) {
			return ""
		}
	}
	return fmt.Sprintf("type %q matches none of %s", f.Type(), EnvFindingTypePrefixes)
}

// targets maps the finding to candidate subnets: the instance's ENIs, the ECS task's ENI, or the
// blast radius when the finding names no network resource (or the task cannot be resolved).
func (i *Isolator) targets(ctx context.Context, f Finding) (targets []target, skipped []SkippedSubnet, from string, warnings []string) {
	seen := map[string]bool{}
	add := func(subnet, vpc string) {
		if subnet == "" || seen[subnet] {
			return
		}
		seen[subnet] = true
		if vpc != "" {
			if _, ok := i.cfg.QuarantineNACLs[vpc]; !ok {
				skipped = append(skipped, SkippedSubnet{SubnetID: subnet, VpcID: vpc, Reason: "VPC has no quarantine network ACL"})
				return
			}
		}
		targets = append(targets, target{SubnetID: subnet, VpcID: vpc})
	}
	for _, ni := range networkInterfaces(f.Event) {
		add(ni.SubnetID, ni.VpcID)
	}
	if len(seen) > 0 {
		return targets, skipped, "instance", nil
	}
	if task := f.TaskARN(); task != "" {
		var subnets []string
		err := i.d.Retry.Do(ctx, "describe ECS task", func(ctx context.Context) error {
			s, err := i.d.ECS.TaskSubnets(ctx, f.ClusterARN(), []string{task})
			subnets = s
			return err
		})
		for _, s := range subnets {
			if subnetRe.MatchString(s) {
				add(s, "")
			}
		}
		if len(seen) > 0 {
			return targets, skipped, "ecs-task", nil
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("ECS task %s could not be resolved (%v): using the blast radius", task, err))
		} else {
			warnings = append(warnings, fmt.Sprintf("ECS task %s has no ENI subnet: using the blast radius", task))
		}
	}
	for _, vpc := range slices.Sorted(maps.Keys(i.cfg.BlastRadiusSubnets)) {
		for _, s := range i.cfg.BlastRadiusSubnets[vpc] {
			add(s, vpc)
		}
	}
	return targets, skipped, "blast-radius", warnings
}

func (i *Isolator) requestApproval(ctx context.Context, f Finding, targets []target, res Result) (Result, error) {
	for _, t := range targets {
		res.CandidateSubnets = append(res.CandidateSubnets, t.SubnetID)
	}
	input, err := json.Marshal(struct {
		Finding json.RawMessage `json:"finding"`
	}{f.Raw})
	if err != nil {
		return res, fmt.Errorf("encoding approval input for %s: %w", res.IncidentID, err)
	}
	var arn string
	err = i.d.Retry.Do(ctx, "start approval", func(ctx context.Context) error {
		a, err := i.d.Approvals.Start(ctx, executionName(res.IncidentID), input)
		arn = a
		return err
	})
	switch {
	case errors.Is(err, ErrApprovalAlreadyStarted):
		res.Status, res.Reason = StatusPendingApproval, "approval was already requested for this incident"
		return res, i.report(ctx, f, &res, false)
	case err != nil:
		res.Status, res.Reason = StatusIncomplete, "approval could not be started; nothing was isolated"
		rerr := i.report(ctx, f, &res, true)
		return res, errors.Join(fmt.Errorf("incident %s: %w", res.IncidentID, err), rerr)
	}
	res.Status, res.ApprovalExecution = StatusPendingApproval, arn
	res.Reason = fmt.Sprintf("severity %g is below %s %g: waiting for a human approval", f.Severity(), EnvImmediateSeverity, i.cfg.ImmediateSeverity)
	return res, i.report(ctx, f, &res, true)
}

// isolate runs the three counted round trips (describe, claim, replace), then marks, evidence,
// timeline and notification.
func (i *Isolator) isolate(ctx context.Context, f Finding, targets []target, res Result) (Result, error) {
	// Round trip 1: every subnet's current association, in one call.
	assocs, err := i.describeAssociations(ctx, targets)
	if err != nil {
		for _, t := range targets {
			res.Subnets = append(res.Subnets, SubnetResult{SubnetID: t.SubnetID, VpcID: t.VpcID, Outcome: OutcomeFailed, Error: err.Error()})
		}
		return i.finish(ctx, f, res, 0)
	}
	jobs := i.planSwaps(targets, assocs, &res)
	if len(res.Subnets) == 0 {
		res.Status, res.Reason = StatusIgnored, noQuarantinedSubnet
		return res, i.report(ctx, f, &res, true)
	}

	// Round trips 2 and 3, per subnet and concurrently: record the previous association durably
	// (conditional write), then swap to the quarantine NACL.
	now := i.d.Now().UTC()
	attempt := i.d.NewAttemptID()
	res.Warnings = append(res.Warnings, i.swapAll(ctx, &res, jobs, now, attempt)...)

	isolated := countIsolated(res.Subnets)
	// After the counted trips, concurrently: mark the records ISOLATED, and capture evidence.
	warnings, ev := i.markIsolatedAndCaptureEvidence(ctx, f, res, attempt, i.needsEvidence(ctx, res, isolated))
	res.Warnings = append(res.Warnings, warnings...)
	res.Evidence = ev
	return i.finish(ctx, f, res, isolated)
}

// noQuarantinedSubnet is the reason for ignoring a finding none of whose subnets can be quarantined.
const noQuarantinedSubnet = "the finding maps to no subnet of a VPC listed in " + EnvQuarantineNACLs

// describeAssociations returns every target subnet's current network ACL association, by subnet id.
func (i *Isolator) describeAssociations(ctx context.Context, targets []target) (map[string]Association, error) {
	ids := make([]string, len(targets))
	for k, t := range targets {
		ids[k] = t.SubnetID
	}
	var assocs map[string]Association
	err := i.d.Retry.Do(ctx, "describe network ACL associations", func(ctx context.Context) error {
		a, err := i.d.EC2.DescribeAssociations(ctx, ids)
		assocs = a
		return err
	})
	return assocs, err
}

// swapJob is one subnet to move: the index of its result, its current association and the quarantine
// network ACL of its VPC.
type swapJob struct {
	idx   int
	assoc Association
	qacl  string
}

// planSwaps sorts the targets: a subnet without an association fails, one of a VPC without a quarantine
// network ACL is skipped, one already on it is already isolated; the others get a result (with the
// previous association) and a swap job.
func (i *Isolator) planSwaps(targets []target, assocs map[string]Association, res *Result) []swapJob {
	var jobs []swapJob
	for _, t := range targets {
		a, ok := assocs[t.SubnetID]
		if !ok {
			res.Subnets = append(res.Subnets, SubnetResult{SubnetID: t.SubnetID, VpcID: t.VpcID, Outcome: OutcomeFailed,
				Error: "no network ACL association found for the subnet (deleted, or not in this account and region?)"})
			continue
		}
		vpc := a.VpcID
		if vpc == "" {
			vpc = t.VpcID
		}
		qacl, managed := i.cfg.QuarantineNACLs[vpc]
		if !managed {
			res.Skipped = append(res.Skipped, SkippedSubnet{SubnetID: t.SubnetID, VpcID: vpc, Reason: "VPC has no quarantine network ACL"})
			continue
		}
		r := SubnetResult{SubnetID: t.SubnetID, VpcID: vpc}
		if a.NaclID == qacl {
			r.Outcome, r.NewAssociationID = OutcomeAlreadyIsolated, a.AssociationID
			res.Subnets = append(res.Subnets, r)
			continue
		}
		r.PreviousNaclID, r.PreviousAssociationID = a.NaclID, a.AssociationID
		res.Subnets = append(res.Subnets, r)
		jobs = append(jobs, swapJob{idx: len(res.Subnets) - 1, assoc: a, qacl: qacl})
	}
	return jobs
}

// swapAll runs every swap concurrently and returns their warnings, in the order they came.
func (i *Isolator) swapAll(ctx context.Context, res *Result, jobs []swapJob, now time.Time, attempt string) []string {
	var (
		mu       sync.Mutex
		warnings []string
		wg       sync.WaitGroup
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w := i.swap(ctx, res, j, now, attempt); w != "" {
				mu.Lock()
				warnings = append(warnings, w)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return warnings
}

// swap records the subnet's previous association durably (a claim), then moves the subnet onto the
// quarantine network ACL, setting the outcome in its result. It returns a warning when a failed swap's
// claim could not be flagged as abandoned.
func (i *Isolator) swap(ctx context.Context, res *Result, j swapJob, now time.Time, attempt string) string {
	r := &res.Subnets[j.idx] // each goroutine owns one element
	rec := Record{
		SubnetID: r.SubnetID, VpcID: r.VpcID, IncidentID: res.IncidentID,
		PreviousNaclID: j.assoc.NaclID, PreviousAssociationID: j.assoc.AssociationID,
		QuarantineNaclID: j.qacl, State: StateIsolating, UpdatedAt: now.Format(time.RFC3339),
		FindingType: res.FindingType, Severity: res.Severity, Attempt: attempt, ApprovedBy: res.ApprovedBy,
	}
	err := i.d.Retry.Do(ctx, "record subnet "+r.SubnetID, func(ctx context.Context) error {
		return i.d.Store.Claim(ctx, rec, now.Add(-i.d.ClaimTTL))
	})
	if err != nil {
		var conflict *ClaimConflictError
		if errors.As(err, &conflict) {
			r.Outcome, r.HeldBy = OutcomeAlreadyIsolated, conflict.IncidentID
			return ""
		}
		r.Outcome, r.Error = OutcomeFailed, "recording the previous association failed, subnet not touched: "+err.Error()
		return ""
	}
	var newID string
	err = i.d.Retry.Do(ctx, "replace network ACL association of "+r.SubnetID, func(ctx context.Context) error {
		id, err := i.d.EC2.ReplaceAssociation(ctx, j.assoc.AssociationID, j.qacl)
		newID = id
		return err
	})
	if err != nil {
		r.Outcome, r.Error = OutcomeFailed, err.Error()
		// Let a retry of the event take the claim over; the record keeps the previous association.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if aerr := i.d.Store.Abandon(actx, r.SubnetID, res.IncidentID, attempt, i.d.Now().UTC()); aerr != nil {
			return fmt.Sprintf("subnet %s: could not flag the failed claim as abandoned (%v); a retry can take it over after %s", r.SubnetID, aerr, i.d.ClaimTTL)
		}
		return ""
	}
	r.Outcome, r.NewAssociationID = OutcomeIsolated, newID
	return ""
}

func countIsolated(rs []SubnetResult) int {
	isolated := 0
	for _, r := range rs {
		if r.Outcome == OutcomeIsolated {
			isolated++
		}
	}
	return isolated
}

// needsEvidence reports whether to capture evidence: something was isolated, or everything was already
// isolated and the incident is new.
func (i *Isolator) needsEvidence(ctx context.Context, res Result, isolated int) bool {
	if isolated > 0 {
		return true
	}
	if hasFailed(res.Subnets) {
		return false
	}
	// Everything was already isolated. A new incident (not a repeat of this one) still gets
	// evidence and a notification; a repeated or updated finding changes nothing.
	return !i.incidentKnown(ctx, res.IncidentID)
}

// markIsolatedAndCaptureEvidence marks the records of the isolated subnets ISOLATED and, when evidence
// is set, captures evidence, all concurrently. It returns the warnings, sorted, and the evidence.
func (i *Isolator) markIsolatedAndCaptureEvidence(ctx context.Context, f Finding, res Result, attempt string, evidence bool) ([]string, []Evidence) {
	var (
		mu       sync.Mutex
		warnings []string
		wg       sync.WaitGroup
	)
	for k := range res.Subnets {
		r := res.Subnets[k]
		if r.Outcome != OutcomeIsolated {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := i.d.Retry.Do(ctx, "mark "+r.SubnetID+" ISOLATED", func(ctx context.Context) error {
				return i.d.Store.MarkIsolated(ctx, r.SubnetID, res.IncidentID, attempt, r.NewAssociationID, i.d.Now().UTC())
			})
			if err != nil {
				mu.Lock()
				warnings = append(warnings, fmt.Sprintf("subnet %s is quarantined but its record stays ISOLATING (%v); release still restores it", r.SubnetID, err))
				mu.Unlock()
			}
		}()
	}
	var ev []Evidence
	if evidence {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev = i.captureEvidence(ctx, f)
		}()
	}
	wg.Wait()
	sort.Strings(warnings)
	return warnings, ev
}

// incidentKnown reports whether the incident already holds records (a repeated finding).
func (i *Isolator) incidentKnown(ctx context.Context, incidentID string) bool {
	var recs []Record
	err := i.d.Retry.Do(ctx, "query incident records", func(ctx context.Context) error {
		r, err := i.d.Store.ByIncident(ctx, incidentID)
		recs = r
		return err
	})
	return err == nil && len(recs) > 0
}

func hasFailed(rs []SubnetResult) bool {
	for _, r := range rs {
		if r.Outcome == OutcomeFailed {
			return true
		}
	}
	return false
}

// finish sets the status, writes the timeline, notifies and returns the error for INCOMPLETE.
func (i *Isolator) finish(ctx context.Context, f Finding, res Result, isolated int) (Result, error) {
	failed := 0
	for _, r := range res.Subnets {
		if r.Outcome == OutcomeFailed {
			failed++
		}
	}
	notify := true
	switch {
	case failed > 0:
		res.Status = StatusIncomplete
		res.Reason = fmt.Sprintf("%d of %d subnets are NOT isolated", failed, len(res.Subnets))
	case isolated > 0:
		res.Status = StatusIsolated
	default:
		res.Status = StatusAlreadyIsolated
		notify = res.Evidence != nil || res.ApprovedBy != "" // new incident, or a human waits for the answer
	}
	i.d.Logger.Info("isolation finished", "incidentId", res.IncidentID, "status", res.Status, "subnets", res.Subnets, "evidence", res.Evidence, "warnings", res.Warnings)
	rerr := i.report(ctx, f, &res, notify)
	if res.Status == StatusIncomplete {
		var failedIDs []string
		for _, r := range res.Subnets {
			if r.Outcome == OutcomeFailed {
				failedIDs = append(failedIDs, r.SubnetID+": "+r.Error)
			}
		}
		return res, errors.Join(fmt.Errorf("incident %s: isolation INCOMPLETE: %s", res.IncidentID, strings.Join(failedIDs, "; ")), rerr)
	}
	return res, rerr
}

// report writes the timeline and (when notify) the SNS summary, concurrently. Timeline failures
// become warnings; a notification failure is returned so that the invocation is visibly failed.
func (i *Isolator) report(ctx context.Context, f Finding, res *Result, notify bool) error {
	var (
		wg          sync.WaitGroup
		tlErr, nErr error
	)
	lines := timelineLines(f, *res, i.d.Now().UTC())
	wg.Add(1)
	go func() {
		defer wg.Done()
		tlErr = i.d.Retry.Do(ctx, "write timeline", func(ctx context.Context) error {
			return i.d.Timeline.Write(ctx, res.IncidentID, lines)
		})
	}()
	if notify {
		subject, msg := summary(i.cfg, f, *res)
		wg.Add(1)
		go func() {
			defer wg.Done()
			nErr = i.d.Retry.Do(ctx, "notify", func(ctx context.Context) error {
				return i.d.Notifier.Publish(ctx, subject, msg)
			})
		}()
	}
	wg.Wait()
	if tlErr != nil {
		res.Warnings = append(res.Warnings, "timeline not written: "+tlErr.Error())
		i.d.Logger.Error("timeline not written", "incidentId", res.IncidentID, "error", tlErr)
	}
	if nErr != nil {
		i.d.Logger.Error("notification failed", "incidentId", res.IncidentID, "error", nErr)
		return fmt.Errorf("incident %s (%s): %w", res.IncidentID, res.Status, nErr)
	}
	return nil
}

// captureEvidence snapshots the instance's volumes and the configured Aurora clusters, concurrently.
func (i *Isolator) captureEvidence(ctx context.Context, f Finding) []Evidence {
	id := f.IncidentID()
	tags := map[string]string{
		"incident-id":  id,
		"finding-type": tagValue(f.Type()),
		"created-by":   "isolation-responder",
	}
	var (
		mu  sync.Mutex
		out []Evidence
		wg  sync.WaitGroup
	)
	add := func(e Evidence) {
		mu.Lock()
		out = append(out, e)
		mu.Unlock()
	}
	if inst := f.InstanceID(); inst != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var vols []string
			err := i.d.Retry.Do(ctx, "list volumes of "+inst, func(ctx context.Context) error {
				v, err := i.d.EC2.InstanceVolumes(ctx, inst)
				vols = v
				return err
			})
			if err != nil {
				add(Evidence{Kind: "instance-volumes", Source: inst, Error: err.Error()})
				return
			}
			var vwg sync.WaitGroup
			for _, vol := range vols {
				vwg.Add(1)
				go func() {
					defer vwg.Done()
					vt := map[string]string{"source-instance": inst, "source-volume": vol}
					for k, v := range tags {
						vt[k] = v
					}
					var snap Snapshot
					err := i.d.Retry.Do(ctx, "snapshot "+vol, func(ctx context.Context) error {
						s, err := i.d.EC2.CreateSnapshot(ctx, vol, fmt.Sprintf("GuardDuty incident %s: %s %s", id, inst, vol), vt)
						snap = s
						return err
					})
					e := Evidence{Kind: "ebs-snapshot", Source: vol, ID: snap.ID, Encrypted: snap.Encrypted, KmsKeyID: snap.KmsKeyID}
					if err != nil {
						e.Error = err.Error()
					}
					add(e)
				}()
			}
			vwg.Wait()
		}()
	}
	for _, cluster := range i.cfg.AuroraClusterIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := clusterSnapshotID(id, cluster)
			var snap Snapshot
			err := i.d.Retry.Do(ctx, "snapshot cluster "+cluster, func(ctx context.Context) error {
				s, err := i.d.RDS.CreateClusterSnapshot(ctx, cluster, name, tags)
				snap = s
				return err
			})
			e := Evidence{Kind: "db-cluster-snapshot", Source: cluster, ID: name, Encrypted: snap.Encrypted, KmsKeyID: snap.KmsKeyID}
			switch {
			case errors.Is(err, ErrSnapshotExists):
				e.Note = "snapshot already existed (taken by an earlier invocation for this incident)"
			case err != nil:
				e.Error = err.Error()
			}
			add(e)
		}()
	}
	wg.Wait()
	sort.Slice(out, func(a, b int) bool {
		if out[a].Kind != out[b].Kind {
			return out[a].Kind < out[b].Kind
		}
		return out[a].Source < out[b].Source
	})
	if out == nil {
		out = []Evidence{}
	}
	return out
}

// clusterSnapshotID is "incident-<id>-<cluster>", made a valid DB cluster snapshot identifier.
func clusterSnapshotID(incidentID, cluster string) string {
	s := strings.ToLower("incident-" + incidentID + "-" + cluster)
	var b strings.Builder
	prevHyphen := false
	for _, c := range s {
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !ok {
			if prevHyphen {
				continue
			}
			b.WriteByte('-')
			prevHyphen = true
			continue
		}
		b.WriteRune(c)
		prevHyphen = false
	}
	out := b.String()
	if len(out) > 255 {
		out = out[:255]
	}
	return strings.TrimRight(out, "-")
}

// executionName is the approval execution's name: one execution per incident.
func executionName(incidentID string) string {
	n := "incident-" + incidentID
	if len(n) > 80 {
		n = n[:80]
	}
	return n
}

// tagValue keeps only characters every AWS service accepts in tag values.
func tagValue(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune(" _.:/=+-@", c):
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 256 {
		out = out[:256]
	}
	return out
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}
