package isolation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// This file adapts aws-sdk-go-v2 clients to the package's interfaces. Each adapter takes the
// subset of the client it calls, so *ec2.Client etc. can be passed directly.

// permanentCodes are API error codes that retrying cannot fix.
var permanentCodes = map[string]bool{
	"InvalidAssociationID.NotFound": true,
	"InvalidNetworkAclID.NotFound":  true,
	"InvalidInstanceID.NotFound":    true,
	"InvalidInstanceID.Malformed":   true,
	"InvalidVolume.NotFound":        true,
	"InvalidParameterValue":         true,
	"InvalidParameterCombination":   true,
	"UnauthorizedOperation":         true,
	"AccessDenied":                  true,
	"AccessDeniedException":         true,
	"ValidationException":           true,
	"DBClusterNotFoundFault":        true,
	"ClusterNotFoundException":      true,
	"InvalidParameterException":     true,
	"StateMachineDoesNotExist":      true,
	"ResourceNotFoundException":     true,
}

func classify(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && permanentCodes[apiErr.ErrorCode()] {
		return Permanent(err)
	}
	return err
}

// EC2API is the subset of *ec2.Client the EC2 adapter calls.
type EC2API interface {
	DescribeNetworkAcls(context.Context, *ec2.DescribeNetworkAclsInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error)
	ReplaceNetworkAclAssociation(context.Context, *ec2.ReplaceNetworkAclAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceNetworkAclAssociationOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	CreateSnapshot(context.Context, *ec2.CreateSnapshotInput, ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
}

// NewEC2Adapter adapts an EC2 client.
func NewEC2Adapter(api EC2API) EC2 { return ec2Adapter{api} }

type ec2Adapter struct{ api EC2API }

// filterValuesMax is the number of values one EC2 filter accepts; larger sets are split into
// concurrent calls so that the round trip count does not grow.
const filterValuesMax = 200

func (a ec2Adapter) DescribeAssociations(ctx context.Context, subnetIDs []string) (map[string]Association, error) {
	want := map[string]bool{}
	for _, s := range subnetIDs {
		want[s] = true
	}
	var (
		mu   sync.Mutex
		out  = map[string]Association{}
		errs []error
		wg   sync.WaitGroup
	)
	for start := 0; start < len(subnetIDs); start += filterValuesMax {
		chunk := subnetIDs[start:min(start+filterValuesMax, len(subnetIDs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: chunk}}}
			for {
				resp, err := a.api.DescribeNetworkAcls(ctx, in)
				mu.Lock()
				if err != nil {
					errs = append(errs, classify(err))
					mu.Unlock()
					return
				}
				for _, acl := range resp.NetworkAcls {
					for _, as := range acl.Associations {
						s := aws.ToString(as.SubnetId)
						if want[s] {
							out[s] = Association{SubnetID: s, AssociationID: aws.ToString(as.NetworkAclAssociationId),
								NaclID: aws.ToString(acl.NetworkAclId), VpcID: aws.ToString(acl.VpcId)}
						}
					}
				}
				mu.Unlock()
				if aws.ToString(resp.NextToken) == "" {
					return
				}
				in.NextToken = resp.NextToken
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ec2 DescribeNetworkAcls: %w", err)
	}
	return out, nil
}

func (a ec2Adapter) ReplaceAssociation(ctx context.Context, associationID, naclID string) (string, error) {
	resp, err := a.api.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
		AssociationId: aws.String(associationID), NetworkAclId: aws.String(naclID)})
	if err != nil {
		return "", fmt.Errorf("ec2 ReplaceNetworkAclAssociation %s -> %s: %w", associationID, naclID, classify(err))
	}
	return aws.ToString(resp.NewAssociationId), nil
}

func (a ec2Adapter) InstanceVolumes(ctx context.Context, instanceID string) ([]string, error) {
	resp, err := a.api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeInstances %s: %w", instanceID, classify(err))
	}
	var vols []string
	for _, r := range resp.Reservations {
		for _, in := range r.Instances {
			for _, bdm := range in.BlockDeviceMappings {
				if bdm.Ebs != nil && aws.ToString(bdm.Ebs.VolumeId) != "" {
					vols = append(vols, aws.ToString(bdm.Ebs.VolumeId))
				}
			}
		}
	}
	sort.Strings(vols)
	return vols, nil
}

// CreateSnapshot snapshots a volume. A snapshot of an encrypted volume is always encrypted with the
// volume's KMS key (EBS does this; it cannot be turned off), so CMK-encrypted evidence stays under the CMK.
func (a ec2Adapter) CreateSnapshot(ctx context.Context, volumeID, description string, tags map[string]string) (Snapshot, error) {
	var t []ec2types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		t = append(t, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	resp, err := a.api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
		VolumeId:          aws.String(volumeID),
		Description:       aws.String(truncate(description, 250)),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: t}},
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("ec2 CreateSnapshot %s: %w", volumeID, classify(err))
	}
	return Snapshot{ID: aws.ToString(resp.SnapshotId), Encrypted: aws.ToBool(resp.Encrypted), KmsKeyID: aws.ToString(resp.KmsKeyId)}, nil
}

// ECSAPI is the subset of *ecs.Client the ECS adapter calls.
type ECSAPI interface {
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// NewECSAdapter adapts an ECS client.
func NewECSAdapter(api ECSAPI) ECS { return ecsAdapter{api} }

type ecsAdapter struct{ api ECSAPI }

func (a ecsAdapter) TaskSubnets(ctx context.Context, cluster string, taskARNs []string) ([]string, error) {
	if cluster == "" && len(taskARNs) > 0 {
		cluster = clusterFromTaskARN(taskARNs[0])
	}
	in := &ecs.DescribeTasksInput{Tasks: taskARNs}
	if cluster != "" {
		in.Cluster = aws.String(cluster)
	}
	resp, err := a.api.DescribeTasks(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("ecs DescribeTasks: %w", classify(err))
	}
	var subnets []string
	for _, t := range resp.Tasks {
		for _, at := range t.Attachments {
			if aws.ToString(at.Type) != "ElasticNetworkInterface" {
				continue
			}
			for _, d := range at.Details {
				if aws.ToString(d.Name) == "subnetId" && aws.ToString(d.Value) != "" {
					subnets = append(subnets, aws.ToString(d.Value))
				}
			}
		}
	}
	if len(subnets) == 0 && len(resp.Failures) > 0 {
		return nil, Permanent(fmt.Errorf("ecs DescribeTasks: %s: %s", aws.ToString(resp.Failures[0].Arn), aws.ToString(resp.Failures[0].Reason)))
	}
	return subnets, nil
}

// clusterFromTaskARN extracts the cluster from arn:aws:ecs:<region>:<account>:task/<cluster>/<id>.
func clusterFromTaskARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":task/")
	if !ok {
		return ""
	}
	cluster, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return cluster
}

// RDSAPI is the subset of *rds.Client the RDS adapter calls.
type RDSAPI interface {
	CreateDBClusterSnapshot(context.Context, *rds.CreateDBClusterSnapshotInput, ...func(*rds.Options)) (*rds.CreateDBClusterSnapshotOutput, error)
}

// NewRDSAdapter adapts an RDS client. Snapshots of an encrypted cluster are encrypted with its KMS key.
func NewRDSAdapter(api RDSAPI) RDS { return rdsAdapter{api} }

type rdsAdapter struct{ api RDSAPI }

func (a rdsAdapter) CreateClusterSnapshot(ctx context.Context, clusterID, snapshotID string, tags map[string]string) (Snapshot, error) {
	var t []rdstypes.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		t = append(t, rdstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	resp, err := a.api.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: aws.String(clusterID), DBClusterSnapshotIdentifier: aws.String(snapshotID), Tags: t})
	if err != nil {
		var exists *rdstypes.DBClusterSnapshotAlreadyExistsFault
		if errors.As(err, &exists) {
			return Snapshot{ID: snapshotID}, fmt.Errorf("rds CreateDBClusterSnapshot %s: %w", snapshotID, ErrSnapshotExists)
		}
		return Snapshot{}, fmt.Errorf("rds CreateDBClusterSnapshot %s of %s: %w", snapshotID, clusterID, classify(err))
	}
	s := Snapshot{ID: snapshotID}
	if c := resp.DBClusterSnapshot; c != nil {
		s.ID, s.Encrypted, s.KmsKeyID = aws.ToString(c.DBClusterSnapshotIdentifier), aws.ToBool(c.StorageEncrypted), aws.ToString(c.KmsKeyId)
	}
	return s, nil
}

// DynamoDBAPI is the subset of *dynamodb.Client the store calls.
type DynamoDBAPI interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// IncidentIndex is the name of the state table's global secondary index on incidentId.
const IncidentIndex = "incident"

// NewDynamoStore adapts a DynamoDB client to Store over table.
func NewDynamoStore(api DynamoDBAPI, table string) Store { return dynamoStore{api: api, table: table} }

type dynamoStore struct {
	api   DynamoDBAPI
	table string
}

func (s dynamoStore) Claim(ctx context.Context, rec Record, staleBefore time.Time) error {
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return Permanent(fmt.Errorf("encoding record of %s: %w", rec.SubnetID, err))
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      item,
		ConditionExpression: aws.String("attribute_not_exists(subnetId) OR #s = :released OR " +
			"(#s = :isolating AND (abandoned = :true OR updatedAt < :stale))"),
		ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":released":  &ddbtypes.AttributeValueMemberS{Value: StateReleased},
			":isolating": &ddbtypes.AttributeValueMemberS{Value: StateIsolating},
			":true":      &ddbtypes.AttributeValueMemberBOOL{Value: true},
			":stale":     &ddbtypes.AttributeValueMemberS{Value: staleBefore.UTC().Format(time.RFC3339)},
		},
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var ccf *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			conflict := &ClaimConflictError{SubnetID: rec.SubnetID}
			var old Record
			if ccf.Item != nil && attributevalue.UnmarshalMap(ccf.Item, &old) == nil {
				conflict.IncidentID, conflict.State = old.IncidentID, old.State
			}
			return conflict
		}
		return fmt.Errorf("dynamodb PutItem %s: %w", rec.SubnetID, classify(err))
	}
	return nil
}

func (s dynamoStore) update(ctx context.Context, subnetID, update, cond string, values map[string]ddbtypes.AttributeValue) error {
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]ddbtypes.AttributeValue{"subnetId": &ddbtypes.AttributeValueMemberS{Value: subnetID}},
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: values,
	})
	if err != nil {
		var ccf *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return Permanent(fmt.Errorf("dynamodb UpdateItem %s: the record is no longer held as expected: %w", subnetID, err))
		}
		return fmt.Errorf("dynamodb UpdateItem %s: %w", subnetID, classify(err))
	}
	return nil
}

func str(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

func (s dynamoStore) MarkIsolated(ctx context.Context, subnetID, incidentID, attempt, quarantineAssociationID string, at time.Time) error {
	return s.update(ctx, subnetID,
		"SET #s = :isolated, quarantineAssociationId = :q, updatedAt = :now",
		"incidentId = :inc AND attempt = :att AND #s = :isolating",
		map[string]ddbtypes.AttributeValue{":isolated": str(StateIsolated), ":isolating": str(StateIsolating),
			":q": str(quarantineAssociationID), ":now": str(at.UTC().Format(time.RFC3339)), ":inc": str(incidentID), ":att": str(attempt)})
}

func (s dynamoStore) Abandon(ctx context.Context, subnetID, incidentID, attempt string, at time.Time) error {
	return s.update(ctx, subnetID,
		"SET abandoned = :true, updatedAt = :now",
		"incidentId = :inc AND attempt = :att AND #s = :isolating",
		map[string]ddbtypes.AttributeValue{":true": &ddbtypes.AttributeValueMemberBOOL{Value: true}, ":isolating": str(StateIsolating),
			":now": str(at.UTC().Format(time.RFC3339)), ":inc": str(incidentID), ":att": str(attempt)})
}

func (s dynamoStore) MarkReleased(ctx context.Context, subnetID, incidentID, requestedBy, reason string, at time.Time) error {
	return s.update(ctx, subnetID,
		"SET #s = :released, updatedAt = :now, releasedBy = :by, releaseReason = :why REMOVE abandoned",
		"incidentId = :inc AND #s IN (:isolated, :isolating)",
		map[string]ddbtypes.AttributeValue{":released": str(StateReleased), ":isolated": str(StateIsolated), ":isolating": str(StateIsolating),
			":now": str(at.UTC().Format(time.RFC3339)), ":by": str(requestedBy), ":why": str(reason), ":inc": str(incidentID)})
}

func (s dynamoStore) ByIncident(ctx context.Context, incidentID string) ([]Record, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IncidentIndex),
		KeyConditionExpression:    aws.String("incidentId = :inc"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":inc": str(incidentID)},
	}
	var out []Record
	for {
		resp, err := s.api.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb Query %s: %w", incidentID, classify(err))
		}
		var page []Record
		if err := attributevalue.UnmarshalListOfMaps(resp.Items, &page); err != nil {
			return nil, Permanent(fmt.Errorf("decoding records of %s: %w", incidentID, err))
		}
		out = append(out, page...)
		if len(resp.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = resp.LastEvaluatedKey
	}
}

// SNSAPI is the subset of *sns.Client the notifier calls.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// NewSNSNotifier publishes to topicARN.
func NewSNSNotifier(api SNSAPI, topicARN string) Notifier { return snsNotifier{api, topicARN} }

type snsNotifier struct {
	api   SNSAPI
	topic string
}

func (n snsNotifier) Publish(ctx context.Context, subject, message string) error {
	_, err := n.api.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(n.topic), Subject: aws.String(subject), Message: aws.String(message)})
	if err != nil {
		return fmt.Errorf("sns Publish: %w", classify(err))
	}
	return nil
}

// LogsAPI is the subset of *cloudwatchlogs.Client the timeline calls.
type LogsAPI interface {
	CreateLogStream(context.Context, *cloudwatchlogs.CreateLogStreamInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(context.Context, *cloudwatchlogs.PutLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// NewLogsTimeline writes timelines to group, one stream per incident.
func NewLogsTimeline(api LogsAPI, group string, now func() time.Time) Timeline {
	if now == nil {
		now = time.Now
	}
	return logsTimeline{api, group, now}
}

type logsTimeline struct {
	api   LogsAPI
	group string
	now   func() time.Time
}

func (l logsTimeline) Write(ctx context.Context, stream string, lines []string) error {
	_, err := l.api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(l.group), LogStreamName: aws.String(stream)})
	var exists *cwltypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("logs CreateLogStream %s/%s: %w", l.group, stream, classify(err))
	}
	ts := l.now().UnixMilli()
	events := make([]cwltypes.InputLogEvent, len(lines))
	for k, line := range lines {
		events[k] = cwltypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(ts)}
	}
	if _, err := l.api.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(l.group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		return fmt.Errorf("logs PutLogEvents %s/%s: %w", l.group, stream, classify(err))
	}
	return nil
}

// SFNAPI is the subset of *sfn.Client the approvals adapter calls.
type SFNAPI interface {
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// NewSFNApprovals starts executions of stateMachineARN.
func NewSFNApprovals(api SFNAPI, stateMachineARN string) Approvals {
	return sfnApprovals{api, stateMachineARN}
}

type sfnApprovals struct {
	api SFNAPI
	arn string
}

func (s sfnApprovals) Start(ctx context.Context, name string, input []byte) (string, error) {
	resp, err := s.api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(s.arn), Name: aws.String(name), Input: aws.String(string(input))})
	if err != nil {
		var exists *sfntypes.ExecutionAlreadyExists
		if errors.As(err, &exists) {
			return "", fmt.Errorf("sfn StartExecution %s: %w", name, ErrApprovalAlreadyStarted)
		}
		return "", fmt.Errorf("sfn StartExecution %s: %w", name, classify(err))
	}
	return aws.ToString(resp.ExecutionArn), nil
}
