package restoreworkflow

import (
	"fmt"
	"regexp"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// The restored cluster's posture (encryptedaurora.PostureFor) needs the
// restore account's TLS parameter group.

var (
	parameterGroupRE = regexp.MustCompile(`^[a-zA-Z](?:[a-zA-Z0-9]|-[a-zA-Z0-9])*$`)
)

// validatePosture returns the problems of the posture arguments.
func (a *Args) validatePosture() []string {
	var p []string
	if !parameterGroupRE.MatchString(a.ParameterGroupName) || len(a.ParameterGroupName) > 255 {
		p = append(p, fmt.Sprintf("ParameterGroupName %q is not a DB cluster parameter group name", a.ParameterGroupName))
	}
	return p
}

// postureStatements let the state machine apply the posture: the parameter
// group ModifyDBCluster names, and the source tags the restore copies
// (AWS Backup tags the restored cluster as the caller).
func postureStatements(a DefinitionParams, account, clusterPattern string) []map[string]any {
	return []map[string]any{
		awsiam.Allow("UseRestoreParameterGroup", []string{"rds:ModifyDBCluster"},
			fmt.Sprintf("arn:aws:rds:%s:%s:cluster-pg:%s", a.Region, account, a.ParameterGroupName)),
		awsiam.Allow("TagRestoredCluster", []string{"rds:AddTagsToResource"}, clusterPattern),
	}
}

// clusterLogGroupPattern matches the log groups of every restored
// cluster's log exports (ClusterLogGroupName of <prefix>-*).
func clusterLogGroupPattern(region, account, prefix string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, ClusterLogGroupName(prefix+"-*", "*"))
}
