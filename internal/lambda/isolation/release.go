package isolation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// ErrInvalidRequest marks a release request that is refused.
var ErrInvalidRequest = errors.New("invalid release request")

// ReleaseRequest is the release function's event.
type ReleaseRequest struct {
	IncidentID  string `json:"incidentId"`
	RequestedBy string `json:"requestedBy"`
	Reason      string `json:"reason"`
}

// ParseReleaseRequest decodes and validates a release request: all three fields are required.
func ParseReleaseRequest(raw []byte) (ReleaseRequest, error) {
	var r ReleaseRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		return ReleaseRequest{}, fmt.Errorf("%w: not a JSON object {\"incidentId\",\"requestedBy\",\"reason\"}: %v", ErrInvalidRequest, err)
	}
	r.IncidentID, r.RequestedBy, r.Reason = strings.TrimSpace(r.IncidentID), strings.TrimSpace(r.RequestedBy), strings.TrimSpace(r.Reason)
	var problems []string
	if !incidentRe.MatchString(r.IncidentID) {
		problems = append(problems, fmt.Sprintf("incidentId %q is missing or not a GuardDuty finding id", truncate(r.IncidentID, 64)))
	}
	if r.RequestedBy == "" {
		problems = append(problems, "requestedBy is required (who asks for the release)")
	} else if len(r.RequestedBy) > 256 {
		problems = append(problems, "requestedBy is longer than 256 characters")
	}
	if r.Reason == "" {
		problems = append(problems, "reason is required (why the subnets can be reconnected)")
	} else if len(r.Reason) > 2048 {
		problems = append(problems, "reason is longer than 2048 characters")
	}
	if len(problems) > 0 {
		return ReleaseRequest{}, fmt.Errorf("%w: %s", ErrInvalidRequest, strings.Join(problems, "; "))
	}
	return r, nil
}

// ReleaseDeps are the collaborators of the release logic.
type ReleaseDeps struct {
	EC2      EC2
	Store    Store
	Notifier Notifier
	Timeline Timeline
	Retry    RetryPolicy
	Now      func() time.Time
	Logger   *slog.Logger
}

// Releaser handles functions/release invocations.
type Releaser struct {
	cfg ReleaseConfig
	d   ReleaseDeps
}

// NewReleaser checks that every collaborator is present.
func NewReleaser(cfg ReleaseConfig, d ReleaseDeps) (*Releaser, error) {
	if err := missingDeps(contract.FunctionRelease,
		dep{"EC2", d.EC2 == nil},
		dep{"Store", d.Store == nil},
		dep{"Notifier", d.Notifier == nil},
		dep{"Timeline", d.Timeline == nil},
	); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Releaser{cfg: cfg, d: d}, nil
}

// Handle restores, for every subnet the incident holds, exactly the recorded previous network ACL.
// A partial release returns status INCOMPLETE and a non-nil error; invoking it again is safe.
func (r *Releaser) Handle(ctx context.Context, raw []byte) (ReleaseResult, error) {
	req, err := ParseReleaseRequest(raw)
	if err != nil {
		r.d.Logger.Error("refused release request", "error", err)
		return ReleaseResult{}, err
	}
	res := ReleaseResult{IncidentID: req.IncidentID, RequestedBy: req.RequestedBy, Reason: req.Reason, Subnets: []ReleaseSubnetResult{}}
	var recs []Record
	err = r.d.Retry.Do(ctx, "query incident records", func(ctx context.Context) error {
		x, err := r.d.Store.ByIncident(ctx, req.IncidentID)
		recs = x
		return err
	})
	if err != nil {
		return res, fmt.Errorf("release %s: loading records: %w", req.IncidentID, err)
	}
	if len(recs) == 0 {
		return res, fmt.Errorf("release %s: %w: no subnet was ever isolated for this incident", req.IncidentID, ErrInvalidRequest)
	}
	var active []Record
	for _, rec := range recs {
		if rec.State == StateIsolated || rec.State == StateIsolating {
			active = append(active, rec)
		}
	}
	sort.Slice(active, func(a, b int) bool { return active[a].SubnetID < active[b].SubnetID })
	if len(active) == 0 {
		res.Status = StatusAlreadyReleased
		return res, r.report(ctx, &res)
	}

	ids := make([]string, len(active))
	for k, rec := range active {
		ids[k] = rec.SubnetID
	}
	var assocs map[string]Association
	err = r.d.Retry.Do(ctx, "describe network ACL associations", func(ctx context.Context) error {
		a, err := r.d.EC2.DescribeAssociations(ctx, ids)
		assocs = a
		return err
	})
	res.Subnets = make([]ReleaseSubnetResult, len(active))
	var wg sync.WaitGroup
	for k, rec := range active {
		s := &res.Subnets[k]
		*s = ReleaseSubnetResult{SubnetID: rec.SubnetID, VpcID: rec.VpcID, RestoredNaclID: rec.PreviousNaclID, QuarantineNaclID: rec.QuarantineNaclID}
		if err != nil {
			s.Outcome, s.Error = OutcomeFailed, err.Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.releaseOne(ctx, req, rec, assocs, s)
		}()
	}
	wg.Wait()

	failed, released := 0, 0
	var failedMsgs []string
	for _, s := range res.Subnets {
		switch {
		case s.Outcome == OutcomeFailed || s.Error != "":
			failed++
			failedMsgs = append(failedMsgs, s.SubnetID+": "+s.Error)
		case s.Outcome == OutcomeReleased:
			released++
		}
	}
	switch {
	case failed > 0:
		res.Status = StatusIncomplete
	case released > 0:
		res.Status = StatusReleased
	default:
		res.Status = StatusAlreadyReleased
	}
	r.d.Logger.Info("release finished", "incidentId", res.IncidentID, "status", res.Status, "subnets", res.Subnets)
	rerr := r.report(ctx, &res)
	if failed > 0 {
		return res, errors.Join(fmt.Errorf("release %s INCOMPLETE: %s", res.IncidentID, strings.Join(failedMsgs, "; ")), rerr)
	}
	return res, rerr
}

func (r *Releaser) releaseOne(ctx context.Context, req ReleaseRequest, rec Record, assocs map[string]Association, s *ReleaseSubnetResult) {
	a, ok := assocs[rec.SubnetID]
	if !ok {
		s.Outcome, s.Error = OutcomeFailed, "no current network ACL association found for the subnet"
		return
	}
	s.FromAssociationID = a.AssociationID
	switch {
	case a.NaclID == rec.PreviousNaclID:
		s.Outcome, s.NewAssociationID = OutcomeAlreadyReleased, a.AssociationID
	case rec.QuarantineNaclID != "" && a.NaclID != rec.QuarantineNaclID:
		s.Outcome = OutcomeFailed
		s.Error = fmt.Sprintf("subnet is on %s, neither the quarantine (%s) nor the recorded (%s) network ACL: not touched", a.NaclID, rec.QuarantineNaclID, rec.PreviousNaclID)
		return
	default:
		var newID string
		err := r.d.Retry.Do(ctx, "restore network ACL of "+rec.SubnetID, func(ctx context.Context) error {
			id, err := r.d.EC2.ReplaceAssociation(ctx, a.AssociationID, rec.PreviousNaclID)
			newID = id
			return err
		})
		if err != nil {
			s.Outcome, s.Error = OutcomeFailed, err.Error()
			return
		}
		s.Outcome, s.NewAssociationID = OutcomeReleased, newID
	}
	err := r.d.Retry.Do(ctx, "mark "+rec.SubnetID+" RELEASED", func(ctx context.Context) error {
		return r.d.Store.MarkReleased(ctx, rec.SubnetID, req.IncidentID, req.RequestedBy, req.Reason, r.d.Now().UTC())
	})
	if err != nil {
		s.Error = "network ACL restored but the record is not marked RELEASED (invoke the release again): " + err.Error()
	}
}

func (r *Releaser) report(ctx context.Context, res *ReleaseResult) error {
	lines := releaseTimelineLines(*res, r.d.Now().UTC())
	subject, msg := releaseSummary(r.cfg, *res)
	var (
		wg          sync.WaitGroup
		tlErr, nErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		tlErr = r.d.Retry.Do(ctx, "write timeline", func(ctx context.Context) error {
			return r.d.Timeline.Write(ctx, res.IncidentID, lines)
		})
	}()
	go func() {
		defer wg.Done()
		nErr = r.d.Retry.Do(ctx, "notify", func(ctx context.Context) error {
			return r.d.Notifier.Publish(ctx, subject, msg)
		})
	}()
	wg.Wait()
	if tlErr != nil {
		res.Warnings = append(res.Warnings, "timeline not written: "+tlErr.Error())
	}
	if nErr != nil {
		return fmt.Errorf("release %s (%s): %w", res.IncidentID, res.Status, nErr)
	}
	return nil
}
