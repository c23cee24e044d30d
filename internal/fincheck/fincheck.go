// Package fincheck is the offline checker behind cmd/fincheck: it previews
// a stack under Pulumi mocks (internal/offline: the same program `pulumi up`
// runs), evaluates
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
	"strings"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
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
  fincheck preview --stack bunker,workload,restore [--dir DIR]      (several stacks, text, one exit code)
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

func runPreview(args []string, stdout io.Writer) (int, error) {
	fs := newFlags("preview")
	stack := fs.String("stack", "", "stack name (reads Pulumi.<stack>.yaml); several, comma-separated, with the text format")
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
	names := strings.Split(*stack, ",")
	for _, n := range names {
		if n == "" {
			return ExitUsage, usageError(fmt.Sprintf("--stack %q names an empty stack", *stack))
		}
	}
	if len(names) > 1 && (*format != "text" || *cfgFile != "") {
		return ExitUsage, usageError("several stacks in one run take the text format and their own Pulumi.<stack>.yaml (no --config)")
	}
	// One session: a stack referenced by another (the bunker) is previewed
	// once for the whole run.
	session := offline.NewSession()
	code := ExitOK
	var errs []error
	for i, name := range names {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		c, err := previewOne(session, *dir, name, *cfgFile, *format, stdout)
		if err != nil {
			if len(names) > 1 {
				err = fmt.Errorf("stack %s: %w", name, err)
			}
			errs = append(errs, err)
		}
		code = max(code, c)
	}
	return code, errors.Join(errs...)
}

// previewOne previews one stack of a preview run and writes its report.
func previewOne(session *offline.Session, dir, stack, cfgFile, format string, stdout io.Writer) (int, error) {
	g, _, err := session.Preview(dir, stack, cfgFile)
	if err != nil {
		return ExitUsage, err
	}
	vs := rules.Evaluate(g, rules.All(), nil)
	artifact := cfgFile
	if artifact == "" {
		artifact = "Pulumi." + stack + ".yaml"
	}
	if err := writeFor(stdout, format, stack, artifact, g, vs); err != nil {
		return ExitUsage, err
	}
	if rules.HasMandatory(vs) {
		return ExitViolation, nil
	}
	return ExitOK, nil
}
