// Package flow lets a component declare, next to the code that needs it,
// the access its resources need at run time (Require) and the access the
// design forbids (Forbid).
//
// A declaration is a small component resource (no cloud resource behind it)
// parented to the component that needs the access. Its inputs name the
// principal, the actions, the resource and the request context AWS sends;
// because principal and resource are usually outputs of other resources,
// the engine records property dependencies (URNs) for them, so the offline
// checker, a CrossGuard analyzer and exported state all see which role or
// key a flow is about, even in a real preview where ARNs are not known yet.
//
// The checker (fincheck flows) evaluates every declaration with AWS's rules:
// the identity policies of the principal together with the resource or key
// policy of the resource. A required flow that is denied, or a forbidden one
// that is allowed, is a mandatory violation.
package flow

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// Type tokens of the declarations.
const (
	TypeRequired  = "fintech:flow:Required"
	TypeForbidden = "fintech:flow:Forbidden"
)

// Input property names of a declaration, read by the checker.
const (
	PropPrincipal = "principal"
	PropActions   = "actions"
	PropResource  = "resource"
	PropContext   = "context"
	PropCaller    = "caller"
	PropReason    = "reason"
	PropPolicyOf  = "policyOf"
)

// OutsiderAccount stands for any account outside the design in forbidden
// flows (an attacker's account). It is not a real account of the design.
const OutsiderAccount = "999999999999"

// AnyPrincipalOf is the principal of a forbidden flow that stands for every
// principal of an account, with an identity policy that allows everything
// (the worst case: an administrator, or an attacker holding one).
func AnyPrincipalOf(account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:root", awsfacts.Partition, account)
}

// ServicePrincipal is the principal of an AWS service, e.g. "events".
func ServicePrincipal(service string) string { return service + ".amazonaws.com" }

// Access is one flow: principal does actions on resource.
type Access struct {
	// Principal is an IAM role ARN, a service principal
	// ("events.amazonaws.com") or, for forbidden flows, AnyPrincipalOf.
	Principal pulumi.StringInput
	// Actions are IAM actions as AWS authorizes them (e.g. "sns:Publish",
	// "kms:GenerateDataKey"), one evaluation each.
	Actions []string
	// ActionsOf replaces Actions when the actions depend on a value known
	// only at deployment (e.g. a secret that is either a Secrets Manager
	// secret or an SSM parameter). Unknown in a real preview, such a flow
	// is reported unverifiable.
	ActionsOf pulumi.StringArrayInput
	// Resource is the ARN the request is authorized against.
	Resource pulumi.StringInput
	// Context is the request context AWS sends with the request (e.g.
	// kms:ViaService, aws:SourceArn), one value per key as in a request.
	Context map[string]pulumi.StringInput
	// PolicyOf, when set, is the ARN of the resource whose resource policy
	// governs Resource (a backup vault for its recovery points).
	PolicyOf pulumi.StringInput
	// Caller names the code that makes the call: a function and SDK call,
	// a state machine state, or an AWS service acting for the component.
	Caller string
	// Reason says why the flow is needed (required) or must never happen
	// (forbidden).
	Reason string
}

var (
	actionRE = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)
	partRE   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

func (a *Access) validate() error {
	if a.Principal == nil {
		return fmt.Errorf("principal is required")
	}
	if a.Resource == nil {
		return fmt.Errorf("resource is required")
	}
	if len(a.Actions) == 0 && a.ActionsOf == nil {
		return fmt.Errorf("at least one action is required")
	}
	for _, act := range a.Actions {
		if !actionRE.MatchString(act) {
			return fmt.Errorf("action %q is not service:Action", act)
		}
	}
	if strings.TrimSpace(a.Caller) == "" || strings.TrimSpace(a.Reason) == "" {
		return fmt.Errorf("caller and reason are required")
	}
	return nil
}

// Declaration is the registered component resource.
type Declaration struct {
	pulumi.ResourceState
}

// Require declares that the flow must be allowed. part names the flow
// within the parent component: the resource is named "<parent>-flow-<part>".
func Require(ctx *pulumi.Context, parent pulumi.Resource, parentName, part string, a Access) error {
	return declare(ctx, TypeRequired, parent, parentName, part, a)
}

// Forbid declares that the flow must be denied.
func Forbid(ctx *pulumi.Context, parent pulumi.Resource, parentName, part string, a Access) error {
	return declare(ctx, TypeForbidden, parent, parentName, part, a)
}

func declare(ctx *pulumi.Context, typ string, parent pulumi.Resource, parentName, part string, a Access) error {
	if !partRE.MatchString(part) {
		return fmt.Errorf("flow %q: name part must be lower-case words joined by '-'", part)
	}
	if err := a.validate(); err != nil {
		return fmt.Errorf("flow %s-flow-%s: %w", parentName, part, err)
	}
	actions := append([]string(nil), a.Actions...)
	sort.Strings(actions)
	context := pulumi.StringMap{}
	for k, v := range a.Context {
		context[k] = v
	}
	props := pulumi.Map{
		PropPrincipal: a.Principal,
		PropActions:   pulumi.ToStringArray(actions),
		PropResource:  a.Resource,
		PropContext:   context,
		PropCaller:    pulumi.String(a.Caller),
		PropReason:    pulumi.String(a.Reason),
	}
	if a.ActionsOf != nil {
		props[PropActions] = a.ActionsOf
	}
	if a.PolicyOf != nil {
		props[PropPolicyOf] = a.PolicyOf
	}
	d := &Declaration{}
	name := parentName + "-flow-" + part
	var opts []pulumi.ResourceOption
	if parent != nil {
		opts = append(opts, pulumi.Parent(parent))
	}
	if err := ctx.RegisterComponentResourceV2(typ, name, props, d, opts...); err != nil {
		return fmt.Errorf("flow %s: register: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{}); err != nil {
		return fmt.Errorf("flow %s: outputs: %w", name, err)
	}
	return nil
}
