package isolationresponder

import (
	"fmt"
	"strings"
)

// partition returns the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// names are the plain names and ARNs fixed before anything is created
// (they break the function <-> state machine cycle).
type names struct {
	part, region, account string
	fn                    map[string]string
	fnArn                 map[string]string
	fnLogGroup            map[string]string
	evidenceLogGroup      string
	stateMachine          string
	stateMachineArn       string
	stateMachineLogGroup  string
}

func newNames(name, account, region string) names {
	p := partition(region)
	n := names{
		part: p, region: region, account: account,
		fn: map[string]string{}, fnArn: map[string]string{}, fnLogGroup: map[string]string{},
		evidenceLogGroup:     "/fintech/" + name + "/isolation-evidence",
		stateMachine:         name + "-approval",
		stateMachineLogGroup: "/aws/vendedlogs/states/" + name + "-approval",
	}
	n.stateMachineArn = fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", p, region, account, n.stateMachine)
	for _, fn := range []string{FunctionIsolate, FunctionRelease} {
		n.fn[fn] = name + "-" + fn
		n.fnArn[fn] = fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, region, account, n.fn[fn])
		n.fnLogGroup[fn] = "/aws/lambda/" + n.fn[fn]
	}
	return n
}

func (n names) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", n.part, service, n.region, n.account, resource)
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
