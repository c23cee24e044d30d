// Package batch provides Batch, scheduled batch jobs the way the FinTech
// best practices ask (seed 000 #9): EventBridge Scheduler starts one ECS
// Fargate task per run on an existing cluster, nothing runs while idle, and
// every task logs to CloudWatch.
//
// Guarantees:
//   - No ECS service and no desired count: between runs nothing runs and
//     nothing is billed but storage.
//   - One Fargate task definition per job (the job's command, a read-only
//     root file system with a writable /tmp volume, the awslogs driver) to a
//     log group encrypted with a customer-managed key, with a fixed retention.
//   - Secrets reach the container only as ECS secrets (valueFrom ARNs), never
//     as plain environment variables. The task execution role may read
//     exactly those secrets (and decrypt with their key), write to exactly
//     that log group and pull the job image; the task role has no
//     permissions at all.
//   - Tasks run in the private subnets with no public IP, behind a security
//     group with no ingress whose only egress is HTTPS (and, when a database
//     security group is given, the database port to that group).
//   - One EventBridge Scheduler schedule per job (flexible time window off,
//     the job's time zone, encrypted with a customer-managed key) whose role
//     may only run those task definitions on that cluster, pass exactly the
//     two task roles to ECS and send to the dead-letter queue.
//   - Failed invocations are retried twice within an hour, then land in an
//     SQS dead-letter queue encrypted with a customer-managed key that keeps
//     messages 14 days and admits only EventBridge Scheduler of this account.
package batch

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/fargate"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "fintech:batch:Batch"

// DefaultTimezone is a job's time zone when none is given.
const DefaultTimezone = "Asia/Tokyo"

// Delivery settings of every schedule.
const (
	// DeadLetterRetentionSeconds keeps undelivered invocations 14 days (the SQS maximum).
	DeadLetterRetentionSeconds = 14 * 24 * 60 * 60
	// MaximumRetryAttempts is how often a failed invocation is retried.
	MaximumRetryAttempts = 2
	// MaximumEventAgeSeconds is how long an invocation may be retried.
	MaximumEventAgeSeconds = 3600
)

// CPU architectures of the task definitions.
const (
	ArchX86 = "X86_64"
	ArchARM = "ARM64"
)

// Job is one scheduled task.
type Job struct {
	// Name is 1-32 characters of a-z, 0-9 and '-'; it names the schedule,
	// the task definition family and the log stream prefix.
	Name string
	// Schedule is "cron(min hour day-of-month month day-of-week year)" or
	// "rate(n minute(s)|hour(s)|day(s))".
	Schedule string
	// Command is the container command; at least one element.
	Command []string
	// Timezone is an IANA time zone for cron schedules; default Asia/Tokyo.
	Timezone string
}

// Args configures Batch.
type Args struct {
	// ClusterArn is the existing ECS cluster the tasks run on (its Fargate
	// ephemeral storage is encrypted with the cluster's key).
	ClusterArn pulumi.StringInput
	// PrivateSubnetIDs are the subnets tasks run in (outbound through NAT
	// or VPC endpoints only); VpcID is their VPC.
	PrivateSubnetIDs pulumi.StringArrayInput
	VpcID            pulumi.StringInput
	// Image is the container image; a private ECR image lets the execution
	// role pull from exactly that repository.
	Image string
	// CpuArchitecture is X86_64 (default) or ARM64.
	CpuArchitecture string
	// Cpu (units) and Memory (MiB) form a valid Fargate combination.
	Cpu    int
	Memory int
	// LogsKeyArn encrypts the log group (customer-managed key).
	LogsKeyArn pulumi.StringInput
	// QueueKeyArn encrypts the dead-letter queue and the schedules
	// (customer-managed key).
	QueueKeyArn pulumi.StringInput
	// SecretsKeyArn is the customer-managed key of the secrets; required
	// when Secrets is not empty.
	SecretsKeyArn pulumi.StringInput
	// LogRetentionDays is a CloudWatch Logs retention value.
	LogRetentionDays int
	// DatabaseSecurityGroupID, when set, allows egress on DatabasePort to it.
	DatabaseSecurityGroupID pulumi.StringInput
	DatabasePort            int
	// Secrets maps container environment variable names to Secrets Manager
	// secret ARNs (optionally with a ":json-key:version-stage:version-id"
	// suffix) or SSM parameter ARNs.
	Secrets map[string]string
	// Environment are plain, non-secret environment variables of every job
	// (e.g. DB_PORT, DB_NAME, DB_AUTH).
	Environment map[string]string
	// TaskPolicyJSON is an optional policy of the jobs' own role (e.g.
	// rds-db:connect for IAM database authentication); without it the role
	// has no permissions.
	TaskPolicyJSON pulumi.StringInput
	// Jobs are the scheduled tasks; at least one.
	Jobs []Job
	// AccountID and Region of the stack.
	AccountID string
	Region    string
	// InterfaceEndpoints, when set, are the VPC interface endpoints the
	// jobs must reach on 443 (a required network path).
	InterfaceEndpoints *flow.Endpoint
}

// Batch is the scheduled jobs.
type Batch struct {
	pulumi.ResourceState

	LogGroup        *cloudwatch.LogGroup
	TaskSecurity    *ec2.SecurityGroup
	DeadLetterQueue *sqs.Queue
	ExecutionRole   *iam.Role
	TaskRole        *iam.Role
	SchedulerRole   *iam.Role
	// TaskDefinitions and Schedules by job name.
	TaskDefinitions map[string]*ecs.TaskDefinition
	Schedules       map[string]*scheduler.Schedule

	// ScheduleArns and ScheduleNames are in job order.
	ScheduleArns        pulumi.StringArrayOutput
	ScheduleNames       pulumi.StringArrayOutput
	DeadLetterQueueArn  pulumi.StringOutput
	TaskSecurityGroupID pulumi.StringOutput
	LogGroupName        pulumi.StringOutput

	// subnets are the private subnets the tasks run in.
	subnets pulumi.StringArrayInput
}

var (
	jobNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
	rateRE     = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$`)
	cronRE     = regexp.MustCompile(`^cron\(([^()]+)\)$`)
	timezoneRE = regexp.MustCompile(`^(UTC|[A-Z][A-Za-z_]*(/[A-Za-z0-9_+-]+){1,2})$`)
)

// ValidFargateSize reports whether cpu units and memory MiB are a
// combination Fargate (Linux) accepts.
func ValidFargateSize(cpu, memory int) bool { return fargate.ValidSize(cpu, memory) }

// ValidSchedule reports why an EventBridge Scheduler expression for a
// recurring job is not valid ("" when it is).
func ValidSchedule(expr string) string {
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		singular := !strings.HasSuffix(m[2], "s")
		if (m[1] == "1") != singular {
			return "rate unit must be singular for 1 and plural otherwise"
		}
		return ""
	}
	if m := cronRE.FindStringSubmatch(expr); m != nil {
		f := strings.Fields(m[1])
		if len(f) != 6 {
			return fmt.Sprintf("cron needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
		}
		if (f[2] == "?") == (f[4] == "?") {
			return "cron needs '?' in exactly one of day-of-month and day-of-week"
		}
		return ""
	}
	return "must be cron(...) with 6 fields or rate(n unit)"
}

// Validate checks the arguments; all problems are reported together.
func (a *Args) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if a.ClusterArn == nil {
		add("ClusterArn (the existing ECS cluster) is required")
	}
	if a.PrivateSubnetIDs == nil || a.VpcID == nil {
		add("PrivateSubnetIDs and VpcID are required")
	}
	if strings.TrimSpace(a.Image) == "" || strings.ContainsAny(a.Image, " \t\n") {
		add("Image %q is not a container image reference", a.Image)
	}
	if a.CpuArchitecture != "" && a.CpuArchitecture != ArchX86 && a.CpuArchitecture != ArchARM {
		add("CpuArchitecture %q is not X86_64 or ARM64", a.CpuArchitecture)
	}
	if !ValidFargateSize(a.Cpu, a.Memory) {
		add("Cpu %d / Memory %d is not a Fargate combination (e.g. 256/512, 512/1024, 1024/2048)", a.Cpu, a.Memory)
	}
	if a.LogsKeyArn == nil {
		add("LogsKeyArn (customer-managed key of the log group) is required")
	}
	if a.QueueKeyArn == nil {
		add("QueueKeyArn (customer-managed key of the dead-letter queue and schedules) is required")
	}
	if !awsfacts.ValidLogRetention(a.LogRetentionDays) {
		add("LogRetentionDays %d is not a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)", a.LogRetentionDays)
	}
	if a.DatabaseSecurityGroupID != nil && (a.DatabasePort < 1 || a.DatabasePort > 65535) {
		add("DatabasePort %d is not a port (required with DatabaseSecurityGroupID)", a.DatabasePort)
	}
	if len(a.Secrets) > 0 && a.SecretsKeyArn == nil {
		add("SecretsKeyArn (customer-managed key of the secrets) is required when Secrets is set")
	}
	p = append(p, awsiam.SecretProblems(a.Secrets)...)
	for k := range a.Environment {
		if !awsiam.ValidEnvName(k) {
			p = append(p, fmt.Sprintf("Environment: %q is not an environment variable name", k))
		}
		if _, dup := a.Secrets[k]; dup {
			p = append(p, fmt.Sprintf("Environment: %s is also in Secrets", k))
		}
	}
	if len(a.Jobs) == 0 {
		add("Jobs must list at least one job (create Batch only when jobs are configured)")
	}
	seen := map[string]bool{}
	for i, j := range a.Jobs {
		if !jobNameRE.MatchString(j.Name) {
			add("Jobs[%d].Name %q must be 1-32 characters of a-z, 0-9 and '-', not starting or ending with '-'", i, j.Name)
		} else if seen[j.Name] {
			add("Jobs[%d].Name %q is used twice", i, j.Name)
		}
		seen[j.Name] = true
		if why := ValidSchedule(j.Schedule); why != "" {
			add("Jobs[%d].Schedule %q: %s", i, j.Schedule, why)
		}
		if len(j.Command) == 0 || strings.TrimSpace(j.Command[0]) == "" {
			add("Jobs[%d].Command must not be empty", i)
		}
		if j.Timezone != "" && !timezoneRE.MatchString(j.Timezone) {
			add("Jobs[%d].Timezone %q is not an IANA time zone such as Asia/Tokyo", i, j.Timezone)
		}
	}
	if !awsfacts.ValidAccountID(a.AccountID) {
		add("AccountID %q is not a 12-digit account id", a.AccountID)
	}
	if p := awsfacts.RegionProblem(a.Region); p != "" {
		add("Region %q %s", a.Region, p)
	}
	if len(p) > 0 {
		return fmt.Errorf("invalid arguments: %s", strings.Join(p, "; "))
	}
	return nil
}

// NewBatch builds the scheduled jobs.
func NewBatch(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Batch, error) {
	if args == nil {
		return nil, fmt.Errorf("batch %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("batch %s: %w", name, err)
	}
	b := &Batch{TaskDefinitions: map[string]*ecs.TaskDefinition{}, Schedules: map[string]*scheduler.Schedule{}}
	if err := ctx.RegisterComponentResource(TypeToken, name, b, opts...); err != nil {
		return nil, fmt.Errorf("batch %s: register: %w", name, err)
	}
	bd := &builder{ctx: ctx, name: name, args: args, b: b, parent: pulumi.Parent(b)}
	for _, step := range []func() error{bd.logs, bd.roles, bd.securityGroup, bd.taskDefinitions, bd.deadLetterQueue, bd.schedules, bd.paths, bd.flows} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("batch %s: %w", name, err)
		}
	}
	var arns, names pulumi.StringArray
	for _, j := range args.Jobs {
		arns = append(arns, b.Schedules[j.Name].Arn)
		names = append(names, b.Schedules[j.Name].Name)
	}
	b.ScheduleArns = arns.ToStringArrayOutput()
	b.ScheduleNames = names.ToStringArrayOutput()
	b.DeadLetterQueueArn = b.DeadLetterQueue.Arn
	b.TaskSecurityGroupID = b.TaskSecurity.ID().ToStringOutput()
	b.LogGroupName = b.LogGroup.Name
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{
		"scheduleArns":        b.ScheduleArns,
		"scheduleNames":       b.ScheduleNames,
		"deadLetterQueueArn":  b.DeadLetterQueueArn,
		"taskSecurityGroupId": b.TaskSecurityGroupID,
		"logGroupName":        b.LogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("batch %s: register outputs: %w", name, err)
	}
	return b, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	b      *Batch
	parent pulumi.ResourceOption
}

// LogGroupName is the task log group of a Batch named name.
func LogGroupName(name string) string { return "/ecs/" + name }

func (bd *builder) logs() error {
	lg, err := cloudwatch.NewLogGroup(bd.ctx, bd.name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(LogGroupName(bd.name)),
		KmsKeyId:        bd.args.LogsKeyArn,
		RetentionInDays: pulumi.Int(bd.args.LogRetentionDays),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("log group: %w", err)
	}
	bd.b.LogGroup = lg
	return nil
}

func (bd *builder) roles() error {
	a := bd.args
	ecsTrust, err := awsiam.ServiceTrust("ecs-tasks.amazonaws.com", a.AccountID)
	if err != nil {
		return err
	}
	exec, err := iam.NewRole(bd.ctx, bd.name+"-execution-role", &iam.RoleArgs{
		Description:      pulumi.String("ECS task execution: pull the job image, write its logs, read its secrets"),
		AssumeRolePolicy: pulumi.String(ecsTrust),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("execution role: %w", err)
	}
	task, err := iam.NewRole(bd.ctx, bd.name+"-task-role", &iam.RoleArgs{
		Description:      pulumi.String("Batch job tasks: no AWS permissions"),
		AssumeRolePolicy: pulumi.String(ecsTrust),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("task role: %w", err)
	}
	bd.b.ExecutionRole, bd.b.TaskRole = exec, task
	if a.TaskPolicyJSON != nil {
		if _, err := iam.NewRolePolicy(bd.ctx, bd.name+"-task-policy", &iam.RolePolicyArgs{
			Role:   task.ID(),
			Policy: a.TaskPolicyJSON,
		}, bd.parent); err != nil {
			return fmt.Errorf("task policy: %w", err)
		}
	}

	secretArns, paramArns := awsiam.SecretResources(a.Secrets)
	var secretsKey pulumi.StringInput = pulumi.String("")
	if a.SecretsKeyArn != nil {
		secretsKey = a.SecretsKeyArn
	}
	doc := pulumi.All(bd.b.LogGroup.Arn, secretsKey).ApplyT(func(v []any) (string, error) {
		logArn, keyArn := v[0].(string), v[1].(string)
		sts := []awsiam.Statement{{
			"Sid":      "WriteTaskLogs",
			"Effect":   "Allow",
			"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": []string{logArn + ":log-stream:*"},
		}}
		if _, private := awsfacts.ParseECRImage(a.Image); private {
			sts = append(sts,
				awsiam.Statement{"Sid": "EcrLogin", "Effect": "Allow", "Action": []string{"ecr:GetAuthorizationToken"}, "Resource": []string{"*"}},
				awsiam.Statement{
					"Sid": "PullJobImage", "Effect": "Allow",
					"Action":   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
					"Resource": []string{fargate.ECRRepositoryArn(a.Image)},
				})
		}
		if len(secretArns) > 0 {
			sts = append(sts, awsiam.Statement{"Sid": "ReadJobSecrets", "Effect": "Allow", "Action": []string{"secretsmanager:GetSecretValue"}, "Resource": secretArns})
		}
		if len(paramArns) > 0 {
			sts = append(sts, awsiam.Statement{"Sid": "ReadJobParameters", "Effect": "Allow", "Action": []string{"ssm:GetParameters"}, "Resource": paramArns})
		}
		if keyArn != "" {
			sts = append(sts, awsiam.Statement{"Sid": "DecryptJobSecrets", "Effect": "Allow", "Action": []string{"kms:Decrypt"}, "Resource": []string{keyArn}})
		}
		return awsiam.Policy(sts...)
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(bd.ctx, bd.name+"-execution-policy", &iam.RolePolicyArgs{
		Role:   exec.Name,
		Policy: doc,
	}, bd.parent); err != nil {
		return fmt.Errorf("execution policy: %w", err)
	}
	return nil
}

func (bd *builder) securityGroup() error {
	a := bd.args
	sg, err := ec2.NewSecurityGroup(bd.ctx, bd.name+"-task-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String("Batch job tasks: no ingress, HTTPS (and database) egress only"),
		VpcId:       a.VpcID,
		Egress:      fargate.EgressHTTPSAndDatabase("HTTPS to AWS APIs and the image registry", a.DatabaseSecurityGroupID, a.DatabasePort),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("task security group: %w", err)
	}
	bd.b.TaskSecurity = sg
	return nil
}

// containerDefinitions is the single job container of a task definition.
func (bd *builder) containerDefinitions(j Job) (string, error) {
	a := bd.args
	var secrets []map[string]string
	for _, k := range slices.Sorted(maps.Keys(a.Secrets)) {
		secrets = append(secrets, map[string]string{"name": k, "valueFrom": a.Secrets[k]})
	}
	c := map[string]any{
		"name":                   j.Name,
		"image":                  a.Image,
		"essential":              true,
		"command":                j.Command,
		"readonlyRootFilesystem": true,
		"mountPoints":            []map[string]any{{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": false}},
		"logConfiguration": map[string]any{
			"logDriver": "awslogs",
			"options": map[string]string{
				"awslogs-group":         LogGroupName(bd.name),
				"awslogs-region":        a.Region,
				"awslogs-stream-prefix": j.Name,
			},
		},
	}
	if len(secrets) > 0 {
		c["secrets"] = secrets
	}
	if len(a.Environment) > 0 {
		var env []map[string]string
		for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
			env = append(env, map[string]string{"name": k, "value": a.Environment[k]})
		}
		c["environment"] = env
	}
	return awsiam.JSON([]any{c})
}

func (bd *builder) taskDefinitions() error {
	a := bd.args
	arch := a.CpuArchitecture
	if arch == "" {
		arch = ArchX86
	}
	for _, j := range a.Jobs {
		defs, err := bd.containerDefinitions(j)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		td, err := ecs.NewTaskDefinition(bd.ctx, bd.name+"-"+j.Name, &ecs.TaskDefinitionArgs{
			Family:                  pulumi.String(bd.name + "-" + j.Name),
			RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
			NetworkMode:             pulumi.String("awsvpc"),
			Cpu:                     pulumi.String(fmt.Sprint(a.Cpu)),
			Memory:                  pulumi.String(fmt.Sprint(a.Memory)),
			RuntimePlatform: ecs.TaskDefinitionRuntimePlatformArgs{
				OperatingSystemFamily: pulumi.String("LINUX"),
				CpuArchitecture:       pulumi.String(arch),
			},
			ExecutionRoleArn:     bd.b.ExecutionRole.Arn,
			TaskRoleArn:          bd.b.TaskRole.Arn,
			ContainerDefinitions: pulumi.String(defs),
			Volumes:              ecs.TaskDefinitionVolumeArray{ecs.TaskDefinitionVolumeArgs{Name: pulumi.String("tmp")}},
		}, bd.parent, pulumi.DependsOn([]pulumi.Resource{bd.b.LogGroup}))
		if err != nil {
			return fmt.Errorf("task definition %s: %w", j.Name, err)
		}
		bd.b.TaskDefinitions[j.Name] = td
	}
	return nil
}

func (bd *builder) deadLetterQueue() error {
	q, err := sqs.NewQueue(bd.ctx, bd.name+"-dlq", &sqs.QueueArgs{
		KmsMasterKeyId:          bd.args.QueueKeyArn,
		MessageRetentionSeconds: pulumi.Int(DeadLetterRetentionSeconds),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	bd.b.DeadLetterQueue = q
	account := bd.args.AccountID
	doc := q.Arn.ApplyT(func(arn string) (string, error) {
		return awsiam.Policy(
			awsiam.Statement{
				"Sid":       "SchedulerDeadLetters",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
				"Action":    "sqs:SendMessage",
				"Resource":  arn,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
			},
			awsiam.Statement{
				"Sid":       "DenyInsecureTransport",
				"Effect":    "Deny",
				"Principal": "*",
				"Action":    "sqs:*",
				"Resource":  arn,
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})
	}).(pulumi.StringOutput)
	if _, err := sqs.NewQueuePolicy(bd.ctx, bd.name+"-dlq-policy", &sqs.QueuePolicyArgs{
		QueueUrl: q.Url,
		Policy:   doc,
	}, bd.parent); err != nil {
		return fmt.Errorf("dead-letter queue policy: %w", err)
	}
	return nil
}

func (bd *builder) schedules() error {
	a := bd.args
	trust, err := awsiam.ServiceTrust("scheduler.amazonaws.com", a.AccountID)
	if err != nil {
		return err
	}
	role, err := iam.NewRole(bd.ctx, bd.name+"-scheduler-role", &iam.RoleArgs{
		Description:      pulumi.String("EventBridge Scheduler: run the batch task definitions on the cluster"),
		AssumeRolePolicy: pulumi.String(trust),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("scheduler role: %w", err)
	}
	bd.b.SchedulerRole = role
	var tdArns pulumi.StringArray
	for _, j := range a.Jobs {
		tdArns = append(tdArns, bd.b.TaskDefinitions[j.Name].Arn)
	}
	doc := pulumi.All(tdArns, a.ClusterArn, bd.b.ExecutionRole.Arn, bd.b.TaskRole.Arn, bd.b.DeadLetterQueue.Arn, a.QueueKeyArn).ApplyT(func(v []any) (string, error) {
		tds, _ := v[0].([]string)
		cluster, execArn, taskArn, dlqArn, keyArn := v[1].(string), v[2].(string), v[3].(string), v[4].(string), v[5].(string)
		return awsiam.Policy(
			awsiam.Statement{
				"Sid": "RunJobTasks", "Effect": "Allow", "Action": []string{"ecs:RunTask"}, "Resource": tds,
				"Condition": map[string]any{"ArnEquals": map[string]any{"ecs:cluster": cluster}},
			},
			awsiam.Statement{
				"Sid": "PassTaskRoles", "Effect": "Allow", "Action": []string{"iam:PassRole"}, "Resource": []string{execArn, taskArn},
				"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
			},
			awsiam.Statement{"Sid": "DeadLetters", "Effect": "Allow", "Action": []string{"sqs:SendMessage"}, "Resource": []string{dlqArn}},
			// The schedules and the dead-letter queue are encrypted with
			// this key; the execution role uses it for both.
			awsiam.Statement{"Sid": "ScheduleAndQueueKey", "Effect": "Allow", "Action": []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": []string{keyArn}})
	}).(pulumi.StringOutput)
	pol, err := iam.NewRolePolicy(bd.ctx, bd.name+"-scheduler-policy", &iam.RolePolicyArgs{Role: role.Name, Policy: doc}, bd.parent)
	if err != nil {
		return fmt.Errorf("scheduler policy: %w", err)
	}
	group, err := scheduler.NewScheduleGroup(bd.ctx, bd.name+"-group", &scheduler.ScheduleGroupArgs{
		Name: pulumi.String(bd.name),
	}, bd.parent)
	if err != nil {
		return fmt.Errorf("schedule group: %w", err)
	}
	for _, j := range a.Jobs {
		tz := j.Timezone
		if tz == "" {
			tz = DefaultTimezone
		}
		s, err := scheduler.NewSchedule(bd.ctx, bd.name+"-"+j.Name+"-schedule", &scheduler.ScheduleArgs{
			Name:                       pulumi.String(j.Name),
			GroupName:                  group.Name,
			Description:                pulumi.String(fmt.Sprintf("batch job %s", j.Name)),
			ScheduleExpression:         pulumi.String(j.Schedule),
			ScheduleExpressionTimezone: pulumi.String(tz),
			State:                      pulumi.String("ENABLED"),
			KmsKeyArn:                  a.QueueKeyArn,
			FlexibleTimeWindow:         scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			Target: scheduler.ScheduleTargetArgs{
				Arn:     a.ClusterArn,
				RoleArn: role.Arn,
				EcsParameters: scheduler.ScheduleTargetEcsParametersArgs{
					TaskDefinitionArn: bd.b.TaskDefinitions[j.Name].Arn,
					LaunchType:        pulumi.String("FARGATE"),
					TaskCount:         pulumi.Int(1),
					NetworkConfiguration: scheduler.ScheduleTargetEcsParametersNetworkConfigurationArgs{
						Subnets:        a.PrivateSubnetIDs,
						SecurityGroups: pulumi.StringArray{bd.b.TaskSecurity.ID()},
						AssignPublicIp: pulumi.Bool(false),
					},
				},
				DeadLetterConfig: scheduler.ScheduleTargetDeadLetterConfigArgs{Arn: bd.b.DeadLetterQueue.Arn},
				RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
					MaximumRetryAttempts:     pulumi.Int(MaximumRetryAttempts),
					MaximumEventAgeInSeconds: pulumi.Int(MaximumEventAgeSeconds),
				},
			},
		}, bd.parent, pulumi.DependsOn([]pulumi.Resource{pol}))
		if err != nil {
			return fmt.Errorf("schedule %s: %w", j.Name, err)
		}
		bd.b.Schedules[j.Name] = s
	}
	return nil
}
