package restore

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
)

// RDSAPI is the part of the RDS client restoreverify uses.
type RDSAPI interface {
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, opts ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

// DataAPI is the part of the RDS Data API client restoreverify uses.
type DataAPI interface {
	ExecuteStatement(ctx context.Context, in *rdsdata.ExecuteStatementInput, opts ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error)
}

// VerifyInput is the restoreverify event.
//
// Query, when set, is run through the RDS Data API as a health check. The
// Data API must be enabled on the restored cluster (the workflow calls
// rds:EnableHttpEndpoint before verifying when it is configured with a
// query) and SecretArn names the credentials; when SecretArn is empty the
// cluster's RDS-managed master user secret is used.
type VerifyInput struct {
	ClusterIdentifier   string `json:"clusterIdentifier"`
	ExpectedKmsKeyArn   string `json:"expectedKmsKeyArn"`
	ExpectedSubnetGroup string `json:"expectedSubnetGroup"`
	ExpectedEngine      string `json:"expectedEngine"`
	SecretArn           string `json:"secretArn,omitempty"`
	Query               string `json:"query,omitempty"`
	Database            string `json:"database,omitempty"`
}

// Check is one verification.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// VerifyOutput is the result of a successful verification.
type VerifyOutput struct {
	Verified       bool    `json:"verified"`
	ClusterArn     string  `json:"clusterArn"`
	Endpoint       string  `json:"endpoint"`
	ReaderEndpoint string  `json:"readerEndpoint"`
	Checks         []Check `json:"checks"`
}

// MaxQueryLength bounds the health query.
const MaxQueryLength = 4096

// ParseVerifyInput decodes and checks a restoreverify event.
func ParseVerifyInput(raw []byte) (VerifyInput, error) {
	var in VerifyInput
	if err := decodeStrict(raw, &in); err != nil {
		return VerifyInput{}, err
	}
	var p []string
	if !identifierRE.MatchString(in.ClusterIdentifier) || len(in.ClusterIdentifier) > 63 {
		p = append(p, fmt.Sprintf("clusterIdentifier %q is not a DB cluster identifier (1-63 letters, digits, single hyphens, starting with a letter)", in.ClusterIdentifier))
	}
	if !kmsKeyArnRE.MatchString(in.ExpectedKmsKeyArn) {
		p = append(p, fmt.Sprintf("expectedKmsKeyArn %q is not a KMS key ARN", in.ExpectedKmsKeyArn))
	}
	if !nameRE.MatchString(in.ExpectedSubnetGroup) {
		p = append(p, fmt.Sprintf("expectedSubnetGroup %q is not a DB subnet group name", in.ExpectedSubnetGroup))
	}
	if in.ExpectedEngine != "aurora-postgresql" && in.ExpectedEngine != "aurora-mysql" {
		p = append(p, fmt.Sprintf("expectedEngine %q is not aurora-postgresql or aurora-mysql", in.ExpectedEngine))
	}
	if in.SecretArn != "" && !secretArnRE.MatchString(in.SecretArn) {
		p = append(p, fmt.Sprintf("secretArn %q is not a Secrets Manager secret ARN", in.SecretArn))
	}
	if len(in.Query) > MaxQueryLength {
		p = append(p, fmt.Sprintf("query is %d bytes, above %d", len(in.Query), MaxQueryLength))
	}
	if in.Query == "" && (in.SecretArn != "" || in.Database != "") {
		p = append(p, "secretArn and database are only used with query")
	}
	if len(p) > 0 {
		return VerifyInput{}, &InputError{Msg: strings.Join(p, "; ")}
	}
	return in, nil
}

// Verifier checks a restored cluster.
type Verifier struct {
	RDS  RDSAPI
	Data DataAPI
}

// Verify runs every check and returns the list; any failed check gives a
// *VerificationError carrying the failures.
func (v *Verifier) Verify(ctx context.Context, in VerifyInput) (VerifyOutput, error) {
	out, err := v.RDS.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(in.ClusterIdentifier)})
	if err != nil {
		var nf *rdstypes.DBClusterNotFoundFault
		if asType(err, &nf) {
			return VerifyOutput{}, &VerificationError{Cluster: in.ClusterIdentifier, Failed: []Check{{Name: "cluster-exists", Detail: "no DB cluster " + in.ClusterIdentifier}}}
		}
		return VerifyOutput{}, awsErr(err, "describe DB cluster %s", in.ClusterIdentifier)
	}
	if len(out.DBClusters) != 1 {
		return VerifyOutput{}, &VerificationError{Cluster: in.ClusterIdentifier, Failed: []Check{{Name: "cluster-exists", Detail: fmt.Sprintf("%d clusters named %s", len(out.DBClusters), in.ClusterIdentifier)}}}
	}
	c := out.DBClusters[0]
	var checks []Check
	add := func(name string, ok bool, detail string) {
		checks = append(checks, Check{Name: name, Passed: ok, Detail: detail})
	}
	status := aws.ToString(c.Status)
	add("status-available", status == "available", "status "+status)
	enc := aws.ToBool(c.StorageEncrypted)
	add("storage-encrypted", enc, fmt.Sprintf("storageEncrypted %t", enc))
	key := aws.ToString(c.KmsKeyId)
	add("kms-key", key == in.ExpectedKmsKeyArn, fmt.Sprintf("key %q, expected %s", key, in.ExpectedKmsKeyArn))
	group := aws.ToString(c.DBSubnetGroup)
	add("subnet-group", group == in.ExpectedSubnetGroup, fmt.Sprintf("subnet group %q, expected %s", group, in.ExpectedSubnetGroup))
	engine := aws.ToString(c.Engine)
	add("engine", engine == in.ExpectedEngine, fmt.Sprintf("engine %q, expected %s", engine, in.ExpectedEngine))

	available, err := v.availableInstances(ctx, c.DBClusterMembers)
	if err != nil {
		return VerifyOutput{}, err
	}
	add("instance-available", len(available) > 0, fmt.Sprintf("%d of %d instance(s) available %v", len(available), len(c.DBClusterMembers), available))

	if in.Query != "" {
		checks = append(checks, v.query(ctx, in, c))
	}
	var failed []Check
	for _, ch := range checks {
		if !ch.Passed {
			failed = append(failed, ch)
		}
	}
	if len(failed) > 0 {
		return VerifyOutput{}, &VerificationError{Cluster: in.ClusterIdentifier, Failed: failed}
	}
	return VerifyOutput{
		Verified:       true,
		ClusterArn:     aws.ToString(c.DBClusterArn),
		Endpoint:       aws.ToString(c.Endpoint),
		ReaderEndpoint: aws.ToString(c.ReaderEndpoint),
		Checks:         checks,
	}, nil
}

func (v *Verifier) availableInstances(ctx context.Context, members []rdstypes.DBClusterMember) ([]string, error) {
	var out []string
	for _, m := range members {
		id := aws.ToString(m.DBInstanceIdentifier)
		res, err := v.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			var nf *rdstypes.DBInstanceNotFoundFault
			if asType(err, &nf) {
				continue
			}
			return nil, awsErr(err, "describe DB instance %s", id)
		}
		for _, inst := range res.DBInstances {
			if aws.ToString(inst.DBInstanceStatus) == "available" {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func (v *Verifier) query(ctx context.Context, in VerifyInput, c rdstypes.DBCluster) Check {
	const name = "health-query"
	if !aws.ToBool(c.HttpEndpointEnabled) {
		return Check{Name: name, Detail: "the RDS Data API (HTTP endpoint) is not enabled on the cluster"}
	}
	secret := in.SecretArn
	if secret == "" && c.MasterUserSecret != nil {
		secret = aws.ToString(c.MasterUserSecret.SecretArn)
	}
	if secret == "" {
		return Check{Name: name, Detail: "no secretArn given and the cluster has no RDS-managed master user secret"}
	}
	if v.Data == nil {
		return Check{Name: name, Detail: "no Data API client configured"}
	}
	req := &rdsdata.ExecuteStatementInput{
		ResourceArn: c.DBClusterArn,
		SecretArn:   aws.String(secret),
		Sql:         aws.String(in.Query),
	}
	if in.Database != "" {
		req.Database = aws.String(in.Database)
	}
	res, err := v.Data.ExecuteStatement(ctx, req)
	if err != nil {
		return Check{Name: name, Detail: fmt.Sprintf("query failed: %v", err)}
	}
	return Check{Name: name, Passed: true, Detail: fmt.Sprintf("query returned %d record(s)", len(res.Records))}
}
