package rules

import (
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// AdministratorAccess is the AWS-managed policy no role may carry.
const AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"

// broadServices may never be granted in full on every resource.
var broadServices = []string{"kms", "backup", "rds", "ec2"}

var policyTypes = []string{typeIAMPolicy, typeIAMRolePolicy, typeIAMUserPolicy, typeIAMGroupPolicy, typeIAMRole}

var attachTypes = []string{typeRolePolicyAttach, typePolicyAttach, typeUserPolicyAttach, typeGroupPolicyAttach, typeIAMRole}

func iamRules() []Rule {
	return []Rule{
		{
			Name:        "iam-no-wildcard-actions",
			Description: "No IAM statement allows action \"*\", or kms:*, backup:*, rds:*, ec2:* on resource \"*\".",
			Enforcement: Mandatory, Family: "iam", Scope: ResourceScope,
			Practice: "seed 004 (least privilege)", Controls: ctlAccessControl,
			Types: policyTypes,
			Check: perResource(policyTypes, wildcardCheck),
		},
		{
			Name:        "iam-no-administrator-access",
			Description: "No role, user or group has AdministratorAccess attached.",
			Enforcement: Mandatory, Family: "iam", Scope: ResourceScope,
			Practice: "seed 004 (least privilege)", Controls: ctlAccessControl,
			Types: attachTypes,
			Check: perResource(attachTypes, func(_ *graph.Graph, r *graph.Resource) []string {
				var arns []string
				if r.Type == typeIAMRole {
					v, _ := r.Input("managedPolicyArns")
					arns = graph.Strings(v)
				} else {
					v, _ := r.Input("policyArn")
					arns = graph.Strings(v)
				}
				for _, a := range arns {
					if a == AdministratorAccess {
						return []string{"AdministratorAccess is attached"}
					}
				}
				return nil
			}),
		},
		iamRefRule(),
	}
}

func wildcardCheck(_ *graph.Graph, r *graph.Resource) []string {
	var docs []any
	if r.Type == typeIAMRole {
		v, known := r.Input("inlinePolicies")
		if !known {
			return nil
		}
		for _, p := range graph.List(v) {
			docs = append(docs, graph.Map(p)["policy"])
		}
	} else {
		v, known := r.Input("policy")
		if !known {
			return nil
		}
		docs = append(docs, v)
	}
	var out []string
	for _, d := range docs {
		sts, ok := parsePolicy(d)
		if !ok {
			continue
		}
		for i, st := range sts {
			if st.Effect != "Allow" {
				continue
			}
			label := st.Sid
			if label == "" {
				label = fmt.Sprintf("#%d", i+1)
			}
			if st.NotActions {
				out = append(out, fmt.Sprintf("statement %s uses NotAction with Allow (grants everything else)", label))
				continue
			}
			allResources := contains(st.Resources, "*")
			for _, a := range st.Actions {
				if a == "*" || a == "*:*" {
					out = append(out, fmt.Sprintf("statement %s allows action \"*\"", label))
					continue
				}
				for _, svc := range broadServices {
					if allResources && strings.EqualFold(a, svc+":*") {
						out = append(out, fmt.Sprintf("statement %s allows %s on resource \"*\"", label, a))
					}
				}
			}
		}
	}
	return out
}
