// Package keyring provides KeyRing, the customer-managed KMS keys of one
// account, one key per purpose.
//
// Guarantees: every key is a symmetric customer-managed key with automatic
// rotation on, a deletion window of 7 to 30 days and an alias
// alias/<prefix>/<purpose>. Its key policy lets the account administer the
// key (administration actions only, no encrypt/decrypt), lets principals of
// this account use it only through the AWS services named for the purpose
// (kms:ViaService + kms:CallerAccount), and lets the named service principals
// use it only on behalf of this account (aws:SourceAccount, or the log-group
// encryption context for CloudWatch Logs). No statement has principal "*".
package keyring

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:kms:KeyRing"

// Purpose describes one key.
type Purpose struct {
	// Name is the purpose, e.g. "data", "logs"; it names the key and alias.
	Name string
	// Description is a sentence for the key's description.
	Description string
	// ViaServices are service prefixes (e.g. "rds", "secretsmanager") through
	// which principals of this account may use the key.
	ViaServices []string
	// ServicePrincipals are services (e.g. "logs", "events", "sns") that may
	// use the key themselves on behalf of this account.
	ServicePrincipals []string
	// CrossAccountPrincipals are account ids that may use the key only
	// through AWS Backup, to copy recovery points encrypted with it into
	// their vaults (the bunker).
	CrossAccountPrincipals []string
}

// Args configures a KeyRing.
type Args struct {
	// AccountID is the account that owns and administers the keys.
	AccountID string
	// Region is the keys' region (for kms:ViaService values).
	Region string
	// AliasPrefix is the alias namespace, e.g. "fintech/workload".
	AliasPrefix string
	// DeletionWindowDays is 7 to 30.
	DeletionWindowDays int
	// Purposes lists the keys; at least one.
	Purposes []Purpose
	// Tags are added to every key.
	Tags pulumi.StringMapInput
}

// KeyRing is the set of keys.
type KeyRing struct {
	pulumi.ResourceState

	// Keys by purpose name.
	Keys map[string]*kms.Key
	// Arns by purpose name (output).
	Arns pulumi.StringMapOutput
}

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	serviceRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	prefixRE  = regexp.MustCompile(`^[A-Za-z0-9/_-]+$`)
)

func (a *Args) validate() error {
	var problems []string
	if !awsfacts.ValidAccountID(a.AccountID) {
		problems = append(problems, fmt.Sprintf("AccountID %q is not a 12-digit account id", a.AccountID))
	}
	if a.Region == "" {
		problems = append(problems, "Region is required")
	}
	if !prefixRE.MatchString(a.AliasPrefix) {
		problems = append(problems, fmt.Sprintf("AliasPrefix %q must be letters, digits, '/', '_' or '-'", a.AliasPrefix))
	}
	if a.DeletionWindowDays < 7 || a.DeletionWindowDays > 30 {
		problems = append(problems, fmt.Sprintf("DeletionWindowDays %d is outside 7 to 30", a.DeletionWindowDays))
	}
	if len(a.Purposes) == 0 {
		problems = append(problems, "at least one Purpose is required")
	}
	seen := map[string]bool{}
	for _, p := range a.Purposes {
		if !nameRE.MatchString(p.Name) {
			problems = append(problems, fmt.Sprintf("purpose name %q must be lower-case letters, digits and '-'", p.Name))
		}
		if seen[p.Name] {
			problems = append(problems, fmt.Sprintf("purpose %q is listed twice", p.Name))
		}
		seen[p.Name] = true
		if len(p.ViaServices) == 0 && len(p.ServicePrincipals) == 0 {
			problems = append(problems, fmt.Sprintf("purpose %q names no service that may use the key", p.Name))
		}
		for _, s := range append(append([]string{}, p.ViaServices...), p.ServicePrincipals...) {
			if !serviceRE.MatchString(s) {
				problems = append(problems, fmt.Sprintf("purpose %q: service %q is not a service prefix such as rds", p.Name, s))
			}
		}
		for _, acct := range p.CrossAccountPrincipals {
			if !awsfacts.ValidAccountID(acct) {
				problems = append(problems, fmt.Sprintf("purpose %q: cross-account principal %q is not an account id", p.Name, acct))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("keyring: invalid arguments: %v", problems)
	}
	return nil
}

// NewKeyRing creates one key and alias per purpose.
func NewKeyRing(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*KeyRing, error) {
	if args == nil {
		return nil, fmt.Errorf("keyring %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("keyring %s: %w", name, err)
	}
	kr := &KeyRing{Keys: map[string]*kms.Key{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, kr, opts...); err != nil {
		return nil, fmt.Errorf("keyring %s: register: %w", name, err)
	}
	parent := pulumi.Parent(kr)
	arns := pulumi.StringMap{}
	for _, p := range args.Purposes {
		policy, err := KeyPolicy(args.AccountID, args.Region, p)
		if err != nil {
			return nil, fmt.Errorf("keyring %s: policy for %s: %w", name, p.Name, err)
		}
		key, err := kms.NewKey(ctx, name+"-"+p.Name, &kms.KeyArgs{
			Description:          pulumi.String(fmt.Sprintf("%s (%s)", p.Description, p.Name)),
			KeyUsage:             pulumi.String("ENCRYPT_DECRYPT"),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(args.DeletionWindowDays),
			Policy:               pulumi.String(policy),
			Tags:                 withPurpose(args.Tags, p.Name),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("keyring %s: key %s: %w", name, p.Name, err)
		}
		if _, err := kms.NewAlias(ctx, name+"-"+p.Name+"-alias", &kms.AliasArgs{
			Name:        pulumi.String(fmt.Sprintf("alias/%s/%s", args.AliasPrefix, p.Name)),
			TargetKeyId: key.KeyId,
		}, parent); err != nil {
			return nil, fmt.Errorf("keyring %s: alias %s: %w", name, p.Name, err)
		}
		kr.Keys[p.Name] = key
		arns[p.Name] = key.Arn
		if err := accountFlows(ctx, kr, name, args.Region, p, key.Arn); err != nil {
			return nil, fmt.Errorf("keyring %s: %w", name, err)
		}
		if err := requireLogsUse(ctx, kr, name, args.AccountID, args.Region, p, key.Arn); err != nil {
			return nil, fmt.Errorf("keyring %s: %w", name, err)
		}
	}
	kr.Arns = arns.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(kr, pulumi.Map{"arns": kr.Arns}); err != nil {
		return nil, fmt.Errorf("keyring %s: outputs: %w", name, err)
	}
	return kr, nil
}

// Key returns the key of a purpose or an error naming the missing purpose.
func (kr *KeyRing) Key(purpose string) (*kms.Key, error) {
	k, ok := kr.Keys[purpose]
	if !ok {
		names := make([]string, 0, len(kr.Keys))
		for n := range kr.Keys {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("keyring has no %q key (has %v)", purpose, names)
	}
	return k, nil
}

func withPurpose(tags pulumi.StringMapInput, purpose string) pulumi.StringMapInput {
	extra := pulumi.StringMap{"key-purpose": pulumi.String(purpose)}
	if tags == nil {
		return extra
	}
	return tags.ToStringMapOutput().ApplyT(func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		out["key-purpose"] = purpose
		return out
	}).(pulumi.StringMapOutput)
}

// adminActions administer a key without using it for data.
var adminActions = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
	"kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
	"kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
	"kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant",
	"kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
	"kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
}

var useActions = []string{
	"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
}

// KeyPolicy returns the key policy JSON for a purpose.
func KeyPolicy(account, region string, p Purpose) (string, error) {
	root := fmt.Sprintf("arn:aws:iam::%s:root", account)
	var sts []awsiam.Statement
	sts = append(sts, awsiam.Statement{
		"Sid": "AccountAdministersKey", "Effect": "Allow",
		"Principal": map[string]any{"AWS": root},
		"Action":    adminActions, "Resource": "*",
	})
	if len(p.ViaServices) > 0 {
		via := make([]string, 0, len(p.ViaServices))
		for _, s := range p.ViaServices {
			via = append(via, fmt.Sprintf("%s.%s.amazonaws.com", s, region))
		}
		sts = append(sts, awsiam.Statement{
			"Sid": "UseThroughNamedServices", "Effect": "Allow",
			"Principal": map[string]any{"AWS": root},
			"Action":    append(append([]string{}, useActions...), "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"),
			"Resource":  "*",
			"Condition": map[string]map[string]any{
				"StringEquals": {"kms:ViaService": via, "kms:CallerAccount": account},
			},
		})
	}
	if len(p.CrossAccountPrincipals) > 0 {
		// Another account (the bunker) may use the key only through AWS
		// Backup, to copy recovery points encrypted with it.
		principals := make([]string, 0, len(p.CrossAccountPrincipals))
		for _, c := range p.CrossAccountPrincipals {
			principals = append(principals, fmt.Sprintf("arn:aws:iam::%s:root", c))
		}
		sts = append(sts, awsiam.Statement{
			"Sid": "CrossAccountCopyThroughBackup", "Effect": "Allow",
			"Principal": map[string]any{"AWS": principals},
			"Action":    []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:ReEncrypt*"},
			"Resource":  "*",
			"Condition": map[string]map[string]any{
				// AWS Backup copies the recovery point; for Aurora, RDS
				// copies the cluster snapshot on its behalf.
				"StringEquals": {"kms:ViaService": []string{fmt.Sprintf("backup.%s.amazonaws.com", region), fmt.Sprintf("rds.%s.amazonaws.com", region)}, "kms:CallerAccount": p.CrossAccountPrincipals},
			},
		})
	}
	for _, svc := range p.ServicePrincipals {
		st := awsiam.Statement{
			"Sid": "ServiceUse" + sidPart(svc), "Effect": "Allow",
			"Action": useActions, "Resource": "*",
		}
		if svc == "fargate" {
			// Fargate ephemeral storage: data keys only for ECS clusters of
			// this account, and grants that only decrypt.
			st["Principal"] = map[string]any{"Service": "fargate.amazonaws.com"}
			st["Action"] = []string{"kms:GenerateDataKeyWithoutPlaintext"}
			st["Condition"] = map[string]map[string]any{
				"StringEquals": {"kms:EncryptionContext:aws:ecs:clusterAccount": account},
			}
			sts = append(sts, st, awsiam.Statement{
				"Sid": "ServiceGrantFargate", "Effect": "Allow",
				"Principal": map[string]any{"Service": "fargate.amazonaws.com"},
				"Action":    []string{"kms:CreateGrant"},
				"Resource":  "*",
				"Condition": map[string]map[string]any{
					"StringEquals":              {"kms:EncryptionContext:aws:ecs:clusterAccount": account},
					"ForAllValues:StringEquals": {"kms:GrantOperations": []string{"Decrypt"}},
				},
			})
			continue
		}
		if svc == "logs" {
			st["Principal"] = map[string]any{"Service": fmt.Sprintf("logs.%s.amazonaws.com", region)}
			st["Condition"] = map[string]map[string]any{
				"ArnLike": {"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:*", region, account)},
			}
		} else {
			st["Principal"] = map[string]any{"Service": svc + ".amazonaws.com"}
			st["Condition"] = map[string]map[string]any{
				"StringEquals": {"aws:SourceAccount": account},
			}
		}
		sts = append(sts, st)
	}
	out, err := awsiam.Policy(sts...)
	if err != nil {
		return "", fmt.Errorf("key policy: %w", err)
	}
	return out, nil
}

func sidPart(svc string) string {
	out := make([]byte, 0, len(svc))
	upper := true
	for i := 0; i < len(svc); i++ {
		c := svc[i]
		if c == '-' {
			upper = true
			continue
		}
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		out = append(out, c)
	}
	return string(out)
}

// accountFlows declares that no account outside the design decrypts with
// the key and, for each account admitted for AWS Backup copies, that the
// copy works through AWS Backup and RDS (required) while direct use is
// refused (forbidden).
func accountFlows(ctx *pulumi.Context, kr *KeyRing, name, region string, p Purpose, key pulumi.StringInput) error {
	if err := flow.Forbid(ctx, kr, name, p.Name+"-no-outsider-decrypt", flow.Access{
		Principal: pulumi.String(flow.AnyPrincipalOf(flow.OutsiderAccount)),
		Actions:   []string{"kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant"},
		Resource:  key, Caller: "any principal of an account outside the design",
		Reason: "data encrypted with the " + p.Name + " key stays readable only inside the design",
	}); err != nil {
		return err
	}
	for _, other := range p.CrossAccountPrincipals {
		slr := pulumi.String(fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup", other))
		for _, svc := range []string{"backup", "rds"} {
			if err := flow.Require(ctx, kr, name, p.Name+"-copy-via-"+svc+"-"+other, flow.Access{
				Principal: slr, Actions: []string{"kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey"},
				Resource: key,
				Context: map[string]pulumi.StringInput{
					"kms:ViaService":    pulumi.String(fmt.Sprintf("%s.%s.amazonaws.com", svc, region)),
					"kms:CallerAccount": pulumi.String(other),
				},
				Caller: "AWS Backup in account " + other + " (" + svc + " acting for the copy)",
				Reason: "recovery points encrypted with the " + p.Name + " key are copied into the bunker",
			}); err != nil {
				return err
			}
		}
		if err := flow.Forbid(ctx, kr, name, p.Name+"-no-direct-decrypt-"+other, flow.Access{
			Principal: pulumi.String(flow.AnyPrincipalOf(other)),
			Actions:   []string{"kms:Decrypt"},
			Resource:  key,
			Context:   map[string]pulumi.StringInput{"kms:CallerAccount": pulumi.String(other)},
			Caller:    "a principal of account " + other + " calling KMS directly",
			Reason:    "account " + other + " may use the key only through AWS Backup, to copy recovery points",
		}); err != nil {
			return err
		}
	}
	return nil
}

// requireLogsUse declares, for a key CloudWatch Logs uses, that the logs
// service encrypts the log groups of this account with it (the encryption
// context names the log group).
func requireLogsUse(ctx *pulumi.Context, kr *KeyRing, name, account, region string, p Purpose, key pulumi.StringInput) error {
	for _, svc := range p.ServicePrincipals {
		if svc != "logs" {
			continue
		}
		return flow.Require(ctx, kr, name, p.Name+"-logs-use", flow.Access{
			Principal: pulumi.String(fmt.Sprintf("logs.%s.amazonaws.com", region)),
			Actions:   []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"},
			Resource:  key,
			Context: map[string]pulumi.StringInput{
				"kms:EncryptionContext:aws:logs:arn": pulumi.String(fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/example/log-group", region, account)),
			},
			Caller: "CloudWatch Logs, for every log group of the account encrypted with the " + p.Name + " key",
			Reason: "log groups (flow logs, functions, state machines, tasks, evidence) are written encrypted",
		})
	}
	return nil
}
