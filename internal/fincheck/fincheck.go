// Package fincheck is the offline checker behind cmd/fincheck: it previews
// a stack under Pulumi mocks (the same program `pulumi up` runs), evaluates
// the FinTech policy rules over the resulting graph or over exported state,
// and writes text, JSON, SARIF or the FISC check sheet. The one online
// command, preflight, checks a stack's real account read-only before the
// first `pulumi up` (internal/preflight).
//
// Exit codes: 0 fine; 1 mandatory policy violations (preflight: a failed
// check of the real account); 2 bad usage, unreadable or invalid input, or
// unusable AWS credentials (message on stderr).
package fincheck

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
	"github.com/fintech-resilience/fintech-resilience/internal/stacks"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitViolation = 1
	ExitUsage     = 2
)

const usage = `usage:
  fincheck preview --stack <workload|bunker|restore> [--config FILE] [--dir DIR] [--format text|json|sarif]
  fincheck analyze --state FILE [--format text|json|sarif]
  fincheck report  --format fisc [--dir DIR]
  fincheck preflight --stack <workload|bunker|restore> [--config FILE] [--dir DIR] [--format text|json]
  fincheck flows   --stack <workload|bunker|restore> [--config FILE] [--dir DIR] [--format text|json]
`

// Run executes one command and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "fincheck: internal error: %v\n", r)
			code = ExitUsage
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "preview":
		code, err = runPreview(args[1:], stdout)
	case "analyze":
		code, err = runAnalyze(args[1:], stdout)
	case "report":
		code, err = runReport(args[1:], stdout)
	case "preflight":
		code, err = runPreflight(args[1:], stdout)
	case "flows":
		code, err = runFlows(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		err = usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
	if err != nil {
		fmt.Fprintf(stderr, "fincheck: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(stderr, usage)
		}
		return ExitUsage
	}
	return code
}

type usageError string

func (e usageError) Error() string { return string(e) }

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageError(fmt.Sprintf("--format %q is not one of %s", format, strings.Join(allowed, ", ")))
}

// PreviewStack loads a stack's configuration, validates it and runs the
// program under mocks.
func PreviewStack(dir, stack, configFile string) (*graph.Graph, *config.Config, error) {
	sf, err := stackfile.Load(dir, stack, configFile)
	if err != nil {
		return nil, nil, err
	}
	get := func(key string) (string, bool) {
		v, ok := sf.Config[key]
		return v, ok
	}
	cfg, err := config.Load(get, stack)
	if err != nil {
		return nil, nil, err
	}
	refs, err := referencedOutputs(dir, sf.Config)
	if err != nil {
		return nil, nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("project directory %s: %w", dir, err)
	}
	g, err := preview.Run(pulumi.RunFunc(stacks.Run), preview.Options{
		Project: sf.Project, Stack: stack, Config: sf.Config, SecretKeys: sf.SecretKeys,
		Account: cfg.AccountID, Region: cfg.Region, StackOutputs: refs, RootDirectory: root,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("stack %s: program failed: %w", stack, err)
	}
	return g, cfg, nil
}

func runPreview(args []string, stdout io.Writer) (int, error) {
	fs := newFlags("preview")
	stack := fs.String("stack", "", "stack name (reads Pulumi.<stack>.yaml)")
	cfgFile := fs.String("config", "", "stack configuration file to use instead of Pulumi.<stack>.yaml")
	dir := fs.String("dir", ".", "project directory (holds Pulumi.yaml)")
	format := fs.String("format", "text", "text, json or sarif")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	if *stack == "" {
		return ExitUsage, usageError("--stack is required")
	}
	if err := checkFormat(*format, "text", "json", "sarif"); err != nil {
		return ExitUsage, err
	}
	g, _, err := PreviewStack(*dir, *stack, *cfgFile)
	if err != nil {
		return ExitUsage, err
	}
	vs := rules.Evaluate(g, rules.All(), nil)
	artifact := *cfgFile
	if artifact == "" {
		artifact = "Pulumi." + *stack + ".yaml"
	}
	if err := writeFor(stdout, *format, *stack, artifact, g, vs); err != nil {
		return ExitUsage, err
	}
	if rules.HasMandatory(vs) {
		return ExitViolation, nil
	}
	return ExitOK, nil
}

// referencedOutputs answers the bunker stack reference offline: when a
// stack names fintech-resilience:bunkerStack (org/project/<name>) and
// Pulumi.<name>.yaml is here, that stack is previewed too and its outputs
// are taken from its graph (stacks.BunkerOutputs).
func referencedOutputs(dir string, cfg map[string]string) (map[string]map[string]string, error) {
	ref := cfg[config.Namespace+":bunkerStack"]
	if ref == "" {
		return nil, nil
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	if _, err := os.Stat(filepath.Join(dir, "Pulumi."+name+".yaml")); err != nil {
		return nil, fmt.Errorf("%s:bunkerStack is %q but Pulumi.%s.yaml is not in %s, so the offline preview cannot read its outputs; add that file or set %s:bunkerVaultArn (and bunkerShareArn) instead",
			config.Namespace, ref, name, dir, config.Namespace)
	}
	g, _, err := PreviewStack(dir, name, "")
	if err != nil {
		return nil, fmt.Errorf("previewing referenced stack %s: %w", ref, err)
	}
	return map[string]map[string]string{ref: stacks.BunkerOutputs(g)}, nil
}
