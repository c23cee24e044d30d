package isolationresponder

import (
	"fmt"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
)

// names are the plain names and ARNs fixed before anything is created
// (they break the function <-> state machine cycle).
type names struct {
	region, account      string
	fn                   map[string]string
	fnArn                map[string]string
	fnLogGroup           map[string]string
	evidenceLogGroup     string
	stateMachine         string
	stateMachineArn      string
	stateMachineLogGroup string
}

func newNames(name, account, region string) names {
	n := names{
		region: region, account: account,
		fn: map[string]string{}, fnArn: map[string]string{}, fnLogGroup: map[string]string{},
		evidenceLogGroup:     "/fintech/" + name + "/isolation-evidence",
		stateMachine:         name + "-approval",
		stateMachineLogGroup: "/aws/vendedlogs/states/" + name + "-approval",
	}
	n.stateMachineArn = fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", awsfacts.Partition, region, account, n.stateMachine)
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		n.fn[fn] = name + "-" + fn
		n.fnArn[fn] = fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", awsfacts.Partition, region, account, n.fn[fn])
		n.fnLogGroup[fn] = "/aws/lambda/" + n.fn[fn]
	}
	return n
}

func (n names) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", awsfacts.Partition, service, n.region, n.account, resource)
}

func (n names) logGroupArns(group string) []string {
	base := n.arn("logs", "log-group:"+group)
	return []string{base, base + ":*"}
}

// resolved are the values known only once other resources exist.
type resolved struct {
	vpcID, tableArn, topicArn, dlqArn, dataKey, notifyKey string
	clusters                                              []string
}
