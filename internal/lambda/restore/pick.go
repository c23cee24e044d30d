package restore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// ResourceTypeAurora is AWS Backup's resource type for Aurora clusters.
const ResourceTypeAurora = "Aurora"

// BackupAPI is the part of the AWS Backup client restorepick uses.
type BackupAPI interface {
	DescribeRecoveryPoint(ctx context.Context, in *backup.DescribeRecoveryPointInput, opts ...func(*backup.Options)) (*backup.DescribeRecoveryPointOutput, error)
	ListRecoveryPointsByBackupVault(ctx context.Context, in *backup.ListRecoveryPointsByBackupVaultInput, opts ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error)
	GetRecoveryPointRestoreMetadata(ctx context.Context, in *backup.GetRecoveryPointRestoreMetadataInput, opts ...func(*backup.Options)) (*backup.GetRecoveryPointRestoreMetadataOutput, error)
}

// PickInput is the restorepick event. An empty RecoveryPointArn means "the
// latest completed Aurora recovery point of the vault".
type PickInput struct {
	RecoveryPointArn string `json:"recoveryPointArn,omitempty"`
	VaultArn         string `json:"vaultArn"`
}

// PickOutput is the chosen recovery point. SourceEngine is "" when the
// recovery point's restore metadata does not name the engine.
type PickOutput struct {
	RecoveryPointArn string `json:"recoveryPointArn"`
	ResourceArn      string `json:"resourceArn"`
	CreationDate     string `json:"creationDate"`
	SourceEngine     string `json:"sourceEngine"`
	VaultArn         string `json:"vaultArn"`
}

// ParsePickInput decodes and checks a restorepick event.
func ParsePickInput(raw []byte) (PickInput, error) {
	var in PickInput
	if err := decodeStrict(raw, &in); err != nil {
		return PickInput{}, err
	}
	in.RecoveryPointArn = strings.TrimSpace(in.RecoveryPointArn)
	if in.VaultArn == "" {
		return PickInput{}, &InputError{Msg: "vaultArn is required"}
	}
	if _, err := ParseVaultArn(in.VaultArn); err != nil {
		return PickInput{}, err
	}
	if in.RecoveryPointArn != "" && !anyArnRE.MatchString(in.RecoveryPointArn) {
		return PickInput{}, &InputError{Msg: fmt.Sprintf("recoveryPointArn %q is not an ARN", in.RecoveryPointArn)}
	}
	return in, nil
}

// Picker chooses the recovery point to restore.
type Picker struct {
	Backup BackupAPI
}

// Pick returns the named recovery point after checking it, or the latest
// completed Aurora recovery point of the vault.
//
// The vault may be a logically air-gapped vault of another account shared
// through AWS RAM: the calls name it by its name and pass the owning account
// (BackupVaultAccountId) taken from the vault ARN.
func (p *Picker) Pick(ctx context.Context, in PickInput) (PickOutput, error) {
	vault, err := ParseVaultArn(in.VaultArn)
	if err != nil {
		return PickOutput{}, err
	}
	var out PickOutput
	if in.RecoveryPointArn != "" {
		out, err = p.named(ctx, vault, in.RecoveryPointArn)
	} else {
		out, err = p.latest(ctx, vault)
	}
	if err != nil {
		return PickOutput{}, err
	}
	out.VaultArn = vault.Arn
	engine, err := p.engine(ctx, vault, out.RecoveryPointArn)
	if err != nil {
		return PickOutput{}, err
	}
	out.SourceEngine = engine
	return out, nil
}

func (p *Picker) named(ctx context.Context, vault VaultRef, arn string) (PickOutput, error) {
	rp, err := p.Backup.DescribeRecoveryPoint(ctx, &backup.DescribeRecoveryPointInput{
		BackupVaultName:      aws.String(vault.Name),
		BackupVaultAccountId: aws.String(vault.AccountID),
		RecoveryPointArn:     aws.String(arn),
	})
	if err != nil {
		return PickOutput{}, awsErr(err, "describe recovery point %s in %s", arn, vault.Arn)
	}
	if got := aws.ToString(rp.BackupVaultArn); got != vault.Arn {
		return PickOutput{}, &RecoveryPointError{Code: CodeWrongVault, Msg: fmt.Sprintf("recovery point %s is in vault %q, not %s", arn, got, vault.Arn)}
	}
	if got := aws.ToString(rp.ResourceType); got != ResourceTypeAurora {
		return PickOutput{}, &RecoveryPointError{Code: CodeWrongResourceType, Msg: fmt.Sprintf("recovery point %s is of resource type %q, not %s", arn, got, ResourceTypeAurora)}
	}
	if rp.Status != types.RecoveryPointStatusCompleted {
		return PickOutput{}, &RecoveryPointError{Code: CodeNotCompleted, Msg: fmt.Sprintf("recovery point %s has status %q, not COMPLETED", arn, rp.Status)}
	}
	return PickOutput{
		RecoveryPointArn: aws.ToString(rp.RecoveryPointArn),
		ResourceArn:      aws.ToString(rp.ResourceArn),
		CreationDate:     formatTime(rp.CreationDate),
	}, nil
}

func (p *Picker) latest(ctx context.Context, vault VaultRef) (PickOutput, error) {
	pages := backup.NewListRecoveryPointsByBackupVaultPaginator(p.Backup, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName:      aws.String(vault.Name),
		BackupVaultAccountId: aws.String(vault.AccountID),
		ByResourceType:       aws.String(ResourceTypeAurora),
	})
	var best *types.RecoveryPointByBackupVault
	seen := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return PickOutput{}, awsErr(err, "list recovery points of %s", vault.Arn)
		}
		for i := range page.RecoveryPoints {
			rp := &page.RecoveryPoints[i]
			seen++
			if rp.Status != types.RecoveryPointStatusCompleted || aws.ToString(rp.ResourceType) != ResourceTypeAurora || rp.CreationDate == nil {
				continue
			}
			if best == nil || rp.CreationDate.After(*best.CreationDate) {
				best = rp
			}
		}
	}
	if best == nil {
		return PickOutput{}, &RecoveryPointError{Code: CodeNoRecoveryPoint, Msg: fmt.Sprintf("vault %s has no COMPLETED Aurora recovery point (%d recovery point(s) listed)", vault.Arn, seen)}
	}
	return PickOutput{
		RecoveryPointArn: aws.ToString(best.RecoveryPointArn),
		ResourceArn:      aws.ToString(best.ResourceArn),
		CreationDate:     formatTime(best.CreationDate),
	}, nil
}

// engine reads the engine from the recovery point's restore metadata.
func (p *Picker) engine(ctx context.Context, vault VaultRef, arn string) (string, error) {
	md, err := p.Backup.GetRecoveryPointRestoreMetadata(ctx, &backup.GetRecoveryPointRestoreMetadataInput{
		BackupVaultName:      aws.String(vault.Name),
		BackupVaultAccountId: aws.String(vault.AccountID),
		RecoveryPointArn:     aws.String(arn),
	})
	if err != nil {
		return "", awsErr(err, "restore metadata of %s", arn)
	}
	for _, k := range []string{"Engine", "engine"} {
		if v, ok := md.RestoreMetadata[k]; ok {
			return v, nil
		}
	}
	return "", nil
}

func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
