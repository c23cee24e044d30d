package preflight

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/internal/preflight/fakeaws"
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
)

const (
	workloadAcct = "111111111111"
	bunkerAcct   = "222222222222"
	restoreAcct  = "333333333333"
	bunkerVault  = "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker"
	lagType      = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
)

// loadStack reads the shipped Pulumi.<stack>.yaml with the given keys
// changed ("" deletes a key).
func loadStack(t *testing.T, stack string, set map[string]string) *config.Config {
	t.Helper()
	sf, err := stackfile.Load("../..", stack, "")
	require.NoError(t, err)
	for k, v := range set {
		if v == "" {
			delete(sf.Config, config.Namespace+":"+k)
		} else {
			sf.Config[config.Namespace+":"+k] = v
		}
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := sf.Config[k]; return v, ok }, stack)
	require.NoError(t, err)
	return c
}

// healthy is the account of a stack in which every check passes.
func healthy(role config.Role) fakeaws.World {
	w := fakeaws.World{
		OrgID: "o-a1b2c3d4e5", CrossAccount: true, OptIn: map[string]bool{"Aurora": true, "RDS": true},
		PrefixListID: "pl-58a04531", VPCs: 1, VPCMax: 5, EIPs: 0, EIPMax: 5, Bunker: bunkerAcct,
		Trails: []fakeaws.Trail{{Name: "management-events", HomeRegion: "us-east-1", MultiRegion: true, Logging: true}},
	}
	switch role {
	case config.RoleWorkload:
		w.Account = workloadAcct
	case config.RoleBunker:
		w.Account = bunkerAcct
	case config.RoleRestore:
		w.Account, w.ShareActive, w.SharedVault, w.VaultType = restoreAcct, true, bunkerVault, lagType
	}
	return w
}

func clients(url string) Clients {
	return NewClients(aws.Config{
		Region:           "ap-northeast-1",
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
		}),
	})
}

func run(t *testing.T, cfg *config.Config, w fakeaws.World) (Report, *fakeaws.Server) {
	t.Helper()
	f := fakeaws.New(t, w)
	rep, err := Run(context.Background(), cfg, clients(f.URL))
	require.NoError(t, err)
	return rep, f
}

func statuses(rep Report) map[string]Status {
	out := map[string]Status{}
	for _, r := range rep.Results {
		out[r.Check] = r.Status
	}
	return out
}

func result(t *testing.T, rep Report, check string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Check == check {
			return r
		}
	}
	require.Failf(t, "missing check", "%s not in %+v", check, rep.Results)
	return Result{}
}

// With the shipped stack files and healthy accounts, every check of each
// stack passes, and preflight makes exactly these read-only calls.
func TestEveryCheckPasses(t *testing.T) {
	cases := []struct {
		stack  string
		checks map[string]Status
		calls  []string
	}{
		{"workload", map[string]Status{
			CheckCaller: Pass, CheckOrganization: Pass, CheckCrossAccount: Pass, CheckBackupOptIn: Pass,
			CheckBunkerVault: Skip, CheckGuardDuty: Pass, CheckTrail: Pass, CheckPrefixList: Pass, CheckQuotaVPCs: Pass, CheckQuotaElasticIP: Pass,
		}, []string{
			"backup GET /account-settings", "backup GET /global-settings",
			"cloudtrail DescribeTrails", "cloudtrail GetTrailStatus", "ec2 DescribeAddresses",
			"ec2 DescribeManagedPrefixLists", "ec2 DescribeVpcs", "guardduty GET /detector",
			"organizations DescribeOrganization", "servicequotas GetServiceQuota", "servicequotas GetServiceQuota",
			"sts GetCallerIdentity",
		}},
		{"bunker", map[string]Status{
			CheckCaller: Pass, CheckOrganization: Pass, CheckCrossAccount: Pass, CheckBunkerVault: Pass, CheckGuardDuty: Pass,
			CheckTrail: Pass,
		}, []string{
			"backup GET /backup-vaults/fintech-bunker", "backup GET /global-settings",
			"cloudtrail DescribeTrails", "cloudtrail GetTrailStatus", "guardduty GET /detector",
			"organizations DescribeOrganization", "sts GetCallerIdentity",
		}},
		{"restore", map[string]Status{
			CheckCaller: Pass, CheckOrganization: Pass, CheckRAMSharing: Pass, CheckBunkerVault: Pass, CheckGuardDuty: Pass,
			CheckPrefixList: Pass, CheckQuotaVPCs: Pass, CheckQuotaElasticIP: Pass,
		}, []string{
			"backup GET /backup-vaults/fintech-bunker", "ec2 DescribeAddresses", "ec2 DescribeManagedPrefixLists",
			"ec2 DescribeVpcs", "guardduty GET /detector", "organizations DescribeOrganization",
			"ram POST /getresourceshareassociations", "ram POST /getresourceshareinvitations", "ram POST /getresourceshares",
			"servicequotas GetServiceQuota", "servicequotas GetServiceQuota", "sts GetCallerIdentity",
		}},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			cfg := loadStack(t, c.stack, nil)
			w := healthy(cfg.Role)
			if c.stack == "bunker" {
				w.VaultType = "" // before the first pulumi up
			}
			rep, f := run(t, cfg, w)
			assert.Equal(t, c.checks, statuses(rep), "%+v", rep.Results)
			assert.False(t, rep.Failed())
			assert.Equal(t, c.calls, f.Calls())
			assert.Equal(t, cfg.AccountID, rep.Account)
		})
	}
}

// Each check fails on the account fact it exists for, says what is wrong
// and names the fix.
func TestEveryCheckFails(t *testing.T) {
	cases := []struct {
		name, stack string
		set         map[string]string
		mutate      func(w *fakeaws.World)
		check       string
		message     string
		fix         string
	}{
		{"wrong account", "workload", nil, func(w *fakeaws.World) { w.Account = bunkerAcct },
			CheckCaller, "credentials are for account 222222222222", "arn:aws:iam::111111111111:role/fintech-deployer"},
		{"no organization", "bunker", nil, func(w *fakeaws.World) { w.OrgID = "" },
			CheckOrganization, "is in no AWS Organization", "invite-account-to-organization"},
		{"another organization", "restore", nil, func(w *fakeaws.World) { w.OrgID = "o-zzzzzzzzzz" },
			CheckOrganization, "not o-a1b2c3d4e5", "move account 333333333333"},
		{"organization not configured", "workload", map[string]string{"organizationId": ""}, nil,
			CheckOrganization, "organizationId is not set", "organizationId: o-a1b2c3d4e5"},
		{"cross-account backup off", "workload", nil, func(w *fakeaws.World) { w.CrossAccount = false },
			CheckCrossAccount, "every copy job", "isCrossAccountBackupEnabled=true"},
		{"cross-account backup off (bunker)", "bunker", nil, func(w *fakeaws.World) { w.CrossAccount = false },
			CheckCrossAccount, "cross-account backup is off", "Cross-account management"},
		{"Aurora not opted in", "workload", nil, func(w *fakeaws.World) { w.OptIn = map[string]bool{"Aurora": false} },
			CheckBackupOptIn, "not opted in for Aurora", "--resource-type-opt-in-preference Aurora=true"},
		{"invitation but RAM sharing with Organizations assumed", "restore", nil,
			func(w *fakeaws.World) { w.Invitation, w.ShareActive = true, false },
			CheckRAMSharing, "arrived as an invitation", "enable-sharing-with-aws-organization"},
		{"nothing shared yet", "restore", nil, func(w *fakeaws.World) { w.ShareActive = false },
			CheckRAMSharing, "no resource share from the bunker account 222222222222", "pulumi up -s bunker"},
		{"share holds no vault", "restore", nil, func(w *fakeaws.World) { w.SharedVault = "" },
			CheckBunkerVault, "holds no backup vault", "pulumi up -s bunker"},
		{"shared vault is not air-gapped", "restore", nil, func(w *fakeaws.World) { w.VaultType = "BACKUP_VAULT" },
			CheckBunkerVault, "not a logically air-gapped vault", "airGappedVaultName"},
		{"configured vault differs", "restore", map[string]string{"bunkerVaultArn": "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:other"}, nil,
			CheckBunkerVault, "but fintech-resilience:bunkerVaultArn is", bunkerVault},
		{"vault name taken", "bunker", nil, func(w *fakeaws.World) { w.VaultType = "BACKUP_VAULT" },
			CheckBunkerVault, "already exists", "airGappedVaultName"},
		{"detector exists, not adopted", "workload", nil, func(w *fakeaws.World) { w.Detectors = []string{"12abc34d567e8fa901bc2d34e56789f0"} },
			CheckGuardDuty, "already has GuardDuty detector 12abc34d567e8fa901bc2d34e56789f0", "guardDutyDetectorId: 12abc34d567e8fa901bc2d34e56789f0"},
		{"adopted detector missing", "bunker", map[string]string{"guardDutyDetectorId": "12abc34d567e8fa901bc2d34e56789f0"}, nil,
			CheckGuardDuty, "has no detector", "remove guardDutyDetectorId"},
		{"adopted detector differs", "restore", map[string]string{"guardDutyDetectorId": "12abc34d567e8fa901bc2d34e56789f0"},
			func(w *fakeaws.World) { w.Detectors = []string{"99abc34d567e8fa901bc2d34e56789f0"} },
			CheckGuardDuty, "the account's detector is 99abc34d567e8fa901bc2d34e56789f0", "guardDutyDetectorId: 99abc34d567e8fa901bc2d34e56789f0"},
		{"trail stopped", "bunker", nil, func(w *fakeaws.World) { w.Trails[0].Logging = false },
			CheckTrail, "trail management-events exists but is stopped", "aws cloudtrail start-logging"},
		{"no trail for the region", "workload", nil, func(w *fakeaws.World) {
			w.Trails = []fakeaws.Trail{{Name: "us-only", HomeRegion: "us-east-1", Logging: true}}
		}, CheckTrail, "no CloudTrail trail logs ap-northeast-1", "Enable for all accounts in my organization"},
		{"prefix list of another region", "workload", nil, func(w *fakeaws.World) { w.PrefixListID = "pl-3b927c52" },
			CheckPrefixList, "but ap-northeast-1's", "cloudFrontOriginPrefixListId: pl-3b927c52"},
		{"no origin-facing list", "restore", nil, func(w *fakeaws.World) { w.PrefixListID = "" },
			CheckPrefixList, "no com.amazonaws.global.cloudfront.origin-facing prefix list", "VPC origins"},
		{"VPC quota full", "workload", nil, func(w *fakeaws.World) { w.VPCs, w.VPCMax = 5, 5 },
			CheckQuotaVPCs, "5 in use + 1 for this stack > quota 5", "--quota-code L-F678F1CE --desired-value 6"},
		{"Elastic IPs for per-zone NAT", "workload", nil, func(w *fakeaws.World) { w.EIPs, w.EIPMax = 3, 5 },
			CheckQuotaElasticIP, "3 in use + 3 for this stack > quota 5", "--quota-code L-0263D0A3 --desired-value 6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := loadStack(t, c.stack, c.set)
			w := healthy(cfg.Role)
			if c.mutate != nil {
				c.mutate(&w)
			}
			rep, _ := run(t, cfg, w)
			assert.True(t, rep.Failed())
			r := result(t, rep, c.check)
			assert.Equal(t, Fail, r.Status, "%+v", r)
			assert.Contains(t, r.Message, c.message)
			assert.Contains(t, r.Fix, c.fix)
			for _, other := range rep.Results {
				if other.Check != c.check {
					assert.NotEqual(t, Fail, other.Status, "only %s fails: %+v", c.check, other)
				}
			}
		})
	}
}

// The cases that pass without an active share or detector to create.
func TestPassingVariants(t *testing.T) {
	t.Run("invitation accepted by the stack", func(t *testing.T) {
		cfg := loadStack(t, "restore", map[string]string{"ramSharingWithOrganization": "false"})
		w := healthy(cfg.Role)
		w.Invitation, w.ShareActive = true, false
		rep, f := run(t, cfg, w)
		assert.False(t, rep.Failed(), "%+v", rep.Results)
		assert.Equal(t, Pass, result(t, rep, CheckRAMSharing).Status)
		assert.Equal(t, Skip, result(t, rep, CheckBunkerVault).Status)
		assert.NotContains(t, f.Calls(), "ram POST /getresourceshareassociations")
	})
	t.Run("existing detector adopted", func(t *testing.T) {
		cfg := loadStack(t, "bunker", map[string]string{"guardDutyDetectorId": "12abc34d567e8fa901bc2d34e56789f0"})
		w := healthy(cfg.Role)
		w.Detectors = []string{"12abc34d567e8fa901bc2d34e56789f0"}
		w.VaultType = lagType // after the first pulumi up
		rep, _ := run(t, cfg, w)
		assert.False(t, rep.Failed(), "%+v", rep.Results)
	})
	t.Run("organization trail seen from a member account", func(t *testing.T) {
		cfg := loadStack(t, "workload", nil)
		w := healthy(cfg.Role)
		w.Trails = []fakeaws.Trail{{Name: "org-trail", HomeRegion: "us-east-1", MultiRegion: true, Organization: true, StatusDenied: true}}
		rep, _ := run(t, cfg, w)
		assert.False(t, rep.Failed(), "%+v", rep.Results)
		assert.Contains(t, result(t, rep, CheckTrail).Message, "organization trail org-trail")
	})
	t.Run("no NAT, no Elastic IP", func(t *testing.T) {
		cfg := loadStack(t, "workload", map[string]string{"natGateways": "none", "publicIngress": "true"})
		w := healthy(cfg.Role)
		w.EIPMax = 0
		rep, f := run(t, cfg, w)
		assert.False(t, rep.Failed(), "%+v", rep.Results)
		assert.Equal(t, Skip, result(t, rep, CheckQuotaElasticIP).Status)
		assert.NotContains(t, f.Calls(), "ec2 DescribeAddresses")
	})
}

// After a wrong-account caller nothing else is asked.
func TestWrongAccountStopsEarly(t *testing.T) {
	cfg := loadStack(t, "bunker", nil)
	w := healthy(cfg.Role)
	w.Account = restoreAcct
	rep, f := run(t, cfg, w)
	assert.Len(t, rep.Results, 1)
	assert.Equal(t, []string{"sts GetCallerIdentity"}, f.Calls())
}

// Unreadable credentials are a CredentialsError, not a failed check.
func TestCredentialsError(t *testing.T) {
	cfg := loadStack(t, "bunker", nil)
	_, err := Run(context.Background(), cfg, Clients{STS: failingSTS{}})
	var ce *CredentialsError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity")
}
