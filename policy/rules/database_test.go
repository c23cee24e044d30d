package rules

import (
	"testing"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func TestDatabaseRules(t *testing.T) { runCases(t, databaseCases) }

// cluster is an Aurora cluster named "db".
func cluster(in M) []node { return []node{R(typeRDSCluster, "db", in)} }

var dbURN = U(typeRDSCluster, "db")

var databaseCases = []ruleCase{
	// aurora-deletion-protection
	{rule: "aurora-deletion-protection", kind: pass, name: "on",
		res: cluster(M{"deletionProtection": true})},
	{rule: "aurora-deletion-protection", kind: fail, name: "off",
		res: cluster(M{"deletionProtection": false}), want: []want{{dbURN, "deletion protection is off"}}},
	{rule: "aurora-deletion-protection", kind: fail, name: "not set (AWS default off)",
		res: cluster(nil), want: []want{{dbURN, "deletion protection is off"}}},
	{rule: "aurora-deletion-protection", kind: unknown, name: "computed",
		res: cluster(M{"deletionProtection": unk})},

	// aurora-backup-retention
	{rule: "aurora-backup-retention", kind: pass, name: "7 days",
		res: cluster(M{"backupRetentionPeriod": 7.0})},
	{rule: "aurora-backup-retention", kind: pass, name: "35 days as int, secret-wrapped",
		res: cluster(M{"backupRetentionPeriod": graph.Secret{Value: 35}})},
	{rule: "aurora-backup-retention", kind: fail, name: "3 days",
		res: cluster(M{"backupRetentionPeriod": 3.0}), want: []want{{dbURN, "backup retention is 3 day(s); at least 7 required"}}},
	{rule: "aurora-backup-retention", kind: fail, name: "not set (AWS default 1 day)",
		res: cluster(nil), want: []want{{dbURN, "backup retention is 1 day(s)"}}},
	{rule: "aurora-backup-retention", kind: unknown, name: "computed",
		res: cluster(M{"backupRetentionPeriod": unk})},

	// aurora-mysql-8
	{rule: "aurora-mysql-8", kind: pass, name: "Aurora MySQL 3",
		res: cluster(M{"engine": "aurora-mysql", "engineVersion": "8.0.mysql_aurora.3.05.2"})},
	{rule: "aurora-mysql-8", kind: pass, name: "PostgreSQL is out of scope",
		res: cluster(M{"engine": "aurora-postgresql", "engineVersion": "11.9"})},
	{rule: "aurora-mysql-8", kind: fail, name: "Aurora MySQL 2",
		res:  cluster(M{"engine": "aurora-mysql", "engineVersion": "5.7.mysql_aurora.2.11.2"}),
		want: []want{{dbURN, "aurora-mysql engine version 5.7.mysql_aurora.2.11.2 is not MySQL 8.0-compatible"}}},
	{rule: "aurora-mysql-8", kind: fail, name: "version not pinned",
		res: cluster(M{"engine": "aurora-mysql"}), want: []want{{dbURN, "aurora-mysql engine version is not pinned"}}},
	{rule: "aurora-mysql-8", kind: fail, name: "unparsable version",
		res: cluster(M{"engine": "aurora-mysql", "engineVersion": "latest"}), want: []want{{dbURN, "engine version latest is not MySQL 8.0-compatible"}}},
	{rule: "aurora-mysql-8", kind: unknown, name: "version computed",
		res: cluster(M{"engine": "aurora-mysql", "engineVersion": unk})},
	{rule: "aurora-mysql-8", kind: unknown, name: "engine computed",
		res: cluster(M{"engine": unk, "engineVersion": "5.7.mysql_aurora.2.11.2"})},

	// aurora-serverless-v2
	{rule: "aurora-serverless-v2", kind: pass, name: "Serverless v2 scaling",
		res: cluster(M{"engineMode": "provisioned", "serverlessv2ScalingConfiguration": M{"minCapacity": 0.5, "maxCapacity": 8.0}})},
	{rule: "aurora-serverless-v2", kind: fail, name: "Serverless v1",
		res:  cluster(M{"engineMode": "serverless", "scalingConfiguration": M{"autoPause": true}}),
		want: []want{{dbURN, "cluster uses Serverless v1 (engineMode serverless)"}}},
	{rule: "aurora-serverless-v2", kind: fail, name: "provisioned without scaling configuration",
		res:  cluster(M{"engineMode": "provisioned"}),
		want: []want{{dbURN, "cluster has no Serverless v2 scaling configuration"}}},
	{rule: "aurora-serverless-v2", kind: unknown, name: "scaling configuration computed",
		res: cluster(M{"serverlessv2ScalingConfiguration": unk})},
	{rule: "aurora-serverless-v2", kind: unknown, name: "engine mode computed",
		res: cluster(M{"engineMode": unk, "serverlessv2ScalingConfiguration": M{"minCapacity": 0.5, "maxCapacity": 8.0}})},

	// aurora-iam-auth
	{rule: "aurora-iam-auth", kind: pass, name: "on",
		res: cluster(M{"iamDatabaseAuthenticationEnabled": true})},
	{rule: "aurora-iam-auth", kind: fail, name: "off",
		res: cluster(M{"iamDatabaseAuthenticationEnabled": false}), want: []want{{dbURN, "IAM database authentication is off"}}},
	{rule: "aurora-iam-auth", kind: fail, name: "not set",
		res: cluster(nil), want: []want{{dbURN, "IAM database authentication is off"}}},
	{rule: "aurora-iam-auth", kind: unknown, name: "computed",
		res: cluster(M{"iamDatabaseAuthenticationEnabled": unk})},
}
