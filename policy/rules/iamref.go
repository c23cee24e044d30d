package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/iamref"
)

// iamRefDocuments maps each resource type that carries IAM policy documents
// to the inputs holding them. aws:iam/role:Role's inlinePolicies (a list of
// {name, policy}) is read separately.
var iamRefDocuments = map[string][]string{
	typeIAMPolicy:                        {"policy"},
	typeIAMRolePolicy:                    {"policy"},
	typeIAMUserPolicy:                    {"policy"},
	typeIAMGroupPolicy:                   {"policy"},
	typeIAMRole:                          {"assumeRolePolicy"},
	typeKey:                              {"policy"},
	typeTopic:                            {"policy"},
	typeQueue:                            {"policy"},
	typeSecret:                           {"policy"},
	"aws:kms/keyPolicy:KeyPolicy":        {"policy"},
	"aws:sns/topicPolicy:TopicPolicy":    {"policy"},
	"aws:sqs/queuePolicy:QueuePolicy":    {"policy"},
	"aws:backup/vaultPolicy:VaultPolicy": {"policy"},
	"aws:secretsmanager/secretPolicy:SecretPolicy":       {"policy"},
	"aws:ecr/repositoryPolicy:RepositoryPolicy":          {"policy"},
	"aws:ecr/registryPolicy:RegistryPolicy":              {"policy"},
	"aws:s3/bucketPolicy:BucketPolicy":                   {"policy"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                    {"policy"},
	"aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy":        {"policy"},
	"aws:cloudwatch/eventBusPolicy:EventBusPolicy":       {"policy"},
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {"policyDocument"},
}

// iamRefTypes are the types of iamRefDocuments, sorted.
func iamRefTypes() []string {
	out := make([]string, 0, len(iamRefDocuments))
	for t := range iamRefDocuments {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func iamRefRule() Rule {
	types := iamRefTypes()
	return Rule{
		Name: "iam-reference-valid",
		Description: "Every IAM policy document (identity, inline, trust, key, topic, queue, vault, secret, repository, bucket and endpoint " +
			"policies) names only actions and condition keys that exist in AWS's IAM reference data, and every action an identity " +
			"policy allows on specific resources can reach each resource type the action requires.",
		Enforcement: Mandatory, Family: "iam", Scope: ResourceScope,
		Practice: "seed 004 (least privilege)", Controls: ctlAccessControl,
		Types: types,
		Check: perResource(types, iamRefCheck),
	}
}

// iamRefCheck validates the known policy documents of r.
func iamRefCheck(_ *graph.Graph, r *graph.Resource) []string {
	var out []string
	for _, prop := range iamRefDocuments[r.Type] {
		v, known := r.Input(prop)
		if !known {
			continue
		}
		out = append(out, iamRefValidate(r.Name, prop, v)...)
	}
	if r.Type == typeIAMRole {
		v, known := r.Input("inlinePolicies")
		if known {
			for i, p := range graph.List(v) {
				if graph.IsUnknown(p) {
					continue
				}
				m := graph.Map(p)
				where := fmt.Sprintf("inlinePolicies[%d]", i)
				if name := graph.Str(m["name"]); name != "" {
					where = fmt.Sprintf("inline policy %q", name)
				}
				out = append(out, iamRefValidate(r.Name, where, m["policy"])...)
			}
		}
	}
	return out
}

// iamRefValidate validates one document value; where names it in messages.
// An unknown, missing or empty value is skipped.
func iamRefValidate(resource, where string, v any) []string {
	if graph.IsUnknown(v) {
		return nil
	}
	var doc []byte
	switch t := graph.Unwrap(v).(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(t) == "" {
			return nil
		}
		doc = []byte(t)
	case map[string]any:
		b, err := json.Marshal(plainValue(t))
		if err != nil {
			return []string{fmt.Sprintf("%s %s: cannot encode the policy document: %v", resource, where, err)}
		}
		doc = b
	default:
		return []string{fmt.Sprintf("%s %s: is a %T, not a policy document", resource, where, t)}
	}
	problems, err := iamref.ValidateDocument(doc)
	if err != nil {
		return []string{fmt.Sprintf("%s %s: not a valid policy document: %v", resource, where, err)}
	}
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		out = append(out, fmt.Sprintf("%s %s, statement %s: %s [%s]", resource, where, p.Statement, p.Detail, p.Kind))
	}
	return out
}

// plainValue removes the Secret wrappers of a known value.
func plainValue(v any) any {
	switch t := graph.Unwrap(v).(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = plainValue(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = plainValue(e)
		}
		return l
	default:
		return t
	}
}
