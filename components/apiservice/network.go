package apiservice

// The security groups and internal load balancer of ApiService.

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) securityGroups() error {
	a := b.args
	albSG, err := ec2.NewSecurityGroup(b.ctx, b.name+"-alb-sg", &ec2.SecurityGroupArgs{
		VpcId:               a.VpcID,
		Description:         pulumi.String("Internal ALB of " + a.ServiceName + ": CloudFront origin-facing only"),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(a.ServiceName + "-alb")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("alb security group: %w", err)
	}
	taskSG, err := ec2.NewSecurityGroup(b.ctx, b.name+"-task-sg", &ec2.SecurityGroupArgs{
		VpcId:               a.VpcID,
		Description:         pulumi.String("Tasks of " + a.ServiceName + ": from the ALB only"),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(a.ServiceName + "-tasks")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task security group: %w", err)
	}
	b.s.AlbSecurityGroup, b.s.TaskSecurityGroup = albSG, taskSG
	tcp := pulumi.String("tcp")
	if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-alb-from-cloudfront", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: albSG.ID(),
		Description:     pulumi.String("CloudFront origin-facing"),
		PrefixListId:    pulumi.String(a.CloudFrontPrefixListID),
		IpProtocol:      tcp,
		FromPort:        pulumi.Int(a.ListenerPort),
		ToPort:          pulumi.Int(a.ListenerPort),
	}, b.parent); err != nil {
		return fmt.Errorf("alb ingress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-alb-to-tasks", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           albSG.ID(),
		Description:               pulumi.String("to the tasks"),
		ReferencedSecurityGroupId: taskSG.ID(),
		IpProtocol:                tcp,
		FromPort:                  pulumi.Int(a.AppPort),
		ToPort:                    pulumi.Int(a.AppPort),
	}, b.parent); err != nil {
		return fmt.Errorf("alb egress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-tasks-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           taskSG.ID(),
		Description:               pulumi.String("from the ALB"),
		ReferencedSecurityGroupId: albSG.ID(),
		IpProtocol:                tcp,
		FromPort:                  pulumi.Int(a.AppPort),
		ToPort:                    pulumi.Int(a.AppPort),
	}, b.parent); err != nil {
		return fmt.Errorf("task ingress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-tasks-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: taskSG.ID(),
		Description:     pulumi.String("HTTPS to AWS APIs (endpoints or NAT)"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		IpProtocol:      tcp,
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
	}, b.parent); err != nil {
		return fmt.Errorf("task https egress: %w", err)
	}
	if a.DatabaseSecurityGroupID != nil {
		if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-tasks-to-db", &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           taskSG.ID(),
			Description:               pulumi.String("to the database"),
			ReferencedSecurityGroupId: a.DatabaseSecurityGroupID,
			IpProtocol:                tcp,
			FromPort:                  pulumi.Int(a.DatabasePort),
			ToPort:                    pulumi.Int(a.DatabasePort),
		}, b.parent); err != nil {
			return fmt.Errorf("task database egress: %w", err)
		}
	}
	return nil
}

func (b *builder) loadBalancer() error {
	a := b.args
	lbArgs := &lb.LoadBalancerArgs{
		Internal:                pulumi.Bool(true),
		LoadBalancerType:        pulumi.String("application"),
		Subnets:                 a.PrivateSubnetIDs,
		SecurityGroups:          pulumi.StringArray{b.s.AlbSecurityGroup.ID()},
		DropInvalidHeaderFields: pulumi.Bool(true),
		DesyncMitigationMode:    pulumi.String("strictest"),
		Tags:                    pulumi.StringMap{"Name": pulumi.String(a.ServiceName)},
	}
	if a.AccessLogsBucket != "" {
		lbArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  pulumi.String(a.AccessLogsBucket),
			Prefix:  pulumi.String(a.AccessLogsPrefix),
			Enabled: pulumi.Bool(true),
		}
	}
	alb, err := lb.NewLoadBalancer(b.ctx, b.name+"-alb", lbArgs, b.parent)
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	b.s.LoadBalancer = alb
	tg, err := lb.NewTargetGroup(b.ctx, b.name+"-tg", &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(a.AppPort),
		Protocol:            pulumi.String("HTTP"),
		VpcId:               a.VpcID,
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Path:               pulumi.String(a.HealthCheckPath),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200-399"),
			Interval:           pulumi.Int(15),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(3),
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("target group: %w", err)
	}
	b.s.TargetGroup = tg
	lnArgs := &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(a.ListenerPort),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: tg.Arn,
		}},
	}
	if a.ListenerPort == 443 {
		lnArgs.Protocol = pulumi.String("HTTPS")
		lnArgs.CertificateArn = a.CertificateArn
		lnArgs.SslPolicy = pulumi.String(HTTPSListenerPolicy)
	}
	ln, err := lb.NewListener(b.ctx, b.name+"-listener", lnArgs, b.parent)
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	b.s.Listener = ln
	return nil
}
