package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
)

// The shipped files state the organization, the backend and (restore) the
// in-organization RAM case; the bunker states its copy alarm.
func TestPrerequisitesInRealStackFiles(t *testing.T) {
	for _, stack := range []string{"workload", "bunker", "restore"} {
		t.Run(stack, func(t *testing.T) {
			sf, err := stackfile.Load("../..", stack, "")
			require.NoError(t, err)
			c, err := Load(func(k string) (string, bool) { v, ok := sf.Config[k]; return v, ok }, stack)
			require.NoError(t, err)
			assert.Equal(t, Prerequisites{OrganizationID: "o-a1b2c3d4e5", StateBackend: BackendSelfManaged}, c.Prerequisites)
			switch c.Role {
			case RoleRestore:
				assert.True(t, c.Recovery.RAMSharingWithOrganization)
				assert.False(t, c.Recovery.AcceptShare, "in one organization with RAM sharing on there is no invitation to accept")
				assert.Equal(t, "organization/fintech-resilience/bunker", c.Recovery.BunkerStack)
			case RoleBunker:
				assert.Equal(t, 36, c.Bunker.CopyAlarmHours)
			}
		})
	}
}

func TestPrerequisiteProblems(t *testing.T) {
	cases := []struct {
		name  string
		base  map[string]string
		set   map[string]string
		key   string
		want  string
		stack string
	}{
		{"ecs without internet gateway", goodWorkload(), map[string]string{ns + "natGateways": "none", ns + "publicIngress": "false"},
			ns + "apiMode", "fintech-resilience:natGateways is none and fintech-resilience:publicIngress is false", "workload"},
		{"malformed detector id", goodWorkload(), map[string]string{ns + "guardDutyDetectorId": "abc"},
			ns + "guardDutyDetectorId", "is not a GuardDuty detector id", "workload"},
		{"malformed organization id", goodBunker(), map[string]string{ns + "organizationId": "org-1"},
			ns + "organizationId", "is not an AWS Organizations id", "bunker"},
		{"unknown backend", goodBunker(), map[string]string{ns + "stateBackend": "s3"},
			ns + "stateBackend", "is not one of pulumi-cloud, self-managed", "bunker"},
		{"self-managed backend needs organization/", goodRestore(), map[string]string{ns + "stateBackend": BackendSelfManaged},
			ns + "bunkerStack", `starts with "acme"`, "restore"},
		{"stack reference to another project", goodWorkload(), map[string]string{ns + "bunkerStack": "acme/other/bunker"},
			ns + "bunkerStack", `names project "other"`, "workload"},
		{"accepter while RAM sharing with Organizations is on", goodRestore(), map[string]string{ns + "ramSharingWithOrganization": "true", ns + "acceptBunkerShare": "true"},
			ns + "acceptBunkerShare", "no invitation is created", "restore"},
		{"no accepter while RAM sharing with Organizations is off", goodRestore(), map[string]string{ns + "acceptBunkerShare": "false"},
			ns + "acceptBunkerShare", "arrives as an invitation", "restore"},
		{"copy alarm too long", goodBunker(), map[string]string{ns + "copyAlarmHours": "200"},
			ns + "copyAlarmHours", "out of range", "bunker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(getter(with(c.base, c.set)), c.stack)
			ps := problemsOf(t, err)
			require.Len(t, ps, 1, "%v", ps)
			assert.Equal(t, c.key, ps[0].Key)
			assert.Contains(t, ps[0].String(), c.want)
		})
	}

	// The cases that work: an internet gateway from NAT or public ingress,
	// App Runner without one, both stack reference forms.
	for name, set := range map[string]map[string]string{
		"single NAT":        {ns + "natGateways": "single"},
		"public ingress":    {ns + "natGateways": "none", ns + "publicIngress": "true"},
		"app runner":        {ns + "natGateways": "none", ns + "apiMode": "apprunner"},
		"cloud reference":   {ns + "stateBackend": BackendPulumiCloud, ns + "bunkerStack": "acme/fintech-resilience/bunker"},
		"self-managed ref":  {ns + "stateBackend": BackendSelfManaged, ns + "bunkerStack": "organization/fintech-resilience/bunker"},
		"adopted detector":  {ns + "guardDutyDetectorId": "12abc34d567e8fa901bc2d34e56789f0"},
		"backend not given": {ns + "bunkerStack": "organization/fintech-resilience/bunker"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(getter(with(goodWorkload(), set)), "workload")
			require.NoError(t, err)
			assert.Equal(t, set[ns+"guardDutyDetectorId"], c.Prerequisites.GuardDutyDetectorID)
		})
	}
}
