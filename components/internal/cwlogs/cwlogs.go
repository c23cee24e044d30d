// Package cwlogs holds the CloudWatch Logs values the components share.
package cwlogs

// RetentionValues returns the retention periods (days) CloudWatch Logs
// accepts, ascending.
func RetentionValues() []int {
	return []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
}

// ValidRetention reports whether days is a CloudWatch Logs retention value.
func ValidRetention(days int) bool {
	for _, v := range RetentionValues() {
		if v == days {
			return true
		}
	}
	return false
}
