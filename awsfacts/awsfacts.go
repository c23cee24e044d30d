// Package awsfacts holds the rules of AWS itself that the program checks its
// input against: the shape of an account id, which regions it accepts (those
// of the aws partition only, see docs/decisions/0020), the retention
// periods CloudWatch Logs accepts and the parts of a private ECR image URI.
//
// It is a leaf: it imports only the standard library, so the components,
// the configuration reader, the Lambda functions and the checker can all use
// it (a package under components/internal could not be imported by
// internal/config, and components may not import the root internal/).
package awsfacts

import (
	"regexp"
	"slices"
	"strings"
)

// Partition is the one ARN partition the program writes ("arn:aws:…").
// Regions of other partitions are refused by ValidRegion.
const Partition = "aws"

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// regionRE is the shape of a region of the aws partition: two letters,
	// one word, a number ("ap-northeast-1", "il-central-1"). GovCloud
	// ("us-gov-west-1") and ISO ("us-iso-east-1", "eu-isoe-west-1") regions
	// have two words and do not match; China ("cn-north-1") is excluded by
	// its prefix.
	regionRE = regexp.MustCompile(`^[a-z]{2}-[a-z]+-[0-9]+$`)
	// anyRegionRE is the shape of a region of any partition.
	anyRegionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// ValidAccountID reports whether id is a 12-digit AWS account id.
func ValidAccountID(id string) bool { return accountRE.MatchString(id) }

// ValidRegion reports whether region is a region of the aws partition.
func ValidRegion(region string) bool {
	return regionRE.MatchString(region) && !strings.HasPrefix(region, "cn-")
}

// RegionProblem says what is wrong with region, or "" when ValidRegion
// accepts it. A region of another partition is told apart from a string
// that is no region at all.
func RegionProblem(region string) string {
	switch {
	case ValidRegion(region):
		return ""
	case anyRegionRE.MatchString(region):
		return "is a region outside the aws partition (GovCloud, China or ISO): every ARN the program writes is arn:aws:…, so only aws-partition regions are accepted (docs/decisions/0020)"
	default:
		return "is not an AWS region name (expected e.g. ap-northeast-1)"
	}
}

// LogRetentionDays returns the retention periods (days) CloudWatch Logs
// accepts, ascending (PutRetentionPolicy retentionInDays; 0, never expire,
// is not among them).
func LogRetentionDays() []int {
	return []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
}

// ValidLogRetention reports whether days is a retention CloudWatch Logs
// accepts.
func ValidLogRetention(days int) bool { return slices.Contains(LogRetentionDays(), days) }
