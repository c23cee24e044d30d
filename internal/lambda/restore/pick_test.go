package restore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	vaultArn = "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker"
	rpArn    = "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45"
	srcArn   = "arn:aws:rds:ap-northeast-1:111111111111:cluster:core"
)

type fakeBackup struct {
	describe    *backup.DescribeRecoveryPointOutput
	describeErr error
	pages       [][]types.RecoveryPointByBackupVault
	listErr     error
	metadata    map[string]string
	metadataErr error

	describeIn []*backup.DescribeRecoveryPointInput
	listIn     []*backup.ListRecoveryPointsByBackupVaultInput
	metaIn     []*backup.GetRecoveryPointRestoreMetadataInput
}

func (f *fakeBackup) DescribeRecoveryPoint(_ context.Context, in *backup.DescribeRecoveryPointInput, _ ...func(*backup.Options)) (*backup.DescribeRecoveryPointOutput, error) {
	f.describeIn = append(f.describeIn, in)
	return f.describe, f.describeErr
}

func (f *fakeBackup) ListRecoveryPointsByBackupVault(_ context.Context, in *backup.ListRecoveryPointsByBackupVaultInput, _ ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error) {
	f.listIn = append(f.listIn, in)
	if f.listErr != nil {
		return nil, f.listErr
	}
	i := 0
	if in.NextToken != nil {
		i = int(aws.ToString(in.NextToken)[0] - '0')
	}
	out := &backup.ListRecoveryPointsByBackupVaultOutput{}
	if i < len(f.pages) {
		out.RecoveryPoints = f.pages[i]
	}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func (f *fakeBackup) GetRecoveryPointRestoreMetadata(_ context.Context, in *backup.GetRecoveryPointRestoreMetadataInput, _ ...func(*backup.Options)) (*backup.GetRecoveryPointRestoreMetadataOutput, error) {
	f.metaIn = append(f.metaIn, in)
	if f.metadataErr != nil {
		return nil, f.metadataErr
	}
	return &backup.GetRecoveryPointRestoreMetadataOutput{RestoreMetadata: f.metadata}, nil
}

func day(d int) *time.Time {
	t := time.Date(2026, 3, d, 18, 0, 0, 0, time.UTC)
	return &t
}

func rp(arn string, d int, status types.RecoveryPointStatus, typ string) types.RecoveryPointByBackupVault {
	return types.RecoveryPointByBackupVault{RecoveryPointArn: aws.String(arn), ResourceArn: aws.String(srcArn), CreationDate: day(d), Status: status, ResourceType: aws.String(typ), BackupVaultArn: aws.String(vaultArn)}
}

func TestPickLatestCompletedAcrossPages(t *testing.T) {
	f := &fakeBackup{
		pages: [][]types.RecoveryPointByBackupVault{
			{rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:a", 3, types.RecoveryPointStatusCompleted, "Aurora"),
				rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:partial", 9, types.RecoveryPointStatusPartial, "Aurora")},
			{rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:b", 7, types.RecoveryPointStatusCompleted, "Aurora"),
				rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:ebs", 8, types.RecoveryPointStatusCompleted, "EBS")},
			{rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:c", 5, types.RecoveryPointStatusCompleted, "Aurora")},
		},
		metadata: map[string]string{"Engine": "aurora-postgresql", "DBClusterIdentifier": "core"},
	}
	out, err := (&Picker{Backup: f}).Pick(context.Background(), PickInput{VaultArn: vaultArn})
	require.NoError(t, err)
	assert.Equal(t, PickOutput{
		RecoveryPointArn: "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:b",
		ResourceArn:      srcArn, CreationDate: "2026-03-07T18:00:00Z", SourceEngine: "aurora-postgresql", VaultArn: vaultArn,
	}, out)
	require.Len(t, f.listIn, 3, "every page is read")
	for _, in := range f.listIn {
		assert.Equal(t, "fintech-bunker", aws.ToString(in.BackupVaultName))
		assert.Equal(t, "222222222222", aws.ToString(in.BackupVaultAccountId), "the shared vault's owner")
		assert.Equal(t, "Aurora", aws.ToString(in.ByResourceType))
	}
	require.Len(t, f.metaIn, 1)
	assert.Equal(t, out.RecoveryPointArn, aws.ToString(f.metaIn[0].RecoveryPointArn))
	assert.Empty(t, f.describeIn)
}

func TestPickLatestNoneCompleted(t *testing.T) {
	f := &fakeBackup{pages: [][]types.RecoveryPointByBackupVault{{
		rp("arn:aws:backup:ap-northeast-1:222222222222:recovery-point:x", 3, types.RecoveryPointStatusPartial, "Aurora"),
	}}}
	_, err := (&Picker{Backup: f}).Pick(context.Background(), PickInput{VaultArn: vaultArn})
	var rpe *RecoveryPointError
	require.ErrorAs(t, err, &rpe)
	assert.Equal(t, CodeNoRecoveryPoint, rpe.Code)
	assert.Contains(t, err.Error(), "has no COMPLETED Aurora recovery point (1 recovery point(s) listed)")

	_, err = (&Picker{Backup: &fakeBackup{}}).Pick(context.Background(), PickInput{VaultArn: vaultArn})
	require.ErrorAs(t, err, &rpe)
	assert.Equal(t, CodeNoRecoveryPoint, rpe.Code)
}

func described(mutate func(o *backup.DescribeRecoveryPointOutput)) *backup.DescribeRecoveryPointOutput {
	o := &backup.DescribeRecoveryPointOutput{
		RecoveryPointArn: aws.String(rpArn), BackupVaultArn: aws.String(vaultArn), ResourceArn: aws.String(srcArn),
		ResourceType: aws.String("Aurora"), Status: types.RecoveryPointStatusCompleted, CreationDate: day(2),
	}
	if mutate != nil {
		mutate(o)
	}
	return o
}

func TestPickNamedRecoveryPoint(t *testing.T) {
	f := &fakeBackup{describe: described(nil), metadata: map[string]string{}}
	out, err := (&Picker{Backup: f}).Pick(context.Background(), PickInput{VaultArn: vaultArn, RecoveryPointArn: rpArn})
	require.NoError(t, err)
	assert.Equal(t, PickOutput{RecoveryPointArn: rpArn, ResourceArn: srcArn, CreationDate: "2026-03-02T18:00:00Z", VaultArn: vaultArn}, out)
	require.Len(t, f.describeIn, 1)
	assert.Equal(t, "fintech-bunker", aws.ToString(f.describeIn[0].BackupVaultName))
	assert.Equal(t, "222222222222", aws.ToString(f.describeIn[0].BackupVaultAccountId))
	assert.Equal(t, rpArn, aws.ToString(f.describeIn[0].RecoveryPointArn))
	assert.Empty(t, f.listIn, "a named recovery point is not searched for")
}

func TestPickNamedRefusals(t *testing.T) {
	cases := map[string]struct {
		mutate func(o *backup.DescribeRecoveryPointOutput)
		code   string
		msg    string
	}{
		"other vault": {func(o *backup.DescribeRecoveryPointOutput) {
			o.BackupVaultArn = aws.String("arn:aws:backup:ap-northeast-1:111111111111:backup-vault:fintech-workload")
		}, CodeWrongVault, `is in vault "arn:aws:backup:ap-northeast-1:111111111111:backup-vault:fintech-workload"`},
		"not aurora":    {func(o *backup.DescribeRecoveryPointOutput) { o.ResourceType = aws.String("EBS") }, CodeWrongResourceType, `resource type "EBS"`},
		"not completed": {func(o *backup.DescribeRecoveryPointOutput) { o.Status = types.RecoveryPointStatusPartial }, CodeNotCompleted, `status "PARTIAL", not COMPLETED`},
		"expired":       {func(o *backup.DescribeRecoveryPointOutput) { o.Status = types.RecoveryPointStatusExpired }, CodeNotCompleted, `status "EXPIRED"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeBackup{describe: described(c.mutate)}
			_, err := (&Picker{Backup: f}).Pick(context.Background(), PickInput{VaultArn: vaultArn, RecoveryPointArn: rpArn})
			var rpe *RecoveryPointError
			require.ErrorAs(t, err, &rpe)
			assert.Equal(t, c.code, rpe.Code)
			assert.Contains(t, err.Error(), c.msg)
			assert.Empty(t, f.metaIn)
		})
	}
}

func TestPickAWSErrors(t *testing.T) {
	boom := errors.New("ThrottlingException: slow down")
	var ae *AWSError
	_, err := (&Picker{Backup: &fakeBackup{describeErr: boom}}).Pick(context.Background(), PickInput{VaultArn: vaultArn, RecoveryPointArn: rpArn})
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "describe recovery point "+rpArn)

	_, err = (&Picker{Backup: &fakeBackup{listErr: boom}}).Pick(context.Background(), PickInput{VaultArn: vaultArn})
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, err.Error(), "list recovery points of "+vaultArn)

	_, err = (&Picker{Backup: &fakeBackup{describe: described(nil), metadataErr: boom}}).Pick(context.Background(), PickInput{VaultArn: vaultArn, RecoveryPointArn: rpArn})
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, err.Error(), "restore metadata of "+rpArn)

	_, err = (&Picker{Backup: &fakeBackup{}}).Pick(context.Background(), PickInput{VaultArn: "nope"})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
}

func TestParsePickInput(t *testing.T) {
	in, err := ParsePickInput([]byte(`{"vaultArn":"` + vaultArn + `"}`))
	require.NoError(t, err)
	assert.Equal(t, PickInput{VaultArn: vaultArn}, in)
	in, err = ParsePickInput([]byte(`{"vaultArn":"` + vaultArn + `","recoveryPointArn":" ` + rpArn + ` "}`))
	require.NoError(t, err)
	assert.Equal(t, rpArn, in.RecoveryPointArn)
	in, err = ParsePickInput([]byte(`{"vaultArn":"` + vaultArn + `","recoveryPointArn":""}`))
	require.NoError(t, err)
	assert.Equal(t, "", in.RecoveryPointArn, "empty means latest")

	bad := map[string]string{
		"not json":      `{`,
		"array":         `[]`,
		"no vault":      `{}`,
		"bad vault":     `{"vaultArn":"arn:aws:s3:::bucket"}`,
		"bad rp":        `{"vaultArn":"` + vaultArn + `","recoveryPointArn":"latest"}`,
		"unknown field": `{"vaultArn":"` + vaultArn + `","recoveryPoint":"x"}`,
		"trailing":      `{"vaultArn":"` + vaultArn + `"} {}`,
		"wrong type":    `{"vaultArn":7}`,
	}
	for name, raw := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePickInput([]byte(raw))
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), "invalid input: ")
		})
	}
}

func TestParseVaultArn(t *testing.T) {
	v, err := ParseVaultArn(vaultArn)
	require.NoError(t, err)
	assert.Equal(t, VaultRef{Arn: vaultArn, AccountID: "222222222222", Name: "fintech-bunker"}, v)
	_, err = ParseVaultArn("arn:aws:backup:ap-northeast-1:2222:backup-vault:x")
	require.Error(t, err)
	// Only the aws partition is accepted (ADR 0020), as the config does.
	_, err = ParseVaultArn("arn:aws-us-gov:backup:us-gov-west-1:222222222222:backup-vault:fintech-bunker")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "arn:aws:backup:")
}

func FuzzParseInputs(f *testing.F) {
	f.Add([]byte(`{"vaultArn":"` + vaultArn + `","recoveryPointArn":"` + rpArn + `"}`))
	f.Add([]byte(`{"clusterIdentifier":"restore-1","expectedKmsKeyArn":"` + keyArn + `","expectedSubnetGroup":"g","expectedEngine":"aurora-postgresql","query":"SELECT 1"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"vaultArn":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if in, err := ParsePickInput(raw); err == nil {
			if _, perr := ParseVaultArn(in.VaultArn); perr != nil {
				t.Fatalf("accepted a bad vault ARN %q", in.VaultArn)
			}
		} else {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %v", err)
			}
		}
		if in, err := ParseVerifyInput(raw); err == nil {
			if in.ClusterIdentifier == "" || len(in.ClusterIdentifier) > 63 || len(in.Query) > MaxQueryLength {
				t.Fatalf("accepted %+v", in)
			}
		} else {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %v", err)
			}
		}
	})
}
