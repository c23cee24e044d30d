package tests

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/policy/flows"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Accounts and stacks of the test universe.
const (
	homeAccount   = "111111111111"
	bunkerAccount = "222222222222"
	otherAccount  = "333333333333"
	homeStack     = "workload"
	bunkerStack   = "bunker"
)

// ---------------------------------------------------------------- helpers

func urnOf(stack, typ, name string) string {
	return "urn:pulumi:" + stack + "::fintech::" + typ + "::" + name
}

func newRes(stack, typ, name string, inputs map[string]any) *graph.Resource {
	if inputs == nil {
		inputs = map[string]any{}
	}
	return &graph.Resource{URN: urnOf(stack, typ, name), Type: typ, Name: name, Custom: true, Inputs: inputs}
}

func withOutputs(r *graph.Resource, outputs map[string]any) *graph.Resource {
	if r.Outputs == nil {
		r.Outputs = map[string]any{}
	}
	for k, v := range outputs {
		r.Outputs[k] = v
	}
	return r
}

func withARN(r *graph.Resource, arn string) *graph.Resource {
	return withOutputs(r, map[string]any{"arn": arn})
}

func dependsOn(r *graph.Resource, prop string, targets ...*graph.Resource) *graph.Resource {
	if r.PropertyDependencies == nil {
		r.PropertyDependencies = map[string][]string{}
	}
	for _, t := range targets {
		r.PropertyDependencies[prop] = append(r.PropertyDependencies[prop], t.URN)
	}
	return r
}

func declRes(stack, typ, name string, principal any, actions []string, resource any, extra map[string]any) *graph.Resource {
	acts := make([]any, len(actions))
	for i, a := range actions {
		acts[i] = a
	}
	in := map[string]any{
		flow.PropPrincipal: principal,
		flow.PropActions:   acts,
		flow.PropResource:  resource,
		flow.PropContext:   map[string]any{},
		flow.PropCaller:    "caller of " + name,
		flow.PropReason:    "reason of " + name,
	}
	for k, v := range extra {
		in[k] = v
	}
	r := newRes(stack, typ, name, in)
	r.Custom = false
	return r
}

func required(name string, principal any, actions []string, resource any, extra map[string]any) *graph.Resource {
	return declRes(homeStack, flow.TypeRequired, name, principal, actions, resource, extra)
}

func forbidden(name string, principal any, actions []string, resource any, extra map[string]any) *graph.Resource {
	return declRes(homeStack, flow.TypeForbidden, name, principal, actions, resource, extra)
}

func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// role is a role of stack with a known ARN and physical name.
func role(stack, account, name string) *graph.Resource {
	r := newRes(stack, "aws:iam/role:Role", name, map[string]any{
		"assumeRolePolicy": allowDoc("Trust", "sts:AssumeRole", "*"),
	})
	return withOutputs(r, map[string]any{"arn": roleARN(account, name), "name": name + "-1a2b3c"})
}

func allowDoc(sid, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func stackOf(name, account string, rs ...*graph.Resource) flows.Stack {
	return flows.Stack{Name: name, Account: account, Graph: graph.New(rs)}
}

func flowsUniverse(stacks ...flows.Stack) flows.Universe { return flows.Universe{Stacks: stacks} }

func planAll(t *testing.T, u flows.Universe) []flows.Check {
	t.Helper()
	checks, err := flows.Plan(u, homeStack)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return checks
}

func planOne(t *testing.T, u flows.Universe) flows.Check {
	t.Helper()
	checks := planAll(t, u)
	if len(checks) != 1 {
		t.Fatalf("Plan gave %d checks, want 1: %+v", len(checks), checks)
	}
	if checks[0].Request == nil {
		t.Fatalf("check has no request (unverifiable: %q)", checks[0].Unverifiable)
	}
	return checks[0]
}

// flowsAdminPolicy is the identity policy the checker gives an assumed
// administrator: everything is allowed.
var flowsAdminPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"AssumedAdministrator","Effect":"Allow","Action":"*","Resource":"*"}]}`)

func assumedAllow() []iamsim.Policy {
	return []iamsim.Policy{{Name: "assumed-identity-allow (unverifiable)", Document: flowsAdminPolicy}}
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("document:\n got %s\nwant %s", got, want)
	}
}

// fakeSim records the batches it is given and answers from decide.
type fakeSim struct {
	batches [][]iamsim.Request
	decide  func(iamsim.Request) (iamsim.Result, bool)
	err     error
}

func (f *fakeSim) Run(_ context.Context, reqs []iamsim.Request) ([]iamsim.Result, error) {
	f.batches = append(f.batches, append([]iamsim.Request(nil), reqs...))
	if f.err != nil {
		return nil, f.err
	}
	var out []iamsim.Result
	for _, r := range reqs {
		if f.decide == nil {
			out = append(out, iamsim.Result{ID: r.ID, Decision: iamsim.Allowed})
			continue
		}
		if res, ok := f.decide(r); ok {
			res.ID = r.ID
			out = append(out, res)
		}
	}
	return out, nil
}

// ----------------------------------------------------------- declarations

func TestDeclarationsReadsEveryInput(t *testing.T) {
	topic := "arn:aws:sns:eu-west-1:" + homeAccount + ":alerts"
	vault := "arn:aws:backup:eu-west-1:" + bunkerAccount + ":backup-vault:vault"
	key := "arn:aws:kms:eu-west-1:" + homeAccount + ":key/k1"
	req := required("app-flow-publish", roleARN(homeAccount, "app"), []string{"kms:GenerateDataKey", "sns:Publish"}, topic, map[string]any{
		flow.PropContext: map[string]any{
			"aws:SourceArn":  "arn:aws:events:eu-west-1:" + homeAccount + ":rule/r",
			"kms:ViaService": graph.Secret{Value: "sns.eu-west-1.amazonaws.com"},
		},
		flow.PropPolicyOf: vault,
	})
	forb := forbidden("app-flow-outsider", flow.AnyPrincipalOf(flow.OutsiderAccount), []string{"kms:Decrypt"}, key, nil)
	g := graph.New([]*graph.Resource{req, forb, newRes(homeStack, "aws:sns/topic:Topic", "alerts", nil)})

	got := flows.Declarations(g)
	want := []flows.Decl{
		{
			URN: forb.URN, Name: "app-flow-outsider", Kind: flows.Forbidden,
			Principal: "arn:aws:iam::999999999999:root", Actions: []string{"kms:Decrypt"}, Resource: key,
			Context: map[string]string{}, Caller: "caller of app-flow-outsider", Reason: "reason of app-flow-outsider",
		},
		{
			URN: req.URN, Name: "app-flow-publish", Kind: flows.Required,
			Principal: roleARN(homeAccount, "app"), Actions: []string{"kms:GenerateDataKey", "sns:Publish"}, Resource: topic,
			Context: map[string]string{
				"aws:SourceArn":  "arn:aws:events:eu-west-1:" + homeAccount + ":rule/r",
				"kms:ViaService": "sns.eu-west-1.amazonaws.com",
			},
			Caller: "caller of app-flow-publish", Reason: "reason of app-flow-publish", PolicyOf: vault,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Declarations:\n got %+v\nwant %+v", got, want)
	}
}

func TestDeclarationsUnknownInputsAreUnverifiable(t *testing.T) {
	principalUnknown := required("a-flow-unknown-principal", graph.Unknown{}, []string{"sns:Publish"}, "*", nil)
	actionsUnknown := required("b-flow-unknown-actions", roleARN(homeAccount, "app"), nil, "*", map[string]any{
		flow.PropActions: graph.Unknown{},
		flow.PropContext: map[string]any{"aws:SourceArn": graph.Unknown{}},
	})
	policyOfUnknown := forbidden("c-flow-unknown-policy-of", roleARN(homeAccount, "app"), []string{"backup:DeleteRecoveryPoint", "backup:StartRestoreJob"}, "*", map[string]any{
		flow.PropPolicyOf: graph.Secret{Value: graph.Unknown{}},
	})
	u := flowsUniverse(stackOf(homeStack, homeAccount, principalUnknown, actionsUnknown, policyOfUnknown, role(homeStack, homeAccount, "app")))

	decls := flows.Declarations(u.Stacks[0].Graph)
	if len(decls) != 3 {
		t.Fatalf("got %d declarations, want 3", len(decls))
	}
	// URN order: the forbidden declaration (fintech:flow:Forbidden) first.
	wantUnknown := [][]string{{"policyOf"}, {"principal"}, {"actions", "context"}}
	for i, d := range decls {
		if !reflect.DeepEqual(d.Unknown, wantUnknown[i]) {
			t.Errorf("%s: Unknown = %v, want %v", d.Name, d.Unknown, wantUnknown[i])
		}
	}
	if decls[1].Principal != "" || decls[2].Actions != nil || decls[0].PolicyOf != "" {
		t.Errorf("unknown inputs read as values: principal %q, actions %v, policyOf %q", decls[1].Principal, decls[2].Actions, decls[0].PolicyOf)
	}

	checks := planAll(t, u)
	if len(checks) != 3 {
		t.Fatalf("got %d checks, want one per declaration (3): %+v", len(checks), checks)
	}
	wantReason := []string{
		"inputs unknown at preview time: policyOf",
		"inputs unknown at preview time: principal",
		"inputs unknown at preview time: actions, context",
	}
	wantAction := []string{"backup:DeleteRecoveryPoint,backup:StartRestoreJob", "sns:Publish", ""}
	for i, c := range checks {
		if c.Request != nil {
			t.Errorf("%s: Request = %+v, want nil", c.Decl.Name, c.Request)
		}
		if c.Unverifiable != wantReason[i] {
			t.Errorf("%s: Unverifiable = %q, want %q", c.Decl.Name, c.Unverifiable, wantReason[i])
		}
		if c.Action != wantAction[i] || c.Stack != homeStack {
			t.Errorf("%s: Action %q Stack %q, want %q %q", c.Decl.Name, c.Action, c.Stack, wantAction[i], homeStack)
		}
	}

	rows := flows.Judge(checks, nil) // sorted by flow: a, b, c
	wantReason = append(wantReason[1:], wantReason[0])
	for i, r := range rows {
		if r.Verdict != flows.Unverifiable || !r.OK || r.DecidedBy != wantReason[i] {
			t.Errorf("row %s: verdict %s ok %v decidedBy %q, want unverifiable true %q", r.Flow, r.Verdict, r.OK, r.DecidedBy, wantReason[i])
		}
	}
}

func TestPlanStackNotInUniverse(t *testing.T) {
	_, err := flows.Plan(flowsUniverse(stackOf(bunkerStack, bunkerAccount)), homeStack)
	if err == nil || !strings.Contains(err.Error(), `"workload"`) {
		t.Fatalf("Plan of a missing stack: err = %v, want one naming the stack", err)
	}
}

// ---------------------------------------------------------- identity side

func TestPlanIdentityInlineAndCustomerManaged(t *testing.T) {
	app := role(homeStack, homeAccount, "app")
	other := role(homeStack, homeAccount, "other")
	inline := dependsOn(newRes(homeStack, "aws:iam/rolePolicy:RolePolicy", "app-inline", map[string]any{
		"role":   graph.Unknown{}, // found through the property dependency only
		"policy": allowDoc("Publish", "sns:Publish", "*"),
	}), "role", app)
	otherInline := dependsOn(newRes(homeStack, "aws:iam/rolePolicy:RolePolicy", "other-inline", map[string]any{
		"role":   graph.Unknown{},
		"policy": allowDoc("Other", "s3:GetObject", "*"),
	}), "role", other)
	managedDoc := map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Sid": "Managed", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}},
	}
	managed := withARN(newRes(homeStack, "aws:iam/policy:Policy", "app-managed", map[string]any{"policy": managedDoc}),
		"arn:aws:iam::"+homeAccount+":policy/app-managed")
	att := dependsOn(newRes(homeStack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-managed-att", map[string]any{
		"role":      "app-1a2b3c", // the role's physical name
		"policyArn": graph.Unknown{},
	}), "policyArn", managed)
	d := required("app-flow-publish", roleARN(homeAccount, "app"), []string{"sns:Publish"}, "*", nil)

	c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, app, other, inline, otherInline, managed, att, d)))
	if c.Unverifiable != "" {
		t.Errorf("Unverifiable = %q, want none", c.Unverifiable)
	}
	r := c.Request
	if r.ID != d.URN+"#sns:Publish" || r.Action != "sns:Publish" || r.Resource != "*" || r.Principal != roleARN(homeAccount, "app") {
		t.Errorf("request = %+v", r)
	}
	if r.ResourceAccount != homeAccount {
		t.Errorf("ResourceAccount of \"*\" = %q, want the home account", r.ResourceAccount)
	}
	if r.ResourcePolicy != nil || r.ResourcePolicyName != "" {
		t.Errorf("\"*\" has a resource policy %s (%s)", r.ResourcePolicy, r.ResourcePolicyName)
	}
	if len(r.IdentityPolicies) != 2 {
		t.Fatalf("identity policies = %+v, want app-inline and app-managed", r.IdentityPolicies)
	}
	if p := r.IdentityPolicies[0]; p.Name != "app-inline" || string(p.Document) != allowDoc("Publish", "sns:Publish", "*") {
		t.Errorf("first policy = %s %s", p.Name, p.Document)
	}
	wantManaged, _ := json.Marshal(managedDoc)
	if p := r.IdentityPolicies[1]; p.Name != "app-managed" {
		t.Errorf("second policy = %s, want app-managed", p.Name)
	} else {
		jsonEqual(t, p.Document, wantManaged)
	}
	wantCtx := map[string][]string{
		"aws:PrincipalArn":     {roleARN(homeAccount, "app")},
		"aws:PrincipalAccount": {homeAccount},
	}
	if !reflect.DeepEqual(r.Context, wantCtx) {
		t.Errorf("Context = %v, want %v", r.Context, wantCtx)
	}
}

func TestPlanIdentityRoleInputs(t *testing.T) {
	app := role(homeStack, homeAccount, "app")
	app.Inputs["inlinePolicies"] = []any{map[string]any{"name": "read", "policy": allowDoc("Read", "s3:GetObject", "*")}}
	managed := withARN(newRes(homeStack, "aws:iam/policy:Policy", "by-arn", map[string]any{"policy": allowDoc("ByArn", "sqs:*", "*")}),
		"arn:aws:iam::"+homeAccount+":policy/by-arn")
	app.Inputs["managedPolicyArns"] = []any{"arn:aws:iam::" + homeAccount + ":policy/by-arn"}
	d := required("app-flow-read", roleARN(homeAccount, "app"), []string{"s3:GetObject"}, "*", nil)

	c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, app, managed, d)))
	want := []iamsim.Policy{
		{Name: "app/read", Document: json.RawMessage(allowDoc("Read", "s3:GetObject", "*"))},
		{Name: "by-arn", Document: json.RawMessage(allowDoc("ByArn", "sqs:*", "*"))},
	}
	if c.Unverifiable != "" || !reflect.DeepEqual(c.Request.IdentityPolicies, want) {
		t.Errorf("policies = %+v (unverifiable %q), want %+v", c.Request.IdentityPolicies, c.Unverifiable, want)
	}
}

func TestPlanIdentityUnverifiable(t *testing.T) {
	awsManaged := "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
	cases := []struct {
		name      string
		principal string
		extra     func(app *graph.Resource) []*graph.Resource
		want      string
	}{
		{
			name:      "AWS-managed attachment",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				return []*graph.Resource{dependsOn(newRes(homeStack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-backup", map[string]any{
					"role": graph.Unknown{}, "policyArn": awsManaged,
				}), "role", app)}
			},
			want: "identity side: AWS-managed policy AWSBackupServiceRolePolicyForBackup (contents not evaluated)",
		},
		{
			name:      "AWS-managed in managedPolicyArns",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				app.Inputs["managedPolicyArns"] = []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
				return nil
			},
			want: "identity side: AWS-managed policy ReadOnlyAccess (contents not evaluated)",
		},
		{
			name:      "service-linked role",
			principal: "arn:aws:iam::" + homeAccount + ":role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
			want:      "identity side: arn:aws:iam::" + homeAccount + ":role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup is a service-linked role whose policy AWS owns",
		},
		{
			name:      "account not previewed",
			principal: roleARN(otherAccount, "app"),
			want:      "identity side: account " + otherAccount + " is not previewed here",
		},
		{
			name:      "role not in the previewed stacks",
			principal: roleARN(homeAccount, "missing"),
			want:      "identity side: no role with ARN " + roleARN(homeAccount, "missing") + " in the previewed stacks",
		},
		{
			name:      "permissions boundary",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				app.Inputs["permissionsBoundary"] = "arn:aws:iam::" + homeAccount + ":policy/boundary"
				return nil
			},
			want: "identity side: permissions boundary not evaluated",
		},
		{
			name:      "inline policy unknown",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				return []*graph.Resource{dependsOn(newRes(homeStack, "aws:iam/rolePolicy:RolePolicy", "app-inline", map[string]any{
					"role": graph.Unknown{}, "policy": graph.Unknown{},
				}), "role", app)}
			},
			want: "policy app-inline unknown at preview time",
		},
		{
			name:      "managed policy ARNs unknown",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				app.Inputs["managedPolicyArns"] = []any{graph.Unknown{}}
				return nil
			},
			want: "identity side: managed policy ARNs of app unknown at preview time",
		},
		{
			name:      "inline policies unknown",
			principal: roleARN(homeAccount, "app"),
			extra: func(app *graph.Resource) []*graph.Resource {
				app.Inputs["inlinePolicies"] = graph.Unknown{}
				return nil
			},
			want: "identity side: inline policies of app unknown at preview time",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := role(homeStack, homeAccount, "app")
			rs := []*graph.Resource{app, required("app-flow-x", tc.principal, []string{"sns:Publish"}, "*", nil)}
			if tc.extra != nil {
				rs = append(rs, tc.extra(app)...)
			}
			c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, rs...)))
			if c.Unverifiable != tc.want {
				t.Errorf("Unverifiable = %q, want %q", c.Unverifiable, tc.want)
			}
			if !reflect.DeepEqual(c.Request.IdentityPolicies, assumedAllow()) {
				t.Errorf("identity policies = %+v, want the assumed allow-all policy", c.Request.IdentityPolicies)
			}
			if c.Request.Principal != tc.principal || c.Request.Context["aws:PrincipalArn"][0] != tc.principal {
				t.Errorf("principal %q context %v", c.Request.Principal, c.Request.Context)
			}
		})
	}
}

func TestPlanAnyPrincipalOf(t *testing.T) {
	d := forbidden("vault-flow-outsider", flow.AnyPrincipalOf(flow.OutsiderAccount), []string{"backup:DeleteRecoveryPoint"}, "*", nil)
	c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, d)))
	admin := "arn:aws:iam::" + flow.OutsiderAccount + ":role/" + flows.AnyAdministrator
	if c.Request.Principal != admin {
		t.Errorf("Principal = %q, want %q", c.Request.Principal, admin)
	}
	want := []iamsim.Policy{{Name: "assumed-administrator", Document: flowsAdminPolicy}}
	if !reflect.DeepEqual(c.Request.IdentityPolicies, want) {
		t.Errorf("identity policies = %+v, want %+v", c.Request.IdentityPolicies, want)
	}
	wantCtx := map[string][]string{"aws:PrincipalArn": {admin}, "aws:PrincipalAccount": {flow.OutsiderAccount}}
	if !reflect.DeepEqual(c.Request.Context, wantCtx) {
		t.Errorf("Context = %v, want %v", c.Request.Context, wantCtx)
	}
	if c.Unverifiable != "" {
		t.Errorf("Unverifiable = %q, want none", c.Unverifiable)
	}
	if c.Decl.Principal != flow.AnyPrincipalOf(flow.OutsiderAccount) {
		t.Errorf("declaration principal rewritten: %q", c.Decl.Principal)
	}
}

func TestPlanServicePrincipalAndLambdaPermissions(t *testing.T) {
	fnARN := "arn:aws:lambda:eu-west-1:" + homeAccount + ":function:handler"
	rule := "arn:aws:events:eu-west-1:" + homeAccount + ":rule/nightly"
	fn := withOutputs(newRes(homeStack, "aws:lambda/function:Function", "handler", nil), map[string]any{"arn": fnARN, "name": "handler-77"})
	otherFn := withOutputs(newRes(homeStack, "aws:lambda/function:Function", "other", nil),
		map[string]any{"arn": "arn:aws:lambda:eu-west-1:" + homeAccount + ":function:other", "name": "other-1"})
	byEvents := dependsOn(newRes(homeStack, "aws:lambda/permission:Permission", "a-events", map[string]any{
		"function": "handler-77", "principal": "events.amazonaws.com", "action": "lambda:InvokeFunction", "sourceArn": rule,
	}), "function", fn)
	byAccount := newRes(homeStack, "aws:lambda/permission:Permission", "b-account", map[string]any{
		"function": fnARN, "principal": bunkerAccount, "action": "lambda:InvokeFunction", "sourceAccount": bunkerAccount,
	})
	otherPerm := newRes(homeStack, "aws:lambda/permission:Permission", "c-other", map[string]any{
		"function": "other-1", "principal": "sns.amazonaws.com", "action": "lambda:InvokeFunction",
	})
	d := required("handler-flow-invoke", flow.ServicePrincipal("events"), []string{"lambda:InvokeFunction"}, fnARN, map[string]any{
		flow.PropContext: map[string]any{"aws:SourceArn": rule},
	})

	c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, fn, otherFn, byEvents, byAccount, otherPerm, d)))
	r := c.Request
	if r.Principal != "events.amazonaws.com" || r.IdentityPolicies != nil {
		t.Errorf("service principal: principal %q, identity policies %+v, want none", r.Principal, r.IdentityPolicies)
	}
	if want := map[string][]string{"aws:SourceArn": {rule}}; !reflect.DeepEqual(r.Context, want) {
		t.Errorf("Context = %v, want %v (no principal ARN keys for a service)", r.Context, want)
	}
	if r.ResourceAccount != homeAccount || c.Unverifiable != "" {
		t.Errorf("ResourceAccount %q unverifiable %q", r.ResourceAccount, c.Unverifiable)
	}
	if r.ResourcePolicyName != "handler (permissions)" {
		t.Errorf("ResourcePolicyName = %q", r.ResourcePolicyName)
	}
	jsonEqual(t, r.ResourcePolicy, []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"a-events","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+fnARN+`",
		 "Principal":{"Service":"events.amazonaws.com"},"Condition":{"ArnLike":{"AWS:SourceArn":"`+rule+`"}}},
		{"Sid":"b-account","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+fnARN+`",
		 "Principal":{"AWS":"`+bunkerAccount+`"},"Condition":{"StringEquals":{"AWS:SourceAccount":"`+bunkerAccount+`"}}}]}`))

	// A permission with an input unknown at preview time.
	byEvents.Inputs["sourceArn"] = graph.Unknown{}
	c = planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, fn, byEvents, d)))
	if want := "resource side: permission a-events unknown at preview time"; c.Unverifiable != want || c.Request.ResourcePolicy != nil {
		t.Errorf("Unverifiable = %q policy %s, want %q and none", c.Unverifiable, c.Request.ResourcePolicy, want)
	}
}

// ---------------------------------------------------------- resource side

func TestPlanResourcePolicies(t *testing.T) {
	keyARN := "arn:aws:kms:eu-west-1:" + homeAccount + ":key/k1"
	topicARN := "arn:aws:sns:eu-west-1:" + homeAccount + ":alerts"
	queueARN := "arn:aws:sqs:eu-west-1:" + homeAccount + ":jobs"
	queueURL := "https://sqs.eu-west-1.amazonaws.com/" + homeAccount + "/jobs"
	vaultARN := "arn:aws:backup:eu-west-1:" + homeAccount + ":backup-vault:vault"
	secretARN := "arn:aws:secretsmanager:eu-west-1:" + homeAccount + ":secret:db-AbCdEf"

	key := withARN(newRes(homeStack, "aws:kms/key:Key", "data-key", map[string]any{"policy": allowDoc("KeyPolicy", "kms:*", "*")}), keyARN)
	topic := withARN(newRes(homeStack, "aws:sns/topic:Topic", "alerts", nil), topicARN)
	topicPolicy := dependsOn(newRes(homeStack, "aws:sns/topicPolicy:TopicPolicy", "alerts-policy", map[string]any{
		"arn": graph.Unknown{}, "policy": allowDoc("TopicPolicy", "sns:Publish", topicARN),
	}), "arn", topic)
	otherTopic := withARN(newRes(homeStack, "aws:sns/topic:Topic", "other", nil), "arn:aws:sns:eu-west-1:"+homeAccount+":other")
	otherTopicPolicy := dependsOn(newRes(homeStack, "aws:sns/topicPolicy:TopicPolicy", "other-policy", map[string]any{
		"arn": graph.Unknown{}, "policy": allowDoc("Other", "sns:Publish", "*"),
	}), "arn", otherTopic)
	queue := withARN(newRes(homeStack, "aws:sqs/queue:Queue", "jobs", nil), queueARN)
	queue.ID = queueURL
	queuePolicy := newRes(homeStack, "aws:sqs/queuePolicy:QueuePolicy", "jobs-policy", map[string]any{
		"queueUrl": queueURL, "policy": allowDoc("QueuePolicy", "sqs:SendMessage", queueARN),
	})
	vault := withOutputs(newRes(homeStack, "aws:backup/vault:Vault", "vault", nil), map[string]any{"arn": vaultARN, "name": "vault-9f"})
	vaultPolicy := newRes(homeStack, "aws:backup/vaultPolicy:VaultPolicy", "vault-policy", map[string]any{
		"backupVaultName": "vault-9f", "policy": allowDoc("VaultPolicy", "backup:*", "*"),
	})
	secret := withARN(newRes(homeStack, "aws:secretsmanager/secret:Secret", "db", nil), secretARN)
	secretPolicy := newRes(homeStack, "aws:secretsmanager/secretPolicy:SecretPolicy", "db-policy", map[string]any{
		"secretArn": secretARN, "policy": allowDoc("SecretPolicy", "secretsmanager:GetSecretValue", "*"),
	})
	restore := role(homeStack, homeAccount, "restore")
	app := role(homeStack, homeAccount, "app")
	base := []*graph.Resource{key, topic, topicPolicy, otherTopic, otherTopicPolicy, queue, queuePolicy, vault, vaultPolicy, secret, secretPolicy, restore, app}

	cases := []struct {
		name       string
		action     string
		resource   string
		wantDoc    string
		wantName   string
		wantReason string
	}{
		{"kms key policy", "kms:Decrypt", keyARN, allowDoc("KeyPolicy", "kms:*", "*"), "data-key (key policy)", ""},
		{"sns topic policy by URN", "sns:Publish", topicARN, allowDoc("TopicPolicy", "sns:Publish", topicARN), "alerts-policy", ""},
		{"sqs queue policy by queueUrl", "sqs:SendMessage", queueARN, allowDoc("QueuePolicy", "sqs:SendMessage", queueARN), "jobs-policy", ""},
		{"backup vault policy by name", "backup:StartBackupJob", vaultARN, allowDoc("VaultPolicy", "backup:*", "*"), "vault-policy", ""},
		{"secret policy by ARN", "secretsmanager:GetSecretValue", secretARN, allowDoc("SecretPolicy", "secretsmanager:GetSecretValue", "*"), "db-policy", ""},
		{"trust policy for sts", "sts:AssumeRole", roleARN(homeAccount, "restore"), allowDoc("Trust", "sts:AssumeRole", "*"), "restore (trust policy)", ""},
		{"no trust policy for iam:PassRole", "iam:PassRole", roleARN(homeAccount, "restore"), "", "", ""},
		{"wildcard resource", "kms:CreateKey", "*", "", "", ""},
		{"sns topic not in the graph", "sns:Publish", "arn:aws:sns:eu-west-1:" + homeAccount + ":gone", "", "",
			"resource side: arn:aws:sns:eu-west-1:" + homeAccount + ":gone is not in the previewed stacks"},
		{"resource account not previewed", "sns:Publish", "arn:aws:sns:eu-west-1:" + otherAccount + ":t", "", "",
			"resource side: account " + otherAccount + " is not previewed here"},
		{"same-account wildcard ARN", "logs:PutLogEvents", "arn:aws:logs:eu-west-1:" + homeAccount + ":log-group:*", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := required("app-flow-x", roleARN(homeAccount, "app"), []string{tc.action}, tc.resource, nil)
			c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, append(base[:len(base):len(base)], d)...)))
			r := c.Request
			if string(r.ResourcePolicy) != tc.wantDoc || r.ResourcePolicyName != tc.wantName {
				t.Errorf("resource policy %q %s, want %q %s", r.ResourcePolicyName, r.ResourcePolicy, tc.wantName, tc.wantDoc)
			}
			if c.Unverifiable != tc.wantReason {
				t.Errorf("Unverifiable = %q, want %q", c.Unverifiable, tc.wantReason)
			}
			if r.Resource != tc.resource {
				t.Errorf("Resource = %q, want %q", r.Resource, tc.resource)
			}
		})
	}

	// Unknown key policy at preview time.
	key.Inputs["policy"] = graph.Unknown{}
	d := required("app-flow-x", roleARN(homeAccount, "app"), []string{"kms:Decrypt"}, keyARN, nil)
	c := planOne(t, flowsUniverse(stackOf(homeStack, homeAccount, key, app, d)))
	if want := "resource side: key policy of data-key unknown at preview time"; c.Unverifiable != want || c.Request.ResourcePolicy != nil {
		t.Errorf("Unverifiable = %q (policy %s), want %q", c.Unverifiable, c.Request.ResourcePolicy, want)
	}
}

func TestPlanTrustPolicyPerAction(t *testing.T) {
	restore := role(homeStack, homeAccount, "restore")
	d := required("app-flow-assume", roleARN(homeAccount, "restore"), []string{"iam:PassRole", "sts:AssumeRole"}, roleARN(homeAccount, "restore"), nil)
	checks := planAll(t, flowsUniverse(stackOf(homeStack, homeAccount, restore, d)))
	if len(checks) != 2 || checks[0].Action != "iam:PassRole" || checks[1].Action != "sts:AssumeRole" {
		t.Fatalf("checks = %+v, want one per action", checks)
	}
	if checks[0].Request.ResourcePolicy != nil {
		t.Errorf("iam:PassRole evaluated with the trust policy %s", checks[0].Request.ResourcePolicy)
	}
	if checks[1].Request.ResourcePolicyName != "restore (trust policy)" {
		t.Errorf("sts:AssumeRole resource policy = %q, want the trust policy", checks[1].Request.ResourcePolicyName)
	}
	if checks[0].Request.ID == checks[1].Request.ID {
		t.Errorf("both actions share request ID %q", checks[0].Request.ID)
	}
}

func TestPlanCrossAccountAndPolicyOf(t *testing.T) {
	vaultARN := "arn:aws:backup:eu-west-1:" + bunkerAccount + ":backup-vault:bunker-vault"
	pointARN := "arn:aws:backup:eu-west-1:" + bunkerAccount + ":recovery-point:rp-1"
	keyARN := "arn:aws:kms:eu-west-1:" + bunkerAccount + ":key/bk"
	vault := withARN(newRes(bunkerStack, "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault", "bunker-vault", nil), vaultARN)
	vaultPolicy := dependsOn(newRes(bunkerStack, "aws:backup/vaultPolicy:VaultPolicy", "bunker-vault-policy", map[string]any{
		"backupVaultName": graph.Unknown{}, "policy": allowDoc("CopyIn", "backup:CopyIntoBackupVault", "*"),
	}), "backupVaultName", vault)
	key := withARN(newRes(bunkerStack, "aws:kms/key:Key", "bunker-key", map[string]any{"policy": allowDoc("Bunker", "kms:*", "*")}), keyARN)

	app := role(homeStack, homeAccount, "app")
	inline := dependsOn(newRes(homeStack, "aws:iam/rolePolicy:RolePolicy", "app-inline", map[string]any{
		"role": graph.Unknown{}, "policy": allowDoc("All", "*", "*"),
	}), "role", app)
	restorePoint := required("a-flow-restore", roleARN(homeAccount, "app"), []string{"backup:StartRestoreJob"}, pointARN, map[string]any{flow.PropPolicyOf: vaultARN})
	useKey := required("b-flow-key", roleARN(homeAccount, "app"), []string{"kms:Decrypt"}, keyARN, nil)

	u := flowsUniverse(
		stackOf(homeStack, homeAccount, app, inline, restorePoint, useKey),
		stackOf(bunkerStack, bunkerAccount, vault, vaultPolicy, key),
	)
	checks := planAll(t, u)
	if len(checks) != 2 {
		t.Fatalf("got %d checks, want 2", len(checks))
	}
	wantIdentity := []iamsim.Policy{{Name: "app-inline", Document: json.RawMessage(allowDoc("All", "*", "*"))}}
	for _, c := range checks {
		if c.Unverifiable != "" {
			t.Errorf("%s: Unverifiable = %q", c.Decl.Name, c.Unverifiable)
		}
		if c.Request.ResourceAccount != bunkerAccount {
			t.Errorf("%s: ResourceAccount = %q, want the bunker account", c.Decl.Name, c.Request.ResourceAccount)
		}
		if !reflect.DeepEqual(c.Request.IdentityPolicies, wantIdentity) {
			t.Errorf("%s: identity policies from the home stack = %+v", c.Decl.Name, c.Request.IdentityPolicies)
		}
		if got := c.Request.Context["aws:PrincipalAccount"]; !reflect.DeepEqual(got, []string{homeAccount}) {
			t.Errorf("%s: aws:PrincipalAccount = %v", c.Decl.Name, got)
		}
	}
	rp := checks[0].Request
	if rp.Resource != pointARN || rp.ResourcePolicyName != "bunker-vault-policy" || string(rp.ResourcePolicy) != allowDoc("CopyIn", "backup:CopyIntoBackupVault", "*") {
		t.Errorf("recovery point: resource %q governed by %q %s, want the vault policy", rp.Resource, rp.ResourcePolicyName, rp.ResourcePolicy)
	}
	kr := checks[1].Request
	if kr.ResourcePolicyName != "bunker-key (key policy)" || string(kr.ResourcePolicy) != allowDoc("Bunker", "kms:*", "*") {
		t.Errorf("bunker key: policy %q %s", kr.ResourcePolicyName, kr.ResourcePolicy)
	}

	// Without the governing policy, the recovery point alone is not in the graph.
	delete(restorePoint.Inputs, flow.PropPolicyOf)
	checks = planAll(t, flowsUniverse(
		stackOf(homeStack, homeAccount, app, inline, restorePoint),
		stackOf(bunkerStack, bunkerAccount, vault, vaultPolicy),
	))
	if want := "resource side: " + pointARN + " is not in the previewed stacks"; checks[0].Unverifiable != want {
		t.Errorf("Unverifiable = %q, want %q", checks[0].Unverifiable, want)
	}
}

// ----------------------------------------------------------------- RAM

func TestPlanRAMShare(t *testing.T) {
	vaultARN := "arn:aws:backup:eu-west-1:" + bunkerAccount + ":backup-vault:bunker-vault"
	vault := withARN(newRes(bunkerStack, "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault", "bunker-vault", nil), vaultARN)
	share := newRes(bunkerStack, "aws:ram/principalAssociation:PrincipalAssociation", "vault-share-workload", map[string]any{
		"principal": homeAccount, "resourceShareArn": "arn:aws:ram:eu-west-1:" + bunkerAccount + ":resource-share/s",
	})
	elsewhere := newRes(bunkerStack, "aws:ram/principalAssociation:PrincipalAssociation", "vault-share-other", map[string]any{
		"principal": otherAccount,
	})
	app := role(homeStack, homeAccount, "app")
	req := required("a-flow-restore", roleARN(homeAccount, "app"), []string{"backup:StartRestoreJob"}, vaultARN, nil)
	forb := forbidden("b-flow-delete", roleARN(homeAccount, "app"), []string{"backup:DeleteRecoveryPoint"}, vaultARN, nil)

	u := flowsUniverse(stackOf(homeStack, homeAccount, app, req, forb), stackOf(bunkerStack, bunkerAccount, vault, share, elsewhere))
	checks := planAll(t, u)
	if len(checks) != 2 {
		t.Fatalf("got %d checks", len(checks))
	}
	checks[0], checks[1] = checks[1], checks[0] // URN order puts the forbidden one first
	want := "access through AWS RAM (vault-share-workload shares with " + homeAccount + "; RAM-managed permissions are not evaluated by the IAM simulator)"
	if checks[0].Unverifiable != want {
		t.Errorf("required: Unverifiable = %q, want %q", checks[0].Unverifiable, want)
	}
	if checks[0].Request == nil {
		t.Fatal("required RAM flow has no request")
	}
	if checks[1].Unverifiable != "" {
		t.Errorf("forbidden: Unverifiable = %q, want none (RAM is a reason only for required flows)", checks[1].Unverifiable)
	}

	// No share with the principal's account: no RAM reason.
	u = flowsUniverse(stackOf(homeStack, homeAccount, app, req), stackOf(bunkerStack, bunkerAccount, vault, elsewhere))
	if c := planOne(t, u); c.Unverifiable != "" {
		t.Errorf("without a share: Unverifiable = %q", c.Unverifiable)
	}

	// Judged: a denial of a RAM flow is unverifiable, not a failure.
	rows := flows.Judge(checks[:1], map[string]iamsim.Result{checks[0].Request.ID: {ID: checks[0].Request.ID, Decision: iamsim.ImplicitlyDenied}})
	if r := rows[0]; r.Verdict != flows.Unverifiable || !r.OK || r.DecidedBy != "no statement allows it (implicit deny); "+want {
		t.Errorf("RAM row = %+v", r)
	}
}

// ---------------------------------------------------------------- Judge

func check(name string, kind flows.Kind, action, unverifiable string) flows.Check {
	return flows.Check{
		Decl: flows.Decl{
			URN: "urn:" + name, Name: name, Kind: kind, Principal: "arn:aws:iam::" + homeAccount + ":role/p",
			Resource: "arn:aws:sns:eu-west-1:" + homeAccount + ":t", Caller: "caller", Reason: "reason",
		},
		Stack: homeStack, Action: action,
		Request:      &iamsim.Request{ID: "urn:" + name + "#" + action, Action: action},
		Unverifiable: unverifiable,
	}
}

func TestJudge(t *testing.T) {
	allowStmt := iamsim.Decisive{Policy: "app-inline", Sid: "Publish", Effect: "Allow", Side: "identity"}
	denyStmt := iamsim.Decisive{Policy: "vault-policy", Sid: "DenyOutsiders", Effect: "Deny", Side: "resource"}
	cases := []struct {
		name    string
		check   flows.Check
		result  *iamsim.Result
		verdict flows.Verdict
		ok      bool
		decided string
	}{
		{
			name:  "required allowed",
			check: check("f", flows.Required, "sns:Publish", ""), result: &iamsim.Result{Decision: iamsim.Allowed, Decisive: []iamsim.Decisive{allowStmt}},
			verdict: flows.Allowed, ok: true, decided: `Allow identity statement "Publish" of app-inline`,
		},
		{
			name:  "required allowed without decisive statements",
			check: check("f", flows.Required, "sns:Publish", ""), result: &iamsim.Result{Decision: iamsim.Allowed},
			verdict: flows.Allowed, ok: true, decided: "allowed",
		},
		{
			name:  "required allowed with an unverifiable identity side",
			check: check("f", flows.Required, "sns:Publish", "identity side: AWS-managed policy X (contents not evaluated)"),
			result: &iamsim.Result{Decision: iamsim.Allowed, Decisive: []iamsim.Decisive{
				{Policy: "alerts-policy", Sid: "B", Effect: "Allow", Side: "resource"},
				{Policy: "assumed", Sid: "A", Effect: "Allow", Side: "identity"},
			}},
			verdict: flows.Unverifiable, ok: true,
			decided: `resource side allows (Allow identity statement "A" of assumed, Allow resource statement "B" of alerts-policy); identity side: AWS-managed policy X (contents not evaluated)`,
		},
		{
			name:  "required implicitly denied",
			check: check("f", flows.Required, "sns:Publish", ""), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Denied, ok: false, decided: "no statement allows it (implicit deny)",
		},
		{
			name:  "required denied even with an identity side that allows everything",
			check: check("f", flows.Required, "sns:Publish", "identity side: account 3 is not previewed here"), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Denied, ok: false,
			decided: "no statement allows it (implicit deny) (even with an identity side that allows everything; identity side: account 3 is not previewed here)",
		},
		{
			name:  "required denied through RAM",
			check: check("f", flows.Required, "backup:StartRestoreJob", "access through AWS RAM (s shares with 1)"), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Unverifiable, ok: true, decided: "no statement allows it (implicit deny); access through AWS RAM (s shares with 1)",
		},
		{
			name:  "required denied with an unknown resource side",
			check: check("f", flows.Required, "kms:Decrypt", "resource side: key policy of k unknown at preview time"), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Unverifiable, ok: true, decided: "no statement allows it (implicit deny); resource side: key policy of k unknown at preview time",
		},
		{
			name:  "required explicitly denied with an unknown resource side",
			check: check("f", flows.Required, "kms:Decrypt", "resource side: key policy of k unknown at preview time"),
			result: &iamsim.Result{Decision: iamsim.ExplicitlyDenied, Decisive: []iamsim.Decisive{
				{Policy: "app-inline", Sid: "NoKms", Effect: "Deny", Side: "identity"},
			}},
			verdict: flows.Denied, ok: false,
			decided: `Deny identity statement "NoKms" of app-inline (even with an identity side that allows everything; resource side: key policy of k unknown at preview time)`,
		},
		{
			name:  "forbidden explicitly denied",
			check: check("f", flows.Forbidden, "backup:DeleteRecoveryPoint", ""), result: &iamsim.Result{Decision: iamsim.ExplicitlyDenied, Decisive: []iamsim.Decisive{denyStmt}},
			verdict: flows.Denied, ok: true, decided: `Deny resource statement "DenyOutsiders" of vault-policy`,
		},
		{
			name:  "forbidden implicitly denied",
			check: check("f", flows.Forbidden, "backup:DeleteRecoveryPoint", ""), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Denied, ok: true, decided: "no statement allows it (implicit deny)",
		},
		{
			name:  "forbidden denied with an assumed identity side",
			check: check("f", flows.Forbidden, "backup:DeleteRecoveryPoint", "identity side: permissions boundary not evaluated"), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Denied, ok: true, decided: "no statement allows it (implicit deny)",
		},
		{
			name:  "forbidden denied with an unknown resource side",
			check: check("f", flows.Forbidden, "sns:Publish", "resource side: policy p unknown at preview time"), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied},
			verdict: flows.Unverifiable, ok: true, decided: "no statement allows it (implicit deny); resource side: policy p unknown at preview time",
		},
		{
			name:  "forbidden allowed",
			check: check("f", flows.Forbidden, "kms:Decrypt", ""), result: &iamsim.Result{Decision: iamsim.Allowed, Decisive: []iamsim.Decisive{allowStmt}},
			verdict: flows.Allowed, ok: false, decided: `Allow identity statement "Publish" of app-inline`,
		},
		{
			name:  "simulator error",
			check: check("f", flows.Required, "dynamodb:TransactWriteItems", ""), result: &iamsim.Result{Decision: iamsim.Error, Errors: []string{"invalid.action"}},
			verdict: flows.Invalid, ok: false, decided: "rejected by AWS's IAM reference: invalid.action",
		},
		{
			name:  "errors with a decision",
			check: check("f", flows.Forbidden, "sns:Publish", ""), result: &iamsim.Result{Decision: iamsim.ImplicitlyDenied, Errors: []string{"policy.errors", "bad statement"}},
			verdict: flows.Invalid, ok: false, decided: "rejected by AWS's IAM reference: policy.errors; bad statement",
		},
		{
			name:    "missing result",
			check:   check("f", flows.Required, "sns:Publish", ""),
			verdict: flows.Invalid, ok: false, decided: "the simulator returned no result for this request",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]iamsim.Result{}
			if tc.result != nil {
				res := *tc.result
				res.ID = tc.check.Request.ID
				results[res.ID] = res
			}
			rows := flows.Judge([]flows.Check{tc.check}, results)
			if len(rows) != 1 {
				t.Fatalf("got %d rows", len(rows))
			}
			r := rows[0]
			if r.Verdict != tc.verdict || r.OK != tc.ok || r.DecidedBy != tc.decided {
				t.Errorf("got %s ok=%v %q\nwant %s ok=%v %q", r.Verdict, r.OK, r.DecidedBy, tc.verdict, tc.ok, tc.decided)
			}
			c := tc.check
			want := flows.Row{Stack: homeStack, Flow: "f", Kind: c.Decl.Kind, Principal: c.Decl.Principal, Action: c.Action,
				Resource: c.Decl.Resource, Verdict: r.Verdict, OK: r.OK, DecidedBy: r.DecidedBy, Caller: "caller", Reason: "reason"}
			if r != want {
				t.Errorf("row = %+v, want %+v", r, want)
			}
		})
	}
}

func TestJudgeSortsCountsAndFailures(t *testing.T) {
	checks := []flows.Check{
		check("b", flows.Required, "sns:Publish", ""),                     // allowed
		check("a", flows.Forbidden, "kms:Encrypt", ""),                    // allowed: failure
		check("a", flows.Forbidden, "kms:Decrypt", ""),                    // denied
		check("c", flows.Required, "sqs:SendMessage", "identity side: x"), // allowed, unverifiable
		check("b", flows.Required, "kms:GenerateDataKey", ""),             // implicit deny: failure
		{Decl: flows.Decl{Name: "d", Kind: flows.Required}, Stack: homeStack, Action: "s3:GetObject", Unverifiable: "inputs unknown at preview time: resource"},
		check("e", flows.Required, "sns:Subscribe", ""), // no result: failure
	}
	results := map[string]iamsim.Result{}
	for _, c := range checks {
		if c.Request == nil || c.Decl.Name == "e" {
			continue
		}
		dec := iamsim.Allowed
		if c.Action == "kms:Decrypt" || c.Action == "kms:GenerateDataKey" {
			dec = iamsim.ImplicitlyDenied
		}
		results[c.Request.ID] = iamsim.Result{ID: c.Request.ID, Decision: dec}
	}
	rows := flows.Judge(checks, results)
	var order []string
	for _, r := range rows {
		order = append(order, r.Flow+" "+r.Action+" "+string(r.Verdict))
	}
	want := []string{
		"a kms:Decrypt denied",
		"a kms:Encrypt allowed",
		"b kms:GenerateDataKey denied",
		"b sns:Publish allowed",
		"c sqs:SendMessage unverifiable",
		"d s3:GetObject unverifiable",
		"e sns:Subscribe invalid",
	}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("rows:\n got %q\nwant %q", order, want)
	}
	if got, want := flows.Count(rows), (flows.Counts{RequiredAllowed: 1, ForbiddenDenied: 1, Unverifiable: 2, Failed: 3}); got != want {
		t.Errorf("Count = %+v, want %+v", got, want)
	}
	var failed []string
	for _, r := range flows.Failures(rows) {
		failed = append(failed, r.Flow+" "+r.Action)
	}
	if want := []string{"a kms:Encrypt", "b kms:GenerateDataKey", "e sns:Subscribe"}; !reflect.DeepEqual(failed, want) {
		t.Errorf("Failures = %q, want %q", failed, want)
	}
	if flows.Failures(rows[:1]) != nil || flows.Count(nil) != (flows.Counts{}) {
		t.Errorf("no failures expected in %+v", rows[:1])
	}
}

// -------------------------------------------------------------- Evaluate

func TestEvaluateOneBatch(t *testing.T) {
	topicARN := "arn:aws:sns:eu-west-1:" + homeAccount + ":alerts"
	topic := withARN(newRes(homeStack, "aws:sns/topic:Topic", "alerts", nil), topicARN)
	topicPolicy := dependsOn(newRes(homeStack, "aws:sns/topicPolicy:TopicPolicy", "alerts-policy", map[string]any{
		"arn": graph.Unknown{}, "policy": allowDoc("Publish", "sns:Publish", topicARN),
	}), "arn", topic)
	app := role(homeStack, homeAccount, "app")
	publish := required("a-flow-publish", roleARN(homeAccount, "app"), []string{"sns:GetTopicAttributes", "sns:Publish"}, topicARN, nil)
	outsider := forbidden("b-flow-outsider", flow.AnyPrincipalOf(flow.OutsiderAccount), []string{"sns:Publish"}, topicARN, nil)
	unknown := required("c-flow-unknown", graph.Unknown{}, []string{"sns:Publish"}, topicARN, nil)
	u := flowsUniverse(stackOf(homeStack, homeAccount, topic, topicPolicy, app, publish, outsider, unknown))

	sim := &fakeSim{decide: func(r iamsim.Request) (iamsim.Result, bool) {
		switch {
		case strings.HasPrefix(r.Principal, "arn:aws:iam::"+flow.OutsiderAccount):
			return iamsim.Result{Decision: iamsim.ImplicitlyDenied}, true
		case r.Action == "sns:Publish":
			return iamsim.Result{Decision: iamsim.Allowed, Decisive: []iamsim.Decisive{{Policy: r.ResourcePolicyName, Sid: "Publish", Effect: "Allow", Side: "resource"}}}, true
		}
		return iamsim.Result{Decision: iamsim.ImplicitlyDenied}, true
	}}
	rows, err := flows.Evaluate(context.Background(), u, homeStack, sim)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(sim.batches) != 1 {
		t.Fatalf("simulator ran %d times, want one batch", len(sim.batches))
	}
	var ids []string
	for _, r := range sim.batches[0] {
		ids = append(ids, r.ID)
	}
	wantIDs := []string{outsider.URN + "#sns:Publish", publish.URN + "#sns:GetTopicAttributes", publish.URN + "#sns:Publish"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("batch = %q, want %q (URN order, no request for the unknown declaration)", ids, wantIDs)
	}
	for _, r := range sim.batches[0] {
		if r.ResourcePolicyName != "alerts-policy" {
			t.Errorf("%s: resource policy %q, want alerts-policy", r.ID, r.ResourcePolicyName)
		}
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Flow+" "+r.Action+" "+string(r.Verdict)+" "+map[bool]string{true: "ok", false: "FAIL"}[r.OK])
	}
	want := []string{
		"a-flow-publish sns:GetTopicAttributes denied FAIL",
		"a-flow-publish sns:Publish allowed ok",
		"b-flow-outsider sns:Publish denied ok",
		"c-flow-unknown sns:Publish unverifiable ok",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if rows[1].DecidedBy != `Allow resource statement "Publish" of alerts-policy` {
		t.Errorf("DecidedBy = %q", rows[1].DecidedBy)
	}
}

func TestEvaluateSimulatorFailure(t *testing.T) {
	boom := errors.New("node: not found")
	sim := &fakeSim{err: boom}
	u := flowsUniverse(stackOf(homeStack, homeAccount, required("a-flow-x", flow.ServicePrincipal("events"), []string{"sns:Publish"}, "*", nil)))
	rows, err := flows.Evaluate(context.Background(), u, homeStack, sim)
	if err == nil || rows != nil {
		t.Fatalf("Evaluate = %v, %v; want an error", rows, err)
	}
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "flows of "+homeStack) {
		t.Errorf("error %q does not name the stack or wrap the cause", err)
	}
}

func TestEvaluateWithoutRequests(t *testing.T) {
	sim := &fakeSim{err: errors.New("must not run")}
	u := flowsUniverse(stackOf(homeStack, homeAccount, required("a-flow-x", graph.Unknown{}, []string{"sns:Publish"}, "*", nil)))
	rows, err := flows.Evaluate(context.Background(), u, homeStack, sim)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(sim.batches) != 0 {
		t.Errorf("simulator ran with %d batches, want none", len(sim.batches))
	}
	if len(rows) != 1 || rows[0].Verdict != flows.Unverifiable {
		t.Errorf("rows = %+v", rows)
	}
	if _, err := flows.Evaluate(context.Background(), u, "nope", sim); err == nil {
		t.Error("Evaluate of a stack not in the universe: no error")
	}
}
