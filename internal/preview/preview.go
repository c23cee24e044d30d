// Package preview runs the real Pulumi program under Pulumi mocks and
// records the resource graph it registers, with no cloud credentials and no
// network.
//
// The mocks answer like a provider would for what the program reads: every
// resource gets a deterministic id (prefixed as AWS would, e.g. vpc-…), and
// types that have an ARN get one built from the stack's account and region.
// Invokes (data-source look-ups) are refused, so a program that depends on a
// look-up fails offline instead of silently receiving nothing.
package preview

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Options describe the stack to preview.
type Options struct {
	Project string
	Stack   string
	// Config is the stack configuration, full keys to raw values (structured
	// values as JSON), as Pulumi passes it to programs.
	Config map[string]string
	// SecretKeys are the config keys that are secret.
	SecretKeys []string
	// Account and Region build the ARNs the mocks return.
	Account string
	Region  string
	// RootDirectory is the project directory (where Pulumi.yaml is).
	RootDirectory string
	// StackOutputs answer stack references: referenced stack name to its
	// outputs. A reference to a stack not listed has no outputs.
	StackOutputs map[string]map[string]string
}

// Run executes program under mocks and returns the graph it registered.
func Run(program pulumi.RunFunc, opts Options) (*graph.Graph, error) {
	m := &mocks{opts: opts}
	err := pulumi.RunErr(program, pulumi.WithMocks(opts.Project, opts.Stack, m), func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.SecretKeys
		info.DryRun = true
		info.RootDirectory = opts.RootDirectory
	})
	if err != nil {
		return nil, err
	}
	return graph.New(m.resources()), nil
}

type mocks struct {
	opts Options
	mu   sync.Mutex
	res  []*graph.Resource
}

func (m *mocks) resources() []*graph.Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*graph.Resource(nil), m.res...)
}

// Call refuses invokes: the preview must work offline.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("offline preview: the program called %s, a look-up that needs AWS; give the value in configuration instead", args.Token)
}

// NewResource records the registration and returns provider-like outputs.
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	parent := ""
	if rpc != nil {
		parent = rpc.GetParent()
	} else if args.ReadRPC != nil {
		parent = args.ReadRPC.GetParent()
	}
	urn := m.urn(parent, args.TypeToken, args.Name)
	deps := map[string][]string{}
	if rpc != nil {
		for prop, d := range rpc.GetPropertyDependencies() {
			urns := append([]string(nil), d.GetUrns()...)
			if len(urns) == 0 {
				continue
			}
			sort.Strings(urns)
			deps[prop] = dedupe(urns)
		}
	}
	inputs := graph.FromPropertyMap(args.Inputs)

	id := args.ID
	if id == "" {
		id = m.id(args.TypeToken, args.Name, urn, inputs)
	}
	outputs := args.Inputs.Copy()
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		ref := graph.Str(inputs["name"])
		outs := map[string]any{}
		for k, v := range m.opts.StackOutputs[ref] {
			outs[k] = v
		}
		outputs["outputs"] = resource.NewPropertyValue(outs)
		outputs["secretOutputNames"] = resource.NewPropertyValue([]any{})
	} else if args.Custom {
		for k, v := range m.computed(args.TypeToken, args.Name, id, inputs) {
			if _, set := outputs[resource.PropertyKey(k)]; !set || k == "arn" {
				outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
			}
		}
	}
	rec := &graph.Resource{
		URN: urn, Type: args.TypeToken, Name: args.Name, Parent: parent, Custom: args.Custom,
		Inputs: inputs, PropertyDependencies: deps, ID: id,
		Outputs: graph.FromPropertyMap(outputs),
	}
	if rpc != nil {
		rec.IgnoreChanges = append([]string(nil), rpc.GetIgnoreChanges()...)
	}
	m.mu.Lock()
	m.res = append(m.res, rec)
	m.mu.Unlock()
	return id, outputs, nil
}

// urn mirrors the mock monitor's URN construction.
func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.opts.Stack), tokens.PackageName(m.opts.Project), parentType, tokens.Type(typ), name))
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func hash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// idPrefixes are the prefixes AWS gives ids of these types.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                     "vpc-",
	"aws:ec2/subnet:Subnet":                               "subnet-",
	"aws:ec2/routeTable:RouteTable":                       "rtb-",
	"aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
	"aws:ec2/networkAcl:NetworkAcl":                       "acl-",
	"aws:ec2/defaultNetworkAcl:DefaultNetworkAcl":         "acl-",
	"aws:ec2/networkAclAssociation:NetworkAclAssociation": "aclassoc-",
	"aws:ec2/securityGroup:SecurityGroup":                 "sg-",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":   "sg-",
	"aws:ec2/internetGateway:InternetGateway":             "igw-",
	"aws:ec2/natGateway:NatGateway":                       "nat-",
	"aws:ec2/eip:Eip":                                     "eipalloc-",
	"aws:ec2/vpcEndpoint:VpcEndpoint":                     "vpce-",
	"aws:ec2/flowLog:FlowLog":                             "fl-",
	"aws:ec2/route:Route":                                 "r-",
}

// nameOf is the physical name a provider would report.
func nameOf(logical string, inputs map[string]any) string {
	for _, k := range []string{"name", "identifier", "clusterIdentifier", "functionName", "backupVaultName"} {
		if s := graph.Str(inputs[k]); s != "" {
			return s
		}
	}
	return logical
}

func (m *mocks) id(typ, logical, urn string, inputs map[string]any) string {
	if strings.HasPrefix(typ, "pulumi:providers:") {
		return hash(urn, 32)
	}
	if p, ok := idPrefixes[typ]; ok {
		return p + hash(urn, 17)
	}
	switch typ {
	case "aws:kms/key:Key":
		h := hash(urn, 32)
		return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:32])
	case "aws:guardduty/detector:Detector":
		return hash(urn, 32)
	}
	return nameOf(logical, inputs)
}

// computed returns the outputs a provider adds that the program may read.
func (m *mocks) computed(typ, logical, id string, inputs map[string]any) map[string]any {
	acct, region := m.opts.Account, m.opts.Region
	name := nameOf(logical, inputs)
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, acct, res)
	}
	out := map[string]any{"id": id}
	switch typ {
	case "aws:kms/key:Key":
		out["arn"] = arn("kms", "key/"+id)
		out["keyId"] = id
	case "aws:kms/alias:Alias":
		out["arn"] = arn("kms", name)
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = arn("logs", "log-group:"+name)
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name)
		out["name"] = name
		out["uniqueId"] = "AROA" + strings.ToUpper(hash(id, 17))
	case "aws:iam/policy:Policy":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, name)
	case "aws:ec2/vpc:Vpc":
		out["arn"] = arn("ec2", "vpc/"+id)
		out["defaultNetworkAclId"] = "acl-" + hash(id+"default-nacl", 17)
		out["defaultSecurityGroupId"] = "sg-" + hash(id+"default-sg", 17)
		out["defaultRouteTableId"] = "rtb-" + hash(id+"default-rtb", 17)
		out["mainRouteTableId"] = out["defaultRouteTableId"]
	case "aws:sns/topic:Topic":
		out["arn"] = arn("sns", name)
	case "aws:sqs/queue:Queue":
		out["arn"] = arn("sqs", name)
		out["url"] = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, acct, name)
	case "aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault":
		out["arn"] = arn("backup", "backup-vault:"+name)
	case "aws:backup/plan:Plan":
		out["arn"] = arn("backup", "backup-plan:"+id)
	case "aws:lambda/function:Function":
		out["arn"] = arn("lambda", "function:"+name)
		out["invokeArn"] = fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, out["arn"])
	case "aws:sfn/stateMachine:StateMachine":
		out["arn"] = arn("states", "stateMachine:"+name)
	case "aws:rds/cluster:Cluster":
		out["arn"] = arn("rds", "cluster:"+name)
		out["endpoint"] = fmt.Sprintf("%s.cluster-%s.%s.rds.amazonaws.com", name, hash(acct, 12), region)
		out["readerEndpoint"] = fmt.Sprintf("%s.cluster-ro-%s.%s.rds.amazonaws.com", name, hash(acct, 12), region)
		if b, _ := graph.Bool(inputs["manageMasterUserPassword"]); b {
			out["masterUserSecrets"] = []any{map[string]any{
				"secretArn":    arn("secretsmanager", fmt.Sprintf("secret:rds!cluster-%s-%s", hash(id, 8), hash(id+"s", 6))),
				"kmsKeyId":     graph.Str(inputs["masterUserSecretKmsKeyId"]),
				"secretStatus": "active",
			}}
		}
	case "aws:ec2/networkAcl:NetworkAcl":
		out["arn"] = arn("ec2", "network-acl/"+id)
	case "aws:ec2/securityGroup:SecurityGroup":
		out["arn"] = arn("ec2", "security-group/"+id)
	case "aws:ec2/routeTable:RouteTable":
		out["arn"] = arn("ec2", "route-table/"+id)
	case "aws:ecs/taskDefinition:TaskDefinition":
		family := graph.Str(inputs["family"])
		if family == "" {
			family = name
		}
		out["arn"] = arn("ecs", "task-definition/"+family+":1")
		out["arnWithoutRevision"] = arn("ecs", "task-definition/"+family)
		out["revision"] = 1.0
	case "aws:ecs/cluster:Cluster":
		out["arn"] = arn("ecs", "cluster/"+name)
	case "aws:dynamodb/table:Table":
		out["arn"] = arn("dynamodb", "table/"+name)
	case "aws:cloudwatch/eventRule:EventRule":
		out["arn"] = arn("events", "rule/"+name)
	case "aws:ecr/repository:Repository":
		out["arn"] = arn("ecr", "repository/"+name)
	case "aws:ssm/parameter:Parameter":
		// A hierarchical name's leading slash is not doubled in the ARN.
		out["arn"] = arn("ssm", "parameter/"+strings.TrimPrefix(name, "/"))
	case "aws:guardduty/detector:Detector":
		out["arn"] = arn("guardduty", "detector/"+id)
	case "aws:ram/resourceShare:ResourceShare":
		h := hash(id+name, 32)
		out["arn"] = arn("ram", fmt.Sprintf("resource-share/%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:32]))
	default:
		if strings.HasPrefix(typ, "pulumi:providers:") {
			return out
		}
		// aws:<module>/<resource>:<Type>: arn:aws:<module>:<region>:<account>:<resource>/<id>
		parts := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)
		if len(parts) == 2 && strings.HasPrefix(typ, "aws:") {
			res := strings.SplitN(parts[1], ":", 2)[0]
			out["arn"] = arn(parts[0], strings.ToLower(res)+"/"+id)
		}
	}
	return out
}
