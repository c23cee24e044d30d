package iamref

import "strings"

// globMatch reports whether s matches pattern, in which '*' matches any run
// of characters (also none) and '?' any one character. Matching is exact
// otherwise; callers lower-case both sides for case-insensitive matching.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// globsOverlap reports whether some string matches both patterns (with
// '*' and '?' as in globMatch): whether a policy Resource such as
// "arn:aws:ec2:*:111111111111:subnet/*" can name a resource of a type whose
// ARN format is "arn:*:ec2:*:*:subnet/*".
func globsOverlap(a, b string) bool {
	// seen[i][j]: the state (a[i:], b[j:]) was already explored and found
	// not to overlap. Every step consumes at least one pattern character,
	// so the search terminates.
	seen := make([][]bool, len(a)+1)
	for i := range seen {
		seen[i] = make([]bool, len(b)+1)
	}
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		if seen[i][j] {
			return false
		}
		if i == len(a) && j == len(b) {
			return true
		}
		// A star may match nothing.
		if i < len(a) && a[i] == '*' && walk(i+1, j) {
			return true
		}
		if j < len(b) && b[j] == '*' && walk(i, j+1) {
			return true
		}
		if i < len(a) && j < len(b) {
			ca, cb := a[i], b[j]
			switch {
			case ca == '*' && cb != '*':
				// a's star takes b's next character and stays.
				if walk(i, j+1) {
					return true
				}
			case cb == '*' && ca != '*':
				if walk(i+1, j) {
					return true
				}
			case ca != '*' && cb != '*' && (ca == cb || ca == '?' || cb == '?'):
				if walk(i+1, j+1) {
					return true
				}
			}
		}
		seen[i][j] = true
		return false
	}
	return walk(0, 0)
}

// arnsOverlap reports whether a policy Resource and a resource type's ARN
// format (both with variables already turned into "*") can name the same
// resource. ARNs are compared segment by segment (arn, partition, service,
// region, account, resource), so that a wildcard region or account does not
// run into the resource part: "arn:aws:ec2:r:1:network-acl/*" cannot name a
// subnet ("arn:*:ec2:*:*:subnet/*"). Within the resource part a wildcard
// matches anything, "/" and ":" included, as in IAM. Strings that are not
// ARNs are compared as a whole.
func arnsOverlap(resource, format string) bool {
	rs := strings.SplitN(resource, ":", 6)
	fs := strings.SplitN(format, ":", 6)
	if len(rs) != 6 || len(fs) != 6 {
		return globsOverlap(resource, format)
	}
	for i := range rs {
		if !globsOverlap(rs[i], fs[i]) {
			return false
		}
	}
	return true
}
