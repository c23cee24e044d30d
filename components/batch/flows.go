package batch

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/fargate"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// flows declares what EventBridge Scheduler does with the scheduler role
// when a schedule fires (RunTask, passing the two task roles, the
// dead-letter queue and the key of the schedules and queue), what CloudWatch
// Logs does with the logs key for the task log group, and that the
// scheduler role passes no other role.
func (bd *builder) flows() error {
	a := bd.args
	if len(a.Jobs) == 0 {
		return nil
	}
	role := bd.b.SchedulerRole.Arn
	caller := "EventBridge Scheduler (schedule group " + bd.name + ", scheduler role)"
	via := func(svc string) pulumi.StringInput {
		return pulumi.String(fmt.Sprintf("%s.%s.amazonaws.com", svc, a.Region))
	}
	required := []struct {
		part, why string
		principal pulumi.StringInput
		actions   []string
		resource  pulumi.StringInput
		context   map[string]pulumi.StringInput
	}{
		{"run-task", "each schedule runs its task definition on the cluster", role, []string{"ecs:RunTask"},
			bd.b.TaskDefinitions[a.Jobs[0].Name].Arn, map[string]pulumi.StringInput{"ecs:cluster": a.ClusterArn}},
		{"pass-execution-role", "RunTask passes the execution role to ECS", role, []string{"iam:PassRole"},
			bd.b.ExecutionRole.Arn, map[string]pulumi.StringInput{"iam:PassedToService": pulumi.String("ecs-tasks.amazonaws.com")}},
		{"pass-task-role", "RunTask passes the task role to ECS", role, []string{"iam:PassRole"},
			bd.b.TaskRole.Arn, map[string]pulumi.StringInput{"iam:PassedToService": pulumi.String("ecs-tasks.amazonaws.com")}},
		{"dead-letter", "a run that cannot start goes to the dead-letter queue", role, []string{"sqs:SendMessage"},
			bd.b.DeadLetterQueue.Arn, nil},
		{"dead-letter-key", "the dead-letter queue is encrypted with the queue key", role, []string{"kms:GenerateDataKey", "kms:Decrypt"},
			a.QueueKeyArn, map[string]pulumi.StringInput{"kms:ViaService": via("sqs"), "kms:CallerAccount": pulumi.String(a.AccountID)}},
		{"logs-key", "CloudWatch Logs encrypts the task log group with the logs key",
			pulumi.String(fmt.Sprintf("logs.%s.amazonaws.com", a.Region)), []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"},
			a.LogsKeyArn, map[string]pulumi.StringInput{"kms:EncryptionContext:aws:logs:arn": bd.b.LogGroup.Arn}},
	}
	// ECS starts each task with the execution role.
	exec := bd.b.ExecutionRole.Arn
	execCaller := "ECS (task execution role of " + bd.name + ")"
	secretArns, paramArns := awsiam.SecretResources(a.Secrets)
	type execAccess struct {
		part, why string
		actions   []string
		resource  string
	}
	execList := []execAccess{}
	if _, private := awsfacts.ParseECRImage(a.Image); private {
		execList = append(execList,
			execAccess{"image-auth", "ECR authorization before the pull", []string{"ecr:GetAuthorizationToken"}, "*"},
			execAccess{"image-pull", "pull the job image", []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, fargate.ECRRepositoryArn(a.Image)})
	}
	for i, arn := range secretArns {
		execList = append(execList, execAccess{fmt.Sprintf("secret-%d", i+1), "a secret injected into the job container", []string{"secretsmanager:GetSecretValue"}, arn})
	}
	for i, arn := range paramArns {
		execList = append(execList, execAccess{fmt.Sprintf("parameter-%d", i+1), "a parameter injected into the job container", []string{"ssm:GetParameters"}, arn})
	}
	for _, f := range execList {
		if err := flow.Require(bd.ctx, bd.b, bd.name, f.part, flow.Access{
			Principal: exec, Actions: f.actions, Resource: pulumi.String(f.resource), Caller: execCaller, Reason: f.why,
		}); err != nil {
			return err
		}
	}
	if err := flow.Require(bd.ctx, bd.b, bd.name, "task-logs", flow.Access{
		Principal: exec, Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: bd.b.LogGroup.Arn.ApplyT(func(arn string) string { return arn + ":log-stream:ecs/job/example" }).(pulumi.StringOutput),
		Caller:   execCaller, Reason: "the awslogs driver writes the job's log stream",
	}); err != nil {
		return err
	}
	for _, f := range required {
		if err := flow.Require(bd.ctx, bd.b, bd.name, f.part, flow.Access{
			Principal: f.principal, Actions: f.actions, Resource: f.resource, Context: f.context, Caller: caller, Reason: f.why,
		}); err != nil {
			return err
		}
	}
	return flow.Forbid(bd.ctx, bd.b, bd.name, "no-pass-other-role", flow.Access{
		Principal: role, Actions: []string{"iam:PassRole"},
		Resource: pulumi.String(fmt.Sprintf("arn:aws:iam::%s:role/any-other-role", a.AccountID)),
		Context:  map[string]pulumi.StringInput{"iam:PassedToService": pulumi.String("ecs-tasks.amazonaws.com")},
		Caller:   caller, Reason: "a schedule that could pass any role would run tasks with any role's rights",
	})
}
