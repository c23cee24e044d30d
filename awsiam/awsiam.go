// Package awsiam holds small, pure helpers the components share to write
// IAM policy documents: JSON encoding, service trust policies and the
// resources of container secret references.
//
// Documents are built from maps so that encoding/json writes their keys in
// sorted order: the same document always renders to the same string.
package awsiam

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Version is the IAM policy language version of every document.
const Version = "2012-10-17"

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// secretRE admits a ":json-key:version-stage:version-id" suffix.
	secretRE = regexp.MustCompile(`^arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?$`)
	paramRE  = regexp.MustCompile(`^arn:aws:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$`)
)

// Statement is one statement of a policy document, keyed by the policy
// language's element names ("Sid", "Effect", "Principal", "Action",
// "Resource", "Condition").
type Statement = map[string]any

// Policy renders statements as a policy document of Version: the one way
// the components write identity, trust, key and resource policies.
func Policy(statements ...Statement) (string, error) {
	if len(statements) == 0 {
		return "", fmt.Errorf("policy document: no statements")
	}
	return JSON(map[string]any{"Version": Version, "Statement": statements})
}

// JSON encodes v as a string.
func JSON(v any) (string, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(out), nil
}

// Allow is an Allow statement named sid of actions on resources.
func Allow(sid string, actions []string, resources ...string) Statement {
	return Statement{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
}

// ServiceTrust returns an assume-role policy that admits the AWS service
// principal service. With a non-empty sourceAccount the service may assume
// the role only on behalf of that account (aws:SourceAccount).
func ServiceTrust(service, sourceAccount string) (string, error) {
	st := Statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": service},
		"Action":    "sts:AssumeRole",
	}
	if sourceAccount != "" {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": sourceAccount}}
	}
	return Policy(st)
}

// ValidEnvName reports whether k is a container environment variable name.
func ValidEnvName(k string) bool { return envNameRE.MatchString(k) }

// IsParameter reports whether v is an SSM parameter ARN.
func IsParameter(v string) bool { return paramRE.MatchString(v) }

// SecretProblems describes, in the order of the sorted variable names, each
// entry of secrets (variable name to Secrets Manager secret ARN or SSM
// parameter ARN) that is not valid; nil when all are.
func SecretProblems(secrets map[string]string) []string {
	var p []string
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if !ValidEnvName(k) {
			p = append(p, fmt.Sprintf("Secrets: %q is not an environment variable name", k))
		}
		if v := secrets[k]; !secretRE.MatchString(v) && !paramRE.MatchString(v) {
			p = append(p, fmt.Sprintf("Secrets[%s]: %q is not a Secrets Manager secret ARN or SSM parameter ARN", k, v))
		}
	}
	return p
}

// SecretResource strips a Secrets Manager valueFrom suffix
// (":json-key:version-stage:version-id") to the secret ARN IAM evaluates.
func SecretResource(valueFrom string) string {
	parts := strings.Split(valueFrom, ":")
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

// SecretResources splits the values of secrets (variable name to secret or
// parameter ARN) into the distinct Secrets Manager secret ARNs and SSM
// parameter ARNs a role must read, in the order of the sorted variable
// names.
func SecretResources(secrets map[string]string) (secretArns, paramArns []string) {
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if v := secrets[k]; IsParameter(v) {
			paramArns = appendUnique(paramArns, v)
		} else {
			secretArns = appendUnique(secretArns, SecretResource(v))
		}
	}
	return secretArns, paramArns
}

func appendUnique(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// AuroraRestore describes what an AWS Backup restore role may create.
type AuroraRestore struct {
	Region, Account string
	// ClusterPrefix: restored clusters are named "<prefix>-…" ("" allows
	// any cluster name of the account).
	ClusterPrefix string
	// SubnetGroup is the DB subnet group restores go into.
	SubnetGroup string
	// KeyArns are the keys the restored cluster is encrypted with.
	KeyArns []string
}

// AuroraRestorePolicy is the scoped replacement of the AWS-managed
// AWSBackupServiceRolePolicyForRestores for Aurora restores: the RDS calls
// AWS Backup makes with the restore role, on this account's clusters of
// the prefix and its subnet group, the key through RDS, and no iam:PassRole
// at all (the managed policy grants iam:PassRole on every role).
func AuroraRestorePolicy(r AuroraRestore) (string, error) {
	arn := func(res string) string {
		return fmt.Sprintf("arn:aws:rds:%s:%s:%s", r.Region, r.Account, res)
	}
	cluster := arn("cluster:*")
	if r.ClusterPrefix != "" {
		cluster = arn("cluster:" + r.ClusterPrefix + "-*")
	}
	restore := []string{
		cluster, arn("cluster-snapshot:*"), arn("subgrp:" + r.SubnetGroup),
		arn("cluster-pg:*"), arn("og:*"), arn("secgrp:*"),
	}
	return Policy(
		Statement{
			"Sid": "RestoreAuroraClusters", "Effect": "Allow",
			"Action":   []string{"rds:RestoreDBClusterFromSnapshot", "rds:RestoreDBClusterToPointInTime", "rds:AddTagsToResource"},
			"Resource": append(restore, fmt.Sprintf("arn:aws:rds:%s:*:cluster-snapshot:*", r.Region), fmt.Sprintf("arn:aws:rds:%s:*:cluster:*", r.Region)),
		},
		Statement{
			"Sid": "DescribeForRestore", "Effect": "Allow",
			"Action": []string{
				"rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBSubnetGroups",
				"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeAvailabilityZones",
			},
			"Resource": []string{"*"},
		},
		Statement{
			"Sid": "RestoreKeyThroughRDS", "Effect": "Allow",
			"Action":   []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptFrom", "kms:ReEncryptTo"},
			"Resource": r.KeyArns,
			"Condition": map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": []string{fmt.Sprintf("rds.%s.amazonaws.com", r.Region), fmt.Sprintf("backup.%s.amazonaws.com", r.Region)},
			}},
		},
	)
}
