// Package gofunction holds the plumbing the components share for the Go
// Lambda functions of this module (functions/<name>): building their
// deployment packages and the function arguments every one of them has.
// It creates no resources: each component keeps its own children.
package gofunction

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/lambdabuild"
)

// Runtime, architecture and handler of every Go function: a "bootstrap"
// binary on provided.al2023 for arm64.
const (
	Runtime      = "provided.al2023"
	Architecture = "arm64"
	Handler      = "bootstrap"
)

// Archives returns prebuilt when it is not nil; otherwise it builds each of
// fns from ./functions/<fn> of the module at moduleRoot.
func Archives(prebuilt map[string]lambdabuild.Artifact, moduleRoot string, fns ...string) (map[string]lambdabuild.Artifact, error) {
	if prebuilt != nil {
		return prebuilt, nil
	}
	pkgs := make([]string, len(fns))
	for i, fn := range fns {
		pkgs[i] = "./functions/" + fn
	}
	arts, err := lambdabuild.BuildAll(moduleRoot, pkgs, lambdabuild.Options{})
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", strings.Join(fns, ", "), err)
	}
	out := make(map[string]lambdabuild.Artifact, len(fns))
	for i, fn := range fns {
		out[fn] = arts[i]
	}
	return out, nil
}

// FunctionArgs returns the arguments of a function named name running the
// deployment package art, with the given description, execution role,
// timeout (seconds), memory (MiB), customer-managed key of its environment
// and JSON logs to logGroup. The caller adds what is particular to the
// function (environment, VPC, dead-letter queue, concurrency).
func FunctionArgs(name, description string, art lambdabuild.Artifact, role pulumi.StringInput, timeout, memory int, kmsKeyArn pulumi.StringInput, logGroup pulumi.StringInput) *lambda.FunctionArgs {
	return &lambda.FunctionArgs{
		Name:          pulumi.String(name),
		Description:   pulumi.String(description),
		Runtime:       pulumi.String(Runtime),
		Architectures: pulumi.StringArray{pulumi.String(Architecture)},
		Handler:       pulumi.String(Handler),
		Code:          pulumi.NewFileArchive(art.ZipPath),
		// The hash of the reproducible zip: a preview shows a code change
		// only when the code changed.
		SourceCodeHash: pulumi.String(art.SHA256Base64),
		Role:           role,
		Timeout:        pulumi.Int(timeout),
		MemorySize:     pulumi.Int(memory),
		KmsKeyArn:      kmsKeyArn,
		LoggingConfig: lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logGroup,
		},
	}
}
