// Package iamsim evaluates IAM authorization requests with the pinned
// @cloud-copilot/iam-simulate (tools/iam, Node.js). It is a development and
// test aid: the simulator is AGPL-3.0-or-later and runs as a separate
// process, one per batch (Simulator.Run) or one for many batches (Server,
// for tests); nothing of it is linked into the program.
//
// What the simulator does, in short (tools/iam/simulate.mjs has the
// details):
//
//   - Same account (principal ARN's account = ResourceAccount): an Allow in
//     the identity policies or in the resource policy is enough; a
//     matching Deny anywhere wins (ExplicitlyDenied).
//   - Cross account: the resource policy must allow the principal (its ARN,
//     or its account: "111111111111" or "arn:aws:iam::111111111111:root")
//     AND an identity policy must allow.
//   - Service principals ("events.amazonaws.com"): only the resource
//     policy counts; its Principal {"Service": ...} must equal the
//     principal, and conditions such as aws:SourceArn must hold with the
//     Context given.
//   - KMS keys: the key policy is the resource policy. Identity policies
//     count only when the key policy allows the account (root) the action;
//     without that statement, or without a key policy, even a same-account
//     identity Allow is ImplicitlyDenied.
//   - Context: the simulator derives no key from the request. simulate.mjs
//     fills aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalIsAWSService,
//     aws:PrincipalServiceName (service principals) and aws:ResourceAccount
//     unless Context sets them; every other key a condition reads (e.g.
//     aws:SourceArn, aws:SourceAccount, kms:ViaService) must be in Context.
//     Keys that do not apply to the action are dropped by the simulator and
//     listed in Result.IgnoredContextKeys.
//   - Errors: an action that is not an IAM action (dynamodb:TransactWriteItems)
//     gives Decision "Error" with Errors ["invalid.action"]; an invalid
//     policy gives "policy.errors" and one message per problem; a resource
//     ARN that is not a resource type of the action gives
//     "no.resource.types".
package iamsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Decisions.
const (
	Allowed          = "Allowed"
	ExplicitlyDenied = "ExplicitlyDenied"
	ImplicitlyDenied = "ImplicitlyDenied"
	Error            = "Error"
)

// installHint is how to make the simulator available.
const installHint = "install Node.js >= 20 and run: npm ci --prefix tools/iam"

// Policy is a named policy document.
type Policy struct {
	Name     string
	Document json.RawMessage
}

// Request is one authorization request.
type Request struct {
	// ID is echoed in the Result.
	ID string
	// Principal is a role or user ARN, an account root
	// (arn:aws:iam::111111111111:root) or a service principal
	// (events.amazonaws.com).
	Principal string
	// Action is service:Action, e.g. sns:Publish.
	Action string
	// Resource is the resource ARN ("*" for wildcard-only actions).
	Resource string
	// ResourceAccount is the account that owns the resource.
	ResourceAccount string
	// Context holds the request's condition keys (one value for a
	// single-valued key).
	Context map[string][]string
	// IdentityPolicies are the principal's policies.
	IdentityPolicies []Policy
	// ResourcePolicy is the resource's policy (key policy, topic policy,
	// ...); nil: none.
	ResourcePolicy json.RawMessage
	// ResourcePolicyName names the resource policy in Decisive
	// ("resource-policy" when empty).
	ResourcePolicyName string
}

// Decisive is a statement that decided a request.
type Decisive struct {
	// Policy is the identity policy's name, or ResourcePolicyName.
	Policy string
	// Sid is the statement's Sid, or its 1-based index when it has none.
	Sid string
	// Effect is "Allow" or "Deny".
	Effect string
	// Side is "identity" or "resource".
	Side string
}

// Result is the decision for one request.
type Result struct {
	ID string
	// Decision is Allowed, ExplicitlyDenied, ImplicitlyDenied or Error.
	Decision string
	// Decisive are the matching Allow statements (Allowed) or Deny
	// statements (ExplicitlyDenied); empty otherwise.
	Decisive []Decisive
	// Errors say why the decision is Error.
	Errors []string
	// IgnoredContextKeys are Context keys the simulator dropped because
	// they do not apply to the action and resource type.
	IgnoredContextKeys []string
}

// Simulator runs tools/iam/simulate.mjs.
type Simulator struct {
	node   string // path of the node executable
	dir    string // tools/iam
	script string // tools/iam/simulate.mjs
}

// Locate finds tools/iam of the module that contains dir (walking up to the
// directory with go.mod) and checks that node (>= 20) is on PATH and the
// npm packages are installed.
func Locate(dir string) (*Simulator, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("iamsim: resolve %s: %w", dir, err)
	}
	root, err := moduleRoot(abs)
	if err != nil {
		return nil, err
	}
	tools := filepath.Join(root, "tools", "iam")
	script := filepath.Join(tools, "simulate.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("iamsim: %s is missing: %w", script, err)
	}
	pkg := filepath.Join(tools, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return nil, fmt.Errorf("iamsim: the simulator is not installed (%s is missing): %s", pkg, installHint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("iamsim: node is not on PATH (%v): %s", err, installHint)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("iamsim: run %s --version: %v: %s", node, err, installHint)
	}
	if major, ok := nodeMajor(string(out)); !ok || major < 20 {
		return nil, fmt.Errorf("iamsim: node %s is too old or unrecognised: %s", strings.TrimSpace(string(out)), installHint)
	}
	return &Simulator{node: node, dir: tools, script: script}, nil
}

// moduleRoot walks up from dir to the directory holding go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("iamsim: no go.mod in %s or any parent directory", dir)
		}
		d = parent
	}
}

// nodeMajor reads the major version of `node --version` output ("v20.1.0").
func nodeMajor(v string) (int, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	return n, err == nil
}

// wire formats of simulate.mjs.
type (
	wirePolicy struct {
		Name     string          `json:"name"`
		Document json.RawMessage `json:"document"`
	}
	wireRequest struct {
		ID                 string              `json:"id"`
		Principal          string              `json:"principal"`
		Action             string              `json:"action"`
		Resource           string              `json:"resource"`
		ResourceAccount    string              `json:"resourceAccount"`
		Context            map[string][]string `json:"context"`
		IdentityPolicies   []wirePolicy        `json:"identityPolicies"`
		ResourcePolicy     json.RawMessage     `json:"resourcePolicy"`
		ResourcePolicyName string              `json:"resourcePolicyName"`
	}
	wireDecisive struct {
		Policy string `json:"policy"`
		Sid    string `json:"sid"`
		Effect string `json:"effect"`
		Side   string `json:"side"`
	}
	wireResult struct {
		ID                 string         `json:"id"`
		Decision           string         `json:"decision"`
		Decisive           []wireDecisive `json:"decisive"`
		Errors             []string       `json:"errors"`
		IgnoredContextKeys []string       `json:"ignoredContextKeys"`
	}
)

// Run evaluates the requests in one node process and returns one result
// per request, in order. An error means the batch could not be run (bad
// input JSON, node failed, unreadable output); a request the simulator
// rejects gets Decision Error instead.
func (s *Simulator) Run(ctx context.Context, reqs []Request) ([]Result, error) {
	if len(reqs) == 0 {
		return []Result{}, nil
	}
	wire, err := encodeRequests(reqs)
	if err != nil {
		return nil, err
	}
	in := struct {
		Requests []wireRequest `json:"requests"`
	}{Requests: wire}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("iamsim: encode requests: %w", err)
	}
	cmd := exec.CommandContext(ctx, s.node, s.script)
	cmd.Dir = s.dir
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("iamsim: simulate.mjs: %w", ctxErr)
		}
		return nil, fmt.Errorf("iamsim: simulate.mjs failed: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out struct {
		Results []wireResult `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("iamsim: decode simulate.mjs output: %w", err)
	}
	return fromWire(out.Results, reqs)
}

// encodeRequests checks the requests and turns them into simulate.mjs's
// input.
func encodeRequests(reqs []Request) ([]wireRequest, error) {
	out := make([]wireRequest, 0, len(reqs))
	for i, r := range reqs {
		w, err := toWire(r)
		if err != nil {
			return nil, fmt.Errorf("iamsim: request %d (%q): %w", i, r.ID, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// fromWire checks simulate.mjs's results against the requests (one each,
// same order and ids, known decisions) and converts them.
func fromWire(out []wireResult, reqs []Request) ([]Result, error) {
	if len(out) != len(reqs) {
		return nil, fmt.Errorf("iamsim: simulate.mjs returned %d results for %d requests", len(out), len(reqs))
	}
	results := make([]Result, len(out))
	for i, w := range out {
		if w.ID != reqs[i].ID {
			return nil, fmt.Errorf("iamsim: result %d has id %q, want %q", i, w.ID, reqs[i].ID)
		}
		switch w.Decision {
		case Allowed, ExplicitlyDenied, ImplicitlyDenied, Error:
		default:
			return nil, fmt.Errorf("iamsim: result %d (%q): unknown decision %q", i, w.ID, w.Decision)
		}
		r := Result{ID: w.ID, Decision: w.Decision, Errors: w.Errors, IgnoredContextKeys: w.IgnoredContextKeys}
		for _, d := range w.Decisive {
			r.Decisive = append(r.Decisive, Decisive(d))
		}
		results[i] = r
	}
	return results, nil
}

func toWire(r Request) (wireRequest, error) {
	w := wireRequest{
		ID: r.ID, Principal: r.Principal, Action: r.Action, Resource: r.Resource,
		ResourceAccount: r.ResourceAccount, Context: r.Context,
		IdentityPolicies:   make([]wirePolicy, 0, len(r.IdentityPolicies)),
		ResourcePolicyName: r.ResourcePolicyName,
	}
	if w.Context == nil {
		w.Context = map[string][]string{}
	}
	for _, p := range r.IdentityPolicies {
		if !json.Valid(p.Document) {
			return w, fmt.Errorf("identity policy %q: document is not valid JSON", p.Name)
		}
		w.IdentityPolicies = append(w.IdentityPolicies, wirePolicy(p))
	}
	if len(r.ResourcePolicy) > 0 {
		if !json.Valid(r.ResourcePolicy) {
			return w, errors.New("resource policy is not valid JSON")
		}
		w.ResourcePolicy = r.ResourcePolicy
	}
	return w, nil
}
