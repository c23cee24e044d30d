package isolation

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Association is a subnet's current network ACL association.
type Association struct {
	SubnetID      string
	AssociationID string
	NaclID        string
	VpcID         string
}

// Snapshot is an EBS or DB cluster snapshot taken as evidence.
type Snapshot struct {
	ID        string
	Encrypted bool
	KmsKeyID  string
}

// EC2 is the part of the EC2 API the responder uses.
type EC2 interface {
	// DescribeAssociations returns the current association of each given subnet in ONE round trip
	// (DescribeNetworkAcls filtered on association.subnet-id). Subnets without one are absent.
	DescribeAssociations(ctx context.Context, subnetIDs []string) (map[string]Association, error)
	// ReplaceAssociation moves an association to naclID and returns the new association id.
	ReplaceAssociation(ctx context.Context, associationID, naclID string) (string, error)
	// InstanceVolumes lists the EBS volume ids attached to an instance.
	InstanceVolumes(ctx context.Context, instanceID string) ([]string, error)
	// CreateSnapshot snapshots a volume with the given tags.
	CreateSnapshot(ctx context.Context, volumeID, description string, tags map[string]string) (Snapshot, error)
}

// ECS resolves the subnets of ECS tasks.
type ECS interface {
	// TaskSubnets returns the subnet ids of the tasks' ENI attachments (one DescribeTasks call).
	TaskSubnets(ctx context.Context, cluster string, taskARNs []string) ([]string, error)
}

// RDS snapshots Aurora clusters.
type RDS interface {
	// CreateClusterSnapshot returns ErrSnapshotExists (wrapped) when the identifier is taken.
	CreateClusterSnapshot(ctx context.Context, clusterID, snapshotID string, tags map[string]string) (Snapshot, error)
}

// Subnet states in the state table.
const (
	StateIsolating = "ISOLATING"
	StateIsolated  = "ISOLATED"
	StateReleased  = "RELEASED"
)

// Record is one item of the state table (hash key SubnetID).
type Record struct {
	SubnetID                string  `dynamodbav:"subnetId"`
	VpcID                   string  `dynamodbav:"vpcId"`
	IncidentID              string  `dynamodbav:"incidentId"`
	PreviousNaclID          string  `dynamodbav:"previousNaclId"`
	PreviousAssociationID   string  `dynamodbav:"previousAssociationId"`
	QuarantineNaclID        string  `dynamodbav:"quarantineNaclId"`
	QuarantineAssociationID string  `dynamodbav:"quarantineAssociationId,omitempty"`
	State                   string  `dynamodbav:"state"`
	UpdatedAt               string  `dynamodbav:"updatedAt"`
	FindingType             string  `dynamodbav:"findingType"`
	Severity                float64 `dynamodbav:"severity"`
	// Attempt identifies the invocation holding an ISOLATING claim.
	Attempt string `dynamodbav:"attempt,omitempty"`
	// Abandoned marks an ISOLATING claim whose replacement failed: a retry may take it over.
	Abandoned     bool   `dynamodbav:"abandoned,omitempty"`
	ApprovedBy    string `dynamodbav:"approvedBy,omitempty"`
	ReleasedBy    string `dynamodbav:"releasedBy,omitempty"`
	ReleaseReason string `dynamodbav:"releaseReason,omitempty"`
}

// ErrClaimConflict is returned (wrapped in *ClaimConflictError) when a subnet is already held.
var ErrClaimConflict = errors.New("subnet already held by an incident")

// ClaimConflictError says who holds the subnet.
type ClaimConflictError struct {
	SubnetID   string
	IncidentID string
	State      string
}

func (e *ClaimConflictError) Error() string {
	if e.IncidentID == "" {
		return fmt.Sprintf("subnet %s: %v", e.SubnetID, ErrClaimConflict)
	}
	return fmt.Sprintf("subnet %s already %s by incident %s", e.SubnetID, e.State, e.IncidentID)
}

// Is makes errors.Is(err, ErrClaimConflict) true.
func (e *ClaimConflictError) Is(target error) bool { return target == ErrClaimConflict }

// Store is the durable state table.
type Store interface {
	// Claim writes rec (state ISOLATING) if the subnet has no item, its item is RELEASED, or its item is an
	// ISOLATING claim that was abandoned or last updated before staleBefore. Otherwise it returns a
	// *ClaimConflictError. Conditional: safe under concurrent invocations.
	Claim(ctx context.Context, rec Record, staleBefore time.Time) error
	// MarkIsolated sets ISOLATED and the quarantine association id if the item is still this attempt's claim.
	MarkIsolated(ctx context.Context, subnetID, incidentID, attempt, quarantineAssociationID string, at time.Time) error
	// Abandon flags this attempt's ISOLATING claim as abandoned (its replacement failed), keeping the
	// recorded previous association.
	Abandon(ctx context.Context, subnetID, incidentID, attempt string, at time.Time) error
	// MarkReleased sets RELEASED if the item still belongs to the incident and is ISOLATED or ISOLATING.
	MarkReleased(ctx context.Context, subnetID, incidentID, requestedBy, reason string, at time.Time) error
	// ByIncident returns the incident's items (GSI "incident").
	ByIncident(ctx context.Context, incidentID string) ([]Record, error)
}

// Notifier publishes a human summary (SNS).
type Notifier interface {
	Publish(ctx context.Context, subject, message string) error
}

// Timeline appends JSON lines to the incident's log stream.
type Timeline interface {
	Write(ctx context.Context, stream string, lines []string) error
}

// ErrApprovalAlreadyStarted is returned by Approvals.Start when the incident's execution exists.
var ErrApprovalAlreadyStarted = errors.New("approval already started for this incident")

// ErrSnapshotExists is returned by RDS.CreateClusterSnapshot when the snapshot already exists.
var ErrSnapshotExists = errors.New("snapshot already exists")

// Approvals starts the human approval state machine.
type Approvals interface {
	// Start starts an execution named name with input and returns its ARN.
	Start(ctx context.Context, name string, input []byte) (string, error)
}
