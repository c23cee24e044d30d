package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// MinBackupRetentionDays is the shortest automated backup retention.
const MinBackupRetentionDays = 7

func databaseRules() []Rule {
	aurora := []string{typeRDSCluster}
	return []Rule{
		{
			Name:        "aurora-deletion-protection",
			Description: "Aurora clusters have deletion protection on.",
			Enforcement: Mandatory, Family: "database", Scope: ResourceScope,
			Practice: "seed 000 #7", Controls: ctlBackup,
			Types: aurora,
			Check: perResource(aurora, func(_ *graph.Graph, r *graph.Resource) []string {
				if v, known := isTrue(r, "deletionProtection"); known && !v {
					return []string{"deletion protection is off"}
				}
				return nil
			}),
		},
		{
			Name:        "aurora-backup-retention",
			Description: fmt.Sprintf("Aurora clusters keep automated backups for at least %d days.", MinBackupRetentionDays),
			Enforcement: Mandatory, Family: "database", Scope: ResourceScope,
			Practice: "seed 004 (recover)", Controls: ctlBackup,
			Types: aurora,
			Check: perResource(aurora, func(_ *graph.Graph, r *graph.Resource) []string {
				v, known := r.Input("backupRetentionPeriod")
				if !known {
					return nil
				}
				n, ok := graph.Num(v)
				if !ok {
					n = 1 // the AWS default
				}
				if n < MinBackupRetentionDays {
					return []string{fmt.Sprintf("backup retention is %d day(s); at least %d required", int(n), MinBackupRetentionDays)}
				}
				return nil
			}),
		},
		{
			Name:        "aurora-mysql-8",
			Description: "aurora-mysql clusters run a MySQL 8.0-compatible engine (Aurora MySQL 3.x) or later.",
			Enforcement: Mandatory, Family: "database", Scope: ResourceScope,
			Practice: "seed 000 #7", Controls: ctlSoftware,
			Types: aurora,
			Check: perResource(aurora, mysqlVersionCheck),
		},
		{
			Name:        "aurora-serverless-v2",
			Description: "Aurora clusters use Serverless v2 scaling.",
			Enforcement: Advisory, Family: "database", Scope: ResourceScope,
			Practice: "seed 000 #7", Controls: ctlCapacity,
			Types: aurora,
			Check: perResource(aurora, func(_ *graph.Graph, r *graph.Resource) []string {
				mode, known := r.Input("engineMode")
				if known && graph.Str(mode) == "serverless" {
					return []string{"cluster uses Serverless v1 (engineMode serverless); use Serverless v2"}
				}
				v, known := r.Input("serverlessv2ScalingConfiguration")
				if known && v == nil {
					return []string{"cluster has no Serverless v2 scaling configuration"}
				}
				return nil
			}),
		},
		{
			Name:        "aurora-iam-auth",
			Description: "Aurora clusters enable IAM database authentication.",
			Enforcement: Advisory, Family: "database", Scope: ResourceScope,
			Practice: "seed 000 #7", Controls: ctlAccessControl,
			Types: aurora,
			Check: perResource(aurora, func(_ *graph.Graph, r *graph.Resource) []string {
				if v, known := isTrue(r, "iamDatabaseAuthenticationEnabled"); known && !v {
					return []string{"IAM database authentication is off"}
				}
				return nil
			}),
		},
	}
}

func mysqlVersionCheck(_ *graph.Graph, r *graph.Resource) []string {
	engine, known := r.Input("engine")
	if !known || graph.Str(engine) != "aurora-mysql" {
		return nil
	}
	v, known := r.Input("engineVersion")
	if !known {
		return nil
	}
	ver := graph.Str(v)
	if ver == "" {
		return []string{"aurora-mysql engine version is not pinned; pin an 8.0-compatible version (8.0.mysql_aurora.3.x)"}
	}
	major, err := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
	if err != nil || major < 8 {
		return []string{fmt.Sprintf("aurora-mysql engine version %s is not MySQL 8.0-compatible (Aurora MySQL 3.x)", ver)}
	}
	return nil
}
