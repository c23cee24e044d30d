package config

import (
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// Accounts are the three AWS account ids.
type Accounts struct {
	Workload string
	Bunker   string
	Restore  string
}

// ForRole returns the account id of a role.
func (a Accounts) ForRole(role Role) string {
	switch role {
	case RoleWorkload:
		return a.Workload
	case RoleBunker:
		return a.Bunker
	case RoleRestore:
		return a.Restore
	}
	return ""
}

// NAT gateway modes.
const (
	NatNone   = "none"
	NatSingle = "single"
	NatPerAZ  = "perAz"
)

// Network is the VPC layout of workload and restore stacks.
type Network struct {
	// VpcCIDR is the IPv4 block of the VPC (/16 to /24).
	VpcCIDR string
	// SubnetPrefixLength is the size of every subnet; each tier reserves
	// three slots (one per possible AZ) so adding an AZ renumbers nothing.
	SubnetPrefixLength int
	// NatGateways is none, single or perAz.
	NatGateways string
	// PublicIngress creates an internet gateway and public subnets for
	// ingress even without NAT.
	PublicIngress bool
	// DatabasePort is the only port the isolated tier accepts from the
	// private tier.
	DatabasePort int
	// AppPort is the port the private tier accepts from the public tier.
	AppPort int
	// FlowLogRetentionDays is the retention of the VPC flow log group.
	FlowLogRetentionDays int
	// ReconcileNaclAssociations lets one deliberate update change subnet
	// NACL associations (after a topology change, never during an incident).
	ReconcileNaclAssociations bool
}

// Bunker is the data bunker's vault configuration.
type Bunker struct {
	// VaultName names the logically air-gapped vault.
	VaultName string
	// MinRetentionDays (at least 7) and MaxRetentionDays (not below the
	// minimum) bound every recovery point in the vault.
	MinRetentionDays int
	MaxRetentionDays int
	// CopyAlarmHours: the missing-copy alarm fires when no copy has
	// completed into the vault for this many hours.
	CopyAlarmHours int
}

// Config is the validated configuration of one stack.
type Config struct {
	Project            string
	Stack              string
	Role               Role
	Region             string
	AccountID          string
	Accounts           Accounts
	AvailabilityZones  []string
	Network            *Network
	KMSDeletionWindow  int
	NotificationEmails []string
	GuardDutyFrequency string
	// Provider pinning, reused for explicit providers (e.g. us-east-1).
	AssumeRoleArn     string
	AssumeRoleSession string
	Profile           string
	// DefaultTags are aws:defaultTags, which the default aws provider
	// applies to every resource that supports tags; explicit providers
	// (us-east-1) are given the same.
	DefaultTags map[string]string
	Bunker      *Bunker
	Backup      *Backup
	Recovery    *Recovery
	App         *App
	Database    *Database
	Isolation   *Isolation
	// Prerequisites are account facts checked by fincheck preflight.
	Prerequisites Prerequisites
}

var (
	roleArnRE   = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/[A-Za-z0-9+=,.@_/-]+$`)
	vaultNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{2,50}$`)
	tagKeyRE    = newBoundedRE(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`, 1, 128)
)

// MinAuditLogRetentionDays is the shortest retention accepted for audit
// logs (flow logs, incident timelines): FISC asks that access records are
// kept long enough to investigate an incident.
const MinAuditLogRetentionDays = 90

// Load reads and validates the configuration. stack is the Pulumi stack
// name, used only in messages and names.
func Load(get Getter, stack string) (*Config, error) {
	r := newReader(get)
	c := &Config{Project: Namespace, Stack: stack}

	roleRaw := r.str("role", "one of workload, bunker, restore")
	switch Role(roleRaw) {
	case RoleWorkload, RoleBunker, RoleRestore:
		c.Role = Role(roleRaw)
	default:
		if roleRaw != "" {
			r.fail("role", roleRaw, "is not a known role (expected workload, bunker or restore)")
		}
	}

	c.Accounts = Accounts{
		Workload: r.account("workloadAccountId"),
		Bunker:   r.account("bunkerAccountId"),
		Restore:  r.account("restoreAccountId"),
	}
	checkDistinctAccounts(r, c.Accounts)
	c.AccountID = c.Accounts.ForRole(c.Role)

	c.Region = r.str("aws:region", "an AWS region such as ap-northeast-1")
	if p := awsfacts.RegionProblem(c.Region); c.Region != "" && p != "" {
		r.fail("aws:region", c.Region, p)
	}
	r.checkProviderPinning(c)

	c.KMSDeletionWindow = r.intIn("kmsDeletionWindowDays", 30, 7, 30)
	c.GuardDutyFrequency = r.oneOf("guardDutyFindingFrequency", "FIFTEEN_MINUTES", "FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
	c.NotificationEmails = r.emails("notificationEmails")
	if raw, ok := r.raw("tags"); ok {
		r.fail("tags", raw, "is not read: put the tags under aws:defaultTags (tags: {name: value}), which the aws providers apply to every resource that supports tags")
	}
	c.Prerequisites = r.prerequisites()

	// With an unknown role, still check the network keys that are given so
	// that every problem is reported in one run.
	_, hasVpc := r.raw("vpcCidr")
	if c.Role == RoleWorkload || c.Role == RoleRestore || (c.Role == "" && hasVpc) {
		c.AvailabilityZones = r.zones(c.Region)
		c.Network = r.network()
	}

	if c.Role == RoleWorkload || c.Role == RoleRestore {
		c.App = r.app()
		if c.Role == RoleRestore && c.App.APIMode == APIModeAppRunner {
			r.fail("apiMode", APIModeAppRunner, "is not supported in the restore account: the cut-over redeploys the ECS service (use ecs)")
		}
		r.checkEdgeNeedsInternetGateway(c.App, c.Network)
		c.Isolation = r.isolation(c.Network)
	}
	if c.Role == RoleWorkload {
		c.Backup = r.backup(c)
		port := 0
		if c.Network != nil {
			port = c.Network.DatabasePort
		}
		c.Database = r.database(port)
	}
	if c.Role == RoleRestore {
		c.Recovery = r.recovery(c)
	}

	_, hasVault := r.raw("airGappedMinRetentionDays")
	if c.Role == RoleBunker || (c.Role == "" && hasVault) {
		c.Bunker = r.bunker()
	}

	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// maxRetentionDays is AWS Backup's longest retention (100 years).
const maxRetentionDays = 36500

func (r *reader) bunker() *Bunker {
	b := &Bunker{VaultName: r.optStr("airGappedVaultName", "fintech-bunker")}
	if !vaultNameRE.MatchString(b.VaultName) {
		r.fail("airGappedVaultName", b.VaultName, "is not a vault name (2-50 letters, digits, '-' or '_')")
	}
	b.MinRetentionDays = r.intIn("airGappedMinRetentionDays", 35, 7, maxRetentionDays)
	b.MaxRetentionDays = r.intIn("airGappedMaxRetentionDays", 400, 7, maxRetentionDays)
	b.CopyAlarmHours = r.intIn("copyAlarmHours", 36, 2, 168)
	if b.MaxRetentionDays < b.MinRetentionDays {
		r.fail("airGappedMaxRetentionDays", fmt.Sprint(b.MaxRetentionDays),
			fmt.Sprintf("is below fintech-resilience:airGappedMinRetentionDays (%d)", b.MinRetentionDays))
	}
	return b
}

func (r *reader) account(key string) string {
	v := r.str(key, "a 12-digit AWS account id")
	if v != "" && !awsfacts.ValidAccountID(v) {
		r.fail(key, v, "is not a 12-digit AWS account id")
		return ""
	}
	return v
}

func checkDistinctAccounts(r *reader, a Accounts) {
	if a.Workload != "" && a.Workload == a.Bunker {
		r.fail("bunkerAccountId", a.Bunker, "must differ from workloadAccountId: the bunker is a separate account")
	}
	if a.Restore != "" && a.Restore == a.Workload {
		r.fail("restoreAccountId", a.Restore, "must differ from workloadAccountId: the restore account must be clean")
	}
	if a.Restore != "" && a.Restore == a.Bunker {
		r.fail("restoreAccountId", a.Restore, "must differ from bunkerAccountId")
	}
}

// checkProviderPinning requires the aws provider of the stack to be pinned
// to the role's account: aws:allowedAccountIds naming exactly that account,
// and either aws:assumeRole with a role in that account or aws:profile.
func (r *reader) checkProviderPinning(c *Config) {
	raw, ok := r.raw("aws:allowedAccountIds")
	if !ok {
		r.missing("aws:allowedAccountIds", "a list with this stack's account id, so the stack can never be applied to another account")
	} else {
		var ids []string
		if err := json.Unmarshal([]byte(raw), &ids); err != nil {
			r.fail("aws:allowedAccountIds", raw, "is not a list of account ids")
		} else if c.AccountID != "" && (len(ids) != 1 || ids[0] != c.AccountID) {
			r.fail("aws:allowedAccountIds", raw, fmt.Sprintf("must be exactly [%q], the %s account", c.AccountID, c.Role))
		}
	}
	assume, hasAssume := r.raw("aws:assumeRole")
	profile, hasProfile := r.raw("aws:profile")
	c.Profile = profile
	if raw, ok := r.raw("aws:defaultTags"); ok {
		var dt struct {
			Tags map[string]string `json:"tags"`
		}
		if err := json.Unmarshal([]byte(raw), &dt); err != nil {
			r.fail("aws:defaultTags", raw, "is not {tags: {name: value}}")
		}
		c.DefaultTags = r.validTags("aws:defaultTags", dt.Tags)
	}
	if !hasAssume && !hasProfile {
		r.missing("aws:assumeRole", "a role to assume in this stack's account ({roleArn: ...}), or aws:profile")
	}
	if hasAssume {
		var ar struct {
			RoleArn     string `json:"roleArn"`
			SessionName string `json:"sessionName"`
			ExternalID  string `json:"externalId"`
		}
		if err := json.Unmarshal([]byte(assume), &ar); err != nil {
			r.fail("aws:assumeRole", assume, "is not an object with roleArn")
			return
		}
		c.AssumeRoleArn, c.AssumeRoleSession = ar.RoleArn, ar.SessionName
		m := roleArnRE.FindStringSubmatch(ar.RoleArn)
		switch {
		case m == nil:
			r.fail("aws:assumeRole", ar.RoleArn, "roleArn is not an IAM role ARN")
		case c.AccountID != "" && m[1] != c.AccountID:
			r.fail("aws:assumeRole", ar.RoleArn, fmt.Sprintf("roleArn is in account %s, not the %s account %s", m[1], c.Role, c.AccountID))
		}
	}
}

func (r *reader) zones(region string) []string {
	const key = "availabilityZones"
	zones := r.strList(key, true, "2 or 3 availability zones of the region, e.g. [ap-northeast-1a, ap-northeast-1c]")
	if zones == nil {
		return nil
	}
	raw, _ := json.Marshal(zones)
	if len(zones) < 2 || len(zones) > 3 {
		r.fail(key, string(raw), "must list 2 or 3 availability zones")
		return nil
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if seen[z] {
			r.fail(key, z, "is listed twice")
			return nil
		}
		seen[z] = true
		if region != "" && !(strings.HasPrefix(z, region) && len(z) == len(region)+1 && z[len(z)-1] >= 'a' && z[len(z)-1] <= 'z') {
			r.fail(key, z, fmt.Sprintf("is not an availability zone of %s (expected %sa, %sb, ...)", region, region, region))
			return nil
		}
	}
	return zones
}

func (r *reader) network() *Network {
	n := &Network{}
	n.VpcCIDR = r.str("vpcCidr", "the VPC's IPv4 CIDR, /16 to /24, e.g. 10.20.0.0/16")
	vpcPrefix := 0
	if n.VpcCIDR != "" {
		ip, ipnet, err := net.ParseCIDR(n.VpcCIDR)
		switch {
		case err != nil || ip.To4() == nil:
			r.fail("vpcCidr", n.VpcCIDR, "is not a valid IPv4 CIDR")
			n.VpcCIDR = ""
		case !ip.Equal(ipnet.IP):
			r.fail("vpcCidr", n.VpcCIDR, fmt.Sprintf("has host bits set (expected %s)", ipnet.String()))
			n.VpcCIDR = ""
		default:
			vpcPrefix, _ = ipnet.Mask.Size()
			if vpcPrefix < 16 || vpcPrefix > 24 {
				r.fail("vpcCidr", n.VpcCIDR, "must be between /16 and /24")
				n.VpcCIDR = ""
			} else if !isPrivate(ipnet) {
				r.fail("vpcCidr", n.VpcCIDR, "must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
				n.VpcCIDR = ""
			}
		}
	}
	// Three tiers × three AZ slots = 9 subnets must fit: at least 4 more bits.
	def := 0
	if vpcPrefix != 0 {
		def = vpcPrefix + 4
	}
	if n.VpcCIDR != "" {
		n.SubnetPrefixLength = r.intIn("subnetPrefixLength", def, vpcPrefix+4, 28)
	} else {
		n.SubnetPrefixLength = def
	}
	n.NatGateways = r.oneOf("natGateways", NatPerAZ, NatNone, NatSingle, NatPerAZ)
	n.PublicIngress = r.optBool("publicIngress", false)
	n.DatabasePort = r.intIn("databasePort", 5432, 1024, 65535)
	n.AppPort = r.intIn("appPort", 8080, 1024, 65535)
	if n.AppPort == n.DatabasePort {
		r.fail("appPort", fmt.Sprint(n.AppPort), "must differ from databasePort")
	}
	n.FlowLogRetentionDays = r.retention("flowLogRetentionDays", 365)
	n.ReconcileNaclAssociations = r.optBool("reconcileNaclAssociations", false)
	return n
}

// retention reads a CloudWatch Logs retention for audit logs.
func (r *reader) retention(key string, def int) int {
	n := r.intIn(key, def, MinAuditLogRetentionDays, 3653)
	if awsfacts.ValidLogRetention(n) {
		return n
	}
	var accepted []string
	for _, v := range awsfacts.LogRetentionDays() {
		if v >= MinAuditLogRetentionDays {
			accepted = append(accepted, fmt.Sprint(v))
		}
	}
	last := len(accepted) - 1
	r.fail(key, fmt.Sprint(n), fmt.Sprintf("is not a retention CloudWatch Logs accepts (%s or %s)", strings.Join(accepted[:last], ", "), accepted[last]))
	return def
}

func (r *reader) emails(key string) []string {
	list := r.strList(key, true, "at least one e-mail address for security notifications")
	if list == nil {
		return nil
	}
	if len(list) == 0 {
		r.fail(key, "[]", "must name at least one e-mail address")
	}
	for _, e := range list {
		addr, err := mail.ParseAddress(e)
		if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			r.fail(key, e, "is not a plain e-mail address (expected name@example.com)")
		}
	}
	return list
}

// validTags checks tag names and values as AWS does, and that no name uses
// the reserved aws: prefix.
func (r *reader) validTags(key string, tags map[string]string) map[string]string {
	for k, v := range tags {
		if !tagKeyRE.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			r.fail(key, k, "is not a valid tag key")
		}
		if len(v) > 256 {
			r.fail(key, v, "is longer than 256 characters")
		}
	}
	return tags
}

func isPrivate(n *net.IPNet) bool {
	for _, block := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} {
		_, p, _ := net.ParseCIDR(block)
		size, _ := n.Mask.Size()
		psize, _ := p.Mask.Size()
		if p.Contains(n.IP) && size >= psize {
			return true
		}
	}
	return false
}

// Public reports whether the VPC has a public tier.
func (n *Network) Public() bool {
	return n.PublicIngress || n.NatGateways != NatNone
}
