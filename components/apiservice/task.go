package apiservice

// The cluster, task definition, log group and service of ApiService.

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerSpec is what ContainerDefinitions needs, all values known.
type ContainerSpec struct {
	Image        string
	Port         int
	Environment  map[string]string
	Secrets      map[string]string
	LogGroupName string
	Region       string
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type nameValueFrom struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// ContainerDefinitions returns the task's container definitions JSON: one
// essential container with a read-only root file system (and a writable
// /tmp volume), not privileged, plain environment values, secrets as ECS
// secrets and awslogs logging.
func ContainerDefinitions(s ContainerSpec) (string, error) {
	env := []nameValue{}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		env = append(env, nameValue{Name: k, Value: s.Environment[k]})
	}
	secrets := []nameValueFrom{}
	for _, k := range slices.Sorted(maps.Keys(s.Secrets)) {
		secrets = append(secrets, nameValueFrom{Name: k, ValueFrom: s.Secrets[k]})
	}
	def := []map[string]any{{
		"name":                   ContainerName,
		"image":                  s.Image,
		"essential":              true,
		"readonlyRootFilesystem": true,
		"privileged":             false,
		"portMappings": []map[string]any{{
			"containerPort": s.Port, "hostPort": s.Port, "protocol": "tcp",
		}},
		"environment": env,
		"secrets":     secrets,
		"mountPoints": []map[string]any{{
			"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": false,
		}},
		"logConfiguration": map[string]any{
			"logDriver": "awslogs",
			"options": map[string]string{
				"awslogs-group":         s.LogGroupName,
				"awslogs-region":        s.Region,
				"awslogs-stream-prefix": ContainerName,
			},
		},
	}}
	out, err := json.Marshal(def)
	if err != nil {
		return "", fmt.Errorf("marshal container definitions: %w", err)
	}
	return string(out), nil
}

func (b *builder) logGroup() error {
	lg, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/ecs/" + b.args.ServiceName),
		KmsKeyId:        b.args.LogsKeyArn,
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("log group: %w", err)
	}
	b.s.LogGroup = lg
	return nil
}

func (b *builder) cluster() error {
	c, err := ecs.NewCluster(b.ctx, b.name+"-cluster", &ecs.ClusterArgs{
		Name: pulumi.String(b.args.ServiceName),
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled"),
		}},
		Configuration: &ecs.ClusterConfigurationArgs{
			ManagedStorageConfiguration: &ecs.ClusterConfigurationManagedStorageConfigurationArgs{
				FargateEphemeralStorageKmsKeyId: b.args.DataKeyArn,
				KmsKeyId:                        b.args.DataKeyArn,
			},
			// ECS Exec is off on the service; should it be turned on, its
			// sessions are encrypted with the data key and logged to the
			// encrypted log group.
			ExecuteCommandConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationArgs{
				KmsKeyId: b.args.DataKeyArn,
				Logging:  pulumi.String("OVERRIDE"),
				LogConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs{
					CloudWatchEncryptionEnabled: pulumi.Bool(true),
					CloudWatchLogGroupName:      b.s.LogGroup.Name,
				},
			},
		},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	b.s.Cluster = c
	return nil
}

func (b *builder) taskDefinition() error {
	names := make([]string, 0, len(b.args.Secrets))
	for k := range b.args.Secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	inputs := []any{b.args.Image, b.s.LogGroup.Name}
	for _, k := range names {
		inputs = append(inputs, b.args.Secrets[k])
	}
	env := b.args.Environment
	port, region := b.args.AppPort, b.args.Region
	defs := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		secrets := make(map[string]string, len(names))
		for i, k := range names {
			secrets[k] = v[2+i].(string)
		}
		return ContainerDefinitions(ContainerSpec{
			Image: v[0].(string), Port: port, Environment: env, Secrets: secrets,
			LogGroupName: v[1].(string), Region: region,
		})
	}).(pulumi.StringOutput)
	td, err := ecs.NewTaskDefinition(b.ctx, b.name+"-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(b.args.ServiceName),
		Cpu:                     pulumi.String(strconv.Itoa(b.args.Cpu)),
		Memory:                  pulumi.String(strconv.Itoa(b.args.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(b.args.CpuArchitecture),
		},
		ExecutionRoleArn:     b.s.ExecutionRole.Arn,
		TaskRoleArn:          b.s.TaskRole.Arn,
		ContainerDefinitions: defs,
		Volumes:              ecs.TaskDefinitionVolumeArray{ecs.TaskDefinitionVolumeArgs{Name: pulumi.String("tmp")}},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task definition: %w", err)
	}
	b.s.TaskDefinition = td
	return nil
}

func (b *builder) service() error {
	a := b.args
	svc, err := ecs.NewService(b.ctx, b.name+"-service", &ecs.ServiceArgs{
		Name:            pulumi.String(a.ServiceName),
		Cluster:         b.s.Cluster.Arn,
		TaskDefinition:  b.s.TaskDefinition.Arn,
		DesiredCount:    pulumi.Int(a.DesiredCount),
		LaunchType:      pulumi.String("FARGATE"),
		PlatformVersion: pulumi.String("LATEST"),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{b.s.TaskSecurityGroup.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: b.s.TargetGroup.Arn,
			ContainerName:  pulumi.String(ContainerName),
			ContainerPort:  pulumi.Int(a.AppPort),
		}},
		HealthCheckGracePeriodSeconds: pulumi.Int(60),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		EnableExecuteCommand: pulumi.Bool(false),
		PropagateTags:        pulumi.String("SERVICE"),
		EnableEcsManagedTags: pulumi.Bool(true),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{b.s.Listener}))
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	b.s.Service = svc
	return nil
}
