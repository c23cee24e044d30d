package flows

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
)

// Verdict is what a check proved.
type Verdict string

// Verdicts.
const (
	Allowed      Verdict = "allowed"
	Denied       Verdict = "denied"
	Unverifiable Verdict = "unverifiable"
	Invalid      Verdict = "invalid"
)

// Row is one line of the flows table.
type Row struct {
	Stack     string  `json:"stack"`
	Flow      string  `json:"flow"`
	Kind      Kind    `json:"kind"`
	Principal string  `json:"principal"`
	Action    string  `json:"action"`
	Resource  string  `json:"resource"`
	Verdict   Verdict `json:"verdict"`
	// OK is false when the flow breaks the design: a required flow denied,
	// a forbidden one allowed, or a request AWS's reference refuses.
	OK bool `json:"ok"`
	// DecidedBy names the statements that decided, or the reason nothing
	// could be decided.
	DecidedBy string `json:"decidedBy"`
	Caller    string `json:"caller"`
	Reason    string `json:"reason"`
}

// Simulator evaluates requests (internal/iamsim.Simulator).
type Simulator interface {
	Run(ctx context.Context, reqs []iamsim.Request) ([]iamsim.Result, error)
}

// Evaluate plans the flows of stack, runs them through sim in one batch
// and judges them.
func Evaluate(ctx context.Context, u Universe, stack string, sim Simulator) ([]Row, error) {
	checks, err := Plan(u, stack)
	if err != nil {
		return nil, err
	}
	var reqs []iamsim.Request
	for _, c := range checks {
		if c.Request != nil {
			reqs = append(reqs, *c.Request)
		}
	}
	results := map[string]iamsim.Result{}
	if len(reqs) > 0 {
		res, err := sim.Run(ctx, reqs)
		if err != nil {
			return nil, fmt.Errorf("flows of %s: %w", stack, err)
		}
		for _, r := range res {
			results[r.ID] = r
		}
	}
	return Judge(checks, results), nil
}

// Judge turns checks and the simulator's results into rows.
func Judge(checks []Check, results map[string]iamsim.Result) []Row {
	rows := make([]Row, 0, len(checks))
	for _, c := range checks {
		row := Row{
			Stack: c.Stack, Flow: c.Decl.Name, Kind: c.Decl.Kind, Principal: c.Decl.Principal,
			Action: c.Action, Resource: c.Decl.Resource, Caller: c.Decl.Caller, Reason: c.Decl.Reason,
		}
		if c.Request == nil {
			row.Verdict, row.OK, row.DecidedBy = Unverifiable, true, c.Unverifiable
			rows = append(rows, row)
			continue
		}
		res, ok := results[c.Request.ID]
		if !ok {
			row.Verdict, row.DecidedBy = Invalid, "the simulator returned no result for this request"
			rows = append(rows, row)
			continue
		}
		if res.Decision == "Error" || len(res.Errors) > 0 {
			row.Verdict, row.DecidedBy = Invalid, "rejected by AWS's IAM reference: "+strings.Join(res.Errors, "; ")
			rows = append(rows, row)
			continue
		}
		allowed := res.Decision == "Allowed"
		decided := decidedBy(res)
		if ignored := declaredButIgnored(c.Decl, res, c.Request); len(ignored) > 0 && !allowed {
			// The simulator dropped context keys the request carries, so a
			// condition on them could not match: the refusal proves nothing.
			row.Verdict, row.OK = Unverifiable, true
			row.DecidedBy = fmt.Sprintf("%s, but the simulator does not evaluate context key %s", decided, strings.Join(ignored, ", "))
			rows = append(rows, row)
			continue
		}
		ramOnly := strings.Contains(c.Unverifiable, "AWS RAM")
		// A resource side that is not known (policy unknown at preview time,
		// resource or account not previewed) was evaluated as no policy at
		// all: only an explicit deny is conclusive, since the real policy
		// may allow what the request without it was refused.
		resourceUnknown := strings.Contains(c.Unverifiable, "resource side:") && res.Decision != iamsim.ExplicitlyDenied
		switch {
		case c.Decl.Kind == Forbidden && !allowed && resourceUnknown:
			row.Verdict, row.OK, row.DecidedBy = Unverifiable, true, decided+"; "+c.Unverifiable
		case c.Decl.Kind == Forbidden && !allowed:
			row.Verdict, row.OK, row.DecidedBy = Denied, true, decided
		case c.Decl.Kind == Forbidden:
			row.Verdict, row.DecidedBy = Allowed, decided
		case allowed && c.Unverifiable == "":
			row.Verdict, row.OK, row.DecidedBy = Allowed, true, decided
		case allowed:
			row.Verdict, row.OK, row.DecidedBy = Unverifiable, true, "resource side allows ("+decided+"); "+c.Unverifiable
		case ramOnly || resourceUnknown:
			row.Verdict, row.OK, row.DecidedBy = Unverifiable, true, decided+"; "+c.Unverifiable
		default:
			row.Verdict, row.DecidedBy = Denied, decided
			if c.Unverifiable != "" {
				row.DecidedBy += " (even with an identity side that allows everything; " + c.Unverifiable + ")"
			}
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Flow != rows[j].Flow {
			return rows[i].Flow < rows[j].Flow
		}
		return rows[i].Action < rows[j].Action
	})
	return rows
}

// declaredButIgnored returns the context keys of the declaration that the
// simulator reported it did not evaluate and that a policy of the request
// names (a dropped key no policy conditions on changes nothing).
func declaredButIgnored(d Decl, res iamsim.Result, req *iamsim.Request) []string {
	var docs []string
	for _, p := range req.IdentityPolicies {
		docs = append(docs, strings.ToLower(string(p.Document)))
	}
	docs = append(docs, strings.ToLower(string(req.ResourcePolicy)))
	var out []string
	for _, k := range res.IgnoredContextKeys {
		if _, ok := d.Context[k]; !ok {
			continue
		}
		for _, doc := range docs {
			if strings.Contains(doc, `"`+strings.ToLower(k)+`"`) {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func decidedBy(res iamsim.Result) string {
	if len(res.Decisive) == 0 {
		if res.Decision == "Allowed" {
			return "allowed"
		}
		return "no statement allows it (implicit deny)"
	}
	var parts []string
	for _, d := range res.Decisive {
		parts = append(parts, fmt.Sprintf("%s %s statement %q of %s", d.Effect, d.Side, d.Sid, d.Policy))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Failures returns the rows that break the design.
func Failures(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if !r.OK {
			out = append(out, r)
		}
	}
	return out
}

// Counts summarises rows: required flows allowed, forbidden flows denied,
// unverifiable and failed.
type Counts struct {
	RequiredAllowed, ForbiddenDenied, Unverifiable, Failed int
}

// Count summarises rows.
func Count(rows []Row) Counts {
	var c Counts
	for _, r := range rows {
		switch {
		case !r.OK:
			c.Failed++
		case r.Verdict == Unverifiable:
			c.Unverifiable++
		case r.Kind == Required:
			c.RequiredAllowed++
		default:
			c.ForbiddenDenied++
		}
	}
	return c
}
