package apiservice

// Argument validation of ApiService.

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/fargate"
)

var (
	serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,27}$`)
	prefixListRE  = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	bucketRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ValidFargateSize reports whether cpu units and memory MiB are a Fargate
// task size.
func ValidFargateSize(cpu, memory int) bool { return fargate.ValidSize(cpu, memory) }

func validPort(p int) bool { return p >= 1 && p <= 65535 }

// concreteString returns the value of an input given as a plain
// pulumi.String (known at program time).
func concreteString(in pulumi.StringInput) (string, bool) {
	s, ok := in.(pulumi.String)
	return string(s), ok
}

func (a *Args) validate() error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if !serviceNameRE.MatchString(a.ServiceName) {
		add("ServiceName %q must be 2-28 lower-case letters, digits or '-', starting with a letter", a.ServiceName)
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if p := awsfacts.RegionProblem(a.Region); p != "" {
		add("Region %q %s", a.Region, p)
	}
	if a.VpcID == nil {
		add("VpcID is required")
	}
	if a.PrivateSubnetIDs == nil {
		add("PrivateSubnetIDs is required")
	}
	if a.Image == nil {
		add("Image is required")
	}
	if a.CpuArchitecture != ArchARM64 && a.CpuArchitecture != ArchX8664 {
		add("CpuArchitecture %q must be %s or %s", a.CpuArchitecture, ArchARM64, ArchX8664)
	}
	if !ValidFargateSize(a.Cpu, a.Memory) {
		add("Cpu %d / Memory %d is not a Fargate task size", a.Cpu, a.Memory)
	}
	if !validPort(a.AppPort) {
		add("AppPort %d is not a port", a.AppPort)
	}
	if a.DesiredCount < 0 {
		add("DesiredCount %d is negative", a.DesiredCount)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		if !awsiam.ValidEnvName(k) {
			add("Environment: %q is not a variable name", k)
		}
		v := a.Environment[k]
		if strings.HasPrefix(v, "arn:aws:secretsmanager:") || strings.HasPrefix(v, "arn:aws:ssm:") {
			add("Environment: %s holds a secret reference; put it in Secrets", k)
		}
	}
	secretNames := make([]string, 0, len(a.Secrets))
	for k := range a.Secrets {
		secretNames = append(secretNames, k)
	}
	sort.Strings(secretNames)
	for _, k := range secretNames {
		if !awsiam.ValidEnvName(k) {
			add("Secrets: %q is not a variable name", k)
		}
		if _, dup := a.Environment[k]; dup {
			add("Secrets: %s is also in Environment", k)
		}
		v := a.Secrets[k]
		if v == nil {
			add("Secrets: %s has no valueFrom", k)
			continue
		}
		if s, ok := concreteString(v); ok && !strings.HasPrefix(s, "arn:aws:secretsmanager:") && !strings.HasPrefix(s, "arn:aws:ssm:") {
			add("Secrets: %s valueFrom %q is not a Secrets Manager secret or SSM parameter ARN", k, s)
		}
	}
	if len(a.Secrets) > 0 && len(a.SecretArns) == 0 {
		add("SecretArns must list the secrets named in Secrets")
	}
	for i, s := range a.SecretArns {
		if s == nil {
			add("SecretArns[%d] is nil", i)
			continue
		}
		if v, ok := concreteString(s); ok && !strings.HasPrefix(v, "arn:aws:secretsmanager:") && !strings.HasPrefix(v, "arn:aws:ssm:") {
			add("SecretArns[%d] %q is not a Secrets Manager secret or SSM parameter ARN", i, v)
		}
	}
	if a.TaskPolicyJSON != nil {
		if s, ok := concreteString(a.TaskPolicyJSON); ok && !json.Valid([]byte(s)) {
			add("TaskPolicyJSON is not valid JSON")
		}
	}
	if a.DataKeyArn == nil {
		add("DataKeyArn (a customer-managed key) is required")
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (a customer-managed key) is required")
	}
	if !awsfacts.ValidLogRetention(a.LogRetentionDays) {
		add("LogRetentionDays %d is not a CloudWatch retention value", a.LogRetentionDays)
	}
	switch a.ListenerPort {
	case 443:
		if a.CertificateArn == nil {
			add("ListenerPort 443 requires CertificateArn")
		}
	case 80:
		if a.CertificateArn != nil {
			add("CertificateArn is set but ListenerPort is 80; use 443")
		}
	default:
		add("ListenerPort %d must be 443 (HTTPS) or 80 (HTTP)", a.ListenerPort)
	}
	if !strings.HasPrefix(a.HealthCheckPath, "/") || len(a.HealthCheckPath) > 1024 {
		add("HealthCheckPath %q must start with '/' (at most 1024 characters)", a.HealthCheckPath)
	}
	if !prefixListRE.MatchString(a.CloudFrontPrefixListID) {
		add("CloudFrontPrefixListID %q is not a prefix list id (pl-...)", a.CloudFrontPrefixListID)
	}
	if a.AccessLogsBucket != "" && !bucketRE.MatchString(a.AccessLogsBucket) {
		add("AccessLogsBucket %q is not a bucket name", a.AccessLogsBucket)
	}
	if a.AccessLogsBucket == "" && a.AccessLogsPrefix != "" {
		add("AccessLogsPrefix is set but AccessLogsBucket is not")
	}
	if a.DatabaseSecurityGroupID != nil && !validPort(a.DatabasePort) {
		add("DatabasePort %d is not a port (required with DatabaseSecurityGroupID)", a.DatabasePort)
	}
	if a.DatabaseSecurityGroupID == nil && a.DatabasePort != 0 {
		add("DatabasePort is set but DatabaseSecurityGroupID is not")
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return nil
}
