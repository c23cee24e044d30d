package isolation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sdkEC2 struct {
	EC2API
	describeIn []*ec2.DescribeNetworkAclsInput
	replaceErr error
}

func (s *sdkEC2) DescribeNetworkAcls(_ context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	s.describeIn = append(s.describeIn, in)
	return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{{
		NetworkAclId: aws.String(appACL), VpcId: aws.String(vpcA),
		Associations: []ec2types.NetworkAclAssociation{
			{SubnetId: aws.String(subnetID(1)), NetworkAclAssociationId: aws.String("aclassoc-1"), NetworkAclId: aws.String(appACL)},
			{SubnetId: aws.String(subnetID(9)), NetworkAclAssociationId: aws.String("aclassoc-9"), NetworkAclId: aws.String(appACL)},
		},
	}}}, nil
}

func (s *sdkEC2) ReplaceNetworkAclAssociation(context.Context, *ec2.ReplaceNetworkAclAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceNetworkAclAssociationOutput, error) {
	return nil, s.replaceErr
}

func TestEC2AdapterDescribeAssociations(t *testing.T) {
	api := &sdkEC2{}
	got, err := NewEC2Adapter(api).DescribeAssociations(context.Background(), []string{subnetID(1), subnetID(2)})
	require.NoError(t, err)
	assert.Equal(t, map[string]Association{subnetID(1): {SubnetID: subnetID(1), AssociationID: "aclassoc-1", NaclID: appACL, VpcID: vpcA}}, got,
		"associations of other subnets on the same NACL are ignored")
	require.Len(t, api.describeIn, 1)
	assert.Equal(t, "association.subnet-id", aws.ToString(api.describeIn[0].Filters[0].Name))
	assert.Equal(t, []string{subnetID(1), subnetID(2)}, api.describeIn[0].Filters[0].Values)

	api.replaceErr = &smithy.GenericAPIError{Code: "InvalidAssociationID.NotFound", Message: "gone"}
	_, err = NewEC2Adapter(api).ReplaceAssociation(context.Background(), "aclassoc-1", qaclA)
	assert.ErrorIs(t, err, ErrPermanent)
	api.replaceErr = &smithy.GenericAPIError{Code: "RequestLimitExceeded"}
	_, err = NewEC2Adapter(api).ReplaceAssociation(context.Background(), "aclassoc-1", qaclA)
	assert.NotErrorIs(t, err, ErrPermanent)
}

type sdkECS struct{ in *ecs.DescribeTasksInput }

func (s *sdkECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s.in = in
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{{Attachments: []ecstypes.Attachment{{
		Type: aws.String("ElasticNetworkInterface"),
		Details: []ecstypes.KeyValuePair{
			{Name: aws.String("networkInterfaceId"), Value: aws.String("eni-1")},
			{Name: aws.String("subnetId"), Value: aws.String(subnetID(20))},
		},
	}}}}}, nil
}

func TestECSAdapterTaskSubnets(t *testing.T) {
	api := &sdkECS{}
	got, err := NewECSAdapter(api).TaskSubnets(context.Background(), "", []string{testTaskARN})
	require.NoError(t, err)
	assert.Equal(t, []string{subnetID(20)}, got)
	assert.Equal(t, "core", aws.ToString(api.in.Cluster), "cluster derived from the task ARN")
}

type sdkDynamo struct {
	DynamoDBAPI
	put    *dynamodb.PutItemInput
	putErr error
}

func (s *sdkDynamo) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	s.put = in
	return &dynamodb.PutItemOutput{}, s.putErr
}

func TestDynamoStoreClaim(t *testing.T) {
	api := &sdkDynamo{}
	store := NewDynamoStore(api, "isolation-state")
	rec := Record{SubnetID: subnetID(1), VpcID: vpcA, IncidentID: "f1", PreviousNaclID: appACL, PreviousAssociationID: "aclassoc-1",
		QuarantineNaclID: qaclA, State: StateIsolating, UpdatedAt: "2026-11-23T03:00:00Z", FindingType: "Backdoor:EC2/X", Severity: 9, Attempt: "a1"}
	require.NoError(t, store.Claim(context.Background(), rec, time.Date(2026, 11, 23, 2, 55, 0, 0, time.UTC)))
	assert.Equal(t, "isolation-state", aws.ToString(api.put.TableName))
	var got map[string]any
	require.NoError(t, attributevalue.UnmarshalMap(api.put.Item, &got))
	assert.Equal(t, map[string]any{"subnetId": subnetID(1), "vpcId": vpcA, "incidentId": "f1", "previousNaclId": appACL,
		"previousAssociationId": "aclassoc-1", "quarantineNaclId": qaclA, "state": "ISOLATING", "updatedAt": "2026-11-23T03:00:00Z",
		"findingType": "Backdoor:EC2/X", "severity": 9.0, "attempt": "a1"}, got)
	assert.Contains(t, aws.ToString(api.put.ConditionExpression), "attribute_not_exists(subnetId)")
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "2026-11-23T02:55:00Z"}, api.put.ExpressionAttributeValues[":stale"])

	old, err := attributevalue.MarshalMap(Record{SubnetID: subnetID(1), IncidentID: "f0", State: StateIsolated})
	require.NoError(t, err)
	api.putErr = &ddbtypes.ConditionalCheckFailedException{Message: aws.String("failed"), Item: old}
	err = store.Claim(context.Background(), rec, time.Time{})
	var conflict *ClaimConflictError
	require.ErrorAs(t, err, &conflict)
	assert.Equal(t, ClaimConflictError{SubnetID: subnetID(1), IncidentID: "f0", State: StateIsolated}, *conflict)
	assert.True(t, errors.Is(err, ErrClaimConflict))
}
