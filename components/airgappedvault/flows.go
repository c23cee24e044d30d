package airgappedvault

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// declareFlows declares who may copy into the vault and what nobody, in
// any account of the design or outside it, may do to it.
func declareFlows(ctx *pulumi.Context, v *AirGappedVault, name string, args *Args) error {
	recoveryPoint := v.VaultArn.ApplyT(func(arn string) string {
		// arn:aws:backup:<region>:<account>:backup-vault:<name> →
		// a recovery point of the same account and region.
		parts := strings.SplitN(arn, ":", 7)
		if len(parts) < 6 {
			return arn
		}
		return strings.Join(append(parts[:5:5], "recovery-point", "example"), ":")
	}).(pulumi.StringOutput)
	for _, acct := range args.SourceAccountIDs {
		if err := flow.Require(ctx, v, name, "copy-in-"+acct, flow.Access{
			Principal: pulumi.String(flow.AnyPrincipalOf(acct)), Actions: []string{"backup:CopyIntoBackupVault"},
			Resource: v.VaultArn, Caller: "AWS Backup copy job of the workload account's backup plan",
			Reason: "backups of the workload reach the bunker",
		}); err != nil {
			return err
		}
	}
	accounts := map[string]bool{args.AccountID: true, flow.OutsiderAccount: true}
	for _, a := range append(append([]string{}, args.SourceAccountIDs...), args.ShareWithAccountIDs...) {
		accounts[a] = true
	}
	sorted := make([]string, 0, len(accounts))
	for a := range accounts {
		sorted = append(sorted, a)
	}
	sort.Strings(sorted)
	source := map[string]bool{}
	for _, a := range args.SourceAccountIDs {
		source[a] = true
	}
	var vaultActions, pointActions []string
	for _, act := range ProtectedActions {
		if strings.Contains(act, "RecoveryPoint") {
			pointActions = append(pointActions, act)
		} else {
			vaultActions = append(vaultActions, act)
		}
	}
	for _, acct := range sorted {
		who := pulumi.String(flow.AnyPrincipalOf(acct))
		caller := fmt.Sprintf("any principal of account %s, administrators included", acct)
		if err := flow.Forbid(ctx, v, name, "no-vault-tampering-"+acct, flow.Access{
			Principal: who, Actions: vaultActions, Resource: v.VaultArn, Caller: caller,
			Reason: "the bunker vault and its policy outlive any compromised account",
		}); err != nil {
			return err
		}
		if err := flow.Forbid(ctx, v, name, "no-recovery-point-deletion-"+acct, flow.Access{
			Principal: who, Actions: pointActions, Resource: recoveryPoint, PolicyOf: v.VaultArn, Caller: caller,
			Reason: "who can delete the backups? nobody",
		}); err != nil {
			return err
		}
		if !source[acct] {
			if err := flow.Forbid(ctx, v, name, "no-copy-in-"+acct, flow.Access{
				Principal: who, Actions: []string{"backup:CopyIntoBackupVault"}, Resource: v.VaultArn, Caller: caller,
				Reason: "only the workload account copies in: nothing else can plant recovery points",
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
