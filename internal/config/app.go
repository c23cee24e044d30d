package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// API modes: ECS Fargate behind an internal ALB and CloudFront (default),
// or App Runner (seed practice 4; docs/decisions).
const (
	APIModeECS       = "ecs"
	APIModeAppRunner = "apprunner"
)

// App is the banking application, the same shape in workload and restore.
type App struct {
	APIMode            string
	Image              string
	Cpu                int
	Memory             int
	DesiredCount       int
	CpuArchitecture    string
	HealthCheckPath    string
	Environment        map[string]string
	LogRetentionDays   int
	OriginPrefixListID string
	EdgeCertificateArn string
	EdgeAliases        []string
	AlbCertificateArn  string
	WafManagedGroups   []string
	WafRateLimit       int
	AppRunnerMinSize   int
	AppRunnerMaxSize   int
	FrontendRepository string
	FrontendBranch     string
	// FrontendAccessToken is the secret frontendAccessToken, read only
	// when frontendRepository is set.
	FrontendAccessToken Secret
	BatchJobs           []BatchJob
	BatchCpu, BatchMem  int
}

// BatchJob is one scheduled task.
type BatchJob struct {
	Name     string   `json:"name"`
	Schedule string   `json:"schedule"`
	Command  []string `json:"command"`
}

// Database is the workload's Aurora cluster.
type Database struct {
	Engine              string
	EngineVersion       string
	MinCapacity         float64
	MaxCapacity         float64
	InstanceCount       int
	BackupRetentionDays int
	Name                string
	LogRetentionDays    int
}

// DefaultWafGroups are the AWS managed rule groups in block mode.
var DefaultWafGroups = []string{
	"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet",
}

var (
	imageRE      = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$`)
	prefixListRE = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	acmUSEast1RE = regexp.MustCompile(`^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	acmRE        = regexp.MustCompile(`^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	envKeyRE     = newBoundedRE(`^[A-Z_][A-Z0-9_]*$`, 1, 128)
	secretishRE  = regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|CREDENTIAL)`)
	jobNameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	scheduleRE   = regexp.MustCompile(`^(cron\(\S+ \S+ \S+ \S+ \S+ \S+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\))$`)
	httpsRepoRE  = regexp.MustCompile(`^https://[A-Za-z0-9.-]+/[A-Za-z0-9._/-]+$`)
	hostnameRE   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$`)
	dbNameRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	pgVersionRE  = regexp.MustCompile(`^1[3-9]\.[0-9]+$`)
	myVersionRE  = regexp.MustCompile(`^8\.0\.mysql_aurora\.3\.[0-9]{2}\.[0-9]+$`)
)

// fargateMemory lists the valid memory (MiB) per CPU unit count.
func fargateOK(cpu, mem int) bool {
	switch cpu {
	case 256:
		return mem == 512 || mem == 1024 || mem == 2048
	case 512:
		return mem >= 1024 && mem <= 4096 && mem%1024 == 0
	case 1024:
		return mem >= 2048 && mem <= 8192 && mem%1024 == 0
	case 2048:
		return mem >= 4096 && mem <= 16384 && mem%1024 == 0
	case 4096:
		return mem >= 8192 && mem <= 30720 && mem%1024 == 0
	}
	return false
}

func (r *reader) app() *App {
	a := &App{}
	a.APIMode = r.oneOf("apiMode", APIModeECS, APIModeECS, APIModeAppRunner)
	a.Image = r.str("apiImage", "the API container image, e.g. 111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/bank-api:1.4.2")
	if a.Image != "" && !imageRE.MatchString(a.Image) {
		r.fail("apiImage", a.Image, "is not a pinned container image (registry/repository:tag or @sha256:digest; never :latest)")
	}
	if strings.HasSuffix(a.Image, ":latest") {
		r.fail("apiImage", a.Image, "uses the mutable tag latest; pin a version or digest")
	}
	a.Cpu = r.intIn("apiCpu", 512, 256, 4096)
	a.Memory = r.intIn("apiMemory", 1024, 512, 30720)
	if !fargateOK(a.Cpu, a.Memory) {
		r.fail("apiMemory", fmt.Sprint(a.Memory), fmt.Sprintf("is not a Fargate memory size for %d CPU units", a.Cpu))
	}
	a.DesiredCount = r.intIn("apiDesiredCount", 2, 1, 50)
	a.CpuArchitecture = r.oneOf("apiCpuArchitecture", "ARM64", "ARM64", "X86_64")
	a.HealthCheckPath = r.optStr("apiHealthCheckPath", "/healthz")
	if !strings.HasPrefix(a.HealthCheckPath, "/") {
		r.fail("apiHealthCheckPath", a.HealthCheckPath, "must start with /")
	}
	a.Environment = map[string]string{}
	r.object("apiEnvironment", &a.Environment, "a map of environment variable names to plain, non-secret values")
	for k := range a.Environment {
		if !envKeyRE.MatchString(k) {
			r.fail("apiEnvironment", k, "is not an environment variable name (A-Z, 0-9, _)")
		}
		if secretishRE.MatchString(k) {
			r.fail("apiEnvironment", k, "looks like a secret; secrets come from Secrets Manager as ECS secrets, never plain environment values")
		}
	}
	a.LogRetentionDays = r.retention("appLogRetentionDays", 365)
	a.WafManagedGroups = DefaultWafGroups
	if l := r.strList("wafManagedRuleGroups", false, "AWS managed rule group names"); l != nil {
		a.WafManagedGroups = l
		for _, g := range l {
			if !strings.HasPrefix(g, "AWSManagedRules") {
				r.fail("wafManagedRuleGroups", g, "is not an AWS managed rule group name (AWSManagedRules...)")
			}
		}
	}
	a.WafRateLimit = r.intIn("wafRateLimit", 2000, 0, 2000000000)
	if a.WafRateLimit > 0 && a.WafRateLimit < 10 {
		r.fail("wafRateLimit", fmt.Sprint(a.WafRateLimit), "must be 0 (off) or at least 10 requests per 5 minutes")
	}
	switch a.APIMode {
	case APIModeECS:
		a.OriginPrefixListID = r.str("cloudFrontOriginPrefixListId", "the region's com.amazonaws.global.cloudfront.origin-facing prefix list id (pl-...): the only source the ALB admits")
		if a.OriginPrefixListID != "" && !prefixListRE.MatchString(a.OriginPrefixListID) {
			r.fail("cloudFrontOriginPrefixListId", a.OriginPrefixListID, "is not a prefix list id (pl-...)")
		}
		a.EdgeCertificateArn = r.optStr("edgeCertificateArn", "")
		if a.EdgeCertificateArn != "" && !acmUSEast1RE.MatchString(a.EdgeCertificateArn) {
			r.fail("edgeCertificateArn", a.EdgeCertificateArn, "is not an ACM certificate ARN in us-east-1 (CloudFront only uses us-east-1 certificates)")
		}
		a.EdgeAliases = r.strList("edgeAliases", false, "host names served by CloudFront")
		for _, h := range a.EdgeAliases {
			if !hostnameRE.MatchString(h) {
				r.fail("edgeAliases", h, "is not a host name")
			}
		}
		if len(a.EdgeAliases) > 0 && a.EdgeCertificateArn == "" {
			r.missing("edgeCertificateArn", "a us-east-1 ACM certificate for edgeAliases")
		}
		a.AlbCertificateArn = r.optStr("albCertificateArn", "")
		if a.AlbCertificateArn != "" && !acmRE.MatchString(a.AlbCertificateArn) {
			r.fail("albCertificateArn", a.AlbCertificateArn, "is not an ACM certificate ARN")
		}
	case APIModeAppRunner:
		if a.WafRateLimit < 100 {
			r.fail("wafRateLimit", fmt.Sprint(a.WafRateLimit), "must be at least 100 with apiMode apprunner (the App Runner web ACL always has a rate rule)")
		}
		a.AppRunnerMinSize = r.intIn("appRunnerMinSize", 1, 1, 25)
		a.AppRunnerMaxSize = r.intIn("appRunnerMaxSize", 4, 1, 25)
		if a.AppRunnerMaxSize < a.AppRunnerMinSize {
			r.fail("appRunnerMaxSize", fmt.Sprint(a.AppRunnerMaxSize), "is below appRunnerMinSize")
		}
	}
	a.FrontendRepository = r.optStr("frontendRepository", "")
	if a.FrontendRepository != "" {
		if !httpsRepoRE.MatchString(a.FrontendRepository) {
			r.fail("frontendRepository", a.FrontendRepository, "is not an https repository URL")
		}
		a.FrontendBranch = r.optStr("frontendBranch", "main")
		token, ok := r.raw("frontendAccessToken")
		a.FrontendAccessToken = newSecret(token)
		if !ok {
			r.missing("frontendAccessToken", "a secret (pulumi config set --secret fintech-resilience:frontendAccessToken ...) giving Amplify read access to frontendRepository")
		}
	}
	if raw, ok := r.raw("batchJobs"); ok {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a.BatchJobs); err != nil {
			r.fail("batchJobs", raw, "is not a list of {name, schedule, command}: "+err.Error())
			a.BatchJobs = nil
		}
		seen := map[string]bool{}
		for _, j := range a.BatchJobs {
			if !jobNameRE.MatchString(j.Name) || seen[j.Name] {
				r.fail("batchJobs", j.Name, "job name must be unique, lower-case letters, digits and '-'")
			}
			seen[j.Name] = true
			if !scheduleRE.MatchString(j.Schedule) {
				r.fail("batchJobs", j.Schedule, "is not a schedule (cron(6 fields) or rate(n minutes|hours|days))")
			}
			if len(j.Command) == 0 {
				r.fail("batchJobs", j.Name, "has no command")
			}
		}
	}
	a.BatchCpu = r.intIn("batchCpu", 256, 256, 4096)
	a.BatchMem = r.intIn("batchMemory", 512, 512, 30720)
	if len(a.BatchJobs) > 0 && !fargateOK(a.BatchCpu, a.BatchMem) {
		r.fail("batchMemory", fmt.Sprint(a.BatchMem), fmt.Sprintf("is not a Fargate memory size for %d CPU units", a.BatchCpu))
	}
	return a
}

func (r *reader) database(port int) *Database {
	d := &Database{}
	d.Engine = r.oneOf("databaseEngine", "aurora-postgresql", "aurora-postgresql", "aurora-mysql")
	d.EngineVersion = r.str("databaseEngineVersion", "an Aurora engine version, e.g. 16.6 or 8.0.mysql_aurora.3.08.0")
	switch {
	case d.EngineVersion == "":
	case d.Engine == "aurora-postgresql" && !pgVersionRE.MatchString(d.EngineVersion):
		r.fail("databaseEngineVersion", d.EngineVersion, "is not an aurora-postgresql version 13 or later (e.g. 16.6)")
	case d.Engine == "aurora-mysql" && !myVersionRE.MatchString(d.EngineVersion):
		r.fail("databaseEngineVersion", d.EngineVersion, "is not a MySQL 8.0-compatible Aurora MySQL 3 version (e.g. 8.0.mysql_aurora.3.08.0)")
	}
	want := map[string]int{"aurora-postgresql": 5432, "aurora-mysql": 3306}[d.Engine]
	if port != 0 && want != 0 && port != want {
		r.fail("databasePort", fmt.Sprint(port), fmt.Sprintf("must be %d for %s (the isolated tier admits only this port)", want, d.Engine))
	}
	d.MinCapacity = r.floatIn("databaseMinCapacity", 0.5, 0.5, 256)
	d.MaxCapacity = r.floatIn("databaseMaxCapacity", 16, 1, 256)
	if d.MaxCapacity < d.MinCapacity {
		r.fail("databaseMaxCapacity", fmt.Sprint(d.MaxCapacity), "is below databaseMinCapacity")
	}
	d.InstanceCount = r.intIn("databaseInstanceCount", 2, 1, 15)
	d.BackupRetentionDays = r.intIn("databaseBackupRetentionDays", 14, 7, 35)
	d.Name = r.optStr("databaseName", "bank")
	if !dbNameRE.MatchString(d.Name) {
		r.fail("databaseName", d.Name, "is not a database name (lower-case letter, then letters, digits, _)")
	}
	d.LogRetentionDays = r.retention("databaseLogRetentionDays", DefaultDatabaseLogRetentionDays)
	return d
}
