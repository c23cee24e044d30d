// Package fargate holds small, pure helpers the container components share:
// Fargate task sizes, ECR repository ARNs of images and the egress of a
// task security group.
package fargate

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// ValidSize reports whether cpu units and memory MiB are a task size
// Fargate (Linux) accepts.
func ValidSize(cpu, memory int) bool {
	inSteps := func(lo, hi, step int) bool {
		return memory >= lo && memory <= hi && (memory-lo)%step == 0
	}
	switch cpu {
	case 256:
		return memory == 512 || memory == 1024 || memory == 2048
	case 512:
		return inSteps(1024, 4096, 1024)
	case 1024:
		return inSteps(2048, 8192, 1024)
	case 2048:
		return inSteps(4096, 16384, 1024)
	case 4096:
		return inSteps(8192, 30720, 1024)
	case 8192:
		return inSteps(16384, 61440, 4096)
	case 16384:
		return inSteps(32768, 122880, 8192)
	}
	return false
}

// ECRRepositoryArn returns the repository ARN of a private ECR image URI,
// or "" when the image is not in ECR of the aws partition (only aws-partition
// regions are accepted, docs/decisions/0020).
func ECRRepositoryArn(image string) string {
	img, ok := awsfacts.ParseECRImage(image)
	if !ok {
		return ""
	}
	return img.RepositoryArn()
}

// EgressHTTPSAndDatabase returns the egress rules of a security group that
// admits no ingress: HTTPS (443) anywhere, described as httpsDescription,
// and, when databaseSG is not nil, databasePort to that security group.
func EgressHTTPSAndDatabase(httpsDescription string, databaseSG pulumi.StringInput, databasePort int) ec2.SecurityGroupEgressArray {
	egress := ec2.SecurityGroupEgressArray{
		ec2.SecurityGroupEgressArgs{
			Description: pulumi.String(httpsDescription),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		},
	}
	if databaseSG != nil {
		egress = append(egress, ec2.SecurityGroupEgressArgs{
			Description: pulumi.String("the database"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(databasePort), ToPort: pulumi.Int(databasePort),
			SecurityGroups: pulumi.StringArray{databaseSG},
		})
	}
	return egress
}
