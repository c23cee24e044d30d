package isolation

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// timelineLines renders the isolate timeline as JSON lines: finding, one line per subnet (before and
// after association), skipped subnets, evidence, result.
func timelineLines(f Finding, res Result, at time.Time) []string {
	ts := at.Format(time.RFC3339Nano)
	var lines []string
	add := func(v map[string]any) {
		v["time"] = ts
		v["incidentId"] = res.IncidentID
		b, err := json.Marshal(v)
		if err != nil { // cannot happen for these maps; keep the line anyway
			b = []byte(fmt.Sprintf(`{"event":"encoding-error","error":%q}`, err.Error()))
		}
		lines = append(lines, string(b))
	}
	e := f.Event
	add(map[string]any{
		"event": "finding", "findingType": e.Detail.Type, "severity": f.Severity(), "title": e.Detail.Title,
		"account": e.Account, "region": e.Region, "resourceType": e.Detail.Resource.ResourceType,
		"instanceId": f.InstanceID(), "taskArn": f.TaskARN(), "sample": f.Sample(),
		"approvedBy": res.ApprovedBy, "resolvedFrom": res.ResolvedFrom,
	})
	for _, s := range res.Subnets {
		add(map[string]any{
			"event": "subnet", "subnetId": s.SubnetID, "vpcId": s.VpcID, "outcome": s.Outcome, "error": s.Error, "heldBy": s.HeldBy,
			"before": map[string]string{"naclId": s.PreviousNaclID, "associationId": s.PreviousAssociationID},
			"after":  map[string]string{"associationId": s.NewAssociationID},
		})
	}
	for _, s := range res.Skipped {
		add(map[string]any{"event": "skipped", "subnetId": s.SubnetID, "vpcId": s.VpcID, "reason": s.Reason})
	}
	for _, ev := range res.Evidence {
		add(map[string]any{"event": "evidence", "kind": ev.Kind, "source": ev.Source, "id": ev.ID,
			"encrypted": ev.Encrypted, "kmsKeyId": ev.KmsKeyID, "note": ev.Note, "error": ev.Error})
	}
	add(map[string]any{"event": "result", "status": res.Status, "reason": res.Reason, "warnings": res.Warnings,
		"approvalExecution": res.ApprovalExecution, "candidateSubnets": res.CandidateSubnets})
	return lines
}

// releaseTimelineLines renders the release timeline.
func releaseTimelineLines(res ReleaseResult, at time.Time) []string {
	ts := at.Format(time.RFC3339Nano)
	var lines []string
	add := func(v map[string]any) {
		v["time"] = ts
		v["incidentId"] = res.IncidentID
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf(`{"event":"encoding-error","error":%q}`, err.Error()))
		}
		lines = append(lines, string(b))
	}
	add(map[string]any{"event": "release-requested", "requestedBy": res.RequestedBy, "reason": res.Reason})
	for _, s := range res.Subnets {
		add(map[string]any{
			"event": "release-subnet", "subnetId": s.SubnetID, "vpcId": s.VpcID, "outcome": s.Outcome, "error": s.Error,
			"before": map[string]string{"naclId": s.QuarantineNaclID, "associationId": s.FromAssociationID},
			"after":  map[string]string{"naclId": s.RestoredNaclID, "associationId": s.NewAssociationID},
		})
	}
	add(map[string]any{"event": "release-result", "status": res.Status, "warnings": res.Warnings})
	return lines
}

// summary is the SNS subject and message of an isolate result.
func summary(cfg Config, f Finding, res Result) (string, string) {
	subject := asciiSubject(fmt.Sprintf("[%s] GuardDuty %s (severity %.1f)", res.Status, f.Type(), f.Severity()))
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("Status: %s", res.Status)
	if res.Reason != "" {
		w("Why: %s", res.Reason)
	}
	w("Incident: %s", res.IncidentID)
	w("Finding: %s, severity %.1f, account %s, region %s", f.Type(), f.Severity(), f.Event.Account, f.Event.Region)
	if f.Event.Detail.Title != "" {
		w("Title: %s", f.Event.Detail.Title)
	}
	switch {
	case f.InstanceID() != "":
		w("Resource: EC2 instance %s", f.InstanceID())
	case f.TaskARN() != "":
		w("Resource: ECS task %s", f.TaskARN())
	default:
		w("Resource: no network resource named (blast radius)")
	}
	if f.Sample() {
		w("NOTE: this is a GuardDuty SAMPLE finding (rehearsal).")
	}
	if res.ApprovedBy != "" {
		w("Approved by: %s", res.ApprovedBy)
	}
	if res.Status == StatusPendingApproval {
		w("")
		w("Nothing is isolated yet. Subnets that approval would isolate: %s", strings.Join(res.CandidateSubnets, ", "))
		if res.ApprovalExecution != "" {
			w("Approval execution: %s", res.ApprovalExecution)
		}
		w("The \"Approval needed\" e-mail from the approval state machine carries the task token and the exact")
		w("approve (send-task-success, {\"approvedBy\":\"<you>\"}) and reject (send-task-failure) commands.")
	}
	if len(res.Subnets) > 0 {
		w("")
		w("Subnets:")
		for _, s := range res.Subnets {
			line := fmt.Sprintf("  %s (%s): %s", s.SubnetID, s.VpcID, s.Outcome)
			if s.PreviousNaclID != "" {
				line += fmt.Sprintf(", was %s (%s)", s.PreviousNaclID, s.PreviousAssociationID)
			}
			if s.NewAssociationID != "" {
				line += ", quarantine association " + s.NewAssociationID
			}
			if s.HeldBy != "" {
				line += ", held by incident " + s.HeldBy
			}
			if s.Error != "" {
				line += ", ERROR: " + s.Error
			}
			w("%s", line)
		}
	}
	for _, s := range res.Skipped {
		w("  %s (%s): not touched: %s", s.SubnetID, s.VpcID, s.Reason)
	}
	if len(res.Evidence) > 0 {
		w("")
		w("Evidence:")
		for _, e := range res.Evidence {
			line := fmt.Sprintf("  %s of %s: %s", e.Kind, e.Source, e.ID)
			if e.Encrypted {
				line += " (encrypted, KMS key " + e.KmsKeyID + ")"
			}
			if e.Note != "" {
				line += " - " + e.Note
			}
			if e.Error != "" {
				line += " FAILED: " + e.Error
			}
			w("%s", line)
		}
	}
	if len(res.Warnings) > 0 {
		w("")
		w("Warnings:")
		for _, x := range res.Warnings {
			w("  - %s", x)
		}
	}
	w("")
	w("Timeline: CloudWatch Logs group %s, stream %s", cfg.EvidenceLogGroup, res.IncidentID)
	w("State: DynamoDB table %s, index \"incident\", incidentId = %s", cfg.StateTable, res.IncidentID)
	if res.Status == StatusIncomplete {
		w("")
		w("SOME SUBNETS ARE NOT ISOLATED. See docs/runbooks/isolation.md, section \"INCOMPLETE\".")
	}
	if res.Status == StatusIsolated || res.Status == StatusIncomplete || res.Status == StatusAlreadyIsolated {
		fn := cfg.ReleaseFunctionName
		if fn == "" {
			fn = "<release function>"
		}
		w("")
		w("To release (restores the recorded network ACLs), assume the release role, then:")
		w("  aws lambda invoke --function-name %s --cli-binary-format raw-in-base64-out \\", fn)
		w("    --payload '{\"incidentId\":\"%s\",\"requestedBy\":\"<you>\",\"reason\":\"<why>\"}' release.json", res.IncidentID)
	}
	w("Runbooks: docs/runbooks/isolation.md, docs/runbooks/release.md")
	return subject, b.String()
}

// releaseSummary is the SNS subject and message of a release result.
func releaseSummary(cfg ReleaseConfig, res ReleaseResult) (string, string) {
	subject := asciiSubject(fmt.Sprintf("[RELEASE %s] incident %s", res.Status, res.IncidentID))
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("Release status: %s", res.Status)
	w("Incident: %s (account %s)", res.IncidentID, cfg.AccountID)
	w("Requested by: %s", res.RequestedBy)
	w("Reason: %s", res.Reason)
	w("")
	w("Subnets:")
	for _, s := range res.Subnets {
		line := fmt.Sprintf("  %s (%s): %s", s.SubnetID, s.VpcID, s.Outcome)
		if s.RestoredNaclID != "" {
			line += ", network ACL " + s.RestoredNaclID
		}
		if s.NewAssociationID != "" {
			line += " (association " + s.NewAssociationID + ")"
		}
		if s.Error != "" {
			line += ", ERROR: " + s.Error
		}
		w("%s", line)
	}
	for _, x := range res.Warnings {
		w("Warning: %s", x)
	}
	w("")
	w("Timeline: CloudWatch Logs group %s, stream %s", cfg.EvidenceLogGroup, res.IncidentID)
	if res.Status == StatusIncomplete {
		w("SOME SUBNETS ARE STILL QUARANTINED. Invoke the release again; see docs/runbooks/release.md.")
	}
	return subject, b.String()
}

// asciiSubject makes an SNS subject: printable ASCII, no line breaks, under 100 characters.
func asciiSubject(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			b.WriteRune(c)
		} else {
			b.WriteByte('?')
		}
	}
	out := b.String()
	if len(out) > 99 {
		out = out[:96] + "..."
	}
	return out
}
