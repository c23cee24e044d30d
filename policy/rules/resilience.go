package rules

import (
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// MinAirGappedRetentionDays is the shortest minimum retention of a
// logically air-gapped vault.
const MinAirGappedRetentionDays = 7

func resilienceRules() []Rule {
	return []Rule{
		{
			Name:        "guardduty-enabled",
			Description: "Every stack's account has an enabled GuardDuty detector.",
			Enforcement: Mandatory, Family: "resilience", Scope: StackScope,
			Practice: "seed 004 flow 4", Controls: ctlDetection,
			Check: func(g *graph.Graph) []Finding {
				for _, d := range g.OfType(typeDetector) {
					if v, known := isTrue(d, "enable"); !known || v || d.Inputs["enable"] == nil {
						return nil
					}
				}
				return []Finding{{Message: "the stack has no enabled GuardDuty detector"}}
			},
		},
		{
			Name:        "aurora-backup-copied-to-bunker",
			Description: "Every Aurora cluster is selected by a backup plan (by ARN or tag) whose rule copies to a vault in another account (the bunker's air-gapped vault).",
			Enforcement: Mandatory, Family: "resilience", Scope: StackScope,
			Practice: "seed 004 flow 1", Controls: ctlBackup,
			Types: []string{typeRDSCluster},
			Check: perResource([]string{typeRDSCluster}, backupCoverageCheck),
		},
		{
			Name:        "air-gapped-vault-retention",
			Description: fmt.Sprintf("Logically air-gapped vaults keep recovery points at least %d days, and the maximum retention is not below the minimum.", MinAirGappedRetentionDays),
			Enforcement: Mandatory, Family: "resilience", Scope: ResourceScope,
			Practice: "seed 004 flow 1", Controls: ctlBackup,
			Types: []string{typeLAGVault},
			Check: perResource([]string{typeLAGVault}, func(_ *graph.Graph, r *graph.Resource) []string {
				minV, k1 := r.Input("minRetentionDays")
				maxV, k2 := r.Input("maxRetentionDays")
				var out []string
				minN, okMin := graph.Num(minV)
				maxN, okMax := graph.Num(maxV)
				if k1 && (!okMin || minN < MinAirGappedRetentionDays) {
					out = append(out, fmt.Sprintf("minimum retention %v is below %d days", minV, MinAirGappedRetentionDays))
				}
				if k1 && k2 && okMin && okMax && maxN < minN {
					out = append(out, fmt.Sprintf("maximum retention %v is below the minimum %v", maxV, minV))
				}
				return out
			}),
		},
		{
			Name:        "backup-vault-locked",
			Description: "Every backup vault has a vault lock.",
			Enforcement: Mandatory, Family: "resilience", Scope: StackScope,
			Practice: "seed 004 flow 1", Controls: ctlBackup,
			Types: []string{typeVault},
			Check: perResource([]string{typeVault}, func(g *graph.Graph, v *graph.Resource) []string {
				if len(g.ReferencedBy(v, typeVaultLock, "backupVaultName")) > 0 {
					return nil
				}
				name := graph.Str(v.Inputs["name"])
				for _, l := range g.OfType(typeVaultLock) {
					if n, k := l.Input("backupVaultName"); k && name != "" && graph.Str(n) == name {
						return nil
					}
				}
				return []string{"backup vault has no vault lock configuration"}
			}),
		},
		{
			Name:        "backup-vault-notification-events",
			Description: "Backup vault notifications name only events AWS Backup still emits (deprecated events such as BACKUP_JOB_FAILED never fire, so the alert would stay silent).",
			Enforcement: Mandatory, Family: "resilience", Scope: ResourceScope,
			Practice: "seed 004 flow 1", Controls: ctlBackup,
			Types: []string{typeVaultNotifications},
			Check: perResource([]string{typeVaultNotifications}, func(_ *graph.Graph, r *graph.Resource) []string {
				v, known := r.Input("backupVaultEvents")
				if !known {
					return nil
				}
				var out []string
				for _, e := range graph.List(v) {
					if graph.IsUnknown(e) {
						continue
					}
					if name := graph.Str(e); !supportedVaultEvents[name] {
						out = append(out, fmt.Sprintf("event %q is not emitted by AWS Backup (deprecated or unknown)", name))
					}
				}
				return out
			}),
		},
		{
			Name:        "backup-retention-within-lock",
			Description: "Backup plan rules keep recovery points within the target vault's lock retention (outside it, every backup job fails).",
			Enforcement: Mandatory, Family: "resilience", Scope: StackScope,
			Practice: "seed 004 flow 1", Controls: ctlBackup,
			Types: []string{typeBackupPlan},
			Check: perResource([]string{typeBackupPlan}, retentionWithinLockCheck),
		},
		{
			Name:        "ram-no-external-principals",
			Description: "AWS RAM resource shares never allow external principals.",
			Enforcement: Mandatory, Family: "resilience", Scope: ResourceScope,
			Practice: "seed 004 flow 2", Controls: ctlAccessControl,
			Types: []string{typeResourceShare},
			Check: perResource([]string{typeResourceShare}, func(_ *graph.Graph, r *graph.Resource) []string {
				if v, known := isTrue(r, "allowExternalPrincipals"); known && v {
					return []string{"resource share allows external principals (allowExternalPrincipals must be false)"}
				}
				return nil
			}),
		},
	}
}

// backupCoverageCheck finds the selections that cover a cluster and checks
// that one of their plans copies to another account.
func backupCoverageCheck(g *graph.Graph, cluster *graph.Resource) []string {
	tags := tagsOf(cluster)
	clusterArn := ""
	if v, ok := cluster.Output("arn"); ok {
		clusterArn = graph.Str(v)
	}
	covered := false
	for _, sel := range g.OfType(typeBackupSelection) {
		if !selects(g, sel, cluster, clusterArn, tags) {
			continue
		}
		covered = true
		for _, plan := range g.Refs(sel, "planId", typeBackupPlan) {
			if copiesOffAccount(g, plan, clusterArn) {
				return nil
			}
		}
	}
	if !covered {
		return []string{"no backup selection covers this cluster (by ARN or by tag)"}
	}
	return []string{"the backup plan covering this cluster has no copy action to a vault in another account"}
}

func selects(g *graph.Graph, sel, cluster *graph.Resource, clusterArn string, tags map[string]string) bool {
	for _, dep := range g.Refs(sel, "resources") {
		if dep.URN == cluster.URN {
			return true
		}
	}
	if v, known := sel.Input("resources"); known {
		for _, s := range graph.Strings(v) {
			if s == "*" || (clusterArn != "" && s == clusterArn) || s == "arn:aws:rds:*:*:cluster:*" {
				return true
			}
		}
	}
	if v, known := sel.Input("selectionTags"); known {
		for _, e := range graph.List(v) {
			m := graph.Map(e)
			if strings.EqualFold(graph.Str(m["type"]), "STRINGEQUALS") && tags[graph.Str(m["key"])] == graph.Str(m["value"]) && graph.Str(m["key"]) != "" {
				return true
			}
		}
	}
	if v, known := sel.Input("condition"); known {
		for _, e := range graph.List(v) {
			for _, se := range graph.List(graph.Map(e)["stringEquals"]) {
				m := graph.Map(se)
				key := strings.TrimPrefix(graph.Str(m["key"]), "aws:ResourceTag/")
				if key != "" && tags[key] == graph.Str(m["value"]) {
					return true
				}
			}
		}
	}
	return false
}

// copiesOffAccount reports whether a plan rule copies to a vault in another
// account than the cluster's, decided by the account in the destination
// vault's ARN (a vault declared in this program through a provider for
// another account is still another account). When the cluster's account is
// not known, the account of this stack's own vaults stands in for it; when
// neither is known, a destination that is not one of this stack's vaults
// counts.
func copiesOffAccount(g *graph.Graph, plan *graph.Resource, localArn string) bool {
	localAccount := arnAccount(localArn)
	localVaults := map[string]bool{}
	for _, v := range g.OfType(typeVault, typeLAGVault) {
		if a, ok := v.Output("arn"); ok {
			localVaults[graph.Str(a)] = true
		}
	}
	if localAccount == "" {
		for _, v := range g.Refs(plan, "rules", typeVault) {
			if a, ok := v.Output("arn"); ok {
				localAccount = arnAccount(graph.Str(a))
			}
		}
	}
	rules, known := plan.Input("rules")
	if !known {
		return true // decided at apply time; the stack test covers the config
	}
	for _, r := range graph.List(rules) {
		for _, ca := range graph.List(graph.Map(r)["copyActions"]) {
			dest := graph.Map(ca)["destinationVaultArn"]
			if graph.IsUnknown(dest) {
				return true // decided at apply time, like computed rules
			}
			arn := graph.Str(dest)
			acct := arnAccount(arn)
			switch {
			case acct == "":
				continue
			case localAccount != "":
				if acct != localAccount {
					return true
				}
			case !localVaults[arn]:
				return true
			}
		}
	}
	return false
}

// supportedVaultEvents are the vault events AWS Backup emits
// (PutBackupVaultNotifications; the others are deprecated).
var supportedVaultEvents = map[string]bool{
	"BACKUP_JOB_STARTED": true, "BACKUP_JOB_COMPLETED": true,
	"COPY_JOB_STARTED": true, "COPY_JOB_SUCCESSFUL": true, "COPY_JOB_FAILED": true,
	"RESTORE_JOB_STARTED": true, "RESTORE_JOB_COMPLETED": true, "RECOVERY_POINT_MODIFIED": true,
	"S3_BACKUP_OBJECT_FAILED": true, "S3_RESTORE_OBJECT_FAILED": true,
}

// retentionWithinLockCheck compares each rule's retention with the lock of
// the vault it targets (found through the rules' dependencies or by name).
func retentionWithinLockCheck(g *graph.Graph, plan *graph.Resource) []string {
	rules, known := plan.Input("rules")
	if !known {
		return nil
	}
	locks := map[string]*graph.Resource{}
	for _, l := range g.OfType(typeVaultLock) {
		if n, k := l.Input("backupVaultName"); k && graph.Str(n) != "" {
			locks[graph.Str(n)] = l
		}
	}
	var out []string
	for _, e := range graph.List(rules) {
		rule := graph.Map(e)
		if graph.IsUnknown(rule["targetVaultName"]) {
			continue
		}
		lock := locks[graph.Str(rule["targetVaultName"])]
		if lock == nil {
			continue
		}
		days, ok := graph.Num(graph.Map(rule["lifecycle"])["deleteAfter"])
		if !ok {
			continue
		}
		if minV, k := lock.Input("minRetentionDays"); k {
			if n, ok := graph.Num(minV); ok && days < n {
				out = append(out, fmt.Sprintf("rule %s keeps %d days, below the vault lock minimum %d", graph.Str(rule["ruleName"]), int(days), int(n)))
			}
		}
		if maxV, k := lock.Input("maxRetentionDays"); k {
			if n, ok := graph.Num(maxV); ok && days > n {
				out = append(out, fmt.Sprintf("rule %s keeps %d days, above the vault lock maximum %d", graph.Str(rule["ruleName"]), int(days), int(n)))
			}
		}
	}
	return out
}
