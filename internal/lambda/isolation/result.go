package isolation

// Status is the overall result of an invocation.
type Status string

// Statuses of isolate (contract) and release.
const (
	StatusIsolated        Status = "ISOLATED"
	StatusIncomplete      Status = "INCOMPLETE"
	StatusAlreadyIsolated Status = "ALREADY_ISOLATED"
	StatusPendingApproval Status = "PENDING_APPROVAL"
	StatusIgnored         Status = "IGNORED"
	StatusReleased        Status = "RELEASED"
	StatusAlreadyReleased Status = "ALREADY_RELEASED"
)

// Per-subnet outcomes.
const (
	OutcomeIsolated        = "isolated"
	OutcomeAlreadyIsolated = "already-isolated"
	OutcomeFailed          = "failed"
	OutcomeReleased        = "released"
	OutcomeAlreadyReleased = "already-released"
)

// SubnetResult is the per-subnet part of the isolate result (contract fields first).
type SubnetResult struct {
	SubnetID              string `json:"subnetId"`
	VpcID                 string `json:"vpcId"`
	PreviousNaclID        string `json:"previousNaclId"`
	PreviousAssociationID string `json:"previousAssociationId"`
	NewAssociationID      string `json:"newAssociationId"`
	Outcome               string `json:"outcome"`
	Error                 string `json:"error,omitempty"`
	// HeldBy is the incident that holds an already-isolated subnet, when known.
	HeldBy string `json:"heldBy,omitempty"`
}

// SkippedSubnet is a subnet the finding named but the responder may not touch.
type SkippedSubnet struct {
	SubnetID string `json:"subnetId"`
	VpcID    string `json:"vpcId,omitempty"`
	Reason   string `json:"reason"`
}

// Evidence is one piece of evidence captured after isolation.
type Evidence struct {
	Kind      string `json:"kind"`   // ebs-snapshot | db-cluster-snapshot | instance-volumes
	Source    string `json:"source"` // volume id, cluster id or instance id
	ID        string `json:"id,omitempty"`
	Encrypted bool   `json:"encrypted,omitempty"`
	KmsKeyID  string `json:"kmsKeyId,omitempty"`
	Note      string `json:"note,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Result is what functions/isolate returns.
type Result struct {
	IncidentID        string          `json:"incidentId"`
	Status            Status          `json:"status"`
	Subnets           []SubnetResult  `json:"subnets"`
	Reason            string          `json:"reason,omitempty"`
	FindingType       string          `json:"findingType,omitempty"`
	Severity          float64         `json:"severity,omitempty"`
	ResolvedFrom      string          `json:"resolvedFrom,omitempty"` // instance | ecs-task | blast-radius
	ApprovedBy        string          `json:"approvedBy,omitempty"`
	ApprovalExecution string          `json:"approvalExecution,omitempty"`
	CandidateSubnets  []string        `json:"candidateSubnets,omitempty"` // PENDING_APPROVAL: what approval would isolate
	Skipped           []SkippedSubnet `json:"skippedSubnets,omitempty"`
	Evidence          []Evidence      `json:"evidence,omitempty"`
	Warnings          []string        `json:"warnings,omitempty"`
}

// ReleaseSubnetResult is the per-subnet part of the release result.
type ReleaseSubnetResult struct {
	SubnetID          string `json:"subnetId"`
	VpcID             string `json:"vpcId"`
	RestoredNaclID    string `json:"restoredNaclId"`
	QuarantineNaclID  string `json:"quarantineNaclId,omitempty"`
	FromAssociationID string `json:"fromAssociationId,omitempty"`
	NewAssociationID  string `json:"newAssociationId,omitempty"`
	Outcome           string `json:"outcome"`
	Error             string `json:"error,omitempty"`
}

// ReleaseResult is what functions/release returns.
type ReleaseResult struct {
	IncidentID  string                `json:"incidentId"`
	Status      Status                `json:"status"`
	RequestedBy string                `json:"requestedBy"`
	Reason      string                `json:"reason"`
	Subnets     []ReleaseSubnetResult `json:"subnets"`
	Warnings    []string              `json:"warnings,omitempty"`
}
