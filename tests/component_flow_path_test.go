package tests

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
)

var flowOpts = preview.Options{Project: "test", Stack: "test", Account: "111111111111", Region: "ap-northeast-1"}

func validPath() flow.Path {
	return flow.Path{
		From:   flow.Endpoint{Label: "a", SubnetIDs: pulumi.StringArray{pulumi.String("subnet-a")}},
		To:     flow.Endpoint{Label: "internet", Internet: true},
		Ports:  flow.Port(443),
		Caller: "tasks", Reason: "image pulls",
	}
}

// A declaration records its endpoints as flat inputs the checker reads.
func TestRequirePathRecordsInputs(t *testing.T) {
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		p := validPath()
		p.MustBlock = nil
		return flow.RequirePath(ctx, nil, "net", "out", p)
	}, flowOpts)
	require.NoError(t, err)
	ds := g.OfType(pathspec.TypePathRequired)
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "net-path-out", d.Name)
	assert.Equal(t, []any{"subnet-a"}, d.Inputs["fromSubnetIds"])
	assert.Equal(t, true, d.Inputs["toInternet"])
	assert.Equal(t, "tcp", d.Inputs["protocol"])
	assert.Equal(t, []any{"443"}, d.Inputs["ports"])
	assert.Equal(t, "image pulls", d.Inputs["reason"])
}

// Bad declarations are refused before anything is registered.
func TestPathValidation(t *testing.T) {
	cases := map[string]func(p *flow.Path){
		"no placement":  func(p *flow.Path) { p.To = flow.Endpoint{} },
		"bad CIDR":      func(p *flow.Path) { p.To = flow.Endpoint{CIDRs: []string{"10.0.0.0/33"}} },
		"bad port":      func(p *flow.Path) { p.Ports = []string{"99999"} },
		"no port":       func(p *flow.Path) { p.Ports = nil },
		"bad protocol":  func(p *flow.Path) { p.Protocol = "icmp" },
		"bad layer":     func(p *flow.Path) { p.MustBlock = []string{"firewall"} },
		"no reason":     func(p *flow.Path) { p.Reason = " " },
		"bad name part": nil,
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := preview.Run(func(ctx *pulumi.Context) error {
				p := validPath()
				part := "out"
				if mutate == nil {
					part = "Out Path"
				} else {
					mutate(&p)
				}
				return flow.ForbidPath(ctx, nil, "net", part, p)
			}, flowOpts)
			assert.Error(t, err)
		})
	}
}
