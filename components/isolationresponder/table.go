package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) table() error {
	t, err := dynamodb.NewTable(b.ctx, b.child("state"), &dynamodb.TableArgs{
		Name:        pulumi.String(b.child("isolation-state")),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String("subnetId"),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String("subnetId"), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String("incidentId"), Type: pulumi.String("S")},
		},
		GlobalSecondaryIndexes: dynamodb.TableGlobalSecondaryIndexArray{
			dynamodb.TableGlobalSecondaryIndexArgs{
				Name: pulumi.String("incident"), HashKey: pulumi.String("incidentId"), ProjectionType: pulumi.String("ALL"),
			},
		},
		ServerSideEncryption: dynamodb.TableServerSideEncryptionArgs{
			Enabled: pulumi.Bool(true), KmsKeyArn: b.args.DataKeyArn,
		},
		PointInTimeRecovery:       dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("state table: %w", err)
	}
	b.r.Table = t
	return nil
}
