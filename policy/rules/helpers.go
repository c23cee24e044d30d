package rules

import (
	"encoding/json"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Resource type tokens the rules look at.
const (
	typeKey                = "aws:kms/key:Key"
	typeLogGroup           = "aws:cloudwatch/logGroup:LogGroup"
	typeTopic              = "aws:sns/topic:Topic"
	typeQueue              = "aws:sqs/queue:Queue"
	typeSecret             = "aws:secretsmanager/secret:Secret"
	typeVault              = "aws:backup/vault:Vault"
	typeLAGVault           = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
	typeVaultLock          = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
	typeBackupPlan         = "aws:backup/plan:Plan"
	typeBackupSelection    = "aws:backup/selection:Selection"
	typeVaultNotifications = "aws:backup/vaultNotifications:VaultNotifications"
	typeVolume             = "aws:ebs/volume:Volume"
	typeECSCluster         = "aws:ecs/cluster:Cluster"
	typeLambda             = "aws:lambda/function:Function"
	typeRDSCluster         = "aws:rds/cluster:Cluster"
	typeRDSInstance        = "aws:rds/instance:Instance"
	typeRDSClusterInstance = "aws:rds/clusterInstance:ClusterInstance"
	typeRDSSubnetGroup     = "aws:rds/subnetGroup:SubnetGroup"
	typeSubnet             = "aws:ec2/subnet:Subnet"
	typeVpc                = "aws:ec2/vpc:Vpc"
	typeRouteTable         = "aws:ec2/routeTable:RouteTable"
	typeRoute              = "aws:ec2/route:Route"
	typeRouteTableAssoc    = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	typeIGW                = "aws:ec2/internetGateway:InternetGateway"
	typeNAT                = "aws:ec2/natGateway:NatGateway"
	typeNACL               = "aws:ec2/networkAcl:NetworkAcl"
	typeNACLAssoc          = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
	typeFlowLog            = "aws:ec2/flowLog:FlowLog"
	typeSG                 = "aws:ec2/securityGroup:SecurityGroup"
	typeSGRule             = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeSGIngressRule      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeLB                 = "aws:lb/loadBalancer:LoadBalancer"
	typeALB                = "aws:alb/loadBalancer:LoadBalancer"
	typeDistribution       = "aws:cloudfront/distribution:Distribution"
	typeVpcOrigin          = "aws:cloudfront/vpcOrigin:VpcOrigin"
	typeWebACL             = "aws:wafv2/webAcl:WebAcl"
	typeWebACLAssoc        = "aws:wafv2/webAclAssociation:WebAclAssociation"
	typeAppRunner          = "aws:apprunner/service:Service"
	typeDetector           = "aws:guardduty/detector:Detector"
	typeResourceShare      = "aws:ram/resourceShare:ResourceShare"
	typeBucket             = "aws:s3/bucket:Bucket"
	typeBucketV2           = "aws:s3/bucketV2:BucketV2"
	typeBucketSSE          = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	typeBucketSSEV2        = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeIAMPolicy          = "aws:iam/policy:Policy"
	typeIAMRolePolicy      = "aws:iam/rolePolicy:RolePolicy"
	typeIAMUserPolicy      = "aws:iam/userPolicy:UserPolicy"
	typeIAMGroupPolicy     = "aws:iam/groupPolicy:GroupPolicy"
	typeIAMRole            = "aws:iam/role:Role"
	typeRolePolicyAttach   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typePolicyAttach       = "aws:iam/policyAttachment:PolicyAttachment"
	typeUserPolicyAttach   = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
	typeGroupPolicyAttach  = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
)

// awsManagedKey reports whether a known key reference names an AWS-managed
// key (alias/aws/... or an ARN of one).
func awsManagedKey(ref string) bool {
	return strings.HasPrefix(ref, "alias/aws/") || strings.Contains(ref, ":alias/aws/")
}

// keyProblem checks a key input of r: a message when the key is missing or
// AWS-managed, "" when it is a customer-managed key or not known yet.
func keyProblem(r *graph.Resource, prop, what string) string {
	v, known := r.Input(prop)
	if !known {
		return "" // computed from a key created in this deployment
	}
	s := graph.Str(v)
	switch {
	case s == "":
		return what + ": no customer-managed KMS key (" + prop + " is not set)"
	case awsManagedKey(s):
		return what + ": uses the AWS-managed key " + s + "; use a customer-managed key"
	}
	return ""
}

// isTrue reports a known true; known is false when the value is unknown.
func isTrue(r *graph.Resource, path ...string) (value, known bool) {
	v, known := r.Input(path...)
	if !known {
		return false, false
	}
	b, _ := graph.Bool(v)
	return b, true
}

// statement is one IAM-style policy statement, normalised.
type statement struct {
	Sid          string
	Effect       string
	Actions      []string
	NotActions   bool
	Resources    []string
	Principals   []string
	HasCondition bool
}

// parsePolicy decodes a policy document (string or object). ok is false
// when the document is unknown or not a policy.
func parsePolicy(v any) ([]statement, bool) {
	if graph.IsUnknown(v) {
		return nil, false
	}
	var doc any
	switch t := graph.Unwrap(v).(type) {
	case string:
		if strings.TrimSpace(t) == "" {
			return nil, false
		}
		if err := json.Unmarshal([]byte(t), &doc); err != nil {
			return nil, false
		}
	case map[string]any:
		doc = t
	default:
		return nil, false
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	var raw []any
	switch s := m["Statement"].(type) {
	case []any:
		raw = s
	case map[string]any:
		raw = []any{s}
	}
	var out []statement
	for _, e := range raw {
		sm, ok := e.(map[string]any)
		if !ok {
			continue
		}
		st := statement{Effect: graph.Str(sm["Effect"]), Sid: graph.Str(sm["Sid"])}
		if a, has := sm["Action"]; has {
			st.Actions = stringsOf(a)
		} else if a, has := sm["NotAction"]; has {
			st.Actions = stringsOf(a)
			st.NotActions = true
		}
		st.Resources = stringsOf(sm["Resource"])
		if _, has := sm["NotResource"]; has {
			st.Resources = []string{"*"}
		}
		st.Principals = principals(sm["Principal"])
		if c, has := sm["Condition"].(map[string]any); has && len(c) > 0 {
			st.HasCondition = true
		}
		out = append(out, st)
	}
	return out, true
}

func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func principals(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		var out []string
		for _, p := range t {
			out = append(out, stringsOf(p)...)
		}
		return out
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// tagsOf returns the known string tags of a resource.
func tagsOf(r *graph.Resource) map[string]string {
	out := map[string]string{}
	v, known := r.Input("tags")
	if !known {
		return out
	}
	for k, e := range graph.Map(v) {
		if s, ok := graph.Unwrap(e).(string); ok {
			out[k] = s
		}
	}
	return out
}

// dbPorts are well-known database ports that must never be open to the
// internet.
var dbPorts = []int{1433, 1521, 3306, 5432, 5439, 6379, 11211, 27017, 9042, 9200}
