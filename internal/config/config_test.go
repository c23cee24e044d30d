package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
)

func getter(m map[string]string) Getter {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// goodWorkload is a complete, valid workload configuration.
func goodWorkload() map[string]string {
	return map[string]string{
		"aws:region":                                      "ap-northeast-1",
		"aws:allowedAccountIds":                           `["111111111111"]`,
		"aws:assumeRole":                                  `{"roleArn":"arn:aws:iam::111111111111:role/fintech-deployer","sessionName":"pulumi-workload"}`,
		"fintech-resilience:role":                         "workload",
		"fintech-resilience:workloadAccountId":            "111111111111",
		"fintech-resilience:bunkerAccountId":              "222222222222",
		"fintech-resilience:restoreAccountId":             "333333333333",
		"fintech-resilience:availabilityZones":            `["ap-northeast-1a","ap-northeast-1c","ap-northeast-1d"]`,
		"fintech-resilience:vpcCidr":                      "10.10.0.0/16",
		"fintech-resilience:subnetPrefixLength":           "20",
		"fintech-resilience:natGateways":                  "perAz",
		"fintech-resilience:publicIngress":                "false",
		"fintech-resilience:databasePort":                 "5432",
		"fintech-resilience:appPort":                      "8080",
		"fintech-resilience:flowLogRetentionDays":         "731",
		"fintech-resilience:kmsDeletionWindowDays":        "30",
		"fintech-resilience:notificationEmails":           `["security-oncall@example.com","platform-team@example.com"]`,
		"fintech-resilience:guardDutyFindingFrequency":    "FIFTEEN_MINUTES",
		"fintech-resilience:bunkerVaultArn":               "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker",
		"fintech-resilience:apiImage":                     "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:1.4.2",
		"fintech-resilience:cloudFrontOriginPrefixListId": "pl-58a04531",
		"fintech-resilience:databaseEngineVersion":        "16.6",
	}
}

// goodBunker is a complete, valid bunker configuration (no network).
func goodBunker() map[string]string {
	return map[string]string{
		"aws:region":                            "ap-northeast-1",
		"aws:allowedAccountIds":                 `["222222222222"]`,
		"aws:assumeRole":                        `{"roleArn":"arn:aws:iam::222222222222:role/fintech-deployer"}`,
		"fintech-resilience:role":               "bunker",
		"fintech-resilience:workloadAccountId":  "111111111111",
		"fintech-resilience:bunkerAccountId":    "222222222222",
		"fintech-resilience:restoreAccountId":   "333333333333",
		"fintech-resilience:notificationEmails": `["security-oncall@example.com"]`,
	}
}

func with(base map[string]string, set map[string]string, del ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	for _, k := range del {
		delete(out, k)
	}
	return out
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	require.Error(t, err)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "error %v is not a *ValidationError", err)
	return ve.Problems
}

func TestLoadGoodConfigs(t *testing.T) {
	t.Run("workload", func(t *testing.T) {
		c, err := Load(getter(goodWorkload()), "prod")
		require.NoError(t, err)
		assert.Equal(t, "fintech-resilience", c.Project)
		assert.Equal(t, "prod", c.Stack)
		assert.Equal(t, RoleWorkload, c.Role)
		assert.Equal(t, "ap-northeast-1", c.Region)
		assert.Equal(t, "111111111111", c.AccountID)
		assert.Equal(t, Accounts{Workload: "111111111111", Bunker: "222222222222", Restore: "333333333333"}, c.Accounts)
		assert.Equal(t, []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}, c.AvailabilityZones)
		require.NotNil(t, c.Network)
		assert.Equal(t, Network{
			VpcCIDR: "10.10.0.0/16", SubnetPrefixLength: 20, NatGateways: NatPerAZ, PublicIngress: false,
			DatabasePort: 5432, AppPort: 8080, FlowLogRetentionDays: 731,
		}, *c.Network)
		assert.True(t, c.Network.Public(), "NAT gateways need a public tier")
		assert.Equal(t, 30, c.KMSDeletionWindow)
		assert.Equal(t, []string{"security-oncall@example.com", "platform-team@example.com"}, c.NotificationEmails)
		assert.Equal(t, "FIFTEEN_MINUTES", c.GuardDutyFrequency)
		assert.Empty(t, c.DefaultTags)
	})

	t.Run("workload defaults", func(t *testing.T) {
		m := with(goodWorkload(), nil,
			"fintech-resilience:subnetPrefixLength", "fintech-resilience:natGateways", "fintech-resilience:publicIngress",
			"fintech-resilience:databasePort", "fintech-resilience:appPort", "fintech-resilience:flowLogRetentionDays",
			"fintech-resilience:kmsDeletionWindowDays", "fintech-resilience:guardDutyFindingFrequency")
		c, err := Load(getter(m), "prod")
		require.NoError(t, err)
		assert.Equal(t, Network{
			VpcCIDR: "10.10.0.0/16", SubnetPrefixLength: 20, NatGateways: NatPerAZ,
			DatabasePort: 5432, AppPort: 8080, FlowLogRetentionDays: 365,
		}, *c.Network)
		assert.Equal(t, 30, c.KMSDeletionWindow)
		assert.Equal(t, "FIFTEEN_MINUTES", c.GuardDutyFrequency)
	})

	t.Run("small vpc gets /28 subnets by default", func(t *testing.T) {
		m := with(goodWorkload(), map[string]string{
			"fintech-resilience:vpcCidr":               "192.168.4.0/24",
			"fintech-resilience:natGateways":           "none",
			"fintech-resilience:apiMode":               "apprunner",
			"fintech-resilience:availabilityZones":     `["ap-northeast-1a","ap-northeast-1c"]`,
			"fintech-resilience:flowLogRetentionDays":  "90",
			"fintech-resilience:kmsDeletionWindowDays": "7",
		}, "fintech-resilience:subnetPrefixLength")
		c, err := Load(getter(m), "small")
		require.NoError(t, err)
		assert.Equal(t, "192.168.4.0/24", c.Network.VpcCIDR)
		assert.Equal(t, 28, c.Network.SubnetPrefixLength)
		assert.Equal(t, NatNone, c.Network.NatGateways)
		assert.False(t, c.Network.Public())
		assert.Equal(t, 90, c.Network.FlowLogRetentionDays)
		assert.Equal(t, 7, c.KMSDeletionWindow)
		assert.Equal(t, []string{"ap-northeast-1a", "ap-northeast-1c"}, c.AvailabilityZones)
	})

	t.Run("restore with profile, single NAT, 172.16/12, default tags", func(t *testing.T) {
		m := with(goodWorkload(), map[string]string{
			"fintech-resilience:role":                      "restore",
			"fintech-resilience:restoreEngineVersion":      "16.6",
			"fintech-resilience:apiImage":                  restoreImage,
			"aws:allowedAccountIds":                        `["333333333333"]`,
			"aws:profile":                                  "restore-admin",
			"fintech-resilience:vpcCidr":                   "172.20.0.0/20",
			"fintech-resilience:subnetPrefixLength":        "26",
			"fintech-resilience:natGateways":               "single",
			"fintech-resilience:publicIngress":             "true",
			"fintech-resilience:guardDutyFindingFrequency": "SIX_HOURS",
			"aws:defaultTags":                              `{"tags":{"cost-center":"1234","owner":"platform"}}`,
		}, "aws:assumeRole")
		c, err := Load(getter(m), "restore")
		require.NoError(t, err)
		assert.Equal(t, RoleRestore, c.Role)
		assert.Equal(t, "333333333333", c.AccountID)
		assert.Equal(t, "172.20.0.0/20", c.Network.VpcCIDR)
		assert.Equal(t, 26, c.Network.SubnetPrefixLength)
		assert.Equal(t, NatSingle, c.Network.NatGateways)
		assert.True(t, c.Network.PublicIngress)
		assert.Equal(t, "SIX_HOURS", c.GuardDutyFrequency)
		assert.Equal(t, map[string]string{"cost-center": "1234", "owner": "platform"}, c.DefaultTags)
	})

	t.Run("bunker has no network", func(t *testing.T) {
		c, err := Load(getter(goodBunker()), "bunker")
		require.NoError(t, err)
		assert.Equal(t, RoleBunker, c.Role)
		assert.Equal(t, "222222222222", c.AccountID)
		assert.Nil(t, c.Network)
		assert.Nil(t, c.AvailabilityZones)
		assert.Equal(t, []string{"security-oncall@example.com"}, c.NotificationEmails)
	})

	t.Run("bunker ignores network keys", func(t *testing.T) {
		m := with(goodBunker(), map[string]string{"fintech-resilience:vpcCidr": "not a cidr"})
		c, err := Load(getter(m), "bunker")
		require.NoError(t, err)
		assert.Nil(t, c.Network)
	})
}

func TestLoadBadConfigs(t *testing.T) {
	const ns = "fintech-resilience:"
	cases := []struct {
		name     string
		base     func() map[string]string
		set      map[string]string
		del      []string
		key      string
		value    string
		expected string
		missing  bool
		// count is the total number of problems expected.
		count int
	}{
		{
			name: "unknown role", set: map[string]string{ns + "role": "payments"},
			key: ns + "role", value: "payments", expected: "is not a known role (expected workload, bunker or restore)", count: 1,
		},
		{
			name: "missing role", del: []string{ns + "role"},
			key: ns + "role", missing: true, expected: "one of workload, bunker, restore", count: 1,
		},
		{
			name: "10-digit account id", set: map[string]string{ns + "restoreAccountId": "3333333333"},
			key: ns + "restoreAccountId", value: "3333333333", expected: "is not a 12-digit AWS account id", count: 1,
		},
		{
			name: "account id with letters", set: map[string]string{ns + "bunkerAccountId": "22222222222x"},
			key: ns + "bunkerAccountId", value: "22222222222x", expected: "is not a 12-digit AWS account id", count: 1,
		},
		{
			name: "bunker account equals workload", set: map[string]string{ns + "bunkerAccountId": "111111111111"},
			key: ns + "bunkerAccountId", value: "111111111111", expected: "must differ from workloadAccountId", count: 1,
		},
		{
			name: "restore account equals bunker", set: map[string]string{ns + "restoreAccountId": "222222222222"},
			key: ns + "restoreAccountId", value: "222222222222", expected: "must differ from bunkerAccountId", count: 1,
		},
		{
			name: "restore account equals workload", set: map[string]string{ns + "restoreAccountId": "111111111111"},
			key: ns + "restoreAccountId", value: "111111111111", expected: "must differ from workloadAccountId: the restore account must be clean", count: 1,
		},
		{
			// The zones no longer belong to the (bad) region: reported too.
			name: "region format", set: map[string]string{"aws:region": "tokyo"},
			key: "aws:region", value: "tokyo", expected: "is not an AWS region name (expected e.g. ap-northeast-1)", count: 2,
		},
		{
			name: "region format, bunker", base: goodBunker, set: map[string]string{"aws:region": "ap_northeast_1"},
			key: "aws:region", value: "ap_northeast_1", expected: "is not an AWS region name (expected e.g. ap-northeast-1)", count: 1,
		},
		{
			// Only the aws partition: every ARN the program writes is arn:aws:
			// (docs/decisions/0020). The zones no longer match either.
			name: "GovCloud region", set: map[string]string{"aws:region": "us-gov-west-1"},
			key: "aws:region", value: "us-gov-west-1", expected: "is a region outside the aws partition (GovCloud, China or ISO)", count: 2,
		},
		{
			name: "China region, bunker", base: goodBunker, set: map[string]string{"aws:region": "cn-north-1"},
			key: "aws:region", value: "cn-north-1", expected: "only aws-partition regions are accepted (docs/decisions/0020)", count: 1,
		},
		{
			name: "ISO region, bunker", base: goodBunker, set: map[string]string{"aws:region": "us-iso-east-1"},
			key: "aws:region", value: "us-iso-east-1", expected: "is a region outside the aws partition", count: 1,
		},
		{
			name: "one AZ", set: map[string]string{ns + "availabilityZones": `["ap-northeast-1a"]`},
			key: ns + "availabilityZones", value: `["ap-northeast-1a"]`, expected: "must list 2 or 3 availability zones", count: 1,
		},
		{
			name: "four AZs", set: map[string]string{ns + "availabilityZones": `["ap-northeast-1a","ap-northeast-1b","ap-northeast-1c","ap-northeast-1d"]`},
			key: ns + "availabilityZones", value: `["ap-northeast-1a","ap-northeast-1b","ap-northeast-1c","ap-northeast-1d"]`,
			expected: "must list 2 or 3 availability zones", count: 1,
		},
		{
			name: "AZ not in region", set: map[string]string{ns + "availabilityZones": `["ap-northeast-1a","us-east-1b"]`},
			key: ns + "availabilityZones", value: "us-east-1b",
			expected: "is not an availability zone of ap-northeast-1 (expected ap-northeast-1a, ap-northeast-1b, ...)", count: 1,
		},
		{
			name: "duplicate AZ", set: map[string]string{ns + "availabilityZones": `["ap-northeast-1a","ap-northeast-1c","ap-northeast-1a"]`},
			key: ns + "availabilityZones", value: "ap-northeast-1a", expected: "is listed twice", count: 1,
		},
		{
			name: "AZs not a list", set: map[string]string{ns + "availabilityZones": "ap-northeast-1a"},
			key: ns + "availabilityZones", value: "ap-northeast-1a", expected: "is not a list of strings", count: 1,
		},
		{
			name: "vpcCidr /33", set: map[string]string{ns + "vpcCidr": "10.0.0.0/33"},
			key: ns + "vpcCidr", value: "10.0.0.0/33", expected: "is not a valid IPv4 CIDR", count: 1,
		},
		{
			name: "vpcCidr not a CIDR", set: map[string]string{ns + "vpcCidr": "10.0.0.0"},
			key: ns + "vpcCidr", value: "10.0.0.0", expected: "is not a valid IPv4 CIDR", count: 1,
		},
		{
			name: "vpcCidr IPv6", set: map[string]string{ns + "vpcCidr": "fd00::/56"},
			key: ns + "vpcCidr", value: "fd00::/56", expected: "is not a valid IPv4 CIDR", count: 1,
		},
		{
			name: "vpcCidr /15", set: map[string]string{ns + "vpcCidr": "10.0.0.0/15"},
			key: ns + "vpcCidr", value: "10.0.0.0/15", expected: "must be between /16 and /24", count: 1,
		},
		{
			name: "vpcCidr /25", set: map[string]string{ns + "vpcCidr": "10.0.0.0/25"},
			key: ns + "vpcCidr", value: "10.0.0.0/25", expected: "must be between /16 and /24", count: 1,
		},
		{
			name: "vpcCidr host bits", set: map[string]string{ns + "vpcCidr": "10.10.1.0/16"},
			key: ns + "vpcCidr", value: "10.10.1.0/16", expected: "has host bits set (expected 10.10.0.0/16)", count: 1,
		},
		{
			name: "vpcCidr public range", set: map[string]string{ns + "vpcCidr": "8.8.0.0/16"},
			key: ns + "vpcCidr", value: "8.8.0.0/16",
			expected: "must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", count: 1,
		},
		{
			name: "vpcCidr just outside 172.16/12", set: map[string]string{ns + "vpcCidr": "172.32.0.0/16"},
			key: ns + "vpcCidr", value: "172.32.0.0/16", expected: "must be inside a private range", count: 1,
		},
		{
			name: "subnetPrefixLength too short", set: map[string]string{ns + "subnetPrefixLength": "19"},
			key: ns + "subnetPrefixLength", value: "19", expected: "is out of range (expected 20 to 28)", count: 1,
		},
		{
			name: "subnetPrefixLength too long", set: map[string]string{ns + "subnetPrefixLength": "29"},
			key: ns + "subnetPrefixLength", value: "29", expected: "is out of range (expected 20 to 28)", count: 1,
		},
		{
			name: "subnetPrefixLength not a number", set: map[string]string{ns + "subnetPrefixLength": "/20"},
			key: ns + "subnetPrefixLength", value: "/20", expected: "is not a whole number (expected 20 to 28)", count: 1,
		},
		{
			name: "natGateways invalid", set: map[string]string{ns + "natGateways": "perAZ"},
			key: ns + "natGateways", value: "perAZ", expected: "is not one of none, single, perAz", count: 1,
		},
		{
			name: "publicIngress not a bool", set: map[string]string{ns + "publicIngress": "yes please"},
			key: ns + "publicIngress", value: "yes please", expected: "is not a boolean (expected true or false)", count: 1,
		},
		{
			name: "appPort equals databasePort", set: map[string]string{ns + "appPort": "5432"},
			key: ns + "appPort", value: "5432", expected: "must differ from databasePort", count: 1,
		},
		{
			name: "databasePort privileged", set: map[string]string{ns + "databasePort": "80"},
			key: ns + "databasePort", value: "80", expected: "is out of range (expected 1024 to 65535)", count: 1,
		},
		{
			name: "kmsDeletionWindowDays 6", set: map[string]string{ns + "kmsDeletionWindowDays": "6"},
			key: ns + "kmsDeletionWindowDays", value: "6", expected: "is out of range (expected 7 to 30)", count: 1,
		},
		{
			name: "kmsDeletionWindowDays 31", set: map[string]string{ns + "kmsDeletionWindowDays": "31"},
			key: ns + "kmsDeletionWindowDays", value: "31", expected: "is out of range (expected 7 to 30)", count: 1,
		},
		{
			name: "flowLogRetentionDays 30", set: map[string]string{ns + "flowLogRetentionDays": "30"},
			key: ns + "flowLogRetentionDays", value: "30", expected: "is out of range (expected 90 to 3653)", count: 1,
		},
		{
			name: "flowLogRetentionDays 100", set: map[string]string{ns + "flowLogRetentionDays": "100"},
			key: ns + "flowLogRetentionDays", value: "100", expected: "is not a retention CloudWatch Logs accepts (90, 120, 150", count: 1,
		},
		{
			name: "guardDutyFindingFrequency", set: map[string]string{ns + "guardDutyFindingFrequency": "HOURLY"},
			key: ns + "guardDutyFindingFrequency", value: "HOURLY", expected: "is not one of FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS", count: 1,
		},
		{
			name: "bad e-mail", set: map[string]string{ns + "notificationEmails": `["security-oncall@example.com","not-an-address"]`},
			key: ns + "notificationEmails", value: "not-an-address", expected: "is not a plain e-mail address (expected name@example.com)", count: 1,
		},
		{
			name: "e-mail with display name", set: map[string]string{ns + "notificationEmails": `["Alice <alice@example.com>"]`},
			key: ns + "notificationEmails", value: "Alice <alice@example.com>", expected: "is not a plain e-mail address", count: 1,
		},
		{
			name: "e-mail without domain dot", set: map[string]string{ns + "notificationEmails": `["root@localhost"]`},
			key: ns + "notificationEmails", value: "root@localhost", expected: "is not a plain e-mail address", count: 1,
		},
		{
			name: "empty e-mail list", set: map[string]string{ns + "notificationEmails": `[]`},
			key: ns + "notificationEmails", value: "[]", expected: "must name at least one e-mail address", count: 1,
		},
		{
			name: "missing e-mail list", del: []string{ns + "notificationEmails"},
			key: ns + "notificationEmails", missing: true, expected: "at least one e-mail address for security notifications", count: 1,
		},
		{
			name: "allowedAccountIds names another account", set: map[string]string{"aws:allowedAccountIds": `["222222222222"]`},
			key: "aws:allowedAccountIds", value: `["222222222222"]`, expected: `must be exactly ["111111111111"], the workload account`, count: 1,
		},
		{
			name: "allowedAccountIds names two accounts", set: map[string]string{"aws:allowedAccountIds": `["111111111111","222222222222"]`},
			key: "aws:allowedAccountIds", value: `["111111111111","222222222222"]`, expected: `must be exactly ["111111111111"], the workload account`, count: 1,
		},
		{
			name: "allowedAccountIds missing", del: []string{"aws:allowedAccountIds"},
			key: "aws:allowedAccountIds", missing: true, expected: "a list with this stack's account id", count: 1,
		},
		{
			name: "assumeRole in another account",
			set:  map[string]string{"aws:assumeRole": `{"roleArn":"arn:aws:iam::222222222222:role/fintech-deployer"}`},
			key:  "aws:assumeRole", value: "arn:aws:iam::222222222222:role/fintech-deployer",
			expected: "roleArn is in account 222222222222, not the workload account 111111111111", count: 1,
		},
		{
			name: "assumeRole not a role ARN",
			set:  map[string]string{"aws:assumeRole": `{"roleArn":"arn:aws:iam::111111111111:user/deployer"}`},
			key:  "aws:assumeRole", value: "arn:aws:iam::111111111111:user/deployer", expected: "roleArn is not an IAM role ARN", count: 1,
		},
		{
			name: "neither assumeRole nor profile", del: []string{"aws:assumeRole"},
			key: "aws:assumeRole", missing: true, expected: "a role to assume in this stack's account ({roleArn: ...}), or aws:profile", count: 1,
		},
		{
			name: "missing vpcCidr for workload", del: []string{ns + "vpcCidr"},
			key: ns + "vpcCidr", missing: true, expected: "the VPC's IPv4 CIDR, /16 to /24", count: 1,
		},
		{
			name: "tag key reserved", set: map[string]string{"aws:defaultTags": `{"tags":{"aws:owner":"x"}}`},
			key: "aws:defaultTags", value: "aws:owner", expected: "is not a valid tag key", count: 1,
		},
		{
			name: "tag value too long", set: map[string]string{"aws:defaultTags": `{"tags":{"owner":"` + strings.Repeat("x", 257) + `"}}`},
			key: "aws:defaultTags", value: strings.Repeat("x", 257), expected: "is longer than 256 characters", count: 1,
		},
		{
			// One way to tag: a second key that reached no resource is an
			// error, not silently ignored.
			name: "fintech-resilience:tags is not read", set: map[string]string{ns + "tags": `{"owner":"platform"}`},
			key: ns + "tags", value: `{"owner":"platform"}`,
			expected: "is not read: put the tags under aws:defaultTags (tags: {name: value}), which the aws providers apply to every resource that supports tags", count: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := goodWorkload
			if tc.base != nil {
				base = tc.base
			}
			c, err := Load(getter(with(base(), tc.set, tc.del...)), "test")
			assert.Nil(t, c)
			problems := problemsOf(t, err)
			var found *Problem
			for i := range problems {
				if problems[i].Key == tc.key {
					found = &problems[i]
					break
				}
			}
			require.NotNil(t, found, "no problem for %s in:\n%v", tc.key, err)
			assert.Equal(t, tc.missing, found.Missing)
			assert.Equal(t, tc.value, found.Value)
			assert.Contains(t, found.Expected, tc.expected)

			// The message names the key, the bad value and the expected form.
			msg := err.Error()
			assert.Contains(t, msg, tc.key+":")
			if tc.missing {
				assert.Contains(t, msg, tc.key+": is required: ")
			} else {
				assert.Contains(t, msg, fmt.Sprintf("%s: %q ", tc.key, tc.value))
			}
			assert.Contains(t, msg, tc.expected)
			assert.Len(t, problems, tc.count, "problems:\n%v", err)
		})
	}
}

func TestLoadInvalidCIDRMessage(t *testing.T) {
	m := with(goodWorkload(), map[string]string{"fintech-resilience:vpcCidr": "10.0.0.0/33"})
	_, err := Load(getter(m), "test")
	problems := problemsOf(t, err)
	require.Len(t, problems, 1)
	const want = `fintech-resilience:vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`
	assert.Equal(t, want, problems[0].String())
	assert.Equal(t, "invalid configuration (1 problem(s)):\n  "+want, err.Error())
}

func TestLoadReportsAllProblemsTogether(t *testing.T) {
	m := with(goodWorkload(), map[string]string{
		"fintech-resilience:role":              "banker",
		"fintech-resilience:workloadAccountId": "1111111111",
		"fintech-resilience:vpcCidr":           "10.0.0.0/33",
	})
	c, err := Load(getter(m), "test")
	assert.Nil(t, c)
	problems := problemsOf(t, err)
	require.Len(t, problems, 3, "%v", err)
	// Sorted by key.
	assert.Equal(t, Problem{Key: "fintech-resilience:role", Value: "banker",
		Expected: "is not a known role (expected workload, bunker or restore)"}, problems[0])
	assert.Equal(t, Problem{Key: "fintech-resilience:vpcCidr", Value: "10.0.0.0/33",
		Expected: "is not a valid IPv4 CIDR"}, problems[1])
	assert.Equal(t, Problem{Key: "fintech-resilience:workloadAccountId", Value: "1111111111",
		Expected: "is not a 12-digit AWS account id"}, problems[2])
	assert.Equal(t, "invalid configuration (3 problem(s)):\n"+
		`  fintech-resilience:role: "banker" is not a known role (expected workload, bunker or restore)`+"\n"+
		`  fintech-resilience:vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`+"\n"+
		`  fintech-resilience:workloadAccountId: "1111111111" is not a 12-digit AWS account id`, err.Error())
}

func TestLoadEmptyConfig(t *testing.T) {
	_, err := Load(getter(map[string]string{}), "empty")
	problems := problemsOf(t, err)
	var keys []string
	for _, p := range problems {
		assert.True(t, p.Missing, "%s should be missing", p.Key)
		keys = append(keys, p.Key)
	}
	assert.Equal(t, []string{
		"aws:allowedAccountIds",
		"aws:assumeRole",
		"aws:region",
		"fintech-resilience:bunkerAccountId",
		"fintech-resilience:notificationEmails",
		"fintech-resilience:restoreAccountId",
		"fintech-resilience:role",
		"fintech-resilience:workloadAccountId",
	}, keys)
}

func TestAccountsForRole(t *testing.T) {
	a := Accounts{Workload: "111111111111", Bunker: "222222222222", Restore: "333333333333"}
	assert.Equal(t, "111111111111", a.ForRole(RoleWorkload))
	assert.Equal(t, "222222222222", a.ForRole(RoleBunker))
	assert.Equal(t, "333333333333", a.ForRole(RoleRestore))
	assert.Equal(t, "", a.ForRole(Role("other")))
}

func TestLoadRealStackFiles(t *testing.T) {
	accounts := Accounts{Workload: "111111111111", Bunker: "222222222222", Restore: "333333333333"}
	zones := []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
	cases := []struct {
		stack   string
		role    Role
		account string
		zones   []string
		network *Network
	}{
		{stack: "workload", role: RoleWorkload, account: "111111111111", zones: zones, network: &Network{
			VpcCIDR: "10.10.0.0/16", SubnetPrefixLength: 20, NatGateways: NatPerAZ,
			DatabasePort: 5432, AppPort: 8080, FlowLogRetentionDays: 731,
		}},
		{stack: "bunker", role: RoleBunker, account: "222222222222"},
		{stack: "restore", role: RoleRestore, account: "333333333333", zones: zones, network: &Network{
			VpcCIDR: "10.30.0.0/16", SubnetPrefixLength: 20, NatGateways: NatSingle,
			DatabasePort: 5432, AppPort: 8080, FlowLogRetentionDays: 731,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			sf, err := stackfile.Load("../..", tc.stack, "")
			require.NoError(t, err)
			assert.Equal(t, Namespace, sf.Project)
			assert.Empty(t, sf.SecretKeys)
			c, err := Load(func(k string) (string, bool) { v, ok := sf.Config[k]; return v, ok }, tc.stack)
			require.NoError(t, err)
			assert.Equal(t, tc.role, c.Role)
			assert.Equal(t, tc.account, c.AccountID)
			assert.Equal(t, accounts, c.Accounts)
			assert.Equal(t, "ap-northeast-1", c.Region)
			assert.Equal(t, tc.zones, c.AvailabilityZones)
			assert.Equal(t, tc.network, c.Network)
			assert.Equal(t, 30, c.KMSDeletionWindow)
			assert.Equal(t, "FIFTEEN_MINUTES", c.GuardDutyFrequency)
			assert.Equal(t, []string{"security-oncall@example.com", "platform-team@example.com"}, c.NotificationEmails)
		})
	}
	// The restored cluster keeps its logs as long as the workload's: the
	// same key with the same value in both files.
	load := func(stack string) *Config {
		sf, err := stackfile.Load("../..", stack, "")
		require.NoError(t, err)
		c, err := Load(func(k string) (string, bool) { v, ok := sf.Config[k]; return v, ok }, stack)
		require.NoError(t, err)
		return c
	}
	assert.Equal(t, load("workload").Database.LogRetentionDays, load("restore").Recovery.DatabaseLogRetentionDays)
	assert.Equal(t, 1800, load("restore").Recovery.RPOTargetMinutes)
	assert.Equal(t, 480, load("restore").Recovery.RTOTargetMinutes)
}

// The retention message lists exactly the CloudWatch Logs values an audit
// log may use (those of at least MinAuditLogRetentionDays).
func TestRetentionMessageListsAuditValues(t *testing.T) {
	_, err := Load(getter(with(goodWorkload(), map[string]string{"fintech-resilience:flowLogRetentionDays": "100"})), "test")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a retention CloudWatch Logs accepts (90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)")
}
