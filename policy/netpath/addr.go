package netpath

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// block is an IPv4 CIDR block.
type block struct {
	base uint32
	bits int
}

func parseBlock(s string) (block, bool) {
	_, n, err := net.ParseCIDR(strings.TrimSpace(s))
	if err != nil || n.IP.To4() == nil {
		return block{}, false
	}
	ones, _ := n.Mask.Size()
	ip := n.IP.To4()
	return block{uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3]), ones}, true
}

func (b block) String() string {
	return fmt.Sprintf("%d.%d.%d.%d/%d", b.base>>24, b.base>>16&0xff, b.base>>8&0xff, b.base&0xff, b.bits)
}

func (b block) mask() uint32 {
	if b.bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - b.bits)
}

// contains reports whether every address of inner is in b.
func (b block) contains(inner block) bool {
	return b.bits <= inner.bits && inner.base&b.mask() == b.base&b.mask()
}

// overlaps reports whether b and o share an address.
func (b block) overlaps(o block) bool { return b.contains(o) || o.contains(b) }

// privateBlocks are the RFC 1918 ranges: never reached through an internet
// gateway.
var privateBlocks = []block{{10 << 24, 8}, {172<<24 | 16<<16, 12}, {192<<24 | 168<<16, 16}}

// onlyPrivate reports whether b lies inside one RFC 1918 range.
func onlyPrivate(b block) bool {
	for _, p := range privateBlocks {
		if p.contains(b) {
			return true
		}
	}
	return false
}

// peer is the far side of a packet as a rule sees it: an address block, or
// the internet (every public address).
type peer struct {
	block    block
	internet bool
}

func (p peer) String() string {
	if p.internet {
		return "the internet"
	}
	return p.block.String()
}

// ruleCovers reports whether a rule's CIDR matches every address of p.
func ruleCovers(rule block, p peer) bool {
	if p.internet {
		return rule.bits == 0
	}
	return rule.contains(p.block)
}

// ruleTouches reports whether a rule's CIDR matches some address of p.
func ruleTouches(rule block, p peer) bool {
	if p.internet {
		return !onlyPrivate(rule)
	}
	return rule.overlaps(p.block)
}

// span is an inclusive port range.
type span struct{ lo, hi int }

// portSet is a sorted list of disjoint port ranges.
type portSet []span

var (
	allPorts       = portSet{{0, 65535}}
	ephemeralPorts = portSet{{1024, 65535}}
)

func (s portSet) empty() bool { return len(s) == 0 }

func (s portSet) first() int { return s[0].lo }

func normalize(in []span) portSet {
	sort.Slice(in, func(i, j int) bool { return in[i].lo < in[j].lo })
	var out portSet
	for _, sp := range in {
		if sp.lo > sp.hi {
			continue
		}
		if n := len(out); n > 0 && sp.lo <= out[n-1].hi+1 {
			if sp.hi > out[n-1].hi {
				out[n-1].hi = sp.hi
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

func (s portSet) intersect(o portSet) portSet {
	var out []span
	for _, a := range s {
		for _, b := range o {
			lo, hi := max(a.lo, b.lo), min(a.hi, b.hi)
			if lo <= hi {
				out = append(out, span{lo, hi})
			}
		}
	}
	return normalize(out)
}

func (s portSet) union(o portSet) portSet {
	return normalize(append(append([]span{}, s...), o...))
}

// minus returns the ports of s that are not in o.
func (s portSet) minus(o portSet) portSet {
	cur := append(portSet{}, s...)
	for _, b := range o {
		var next []span
		for _, a := range cur {
			if b.hi < a.lo || b.lo > a.hi {
				next = append(next, a)
				continue
			}
			if a.lo < b.lo {
				next = append(next, span{a.lo, b.lo - 1})
			}
			if a.hi > b.hi {
				next = append(next, span{b.hi + 1, a.hi})
			}
		}
		cur = normalize(next)
	}
	return cur
}

func (s portSet) String() string {
	parts := make([]string, 0, len(s))
	for _, sp := range s {
		if sp.lo == sp.hi {
			parts = append(parts, strconv.Itoa(sp.lo))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", sp.lo, sp.hi))
		}
	}
	return strings.Join(parts, ",")
}
