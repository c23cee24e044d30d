package fincheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/internal/preflight"
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
)

// preflightTimeout bounds all AWS calls of one preflight run.
const preflightTimeout = 2 * time.Minute

// runPreflight checks the real account of a stack before its first
// `pulumi up` (internal/preflight). Credentials come from the standard AWS
// SDK chain (environment, AWS_PROFILE or the stack's aws:profile, SSO,
// instance role); AWS_ENDPOINT_URL is honoured. Exit 0: every check
// passed; 1: a check failed; 2: usage, configuration or credentials.
func runPreflight(args []string, stdout io.Writer) (int, error) {
	sa, err := parseStackArgs("preflight", args)
	if err != nil {
		return ExitUsage, err
	}
	sf, err := stackfile.Load(sa.dir, sa.stack, sa.configFile)
	if err != nil {
		return ExitUsage, err
	}
	cfg, err := config.Load(func(key string) (string, bool) { v, ok := sf.Config[key]; return v, ok }, sa.stack)
	if err != nil {
		return ExitUsage, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), preflightTimeout)
	defer cancel()
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.Profile != "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return ExitUsage, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	rep, err := preflight.Run(ctx, cfg, preflight.NewClients(awsCfg))
	if err != nil {
		return ExitUsage, err
	}
	if err := writePreflight(stdout, sa.format, rep); err != nil {
		return ExitUsage, err
	}
	if rep.Failed() {
		return ExitViolation, nil
	}
	return ExitOK, nil
}

func writePreflight(w io.Writer, format string, rep preflight.Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "preflight %s: %s account %s, %s\n", rep.Stack, rep.Role, rep.Account, rep.Region)
	failed := 0
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "  %-4s %s: %s\n", strings.ToUpper(string(r.Status)), r.Check, r.Message)
		if r.Fix != "" {
			fmt.Fprintf(&b, "       fix: %s\n", r.Fix)
		}
		if r.Status == preflight.Fail {
			failed++
		}
	}
	if failed == 0 {
		fmt.Fprintf(&b, "all checks passed: next, pulumi up -s %s\n", rep.Stack)
	} else {
		fmt.Fprintf(&b, "%d check(s) failed: fix them before pulumi up -s %s\n", failed, rep.Stack)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
