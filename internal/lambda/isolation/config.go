package isolation

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// Environment variable names (functions/contract, shared with
// components/isolationresponder, which sets them).
const (
	EnvStateTable          = contract.IsolationEnvStateTable
	EnvQuarantineNACLs     = contract.IsolationEnvQuarantineNACLs
	EnvBlastRadiusSubnets  = contract.IsolationEnvBlastRadiusSubnets
	EnvAccountID           = contract.IsolationEnvAccountID
	EnvRegion              = contract.RuntimeEnvRegion
	EnvSeverityThreshold   = contract.IsolationEnvSeverityThreshold
	EnvFindingTypePrefixes = contract.IsolationEnvFindingTypePrefixes
	EnvImmediateSeverity   = contract.IsolationEnvImmediateSeverity
	EnvApprovalSMArn       = contract.IsolationEnvApprovalStateMachineArn
	EnvTopicArn            = contract.IsolationEnvTopicArn
	EnvEvidenceLogGroup    = contract.IsolationEnvEvidenceLogGroup
	EnvAuroraClusterIDs    = contract.IsolationEnvAuroraClusterIDs
	EnvActOnSamples        = contract.IsolationEnvActOnSampleFindings
	EnvReleaseFunction     = contract.IsolationEnvReleaseFunctionName
)

// Defaults of an empty variable (functions/contract).
const (
	DefaultSeverityThreshold = contract.IsolationDefaultSeverityThreshold
	DefaultImmediateSeverity = contract.IsolationDefaultImmediateSeverity
)

var (
	vpcRe     = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	naclRe    = regexp.MustCompile(`^acl-[0-9a-f]{8,17}$`)
	subnetRe  = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	clusterRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,62}$`)
)

// Config is the configuration of functions/isolate (see the package doc for the variables).
type Config struct {
	StateTable              string
	QuarantineNACLs         map[string]string   // vpc id -> quarantine NACL id
	BlastRadiusSubnets      map[string][]string // vpc id -> subnet ids
	AccountID               string
	Region                  string
	SeverityThreshold       float64
	FindingTypePrefixes     []string
	ImmediateSeverity       float64
	ApprovalStateMachineARN string
	TopicARN                string
	EvidenceLogGroup        string
	AuroraClusterIDs        []string
	ActOnSampleFindings     bool
	ReleaseFunctionName     string
}

// ReleaseConfig is the configuration of functions/release.
type ReleaseConfig struct {
	StateTable       string
	TopicARN         string
	EvidenceLogGroup string
	AccountID        string
	Region           string
}

// LoadConfig reads the isolate configuration through getenv (os.Getenv in production). All problems
// are reported at once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	required := func(k string) string {
		v := get(k)
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", k))
		}
		return v
	}
	c := Config{
		StateTable:              required(EnvStateTable),
		AccountID:               required(EnvAccountID),
		Region:                  required(EnvRegion),
		TopicARN:                required(EnvTopicArn),
		EvidenceLogGroup:        required(EnvEvidenceLogGroup),
		ApprovalStateMachineARN: get(EnvApprovalSMArn),
		ReleaseFunctionName:     get(EnvReleaseFunction),
	}
	if c.AccountID != "" && !awsfacts.ValidAccountID(c.AccountID) {
		errs = append(errs, fmt.Errorf("%s %q is not a 12-digit account id", EnvAccountID, c.AccountID))
	}

	if raw := required(EnvQuarantineNACLs); raw != "" {
		if err := json.Unmarshal([]byte(raw), &c.QuarantineNACLs); err != nil {
			errs = append(errs, fmt.Errorf("%s is not a JSON object of vpc id to network ACL id: %w", EnvQuarantineNACLs, err))
		} else if len(c.QuarantineNACLs) == 0 {
			errs = append(errs, fmt.Errorf("%s is empty: at least one VPC needs a quarantine network ACL", EnvQuarantineNACLs))
		}
		for _, vpc := range slices.Sorted(maps.Keys(c.QuarantineNACLs)) {
			if !vpcRe.MatchString(vpc) {
				errs = append(errs, fmt.Errorf("%s: key %q is not a VPC id", EnvQuarantineNACLs, vpc))
			}
			if acl := c.QuarantineNACLs[vpc]; !naclRe.MatchString(acl) {
				errs = append(errs, fmt.Errorf("%s: value %q for %s is not a network ACL id", EnvQuarantineNACLs, acl, vpc))
			}
		}
	}

	c.BlastRadiusSubnets = map[string][]string{}
	if raw := get(EnvBlastRadiusSubnets); raw != "" {
		if err := json.Unmarshal([]byte(raw), &c.BlastRadiusSubnets); err != nil {
			errs = append(errs, fmt.Errorf("%s is not a JSON object of vpc id to a list of subnet ids: %w", EnvBlastRadiusSubnets, err))
		}
		for _, vpc := range slices.Sorted(maps.Keys(c.BlastRadiusSubnets)) {
			if _, ok := c.QuarantineNACLs[vpc]; !ok {
				errs = append(errs, fmt.Errorf("%s: VPC %q has no quarantine network ACL in %s", EnvBlastRadiusSubnets, vpc, EnvQuarantineNACLs))
			}
			for _, s := range c.BlastRadiusSubnets[vpc] {
				if !subnetRe.MatchString(s) {
					errs = append(errs, fmt.Errorf("%s: %q in %s is not a subnet id", EnvBlastRadiusSubnets, s, vpc))
				}
			}
		}
	}

	c.SeverityThreshold = parseSeverity(get(EnvSeverityThreshold), EnvSeverityThreshold, DefaultSeverityThreshold, &errs)
	c.ImmediateSeverity = parseSeverity(get(EnvImmediateSeverity), EnvImmediateSeverity, DefaultImmediateSeverity, &errs)
	c.FindingTypePrefixes = splitList(get(EnvFindingTypePrefixes))
	c.AuroraClusterIDs = splitList(get(EnvAuroraClusterIDs))
	for _, id := range c.AuroraClusterIDs {
		if !clusterRe.MatchString(id) {
			errs = append(errs, fmt.Errorf("%s: %q is not a DB cluster identifier", EnvAuroraClusterIDs, id))
		}
	}
	if c.ImmediateSeverity > c.SeverityThreshold && c.ApprovalStateMachineARN == "" {
		errs = append(errs, fmt.Errorf("%s is required when %s (%g) is above %s (%g)",
			EnvApprovalSMArn, EnvImmediateSeverity, c.ImmediateSeverity, EnvSeverityThreshold, c.SeverityThreshold))
	}
	c.ActOnSampleFindings = contract.IsolationDefaultActOnSampleFindings
	if v := get(EnvActOnSamples); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a boolean (true/false)", EnvActOnSamples, v))
		}
		c.ActOnSampleFindings = b
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid isolate configuration: %w", err)
	}
	return c, nil
}

// LoadReleaseConfig reads the release configuration through getenv.
func LoadReleaseConfig(getenv func(string) string) (ReleaseConfig, error) {
	var errs []error
	required := func(k string) string {
		v := strings.TrimSpace(getenv(k))
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", k))
		}
		return v
	}
	c := ReleaseConfig{
		StateTable:       required(EnvStateTable),
		TopicARN:         required(EnvTopicArn),
		EvidenceLogGroup: required(EnvEvidenceLogGroup),
		AccountID:        required(EnvAccountID),
		Region:           strings.TrimSpace(getenv(EnvRegion)),
	}
	if c.AccountID != "" && !awsfacts.ValidAccountID(c.AccountID) {
		errs = append(errs, fmt.Errorf("%s %q is not a 12-digit account id", EnvAccountID, c.AccountID))
	}
	if err := errors.Join(errs...); err != nil {
		return ReleaseConfig{}, fmt.Errorf("invalid release configuration: %w", err)
	}
	return c, nil
}

func parseSeverity(v, name string, def float64, errs *[]error) float64 {
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 10 {
		*errs = append(*errs, fmt.Errorf("%s %q is not a severity between 0 and 10", name, v))
		return def
	}
	return f
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
