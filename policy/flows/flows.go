// Package flows turns the access declarations of a stack (components/flow:
// fintech:flow:Required and fintech:flow:Forbidden) into IAM evaluation
// requests and judges the answers.
//
// Plan finds, in the resource graphs of the stacks involved, everything AWS
// evaluates for a request: the identity policies of the principal (inline
// role policies, customer-managed policies attached to it) and the resource
// or key policy of the resource (KMS key policy, SNS topic policy, SQS queue
// policy, backup vault access policy, Lambda permissions). A cross-account
// flow is planned with the identity side from one stack and the resource
// side from the other. The evaluation itself is AWS's logic, run by a
// well-kept simulator (internal/iamsim); this package only gathers and
// judges.
//
// What cannot be decided from the graphs is never passed silently: a
// principal whose policies are not all in the graphs (AWS-managed policies,
// service-linked roles, roles of a stack not previewed), access granted
// through AWS RAM, or a value unknown at preview time makes the flow
// unverifiable, with the reason. For such a principal the resource side is
// still proven: the request is evaluated as if the identity side allowed
// everything, so a resource or key policy that refuses the flow is still a
// failure.
package flows

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Kind is required or forbidden.
type Kind string

// Kinds of flows.
const (
	Required  Kind = "required"
	Forbidden Kind = "forbidden"
)

// Decl is one declaration read from a graph.
type Decl struct {
	URN       string
	Name      string
	Kind      Kind
	Principal string
	Actions   []string
	Resource  string
	Context   map[string]string
	Caller    string
	Reason    string
	// PolicyOf is the resource whose policy governs Resource, if not itself.
	PolicyOf string
	// Unknown names the inputs not known at preview time.
	Unknown []string
}

// Declarations reads every flow declaration of g, in URN order.
func Declarations(g *graph.Graph) []Decl {
	var out []Decl
	for _, r := range g.OfType(flow.TypeRequired, flow.TypeForbidden) {
		d := Decl{URN: r.URN, Name: r.Name, Kind: Required}
		if r.Type == flow.TypeForbidden {
			d.Kind = Forbidden
		}
		str := func(prop string) string {
			v, known := r.Input(prop)
			if !known || graph.IsUnknown(v) {
				d.Unknown = append(d.Unknown, prop)
				return ""
			}
			return graph.Str(v)
		}
		d.Principal = str(flow.PropPrincipal)
		d.Resource = str(flow.PropResource)
		d.Caller = str(flow.PropCaller)
		d.Reason = str(flow.PropReason)
		if _, has := r.Inputs[flow.PropPolicyOf]; has {
			d.PolicyOf = str(flow.PropPolicyOf)
		}
		if v, known := r.Input(flow.PropActions); known && !graph.IsUnknown(v) {
			d.Actions = graph.Strings(v)
		} else {
			d.Unknown = append(d.Unknown, flow.PropActions)
		}
		d.Context = map[string]string{}
		if v, known := r.Input(flow.PropContext); known && !graph.IsUnknown(v) {
			for k, e := range graph.Map(v) {
				d.Context[k] = graph.Str(e)
			}
		} else {
			d.Unknown = append(d.Unknown, flow.PropContext)
		}
		out = append(out, d)
	}
	return out
}

// Universe is the set of stacks a flow may touch: the stack checked and
// the stacks it shares resources with (the bunker for the workload and
// restore stacks), each with its account.
type Universe struct {
	Stacks []Stack
}

// Stack is one previewed stack.
type Stack struct {
	Name    string
	Account string
	Graph   *graph.Graph
}

func (u Universe) byARN(arn string) (*graph.Resource, *Stack) {
	for i := range u.Stacks {
		if r := u.Stacks[i].Graph.ByARN(arn); r != nil {
			return r, &u.Stacks[i]
		}
	}
	return nil, nil
}

func (u Universe) hasAccount(account string) bool {
	for _, s := range u.Stacks {
		if s.Account == account {
			return true
		}
	}
	return false
}

// Check is one planned evaluation: a declaration and one of its actions.
type Check struct {
	Decl   Decl
	Stack  string
	Action string
	// Request is nil when nothing can be evaluated (Unverifiable says why).
	Request *iamsim.Request
	// Unverifiable is the reason the verdict cannot be proven, if any. When
	// Request is set as well, the request assumed an identity side that
	// allows everything, so only a refusal is conclusive.
	Unverifiable string
}

// AnyAdministrator is the role name Plan gives the principal of
// flow.AnyPrincipalOf: a role of that account that may do anything.
const AnyAdministrator = "fincheck-any-administrator"

// adminPolicy is the fixed identity policy of an assumed administrator:
// a constant document, not one built from a graph (graph-built documents
// go through awsiam.Policy).
var adminPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"AssumedAdministrator","Effect":"Allow","Action":"*","Resource":"*"}]}`)

// Plan builds the checks of the declarations of stack (which must be in u).
func Plan(u Universe, stack string) ([]Check, error) {
	var home *Stack
	for i := range u.Stacks {
		if u.Stacks[i].Name == stack {
			home = &u.Stacks[i]
		}
	}
	if home == nil {
		return nil, fmt.Errorf("flows: stack %q is not in the universe", stack)
	}
	var out []Check
	for _, d := range Declarations(home.Graph) {
		if len(d.Unknown) > 0 {
			out = append(out, Check{Decl: d, Stack: stack, Action: strings.Join(d.Actions, ","),
				Unverifiable: "inputs unknown at preview time: " + strings.Join(d.Unknown, ", ")})
			continue
		}
		for _, action := range d.Actions {
			out = append(out, plan(u, home, d, action))
		}
	}
	return out, nil
}

func plan(u Universe, home *Stack, d Decl, action string) Check {
	c := Check{Decl: d, Stack: home.Name, Action: action}
	req := &iamsim.Request{
		ID:       fmt.Sprintf("%s#%s", d.URN, action),
		Action:   action,
		Resource: d.Resource,
		Context:  map[string][]string{},
	}
	for k, v := range d.Context {
		req.Context[k] = []string{v}
	}
	req.ResourceAccount = arnAccount(d.Resource)
	var reasons []string

	// Identity side.
	switch {
	case strings.HasSuffix(d.Principal, ".amazonaws.com"):
		req.Principal = d.Principal
	case strings.HasSuffix(d.Principal, ":root"):
		account := arnAccount(d.Principal)
		req.Principal = fmt.Sprintf("arn:aws:iam::%s:role/%s", account, AnyAdministrator)
		req.IdentityPolicies = []iamsim.Policy{{Name: "assumed-administrator", Document: adminPolicy}}
	default:
		req.Principal = d.Principal
		policies, why := identityPolicies(u, d.Principal)
		if why != "" {
			reasons = append(reasons, why)
			policies = []iamsim.Policy{{Name: "assumed-identity-allow (unverifiable)", Document: adminPolicy}}
		}
		req.IdentityPolicies = policies
	}
	if strings.HasPrefix(req.Principal, "arn:") {
		req.Context["aws:PrincipalArn"] = []string{req.Principal}
		req.Context["aws:PrincipalAccount"] = []string{arnAccount(req.Principal)}
	}
	if req.ResourceAccount == "" {
		// Resources whose ARN carries no account (e.g. "*", S3) belong to
		// the home account.
		req.ResourceAccount = home.Account
	}

	// Resource side.
	governing := d.Resource
	if d.PolicyOf != "" {
		governing = d.PolicyOf
	}
	doc, name, why := resourcePolicy(u, home, governing, req.ResourceAccount, action)
	if why != "" {
		reasons = append(reasons, why)
	}
	req.ResourcePolicy, req.ResourcePolicyName = doc, name
	if via := ramShare(u, d.Resource, arnAccount(req.Principal)); via != "" && d.Kind == Required {
		reasons = append(reasons, via)
	}
	c.Request = req
	c.Unverifiable = strings.Join(reasons, "; ")
	return c
}

// identityPolicies returns the policies attached to the role with that
// ARN, or why they cannot all be known.
func identityPolicies(u Universe, arn string) ([]iamsim.Policy, string) {
	role, st := u.byARN(arn)
	if role == nil || role.Type != "aws:iam/role:Role" {
		if strings.Contains(arn, ":role/aws-service-role/") {
			return nil, fmt.Sprintf("identity side: %s is a service-linked role whose policy AWS owns", arn)
		}
		if st == nil && !u.hasAccount(arnAccount(arn)) {
			return nil, fmt.Sprintf("identity side: account %s is not previewed here", arnAccount(arn))
		}
		return nil, fmt.Sprintf("identity side: no role with ARN %s in the previewed stacks", arn)
	}
	g := st.Graph
	var out []iamsim.Policy
	var reasons []string
	add := func(name string, v any) {
		doc, ok := document(v)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("policy %s unknown at preview time", name))
			return
		}
		out = append(out, iamsim.Policy{Name: name, Document: doc})
	}
	for _, rp := range g.OfType("aws:iam/rolePolicy:RolePolicy") {
		if refers(g, rp, "role", role) {
			v, _ := rp.Input("policy")
			add(rp.Name, v)
		}
	}
	inline, known := role.Input("inlinePolicies")
	if !known {
		reasons = append(reasons, fmt.Sprintf("identity side: inline policies of %s unknown at preview time", role.Name))
	}
	for _, p := range graph.List(inline) {
		m := graph.Map(p)
		add(role.Name+"/"+graph.Str(m["name"]), m["policy"])
	}
	arns, known := role.Input("managedPolicyArns")
	if !known || graph.IsUnknown(arns) {
		reasons = append(reasons, fmt.Sprintf("identity side: managed policy ARNs of %s unknown at preview time", role.Name))
	}
	managed := graph.Strings(arns)
	for _, att := range g.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if !refers(g, att, "role", role) {
			continue
		}
		if ps := g.Refs(att, "policyArn", "aws:iam/policy:Policy"); len(ps) > 0 {
			v, _ := ps[0].Input("policy")
			add(ps[0].Name, v)
			continue
		}
		v, known := att.Input("policyArn")
		if !known {
			reasons = append(reasons, fmt.Sprintf("attachment %s: policy ARN unknown at preview time", att.Name))
			continue
		}
		managed = append(managed, graph.Str(v))
	}
	for _, m := range managed {
		if strings.Contains(m, ":iam::aws:policy/") {
			reasons = append(reasons, fmt.Sprintf("identity side: AWS-managed policy %s (contents not evaluated)", m[strings.LastIndex(m, "/")+1:]))
			continue
		}
		if p := g.ByARN(m); p != nil {
			v, _ := p.Input("policy")
			add(p.Name, v)
			continue
		}
		reasons = append(reasons, fmt.Sprintf("identity side: policy %s not in the graph", m))
	}
	if b, known := role.Input("permissionsBoundary"); !known || graph.Str(b) != "" {
		reasons = append(reasons, "identity side: permissions boundary not evaluated")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, strings.Join(reasons, "; ")
}

func mustInput(r *graph.Resource, prop string) any {
	v, _ := r.Input(prop)
	return v
}

// refers reports whether r's input prop refers to target, by URN or by the
// target's name or id.
func refers(g *graph.Graph, r *graph.Resource, prop string, target *graph.Resource) bool {
	for _, t := range g.Refs(r, prop) {
		if t.URN == target.URN {
			return true
		}
	}
	v, known := r.Input(prop)
	if !known {
		return false
	}
	s := graph.Str(v)
	if s == "" {
		return false
	}
	if name, ok := target.Output("name"); ok && graph.Str(name) == s {
		return true
	}
	return target.ID == s
}

// resourcePolicy returns the policy AWS evaluates on the resource side, or
// why it cannot be known.
func resourcePolicy(u Universe, home *Stack, arn, account, action string) (json.RawMessage, string, string) {
	if arn == "*" {
		return nil, "", ""
	}
	r, st := u.byARN(arn)
	service := arnService(arn)
	if r == nil {
		if account != home.Account && !u.hasAccount(account) {
			return nil, "", fmt.Sprintf("resource side: account %s is not previewed here", account)
		}
		if policyBearing[service] && !sameAccountWildcard(arn) {
			return nil, "", fmt.Sprintf("resource side: %s is not in the previewed stacks", arn)
		}
		return nil, "", ""
	}
	g := st.Graph
	one := func(typ, prop string) (json.RawMessage, string, string) {
		for _, p := range g.OfType(typ) {
			if refers(g, p, prop, r) || refersByARN(p, prop, arn) {
				v, _ := p.Input("policy")
				doc, ok := document(v)
				if !ok {
					return nil, p.Name, fmt.Sprintf("resource side: policy %s unknown at preview time", p.Name)
				}
				return doc, p.Name, ""
			}
		}
		return nil, "", ""
	}
	switch r.Type {
	case "aws:iam/role:Role":
		// A role's trust policy is its resource policy for sts:AssumeRole
		// only; iam:PassRole is decided by the passer's identity policy.
		if !strings.HasPrefix(action, "sts:") {
			return nil, "", ""
		}
		v, _ := r.Input("assumeRolePolicy")
		doc, ok := document(v)
		if !ok {
			return nil, r.Name, fmt.Sprintf("resource side: trust policy of %s unknown at preview time", r.Name)
		}
		return doc, r.Name + " (trust policy)", ""
	case "aws:kms/key:Key":
		v, _ := r.Input("policy")
		doc, ok := document(v)
		if !ok {
			return nil, r.Name, fmt.Sprintf("resource side: key policy of %s unknown at preview time", r.Name)
		}
		return doc, r.Name + " (key policy)", ""
	case "aws:sns/topic:Topic":
		return one("aws:sns/topicPolicy:TopicPolicy", "arn")
	case "aws:sqs/queue:Queue":
		return one("aws:sqs/queuePolicy:QueuePolicy", "queueUrl")
	case "aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault":
		return one("aws:backup/vaultPolicy:VaultPolicy", "backupVaultName")
	case "aws:secretsmanager/secret:Secret":
		return one("aws:secretsmanager/secretPolicy:SecretPolicy", "secretArn")
	case "aws:lambda/function:Function":
		return lambdaPolicy(g, r)
	}
	return nil, "", ""
}

// policyBearing are the services whose resources carry a resource policy
// that AWS evaluates with the identity policy.
var policyBearing = map[string]bool{
	"kms": true, "sns": true, "sqs": true, "backup": true, "lambda": true, "secretsmanager": true, "s3": true, "ecr": true,
}

func sameAccountWildcard(arn string) bool { return strings.Contains(arn, "*") }

func refersByARN(p *graph.Resource, prop, arn string) bool {
	v, known := p.Input(prop)
	return known && graph.Str(v) == arn
}

// lambdaPolicy builds the function's resource policy from its permissions,
// as Lambda does for AddPermission.
func lambdaPolicy(g *graph.Graph, fn *graph.Resource) (json.RawMessage, string, string) {
	fnArn := graph.Str(mustOutput(fn, "arn"))
	var stmts []awsiam.Statement
	for _, p := range g.OfType("aws:lambda/permission:Permission") {
		if !refers(g, p, "function", fn) && !refersByARN(p, "function", fnArn) {
			continue
		}
		if graph.IsUnknown(p.Inputs) {
			return nil, p.Name, fmt.Sprintf("resource side: permission %s unknown at preview time", p.Name)
		}
		principal := graph.Str(mustInput(p, "principal"))
		st := awsiam.Statement{
			"Sid": p.Name, "Effect": "Allow", "Action": graph.Str(mustInput(p, "action")), "Resource": fnArn,
		}
		if strings.HasSuffix(principal, ".amazonaws.com") {
			st["Principal"] = map[string]any{"Service": principal}
		} else {
			st["Principal"] = map[string]any{"AWS": principal}
		}
		cond := map[string]any{}
		if s := graph.Str(mustInput(p, "sourceArn")); s != "" {
			cond["ArnLike"] = map[string]any{"AWS:SourceArn": s}
		}
		if s := graph.Str(mustInput(p, "sourceAccount")); s != "" {
			cond["StringEquals"] = map[string]any{"AWS:SourceAccount": s}
		}
		if len(cond) > 0 {
			st["Condition"] = cond
		}
		stmts = append(stmts, st)
	}
	if len(stmts) == 0 {
		return nil, "", ""
	}
	doc, err := awsiam.Policy(stmts...)
	if err != nil {
		return nil, "", fmt.Sprintf("resource side: permissions of %s: %v", fn.Name, err)
	}
	return json.RawMessage(doc), fn.Name + " (permissions)", ""
}

func mustOutput(r *graph.Resource, prop string) any {
	v, _ := r.Output(prop)
	return v
}

// ramShare returns why access to arn by account goes through AWS RAM: a
// stack of the universe in the resource's account shares resources with
// that account. "" when no share associates them.
func ramShare(u Universe, arn, account string) string {
	owner := arnAccount(arn)
	if owner == "" || owner == account {
		return ""
	}
	for _, st := range u.Stacks {
		if st.Account != owner {
			continue
		}
		g := st.Graph
		for _, pa := range g.OfType("aws:ram/principalAssociation:PrincipalAssociation") {
			if graph.Str(mustInput(pa, "principal")) != account {
				continue
			}
			return fmt.Sprintf("access through AWS RAM (%s shares with %s; RAM-managed permissions are not evaluated by the IAM simulator)", pa.Name, account)
		}
	}
	return ""
}

// document returns a policy document value as JSON, or false when unknown.
func document(v any) (json.RawMessage, bool) {
	if graph.IsUnknown(v) {
		return nil, false
	}
	switch t := graph.Unwrap(v).(type) {
	case string:
		if strings.TrimSpace(t) == "" || !json.Valid([]byte(t)) {
			return nil, false
		}
		return json.RawMessage(t), true
	case map[string]any:
		b, err := json.Marshal(t)
		return b, err == nil
	}
	return nil, false
}

func arnParts(arn string) []string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return nil
	}
	return parts
}

func arnAccount(arn string) string {
	if p := arnParts(arn); p != nil {
		return p[4]
	}
	return ""
}

func arnService(arn string) string {
	if p := arnParts(arn); p != nil {
		return p[2]
	}
	return ""
}
