package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// The workload request path with the shipped configuration: CloudFront with
// a CLOUDFRONT-scope WAF -> VPC origin -> internal ALB -> Fargate -> Aurora
// in isolated subnets; batch on EventBridge Scheduler.
func TestWorkloadTier(t *testing.T) {
	g, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)

	t.Run("no internet-facing load balancer", func(t *testing.T) {
		lbs := g.OfType("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
		require.NotEmpty(t, lbs)
		for _, lb := range lbs {
			assert.Equal(t, true, lb.Inputs["internal"], lb.Name)
		}
	})

	t.Run("the WAF sits on CloudFront", func(t *testing.T) {
		d := testkit.One(t, g, "aws:cloudfront/distribution:Distribution")
		acls := g.Refs(d, "webAclId", "aws:wafv2/webAcl:WebAcl")
		require.Len(t, acls, 1)
		assert.Equal(t, "CLOUDFRONT", acls[0].Inputs["scope"])
		// The origin is the VPC origin of the internal ALB.
		vo := testkit.One(t, g, "aws:cloudfront/vpcOrigin:VpcOrigin")
		assert.Contains(t, d.PropertyDependencies["origins"], vo.URN)
		lb := testkit.One(t, g, "aws:lb/loadBalancer:LoadBalancer")
		assert.Contains(t, vo.PropertyDependencies["vpcOriginEndpointConfig"], lb.URN)
		assert.Empty(t, g.OfType("aws:wafv2/webAclAssociation:WebAclAssociation"), "no REGIONAL WAF on the ALB")
	})

	t.Run("Aurora Serverless v2 with a CMK in isolated subnets", func(t *testing.T) {
		c := testkit.One(t, g, "aws:rds/cluster:Cluster")
		assert.Equal(t, true, c.Inputs["storageEncrypted"])
		keys := g.Refs(c, "kmsKeyId", "aws:kms/key:Key")
		require.Len(t, keys, 1)
		assert.Equal(t, "keys-data", keys[0].Name)
		scaling := graph.Map(c.Inputs["serverlessv2ScalingConfiguration"])
		assert.Equal(t, 0.5, scaling["minCapacity"])
		assert.Equal(t, 16.0, scaling["maxCapacity"])
		assert.Equal(t, true, c.Inputs["deletionProtection"])
		assert.Equal(t, "fintech-daily", graph.Map(c.Inputs["tags"])["backup-policy"], "selected by the backup plan")
		sg := testkit.One(t, g, "aws:rds/subnetGroup:SubnetGroup")
		subnets := g.Refs(sg, "subnetIds", "aws:ec2/subnet:Subnet")
		require.Len(t, subnets, 3)
		for _, s := range subnets {
			assert.Equal(t, "isolated", graph.Map(s.Inputs["tags"])["tier"], s.Name)
		}
		// The database admits only the API and batch task security groups.
		var from []string
		for _, r := range g.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
			if strings.HasPrefix(r.Name, "db-from-") {
				from = append(from, r.Name)
				assert.Empty(t, r.Inputs["cidrIpv4"])
				assert.Equal(t, 5432.0, r.Inputs["fromPort"])
			}
		}
		assert.ElementsMatch(t, []string{"db-from-api", "db-from-batch"}, from)
	})

	t.Run("credentials are ECS secrets, never plain environment", func(t *testing.T) {
		for _, td := range g.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			var defs []struct {
				Environment []struct{ Name, Value string }
				Secrets     []struct{ Name, ValueFrom string }
			}
			require.NoError(t, json.Unmarshal([]byte(graph.Str(td.Inputs["containerDefinitions"])), &defs), td.Name)
			for _, d := range defs {
				for _, e := range d.Environment {
					assert.NotContains(t, strings.ToUpper(e.Name), "PASSWORD", td.Name)
					assert.NotContains(t, e.Value, "arn:aws:secretsmanager", td.Name)
				}
			}
			if strings.HasPrefix(td.Name, "api") {
				names := map[string]bool{}
				for _, d := range defs {
					for _, s := range d.Secrets {
						names[s.Name] = true
					}
				}
				assert.True(t, names["DB_PASSWORD"] && names["DB_HOST"], "API gets DB_HOST and DB_PASSWORD as secrets")
			}
		}
	})

	t.Run("batch runs on EventBridge Scheduler with an ECS target and a DLQ", func(t *testing.T) {
		schedules := g.OfType("aws:scheduler/schedule:Schedule")
		require.Len(t, schedules, 2)
		for _, s := range schedules {
			target := graph.Map(s.Inputs["target"])
			assert.NotNil(t, target["ecsParameters"], s.Name)
			assert.NotNil(t, graph.Map(target["deadLetterConfig"])["arn"], s.Name)
		}
		assert.Len(t, g.OfType("aws:ecs/service:Service"), 1, "only the API runs continuously")
	})
}
