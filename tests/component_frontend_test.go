package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/frontend"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tApp    = "aws:amplify/app:App"
	tBranch = "aws:amplify/branch:Branch"
	token   = "ghp_exampleTokenThatMustNeverLeak0123456789"
)

func frontendBaseArgs() *frontend.Args {
	return &frontend.Args{
		Name:                 "fintech-web",
		Repository:           "https://github.com/fintech-resilience/web",
		Branch:               "main",
		BuildSpec:            "version: 1\nfrontend:\n  phases:\n    build:\n      commands: [npm ci, npm run build]\n",
		Framework:            "React",
		EnvironmentVariables: map[string]string{"VITE_API_BASE": "https://api.example.com"},
		CustomRules:          []frontend.CustomRule{{Source: "</^[^.]+$|\\.(?!(css|js|png|svg|ico|json)$)([^.]+$)/>", Target: "/index.html"}},
	}
}

// build runs Frontend "web" with the token given as a plain Input (the
// component itself must make it secret) and a GuardDuty detector (the
// stack-wide rule guardduty-enabled needs one).
func frontendBuild(t *testing.T, mutate func(a *frontend.Args)) (*graph.Graph, *frontend.Frontend) {
	t.Helper()
	var fe *frontend.Frontend
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		if _, err := guardduty.NewDetector(ctx, "detector", &guardduty.DetectorArgs{Enable: pulumi.Bool(true)}); err != nil {
			return err
		}
		a := frontendBaseArgs()
		a.AccessTokenSecret = pulumi.String(token) // plain on purpose: the component must make it secret
		if mutate != nil {
			mutate(a)
		}
		var err error
		fe, err = frontend.NewFrontend(ctx, "web", a)
		return err
	}, testkit.Options())
	require.NoError(t, err)
	return g, fe
}

func TestFrontend(t *testing.T) {
	g, _ := frontendBuild(t, nil)
	comp := testkit.One(t, g, frontend.TypeToken)
	app := testkit.One(t, g, tApp)
	branch := testkit.One(t, g, tBranch)
	assert.Equal(t, comp.URN, app.Parent)
	assert.Equal(t, comp.URN, branch.Parent)
	assert.Equal(t, "web-app", app.Name)
	assert.Equal(t, "web-branch", branch.Name)

	assert.Equal(t, "fintech-web", app.Inputs["name"])
	assert.Equal(t, "https://github.com/fintech-resilience/web", app.Inputs["repository"])
	assert.Equal(t, "WEB", app.Inputs["platform"])
	assert.Equal(t, true, app.Inputs["enableBranchAutoDeletion"])
	assert.Equal(t, false, app.Inputs["enableAutoBranchCreation"])
	assert.Equal(t, false, app.Inputs["enableBasicAuth"])
	assert.Equal(t, frontendBaseArgs().BuildSpec, app.Inputs["buildSpec"])
	assert.Equal(t, map[string]any{"VITE_API_BASE": "https://api.example.com"}, app.Inputs["environmentVariables"])
	rulesIn := graph.List(app.Inputs["customRules"])
	require.Len(t, rulesIn, 1)
	assert.Equal(t, "/index.html", graph.Map(rulesIn[0])["target"])
	assert.Equal(t, "200", graph.Map(rulesIn[0])["status"])
	assert.Nil(t, graph.Map(rulesIn[0])["condition"])

	assert.Equal(t, "main", branch.Inputs["branchName"])
	assert.Equal(t, "PRODUCTION", branch.Inputs["stage"])
	assert.Equal(t, true, branch.Inputs["enableAutoBuild"])
	assert.Equal(t, false, branch.Inputs["enablePullRequestPreview"])
	assert.Equal(t, "React", branch.Inputs["framework"])
	assert.Equal(t, []string{app.URN}, branch.PropertyDependencies["appId"])
	assert.Equal(t, app.ID, branch.Inputs["appId"])

	testkit.NoMandatoryViolations(t, g)
}

func TestFrontendTokenIsSecret(t *testing.T) {
	g, _ := frontendBuild(t, nil)
	app := testkit.One(t, g, tApp)
	// The token is in the graph only as a secret...
	_, isSecret := app.Inputs["accessToken"].(graph.Secret)
	assert.True(t, isSecret, "accessToken must be a secret input")
	assert.Equal(t, token, graph.Str(app.Inputs["accessToken"]))
	// ...so anything that prints the graph shows it redacted.
	redacted := graph.Redact(app.Inputs).(map[string]any)
	assert.Equal(t, "[secret]", redacted["accessToken"])
	for _, r := range g.Resources {
		out, err := json.Marshal(graph.Redact(r.Inputs))
		require.NoError(t, err)
		assert.NotContains(t, string(out), token, r.URN)
	}
	// The token is never a plain value anywhere else (repository, env).
	assert.NotContains(t, graph.Str(app.Inputs["repository"]), "ghp_")
}

func TestFrontendOutputs(t *testing.T) {
	g, fe := frontendBuild(t, func(a *frontend.Args) { a.BuildSpec, a.Framework, a.CustomRules = "", "", nil })
	app := testkit.One(t, g, tApp)
	assert.Nil(t, app.Inputs["buildSpec"])
	assert.Nil(t, testkit.One(t, g, tBranch).Inputs["framework"])
	ch := make(chan []any, 1)
	pulumi.All(fe.AppID, fe.BranchName, fe.AppArn).ApplyT(func(v []any) int {
		ch <- v
		return 0
	})
	v := <-ch
	assert.Equal(t, app.ID, v[0])
	assert.Equal(t, "main", v[1])
	v2, _ := app.Output("arn")
	assert.Equal(t, graph.Str(v2), v[2])
}

func TestFrontendRejectsBadArgs(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *frontend.Args)
		want   []string
	}{
		"http repository":    {func(a *frontend.Args) { a.Repository = "http://github.com/org/web" }, []string{"must be an https URL"}},
		"ssh repository":     {func(a *frontend.Args) { a.Repository = "git@github.com:org/web.git" }, []string{"Repository"}},
		"no repository":      {func(a *frontend.Args) { a.Repository = "" }, []string{`Repository "" is not a URL`}},
		"no path":            {func(a *frontend.Args) { a.Repository = "https://github.com/" }, []string{"has no repository path"}},
		"token in URL":       {func(a *frontend.Args) { a.Repository = "https://" + token + "@github.com/org/web" }, []string{"must not carry credentials", "REDACTED"}},
		"query":              {func(a *frontend.Args) { a.Repository = "https://github.com/org/web?x=1" }, []string{"query"}},
		"empty branch":       {func(a *frontend.Args) { a.Branch = " " }, []string{"Branch is required"}},
		"bad branch":         {func(a *frontend.Args) { a.Branch = "feature..x" }, []string{`Branch "feature..x"`}},
		"bad name":           {func(a *frontend.Args) { a.Name = "my web" }, []string{`Name "my web"`}},
		"empty name":         {func(a *frontend.Args) { a.Name = "" }, []string{`Name ""`}},
		"no token":           {func(a *frontend.Args) { a.AccessTokenSecret = nil }, []string{"AccessTokenSecret"}},
		"secret-looking env": {func(a *frontend.Args) { a.EnvironmentVariables["API_SECRET"] = "x" }, []string{`"API_SECRET" looks like a credential`}},
		"token env":          {func(a *frontend.Args) { a.EnvironmentVariables["GithubToken"] = "x" }, []string{`"GithubToken" looks like a credential`}},
		"reserved env":       {func(a *frontend.Args) { a.EnvironmentVariables["AWS_REGION"] = "x" }, []string{`"AWS_REGION" uses the prefix AWS_`}},
		"bad env name":       {func(a *frontend.Args) { a.EnvironmentVariables["api-base"] = "x" }, []string{`"api-base" is not an environment variable name`}},
		"bad rule":           {func(a *frontend.Args) { a.CustomRules = []frontend.CustomRule{{Source: "/a"}} }, []string{"CustomRules[0] needs Source and Target"}},
		"bad rule status":    {func(a *frontend.Args) { a.CustomRules[0].Status = "500" }, []string{`CustomRules[0].Status "500"`}},
		"several":            {func(a *frontend.Args) { a.Name = ""; a.Branch = "" }, []string{"Name", "Branch is required"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			g, runErr := preview.Run(func(ctx *pulumi.Context) error {
				a := frontendBaseArgs()
				a.AccessTokenSecret = pulumi.String(token)
				c.mutate(a)
				_, err = frontend.NewFrontend(ctx, "web", a)
				return nil
			}, testkit.Options())
			require.NoError(t, runErr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "frontend web: invalid arguments")
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), token, "errors never print the token")
			assert.Empty(t, g.Resources, "nothing is registered when the arguments are invalid")
		})
	}
	a := frontendBaseArgs()
	a.AccessTokenSecret = pulumi.String(token)
	assert.NoError(t, a.Validate())
	_, err := frontend.NewFrontend(nil, "web", nil)
	assert.ErrorContains(t, err, "args are required")
	a = frontendBaseArgs()
	a.Repository = "https://u:p@h/x"
	err = a.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must not carry credentials", "a repository URL with credentials is refused")
	assert.False(t, strings.Contains(err.Error(), "p@"), "and its credentials are not printed: %v", err)
}
