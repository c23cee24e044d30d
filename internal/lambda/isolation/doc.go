// Package isolation is the logic of the GuardDuty isolation responder: functions/isolate moves the
// subnets named by a GuardDuty finding to their VPC's quarantine network ACL, records each subnet's
// previous association durably first, captures evidence and notifies; functions/release restores
// exactly the recorded associations.
//
// The logic works over small interfaces (EC2, ECS, RDS, Store, Notifier, Timeline, Approvals) so it
// is tested without AWS; aws.go adapts aws-sdk-go-v2 clients to them.
//
// # What isolate guarantees
//
//   - Events are refused (clear error, nothing called) when malformed, or when they come from another
//     account or region than ACCOUNT_ID / AWS_REGION (event.account, event.region, and
//     detail.accountId / detail.region when present).
//   - Findings below SEVERITY_THRESHOLD, of a type matching none of FINDING_TYPE_PREFIXES, or GuardDuty
//     sample findings (detail.service.additionalInfo.sample = true, unless ACT_ON_SAMPLE_FINDINGS=true)
//     give status IGNORED.
//   - Only subnets of VPCs listed in QUARANTINE_NACLS are touched; the VPC is taken from the subnet's
//     current network ACL, not trusted from the event.
//   - Findings below IMMEDIATE_SEVERITY wait for a human: the approval state machine is started with
//     {"finding": <event>} and nothing is isolated (PENDING_APPROVAL) until the state machine invokes the
//     function with {"action":"isolate-approved","approvedBy":"...","finding":<event>}.
//   - Isolation of N subnets takes three sequential round trips whatever N: one DescribeNetworkAcls for
//     all subnets; one conditional PutItem per subnet, concurrently (records the previous association
//     before anything changes; a subnet already held by an incident is not touched again); one
//     ReplaceNetworkAclAssociation per subnet, concurrently. Marking the records ISOLATED (conditional
//     UpdateItem) runs after that, concurrently with the evidence capture.
//   - Every call is retried with bounded exponential backoff; a subnet that still fails does not stop
//     the others, and the invocation returns status INCOMPLETE with a non-nil error.
//   - Evidence (EBS snapshots of the instance's volumes, Aurora cluster snapshots, a JSON-lines timeline
//     in EVIDENCE_LOG_GROUP, stream = incident id) never undoes isolation; failures are reported.
//
// # Environment of functions/isolate
//
// The names and defaults are declared once in functions/contract, which components/isolationresponder
// uses to set them; tests/function_isolation_contract_test.go feeds the component's rendered environment to LoadConfig
// and LoadReleaseConfig.
//
//	STATE_TABLE                 DynamoDB table (hash key subnetId, GSI "incident" on incidentId). Required.
//	QUARANTINE_NACLS            JSON {"vpc-...": "acl-..."}: quarantine network ACL per VPC. Required, non-empty.
//	BLAST_RADIUS_SUBNETS        JSON {"vpc-...": ["subnet-...", ...]}: isolated when a finding names no
//	                            network resource. Optional (empty = such findings isolate nothing);
//	                            every VPC must be in QUARANTINE_NACLS.
//	ACCOUNT_ID                  12-digit account whose findings are acted on. Required.
//	AWS_REGION                  region whose findings are acted on (set by Lambda). Required.
//	SEVERITY_THRESHOLD          float 0-10, default 7.
//	FINDING_TYPE_PREFIXES       comma-separated prefixes of detail.type; empty = all types.
//	IMMEDIATE_SEVERITY          float 0-10, default 9; below it (and >= threshold) approval is required.
//	APPROVAL_STATE_MACHINE_ARN  Step Functions state machine started for approval. Required when
//	                            IMMEDIATE_SEVERITY > SEVERITY_THRESHOLD.
//	TOPIC_ARN                   SNS topic for notifications. Required.
//	EVIDENCE_LOG_GROUP          CloudWatch Logs group for the timeline. Required.
//	AURORA_CLUSTER_IDS          comma-separated Aurora cluster identifiers snapshotted on isolation. Optional.
//	ACT_ON_SAMPLE_FINDINGS      "true" to act on GuardDuty sample findings (rehearsals); default false.
//	RELEASE_FUNCTION_NAME       name of the release function, quoted in notifications. Optional.
//
// # Environment of functions/release
//
//	STATE_TABLE, TOPIC_ARN, EVIDENCE_LOG_GROUP, ACCOUNT_ID (all required), AWS_REGION.
//
// Release event: {"incidentId": "<GuardDuty finding id>", "requestedBy": "<name>", "reason": "<text>"}.
package isolation
