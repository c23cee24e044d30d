package fincheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fintech-resilience/fintech-resilience/internal/iamsim"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/flows"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
)

// FlowSection is one part of the `fincheck flows` report (permissions,
// network paths): it renders its table and says whether anything failed.
type FlowSection struct {
	Name string
	// Text writes the human-readable table.
	Text func(w io.Writer) error
	// JSON is the value written under Name in --format json.
	JSON any
	// Failed counts the flows that break the design.
	Failed int
}

// flowSections builds the sections of a stack's flows report. dir is the
// project directory; the universe holds the stack and the stacks it shares
// resources with.
type flowSectionBuilder func(ctx context.Context, dir string, u flows.Universe, stack string) (FlowSection, error)

// flowSectionBuilders are the sections of `fincheck flows`, in order.
var flowSectionBuilders = []flowSectionBuilder{permissionSection, networkPathSection}

func runFlows(args []string, stdout io.Writer) (int, error) {
	sa, err := parseStackArgs("flows", args)
	if err != nil {
		return ExitUsage, err
	}
	u, err := offline.Universe(sa.dir, sa.stack, sa.configFile)
	if err != nil {
		return ExitUsage, err
	}
	ctx := context.Background()
	var sections []FlowSection
	for _, build := range flowSectionBuilders {
		s, err := build(ctx, sa.dir, u, sa.stack)
		if err != nil {
			return ExitUsage, err
		}
		sections = append(sections, s)
	}
	failed := 0
	for _, s := range sections {
		failed += s.Failed
	}
	switch sa.format {
	case "json":
		out := map[string]any{"stack": sa.stack}
		for _, s := range sections {
			out[s.Name] = s.JSON
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return ExitUsage, fmt.Errorf("writing json: %w", err)
		}
	default:
		for _, s := range sections {
			if err := s.Text(stdout); err != nil {
				return ExitUsage, err
			}
		}
	}
	if failed > 0 {
		return ExitViolation, nil
	}
	return ExitOK, nil
}

// PermissionRows evaluates the permission flows of stack with the IAM
// simulator in tools/iam (found from dir).
func PermissionRows(ctx context.Context, dir string, u flows.Universe, stack string) ([]flows.Row, error) {
	sim, err := iamsim.Locate(dir)
	if err != nil {
		return nil, fmt.Errorf("the permission flows need the IAM simulator: %w", err)
	}
	return flows.Evaluate(ctx, u, stack, sim)
}

func permissionSection(ctx context.Context, dir string, u flows.Universe, stack string) (FlowSection, error) {
	rows, err := PermissionRows(ctx, dir, u, stack)
	if err != nil {
		return FlowSection{}, err
	}
	c := flows.Count(rows)
	return FlowSection{
		Name:   "permissions",
		JSON:   map[string]any{"rows": rows, "counts": c},
		Failed: c.Failed,
		Text: func(w io.Writer) error {
			return writePermissionTable(w, stack, rows, c)
		},
	}, nil
}

func writePermissionTable(w io.Writer, stack string, rows []flows.Row, c flows.Counts) error {
	fmt.Fprintf(w, "Permissions of stack %s: %d required allowed, %d forbidden denied, %d unverifiable, %d FAILED\n\n",
		stack, c.RequiredAllowed, c.ForbiddenDenied, c.Unverifiable, c.Failed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tKIND\tFLOW\tPRINCIPAL\tACTION\tRESOURCE\tVERDICT\tDECIDED BY")
	for _, r := range rows {
		result := "ok"
		if !r.OK {
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", result, r.Kind, r.Flow, r.Principal, r.Action, r.Resource, r.Verdict, r.DecidedBy)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	for _, r := range flows.Failures(rows) {
		fmt.Fprintf(w, "\nFAIL %s flow %s: %s %s on %s is %s (%s).\n  caller: %s\n  why it matters: %s\n",
			r.Kind, r.Flow, r.Principal, r.Action, r.Resource, r.Verdict, r.DecidedBy, r.Caller, r.Reason)
	}
	fmt.Fprintln(w)
	return nil
}

// networkPathSection is the network-path part of `fincheck flows`: every
// declared required and forbidden path of the stack, proven over its graph
// (policy/netpath).
func networkPathSection(_ context.Context, _ string, u flows.Universe, stack string) (FlowSection, error) {
	var g *graph.Graph
	for _, s := range u.Stacks {
		if s.Name == stack {
			g = s.Graph
		}
	}
	if g == nil {
		return FlowSection{}, fmt.Errorf("stack %s is not in the previewed stacks", stack)
	}
	results := netpath.Check(g)
	sum := netpath.Summarize(results)
	return FlowSection{
		Name:   "networkPaths",
		JSON:   map[string]any{"paths": results, "counts": sum},
		Failed: NetworkPathFailures(results),
		Text:   func(w io.Writer) error { return WriteNetworkPaths(w, stack, results) },
	}, nil
}

// stackArgs are the flags of the commands that act on one stack.
type stackArgs struct {
	stack, configFile, dir, format string
}

// parseStackArgs parses --stack (required), --config, --dir and --format
// (text or json) for command name.
func parseStackArgs(name string, args []string) (stackArgs, error) {
	fs := newFlags(name)
	stack := fs.String("stack", "", "stack name (reads Pulumi.<stack>.yaml)")
	cfgFile := fs.String("config", "", "stack configuration file to use instead of Pulumi.<stack>.yaml")
	dir := fs.String("dir", ".", "project directory (holds Pulumi.yaml)")
	format := fs.String("format", "text", "text or json")
	if err := parse(fs, args); err != nil {
		return stackArgs{}, err
	}
	if *stack == "" {
		return stackArgs{}, usageError("--stack is required")
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return stackArgs{}, err
	}
	return stackArgs{stack: *stack, configFile: *cfgFile, dir: *dir, format: *format}, nil
}
