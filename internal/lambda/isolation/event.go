package isolation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// ErrInvalidEvent marks an event the function refuses: malformed, not a GuardDuty finding, or from
// another account or region. Nothing is changed for such an event.
var ErrInvalidEvent = errors.New("invalid event")

// ActionIsolateApproved is the action of the approval state machine's continuation
// (functions/contract, shared with the state machine of components/isolationresponder).
const ActionIsolateApproved = contract.IsolationActionApproved

var incidentRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,127}$`)

// Event is the EventBridge envelope of a GuardDuty finding (only the fields the responder uses).
type Event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Time       string `json:"time"`
	Detail     Detail `json:"detail"`
}

// Detail is the GuardDuty finding.
type Detail struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Severity  *float64 `json:"severity"`
	AccountID string   `json:"accountId"`
	Region    string   `json:"region"`
	Title     string   `json:"title"`
	Resource  Resource `json:"resource"`
	Service   Service  `json:"service"`
}

// Resource is detail.resource.
type Resource struct {
	ResourceType      string             `json:"resourceType"`
	InstanceDetails   *InstanceDetails   `json:"instanceDetails"`
	EcsClusterDetails *EcsClusterDetails `json:"ecsClusterDetails"`
}

// InstanceDetails is detail.resource.instanceDetails.
type InstanceDetails struct {
	InstanceID        string             `json:"instanceId"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces"`
}

// NetworkInterface is one entry of instanceDetails.networkInterfaces.
type NetworkInterface struct {
	NetworkInterfaceID string `json:"networkInterfaceId"`
	SubnetID           string `json:"subnetId"`
	VpcID              string `json:"vpcId"`
}

// EcsClusterDetails is detail.resource.ecsClusterDetails.
type EcsClusterDetails struct {
	Name        string       `json:"name"`
	Arn         string       `json:"arn"`
	TaskDetails *TaskDetails `json:"taskDetails"`
}

// TaskDetails is ecsClusterDetails.taskDetails.
type TaskDetails struct {
	Arn           string `json:"arn"`
	DefinitionArn string `json:"definitionArn"`
}

// Service is detail.service (only additionalInfo.sample is used).
type Service struct {
	AdditionalInfo struct {
		Sample json.RawMessage `json:"sample"`
	} `json:"additionalInfo"`
}

// Finding is a validated GuardDuty finding event.
type Finding struct {
	Event Event
	// Raw is the original event JSON, forwarded to the approval state machine.
	Raw json.RawMessage
}

// IncidentID is the GuardDuty finding id; it names the incident everywhere.
func (f Finding) IncidentID() string { return f.Event.Detail.ID }

// Type is detail.type.
func (f Finding) Type() string { return f.Event.Detail.Type }

// Severity is detail.severity.
func (f Finding) Severity() float64 {
	if f.Event.Detail.Severity == nil {
		return 0
	}
	return *f.Event.Detail.Severity
}

// Sample reports whether GuardDuty marked the finding as a sample (create-sample-findings).
func (f Finding) Sample() bool {
	s := strings.Trim(strings.TrimSpace(string(f.Event.Detail.Service.AdditionalInfo.Sample)), `"`)
	return strings.EqualFold(s, "true")
}

// InstanceID is the EC2 instance named by the finding, if any.
func (f Finding) InstanceID() string {
	if d := f.Event.Detail.Resource.InstanceDetails; d != nil {
		return d.InstanceID
	}
	return ""
}

// TaskARN and ClusterARN are the ECS task and cluster named by the finding, if any.
func (f Finding) TaskARN() string {
	if d := f.Event.Detail.Resource.EcsClusterDetails; d != nil && d.TaskDetails != nil {
		return d.TaskDetails.Arn
	}
	return ""
}

// ClusterARN is the ECS cluster named by the finding: ecsClusterDetails.arn, else its name.
func (f Finding) ClusterARN() string {
	if d := f.Event.Detail.Resource.EcsClusterDetails; d != nil {
		if d.Arn != "" {
			return d.Arn
		}
		return d.Name
	}
	return ""
}

// ParseEvent decodes and validates an EventBridge GuardDuty Finding event. It never panics.
func ParseEvent(raw []byte) (Finding, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Finding{}, fmt.Errorf("%w: empty event", ErrInvalidEvent)
	}
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return Finding{}, fmt.Errorf("%w: not a JSON EventBridge event: %v", ErrInvalidEvent, err)
	}
	var problems []string
	if e.Source != "aws.guardduty" {
		problems = append(problems, fmt.Sprintf("source is %q, want aws.guardduty", e.Source))
	}
	if e.DetailType != "GuardDuty Finding" {
		problems = append(problems, fmt.Sprintf("detail-type is %q, want \"GuardDuty Finding\"", e.DetailType))
	}
	if e.Account == "" {
		problems = append(problems, "account is missing")
	}
	if e.Region == "" {
		problems = append(problems, "region is missing")
	}
	if !incidentRe.MatchString(e.Detail.ID) {
		problems = append(problems, fmt.Sprintf("detail.id %q is missing or not a finding id", truncate(e.Detail.ID, 64)))
	}
	if e.Detail.Type == "" {
		problems = append(problems, "detail.type is missing")
	}
	switch s := e.Detail.Severity; {
	case s == nil:
		problems = append(problems, "detail.severity is missing")
	case math.IsNaN(*s) || *s < 0 || *s > 10:
		problems = append(problems, fmt.Sprintf("detail.severity %g is outside 0-10", *s))
	}
	for i, ni := range networkInterfaces(e) {
		if ni.SubnetID != "" && !subnetRe.MatchString(ni.SubnetID) {
			problems = append(problems, fmt.Sprintf("detail.resource.instanceDetails.networkInterfaces[%d].subnetId %q is not a subnet id", i, truncate(ni.SubnetID, 64)))
		}
	}
	if len(problems) > 0 {
		return Finding{}, fmt.Errorf("%w: %s", ErrInvalidEvent, strings.Join(problems, "; "))
	}
	return Finding{Event: e, Raw: append(json.RawMessage(nil), raw...)}, nil
}

// CheckOrigin refuses a finding from another account or region than the configured ones.
func (f Finding) CheckOrigin(accountID, region string) error {
	e := f.Event
	if e.Account != accountID {
		return fmt.Errorf("%w: finding %s comes from account %q, only %s is acted on", ErrInvalidEvent, e.Detail.ID, e.Account, accountID)
	}
	if e.Detail.AccountID != "" && e.Detail.AccountID != accountID {
		return fmt.Errorf("%w: finding %s is about account %q, only %s is acted on", ErrInvalidEvent, e.Detail.ID, e.Detail.AccountID, accountID)
	}
	if e.Region != region {
		return fmt.Errorf("%w: finding %s comes from region %q, only %s is acted on", ErrInvalidEvent, e.Detail.ID, e.Region, region)
	}
	if e.Detail.Region != "" && e.Detail.Region != region {
		return fmt.Errorf("%w: finding %s is about region %q, only %s is acted on", ErrInvalidEvent, e.Detail.ID, e.Detail.Region, region)
	}
	return nil
}

// Invocation is what functions/isolate receives: a GuardDuty event, or the approval continuation.
type Invocation struct {
	Finding    Finding
	Approved   bool
	ApprovedBy string
}

type continuation struct {
	Action     string          `json:"action"`
	ApprovedBy string          `json:"approvedBy"`
	Finding    json.RawMessage `json:"finding"`
}

// ParseInvocation decodes either a GuardDuty event or {"action":"isolate-approved",...}.
func ParseInvocation(raw []byte) (Invocation, error) {
	var c continuation
	if err := json.Unmarshal(raw, &c); err != nil {
		return Invocation{}, fmt.Errorf("%w: not a JSON object: %v", ErrInvalidEvent, err)
	}
	if c.Action == "" {
		f, err := ParseEvent(raw)
		return Invocation{Finding: f}, err
	}
	if c.Action != ActionIsolateApproved {
		return Invocation{}, fmt.Errorf("%w: unknown action %q (want %q)", ErrInvalidEvent, truncate(c.Action, 64), ActionIsolateApproved)
	}
	if strings.TrimSpace(c.ApprovedBy) == "" {
		return Invocation{}, fmt.Errorf("%w: %s without approvedBy", ErrInvalidEvent, ActionIsolateApproved)
	}
	f, err := ParseEvent(c.Finding)
	if err != nil {
		return Invocation{}, fmt.Errorf("%s finding: %w", ActionIsolateApproved, err)
	}
	return Invocation{Finding: f, Approved: true, ApprovedBy: truncate(strings.TrimSpace(c.ApprovedBy), 256)}, nil
}

func networkInterfaces(e Event) []NetworkInterface {
	if d := e.Detail.Resource.InstanceDetails; d != nil {
		return d.NetworkInterfaces
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
