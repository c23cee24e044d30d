package tests

import "github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"

func testParams() restoreworkflow.DefinitionParams {
	return restoreworkflow.DefinitionParams{
		Region:                   "ap-northeast-1",
		PickFunctionArn:          "arn:aws:lambda:ap-northeast-1:333333333333:function:rw-restorepick",
		VerifyFunctionArn:        "arn:aws:lambda:ap-northeast-1:333333333333:function:rw-restoreverify",
		MetricsFunctionArn:       "arn:aws:lambda:ap-northeast-1:333333333333:function:rw-restoremetrics",
		LogsKeyArn:               "arn:aws:kms:ap-northeast-1:333333333333:key/logs",
		DatabaseLogRetentionDays: 731,
		VaultArn:                 "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:fintech-bunker",
		RestoreRoleArn:           "arn:aws:iam::333333333333:role/rw-restore",
		SubnetGroupName:          "restore-isolated",
		SecurityGroupIDs:         []string{"sg-0db1", "sg-0db2"},
		ParameterGroupName:       "restored-tls",
		KeyArn:                   "arn:aws:kms:ap-northeast-1:333333333333:key/data",
		Engine:                   "aurora-postgresql",
		EngineVersion:            "16.4",
		ClusterIdentifierPrefix:  "fintech-restore",
		InstanceCount:            2,
		MinCapacity:              0.5,
		MaxCapacity:              16,
		PollIntervalSeconds:      60,
		RestoreTimeoutSeconds:    21600,
		ApprovalTimeoutSeconds:   86400,
		VerifyQuery:              "SELECT 1",
		VerifyDatabase:           "core",
		TopicArn:                 "arn:aws:sns:ap-northeast-1:333333333333:rw-topic",
		CutoverParameterName:     "/fintech/app/db-endpoint",
		EcsClusterArn:            "arn:aws:ecs:ap-northeast-1:333333333333:cluster/app",
		EcsServiceName:           "core-api",
	}
}
