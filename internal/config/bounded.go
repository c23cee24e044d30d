package config

import (
	"regexp"
	"unicode/utf8"
)

// boundedRE matches a pattern of one repeated character class with a length
// limit, such as `^[A-Z0-9_]{1,128}$`, without the counted repetition. Go's
// regexp compiles {n,m} by copying the class m times; for a Unicode class
// that took ~45 ms at every process start (a third of a stack preview). The
// pattern here is the unbounded form; the limit is counted in runes.
type boundedRE struct {
	re       *regexp.Regexp
	min, max int
}

func newBoundedRE(pattern string, min, max int) boundedRE {
	return boundedRE{re: regexp.MustCompile(pattern), min: min, max: max}
}

// MatchString reports whether s has min..max runes and matches the pattern.
func (b boundedRE) MatchString(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= b.min && n <= b.max && b.re.MatchString(s)
}
