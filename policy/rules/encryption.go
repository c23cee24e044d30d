package rules

import (
	"fmt"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func encryptionRules() []Rule {
	return []Rule{
		{
			Name:        "rds-encrypted-with-cmk",
			Description: "RDS/Aurora clusters and instances encrypt storage with a customer-managed KMS key.",
			Enforcement: Mandatory, Family: "encryption", Scope: ResourceScope,
			Practice: "seed 000 #2, #3", Controls: ctlEncryptionAtRest,
			Types: []string{typeRDSCluster, typeRDSInstance},
			Check: perResource([]string{typeRDSCluster, typeRDSInstance}, func(_ *graph.Graph, r *graph.Resource) []string {
				var out []string
				if v, known := isTrue(r, "storageEncrypted"); known && !v {
					// A restore from a snapshot inherits encryption; a
					// cluster restored by AWS Backup is not declared here.
					out = append(out, "storage is not encrypted (storageEncrypted must be true; it can only be set at creation)")
				}
				if msg := keyProblem(r, "kmsKeyId", "storage"); msg != "" {
					out = append(out, msg)
				}
				return out
			}),
		},
		{
			Name:        "kms-key-rotation",
			Description: "Every customer-managed KMS key has automatic rotation on.",
			Enforcement: Mandatory, Family: "encryption", Scope: ResourceScope,
			Practice: "seed 000 #3", Controls: ctlKeyManagement,
			Types: []string{typeKey},
			Check: perResource([]string{typeKey}, func(_ *graph.Graph, r *graph.Resource) []string {
				if v, known := isTrue(r, "enableKeyRotation"); known && !v {
					return []string{"automatic key rotation is off (enableKeyRotation must be true)"}
				}
				return nil
			}),
		},
		{
			Name:        "kms-key-policy-no-open-principal",
			Description: "No KMS key policy statement allows principal \"*\" without a restricting condition.",
			Enforcement: Mandatory, Family: "encryption", Scope: ResourceScope,
			Practice: "seed 000 #3", Controls: ctlKeyManagement,
			Types: []string{typeKey},
			Check: perResource([]string{typeKey}, func(_ *graph.Graph, r *graph.Resource) []string {
				v, known := r.Input("policy")
				if !known {
					return nil
				}
				sts, ok := parsePolicy(v)
				if !ok {
					return nil // default key policy: the account only
				}
				var out []string
				for _, st := range sts {
					if st.Effect == "Allow" && contains(st.Principals, "*") && !st.HasCondition {
						out = append(out, fmt.Sprintf("key policy statement %q allows principal \"*\" with no condition", st.Sid))
					}
				}
				return out
			}),
		},
		{
			Name:        "encrypted-with-cmk",
			Description: "Log groups, SNS topics, SQS queues, secrets, backup vaults, EBS volumes, ECS clusters (Fargate ephemeral storage) and Lambda environment variables are encrypted with a customer-managed KMS key.",
			Enforcement: Mandatory, Family: "encryption", Scope: ResourceScope,
			Practice: "seed 000 #2, #3", Controls: ctlEncryptionAtRest,
			Types: cmkTypes,
			Check: perResource(cmkTypes, cmkCheck),
		},
		{
			Name:        "s3-bucket-sse-kms-cmk",
			Description: "Every S3 bucket has default encryption SSE-KMS with a customer-managed key.",
			Enforcement: Mandatory, Family: "encryption", Scope: StackScope,
			Practice: "seed 000 #2, #3", Controls: ctlEncryptionAtRest,
			Types: []string{typeBucket, typeBucketV2},
			Check: perResource([]string{typeBucket, typeBucketV2}, s3Check),
		},
	}
}

var cmkTypes = []string{typeLogGroup, typeTopic, typeQueue, typeSecret, typeVault, typeVolume, typeECSCluster, typeLambda}

func cmkCheck(_ *graph.Graph, r *graph.Resource) []string {
	one := func(msg string) []string {
		if msg == "" {
			return nil
		}
		return []string{msg}
	}
	switch r.Type {
	case typeLogGroup:
		return one(keyProblem(r, "kmsKeyId", "log group"))
	case typeTopic:
		return one(keyProblem(r, "kmsMasterKeyId", "topic"))
	case typeQueue:
		return one(keyProblem(r, "kmsMasterKeyId", "queue"))
	case typeSecret:
		return one(keyProblem(r, "kmsKeyId", "secret"))
	case typeVault:
		return one(keyProblem(r, "kmsKeyArn", "backup vault"))
	case typeVolume:
		var out []string
		if v, known := isTrue(r, "encrypted"); known && !v {
			out = append(out, "volume is not encrypted")
		}
		return append(out, one(keyProblem(r, "kmsKeyId", "volume"))...)
	case typeECSCluster:
		v, known := r.Input("configuration", "managedStorageConfiguration", "fargateEphemeralStorageKmsKeyId")
		if !known {
			return nil
		}
		s := graph.Str(v)
		if s == "" {
			return []string{"Fargate ephemeral storage has no customer-managed key (configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId)"}
		}
		if awsManagedKey(s) {
			return []string{"Fargate ephemeral storage uses an AWS-managed key"}
		}
	case typeLambda:
		vars, known := r.Input("environment", "variables")
		if !known || len(graph.Map(vars)) == 0 {
			return nil
		}
		return one(keyProblem(r, "kmsKeyArn", "environment variables"))
	}
	return nil
}

func s3Check(g *graph.Graph, b *graph.Resource) []string {
	// Inline configuration (legacy Bucket).
	rules, known := b.Input("serverSideEncryptionConfiguration", "rule")
	if !known {
		return nil // computed during the preview
	}
	if rules != nil {
		if msg := sseProblem(graph.Map(rules)); msg != "" {
			return []string{msg}
		}
		return nil
	}
	var cfgs []*graph.Resource
	cfgs = append(cfgs, g.ReferencedBy(b, typeBucketSSE, "bucket")...)
	cfgs = append(cfgs, g.ReferencedBy(b, typeBucketSSEV2, "bucket")...)
	if len(cfgs) == 0 {
		return []string{"bucket has no server-side encryption configuration with a customer-managed key"}
	}
	for _, c := range cfgs {
		v, known := c.Input("rules")
		if !known {
			continue
		}
		for _, rule := range graph.List(v) {
			if graph.IsUnknown(rule) {
				continue
			}
			if msg := sseProblem(graph.Map(rule)); msg != "" {
				return []string{msg}
			}
		}
	}
	return nil
}

func sseProblem(rule map[string]any) string {
	if rule == nil || graph.IsUnknown(rule["applyServerSideEncryptionByDefault"]) {
		return "" // computed during the preview
	}
	def := graph.Map(rule["applyServerSideEncryptionByDefault"])
	if def == nil {
		return "bucket encryption rule has no default encryption"
	}
	if graph.IsUnknown(def["sseAlgorithm"]) {
		return ""
	}
	if alg := graph.Str(def["sseAlgorithm"]); alg != "aws:kms" && alg != "aws:kms:dsse" {
		return fmt.Sprintf("bucket default encryption is %q; use aws:kms with a customer-managed key", alg)
	}
	if graph.IsUnknown(def["kmsMasterKeyId"]) {
		return ""
	}
	if k := graph.Str(def["kmsMasterKeyId"]); k == "" || awsManagedKey(k) {
		return "bucket default encryption uses the AWS-managed key; set kmsMasterKeyId to a customer-managed key"
	}
	return ""
}
