package restore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	datatypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	keyArn     = "arn:aws:kms:ap-northeast-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	clusterArn = "arn:aws:rds:ap-northeast-1:333333333333:cluster:restore-exec1"
	secretArn  = "arn:aws:secretsmanager:ap-northeast-1:333333333333:secret:rds!cluster-abc-XyZ123"
)

type fakeRDS struct {
	cluster    *rdstypes.DBCluster
	clusterErr error
	statuses   map[string]string
	instErr    error
	clusterIn  []*rds.DescribeDBClustersInput
	instIn     []string
}

func (f *fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	f.clusterIn = append(f.clusterIn, in)
	if f.clusterErr != nil {
		return nil, f.clusterErr
	}
	if f.cluster == nil {
		return &rds.DescribeDBClustersOutput{}, nil
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{*f.cluster}}, nil
}

func (f *fakeRDS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	id := aws.ToString(in.DBInstanceIdentifier)
	f.instIn = append(f.instIn, id)
	if f.instErr != nil {
		return nil, f.instErr
	}
	s, ok := f.statuses[id]
	if !ok {
		return nil, &rdstypes.DBInstanceNotFoundFault{Message: aws.String("gone")}
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{{DBInstanceIdentifier: aws.String(id), DBInstanceStatus: aws.String(s)}}}, nil
}

type fakeData struct {
	err error
	in  []*rdsdata.ExecuteStatementInput
}

func (f *fakeData) ExecuteStatement(_ context.Context, in *rdsdata.ExecuteStatementInput, _ ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error) {
	f.in = append(f.in, in)
	if f.err != nil {
		return nil, f.err
	}
	return &rdsdata.ExecuteStatementOutput{Records: [][]datatypes.Field{{&datatypes.FieldMemberLongValue{Value: 1}}}}, nil
}

func goodCluster() *rdstypes.DBCluster {
	return &rdstypes.DBCluster{
		DBClusterIdentifier: aws.String("restore-exec1"), DBClusterArn: aws.String(clusterArn),
		Status: aws.String("available"), StorageEncrypted: aws.Bool(true), KmsKeyId: aws.String(keyArn),
		DBSubnetGroup: aws.String("restore-isolated"), Engine: aws.String("aurora-postgresql"),
		Endpoint:            aws.String("restore-exec1.cluster-x.ap-northeast-1.rds.amazonaws.com"),
		ReaderEndpoint:      aws.String("restore-exec1.cluster-ro-x.ap-northeast-1.rds.amazonaws.com"),
		HttpEndpointEnabled: aws.Bool(true),
		MasterUserSecret:    &rdstypes.MasterUserSecret{SecretArn: aws.String(secretArn)},
		DBClusterMembers: []rdstypes.DBClusterMember{
			{DBInstanceIdentifier: aws.String("restore-exec1-1")}, {DBInstanceIdentifier: aws.String("restore-exec1-2")},
		},
	}
}

func verifyInput() VerifyInput {
	return VerifyInput{ClusterIdentifier: "restore-exec1", ExpectedKmsKeyArn: keyArn, ExpectedSubnetGroup: "restore-isolated", ExpectedEngine: "aurora-postgresql"}
}

func TestVerifyPasses(t *testing.T) {
	r := &fakeRDS{cluster: goodCluster(), statuses: map[string]string{"restore-exec1-1": "available", "restore-exec1-2": "creating"}}
	out, err := (&Verifier{RDS: r}).Verify(context.Background(), verifyInput())
	require.NoError(t, err)
	assert.True(t, out.Verified)
	assert.Equal(t, clusterArn, out.ClusterArn)
	assert.Equal(t, "restore-exec1.cluster-x.ap-northeast-1.rds.amazonaws.com", out.Endpoint)
	assert.Equal(t, "restore-exec1.cluster-ro-x.ap-northeast-1.rds.amazonaws.com", out.ReaderEndpoint)
	var names []string
	for _, c := range out.Checks {
		assert.True(t, c.Passed, c.Name)
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"status-available", "storage-encrypted", "kms-key", "subnet-group", "engine", "instance-available"}, names)
	assert.Equal(t, "1 of 2 instance(s) available [restore-exec1-1]", out.Checks[5].Detail)
	assert.Equal(t, "restore-exec1", aws.ToString(r.clusterIn[0].DBClusterIdentifier))
	assert.Equal(t, []string{"restore-exec1-1", "restore-exec1-2"}, r.instIn)
}

func TestVerifyHealthQuery(t *testing.T) {
	d := &fakeData{}
	in := verifyInput()
	in.Query, in.Database = "SELECT 1", "core"
	out, err := (&Verifier{RDS: &fakeRDS{cluster: goodCluster(), statuses: map[string]string{"restore-exec1-1": "available"}}, Data: d}).Verify(context.Background(), in)
	require.NoError(t, err)
	last := out.Checks[len(out.Checks)-1]
	assert.Equal(t, Check{Name: "health-query", Passed: true, Detail: "query returned 1 record(s)"}, last)
	require.Len(t, d.in, 1)
	assert.Equal(t, clusterArn, aws.ToString(d.in[0].ResourceArn))
	assert.Equal(t, secretArn, aws.ToString(d.in[0].SecretArn), "the managed master secret by default")
	assert.Equal(t, "SELECT 1", aws.ToString(d.in[0].Sql))
	assert.Equal(t, "core", aws.ToString(d.in[0].Database))

	// An explicit secret wins.
	in.SecretArn = "arn:aws:secretsmanager:ap-northeast-1:333333333333:secret:app-abc"
	_, err = (&Verifier{RDS: &fakeRDS{cluster: goodCluster(), statuses: map[string]string{"restore-exec1-1": "available"}}, Data: d}).Verify(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, in.SecretArn, aws.ToString(d.in[1].SecretArn))
}

func TestVerifyFailures(t *testing.T) {
	cases := map[string]struct {
		mutate   func(c *rdstypes.DBCluster, in *VerifyInput, r *fakeRDS, d *fakeData)
		failures []string
	}{
		"not available": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.Status = aws.String("modifying")
		}, []string{"status-available: status modifying"}},
		"unencrypted": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.StorageEncrypted = aws.Bool(false)
		}, []string{"storage-encrypted: storageEncrypted false"}},
		"other key": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.KmsKeyId = aws.String("arn:aws:kms:ap-northeast-1:111111111111:key/x")
		}, []string{"kms-key: key \"arn:aws:kms:ap-northeast-1:111111111111:key/x\""}},
		"other subnets": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.DBSubnetGroup = aws.String("default")
		}, []string{"subnet-group: subnet group \"default\""}},
		"other engine": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.Engine = aws.String("aurora-mysql")
		}, []string{"engine: engine \"aurora-mysql\""}},
		"no instance": {func(_ *rdstypes.DBCluster, _ *VerifyInput, r *fakeRDS, _ *fakeData) {
			r.statuses = map[string]string{"restore-exec1-1": "creating"}
		}, []string{"instance-available: 0 of 2"}},
		"no members": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) { c.DBClusterMembers = nil }, []string{"instance-available: 0 of 0"}},
		"data api off": {func(c *rdstypes.DBCluster, in *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.HttpEndpointEnabled = aws.Bool(false)
			in.Query = "SELECT 1"
		}, []string{"health-query: the RDS Data API (HTTP endpoint) is not enabled"}},
		"no secret": {func(c *rdstypes.DBCluster, in *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.MasterUserSecret = nil
			in.Query = "SELECT 1"
		}, []string{"health-query: no secretArn given"}},
		"query fails": {func(_ *rdstypes.DBCluster, in *VerifyInput, _ *fakeRDS, d *fakeData) {
			in.Query = "SELECT 1"
			d.err = errors.New("DatabaseErrorException: relation")
		}, []string{"health-query: query failed: DatabaseErrorException"}},
		"several at once": {func(c *rdstypes.DBCluster, _ *VerifyInput, _ *fakeRDS, _ *fakeData) {
			c.Status = aws.String("creating")
			c.StorageEncrypted = nil
		}, []string{"status-available", "storage-encrypted"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cl := goodCluster()
			in := verifyInput()
			r := &fakeRDS{cluster: cl, statuses: map[string]string{"restore-exec1-1": "available"}}
			d := &fakeData{}
			c.mutate(cl, &in, r, d)
			out, err := (&Verifier{RDS: r, Data: d}).Verify(context.Background(), in)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.False(t, out.Verified)
			require.Len(t, ve.Failed, len(c.failures))
			for i, want := range c.failures {
				assert.True(t, strings.HasPrefix(ve.Failed[i].Name+": "+ve.Failed[i].Detail, want), "%s: got %s: %s", want, ve.Failed[i].Name, ve.Failed[i].Detail)
				assert.Contains(t, err.Error(), want)
			}
			assert.Contains(t, err.Error(), "cluster restore-exec1 failed verification")
		})
	}
}

func TestVerifyClusterMissingAndAWSErrors(t *testing.T) {
	var ve *VerificationError
	_, err := (&Verifier{RDS: &fakeRDS{}}).Verify(context.Background(), verifyInput())
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "cluster-exists", ve.Failed[0].Name)

	_, err = (&Verifier{RDS: &fakeRDS{clusterErr: &rdstypes.DBClusterNotFoundFault{Message: aws.String("no")}}}).Verify(context.Background(), verifyInput())
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "no DB cluster restore-exec1", ve.Failed[0].Detail)

	boom := errors.New("Throttling")
	var ae *AWSError
	_, err = (&Verifier{RDS: &fakeRDS{clusterErr: boom}}).Verify(context.Background(), verifyInput())
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, boom)
	_, err = (&Verifier{RDS: &fakeRDS{cluster: goodCluster(), instErr: boom}}).Verify(context.Background(), verifyInput())
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, err.Error(), "describe DB instance restore-exec1-1")

	in := verifyInput()
	in.Query = "SELECT 1"
	_, err = (&Verifier{RDS: &fakeRDS{cluster: goodCluster(), statuses: map[string]string{"restore-exec1-1": "available"}}}).Verify(context.Background(), in)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "no Data API client configured", ve.Failed[0].Detail)
}

func TestParseVerifyInput(t *testing.T) {
	ok := `{"clusterIdentifier":"restore-exec1","expectedKmsKeyArn":"` + keyArn + `","expectedSubnetGroup":"restore-isolated","expectedEngine":"aurora-postgresql"}`
	in, err := ParseVerifyInput([]byte(ok))
	require.NoError(t, err)
	assert.Equal(t, verifyInput(), in)
	in, err = ParseVerifyInput([]byte(`{"clusterIdentifier":"restore-exec1","expectedKmsKeyArn":"` + keyArn + `","expectedSubnetGroup":"restore-isolated","expectedEngine":"aurora-mysql","query":"SELECT 1","secretArn":"` + secretArn + `","database":"core"}`))
	require.NoError(t, err)
	assert.Equal(t, "SELECT 1", in.Query)

	cases := map[string]struct{ raw, want string }{
		"bad id":       {strings.Replace(ok, "restore-exec1", "1restore", 1), `clusterIdentifier "1restore"`},
		"double dash":  {strings.Replace(ok, "restore-exec1", "restore--x", 1), `clusterIdentifier "restore--x"`},
		"too long":     {strings.Replace(ok, "restore-exec1", "r"+strings.Repeat("x", 63), 1), "is not a DB cluster identifier"},
		"bad key":      {strings.Replace(ok, keyArn, "alias/aws/rds", 1), `expectedKmsKeyArn "alias/aws/rds"`},
		"bad group":    {strings.Replace(ok, "restore-isolated", "a b", 1), `expectedSubnetGroup "a b"`},
		"bad engine":   {strings.Replace(ok, "aurora-postgresql", "mysql", 1), `expectedEngine "mysql"`},
		"bad secret":   {strings.Replace(ok, `}`, `,"query":"SELECT 1","secretArn":"x"}`, 1), `secretArn "x"`},
		"secret alone": {strings.Replace(ok, `}`, `,"secretArn":"`+secretArn+`"}`, 1), "only used with query"},
		"long query":   {strings.Replace(ok, `}`, `,"query":"`+strings.Repeat("x", MaxQueryLength+1)+`"}`, 1), "above 4096"},
		"unknown":      {strings.Replace(ok, `}`, `,"extra":1}`, 1), "unknown field"},
		"not json":     {"nope", "not the expected JSON object"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseVerifyInput([]byte(c.raw))
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
