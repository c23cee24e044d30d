// Package frontend provides Frontend, the web front end on AWS Amplify
// Hosting (seed 000 #1: fully managed hosting instead of hand-built S3 +
// CloudFront + pipelines).
//
// Guarantees:
//   - One Amplify app (platform WEB) connected to an https Git repository
//     and one production branch that builds on every push; branches deleted
//     in Git are deleted in Amplify; no automatic branch creation and no
//     pull-request previews, so nothing but the configured branch is
//     published.
//   - The repository access token is only ever a secret: it is wrapped with
//     pulumi.ToSecret before it reaches the app, so state, previews and
//     policy reports show it redacted.
//   - Environment variables are plain build settings only: names that look
//     like credentials (SECRET, PASSWORD, TOKEN, PRIVATE, CREDENTIAL) and
//     names Amplify reserves (AWS_ prefix) are refused.
package frontend

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/amplify"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:frontend:Frontend"

// CustomRule is a rewrite or redirect rule of the app.
type CustomRule struct {
	Source string
	Target string
	// Status is 200, 301, 302, 404 or 404-200 (default 200).
	Status string
	// Condition is optional (e.g. a country code).
	Condition string
}

// Args configures Frontend.
type Args struct {
	// Name of the Amplify app: 1-100 letters, digits, '-' or '_'.
	Name string
	// Repository is the https URL of the Git repository (no credentials in it).
	Repository string
	// Branch is the production branch.
	Branch string
	// AccessTokenSecret is the repository access token (e.g. a GitHub
	// token); pass a secret Input (config.RequireSecret), never plain text.
	AccessTokenSecret pulumi.StringInput
	// BuildSpec is an optional amplify.yml; Framework an optional label.
	BuildSpec string
	Framework string
	// EnvironmentVariables are plain, non-secret build variables.
	EnvironmentVariables map[string]string
	// CustomRules are optional rewrites and redirects, in order.
	CustomRules []CustomRule
}

// Frontend is the Amplify app and its production branch.
type Frontend struct {
	pulumi.ResourceState

	App        *amplify.App
	Branch     *amplify.Branch
	AppID      pulumi.StringOutput
	AppArn     pulumi.StringOutput
	BranchName pulumi.StringOutput
	// DefaultDomain is the app's amplifyapp.com domain; the branch is
	// served at https://<branch>.<DefaultDomain>.
	DefaultDomain pulumi.StringOutput
}

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	branchRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$`)
	secretyRE  = regexp.MustCompile(`(?i)(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL)`)
	ruleStatus = map[string]bool{"200": true, "301": true, "302": true, "404": true, "404-200": true}
)

// Validate checks the arguments; all problems are reported together.
func (a *Args) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !nameRE.MatchString(a.Name) {
		add("Name %q must be 1-100 letters, digits, '-' or '_'", a.Name)
	}
	if why := repositoryProblem(a.Repository); why != "" {
		add("Repository %q %s", redactURL(a.Repository), why)
	}
	if strings.TrimSpace(a.Branch) == "" {
		add("Branch is required")
	} else if !branchRE.MatchString(a.Branch) || strings.Contains(a.Branch, "..") || strings.HasSuffix(a.Branch, "/") {
		add("Branch %q is not a valid branch name", a.Branch)
	}
	if a.AccessTokenSecret == nil {
		add("AccessTokenSecret (a secret Input with the repository access token) is required")
	}
	for _, k := range slices.Sorted(maps.Keys(a.EnvironmentVariables)) {
		switch {
		case !awsiam.ValidEnvName(k):
			add("EnvironmentVariables: %q is not an environment variable name", k)
		case strings.HasPrefix(strings.ToUpper(k), "AWS_"):
			add("EnvironmentVariables: %q uses the prefix AWS_ that Amplify reserves", k)
		case secretyRE.MatchString(k):
			add("EnvironmentVariables: %q looks like a credential; environment variables are plain text, keep secrets out of them", k)
		}
	}
	for i, r := range a.CustomRules {
		if r.Source == "" || r.Target == "" {
			add("CustomRules[%d] needs Source and Target", i)
		}
		if r.Status != "" && !ruleStatus[r.Status] {
			add("CustomRules[%d].Status %q is not 200, 301, 302, 404 or 404-200", i, r.Status)
		}
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

// repositoryProblem says why a repository URL is not acceptable ("" if it is).
func repositoryProblem(repo string) string {
	u, err := url.Parse(repo)
	if err != nil || repo == "" {
		return "is not a URL"
	}
	switch {
	case u.Scheme != "https":
		return "must be an https URL"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not carry credentials; use AccessTokenSecret"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	case strings.Trim(u.Path, "/") == "":
		return "has no repository path"
	}
	return ""
}

// redactURL drops any user information so an error never prints a token.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "[unparseable URL]"
		}
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// NewFrontend builds the Amplify app and its production branch.
func NewFrontend(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Frontend, error) {
	if args == nil {
		return nil, fmt.Errorf("frontend %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("frontend %s: %w", name, err)
	}
	fe := &Frontend{}
	if err := ctx.RegisterComponentResource(TypeToken, name, fe, opts...); err != nil {
		return nil, fmt.Errorf("frontend %s: register: %w", name, err)
	}
	parent := pulumi.Parent(fe)

	token, ok := pulumi.ToSecret(args.AccessTokenSecret.ToStringOutput()).(pulumi.StringOutput)
	if !ok {
		return nil, fmt.Errorf("frontend %s: access token is not a string output", name)
	}
	var rules amplify.AppCustomRuleArray
	for _, r := range args.CustomRules {
		status := r.Status
		if status == "" {
			status = "200"
		}
		rule := amplify.AppCustomRuleArgs{Source: pulumi.String(r.Source), Target: pulumi.String(r.Target), Status: pulumi.String(status)}
		if r.Condition != "" {
			rule.Condition = pulumi.String(r.Condition)
		}
		rules = append(rules, rule)
	}
	appArgs := &amplify.AppArgs{
		Name:                     pulumi.String(args.Name),
		Repository:               pulumi.String(args.Repository),
		AccessToken:              token,
		Platform:                 pulumi.String("WEB"),
		EnableBranchAutoDeletion: pulumi.Bool(true),
		EnableAutoBranchCreation: pulumi.Bool(false),
		EnableBranchAutoBuild:    pulumi.Bool(true),
		EnableBasicAuth:          pulumi.Bool(false),
		EnvironmentVariables:     pulumi.ToStringMap(args.EnvironmentVariables),
		CustomRules:              rules,
	}
	if args.BuildSpec != "" {
		appArgs.BuildSpec = pulumi.String(args.BuildSpec)
	}
	app, err := amplify.NewApp(ctx, name+"-app", appArgs, parent, pulumi.AdditionalSecretOutputs([]string{"accessToken"}))
	if err != nil {
		return nil, fmt.Errorf("frontend %s: app: %w", name, err)
	}
	branchArgs := &amplify.BranchArgs{
		AppId:                    app.ID().ToStringOutput(),
		BranchName:               pulumi.String(args.Branch),
		Stage:                    pulumi.String("PRODUCTION"),
		EnableAutoBuild:          pulumi.Bool(true),
		EnablePullRequestPreview: pulumi.Bool(false),
	}
	if args.Framework != "" {
		branchArgs.Framework = pulumi.String(args.Framework)
	}
	branch, err := amplify.NewBranch(ctx, name+"-branch", branchArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("frontend %s: branch: %w", name, err)
	}
	fe.App, fe.Branch = app, branch
	fe.AppID = app.ID().ToStringOutput()
	fe.AppArn = app.Arn
	fe.DefaultDomain = app.DefaultDomain
	fe.BranchName = branch.BranchName
	if err := ctx.RegisterResourceOutputs(fe, pulumi.Map{
		"appId":         fe.AppID,
		"appArn":        fe.AppArn,
		"defaultDomain": fe.DefaultDomain,
		"branchName":    fe.BranchName,
	}); err != nil {
		return nil, fmt.Errorf("frontend %s: register outputs: %w", name, err)
	}
	return fe, nil
}
