// Package pathspec is the schema of the network path declarations
// (components/flow RequirePath and ForbidPath), shared by the components
// that write them and the analysis that reads them (policy/netpath). It
// has no Pulumi dependency.
package pathspec

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// Type tokens of the declarations.
const (
	TypePathRequired  = "fintech:flow:PathRequired"
	TypePathForbidden = "fintech:flow:PathForbidden"
)

// Input property names of a declaration. Each endpoint property is
// prefixed with From or To, e.g. "fromSubnetIds". The endpoints are flat
// properties so that the engine records the property dependencies (URNs)
// of subnets, security groups and network ACLs separately.
const (
	From = "from"
	To   = "to"

	PropLabel            = "Label"
	PropSubnetIDs        = "SubnetIds"
	PropSecurityGroupIDs = "SecurityGroupIds"
	PropCIDRs            = "Cidrs"
	PropPrefixListIDs    = "PrefixListIds"
	PropInternet         = "Internet"
	PropNetworkAclID     = "NetworkAclId"

	PropProtocol  = "protocol"
	PropPorts     = "ports"
	PropMustBlock = "mustBlock"
	PropLayers    = "layers"
	PropCaller    = "caller"
	PropReason    = "reason"
)

// Protocols a path may name.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Layers of control on a path. A forbidden path names the layers that must
// each close it on their own (defence in depth), e.g. the isolated tier's
// route tables and its network ACL.
const (
	LayerRoute         = "route"
	LayerNACL          = "nacl"
	LayerSecurityGroup = "security-group"
	// LayerAddress is whether the destination has an address the source can
	// reach at all (an internal load balancer has none on the internet).
	LayerAddress = "address"
)

// ValidLayer reports whether l is one of the layers.
func ValidLayer(l string) bool {
	switch l {
	case LayerRoute, LayerNACL, LayerSecurityGroup, LayerAddress:
		return true
	}
	return false
}

// Port is the port list of one port.
func Port(p int) []string { return []string{strconv.Itoa(p)} }

// AllPorts is every TCP/UDP port.
func AllPorts() []string { return []string{"0-65535"} }

// PortsExcept is every port but the given ones, as ranges.
func PortsExcept(ports ...int) []string {
	ps := append([]int(nil), ports...)
	sort.Ints(ps)
	var out []string
	lo := 0
	for _, p := range ps {
		if p < lo || p > 65535 {
			continue
		}
		if p > lo {
			out = append(out, portRange(lo, p-1))
		}
		lo = p + 1
	}
	if lo <= 65535 {
		out = append(out, portRange(lo, 65535))
	}
	return out
}

func portRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// ParsePorts parses a port list ("443", "1024-65535") into inclusive
// ranges.
func ParsePorts(ports []string) ([][2]int, error) {
	var out [][2]int
	for _, p := range ports {
		lo, hi, isRange := strings.Cut(p, "-")
		from, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("port %q is not a number or range", p)
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("port %q is not a number or range", p)
			}
		}
		if from < 0 || to > 65535 || from > to {
			return nil, fmt.Errorf("port %q is outside 0-65535", p)
		}
		out = append(out, [2]int{from, to})
	}
	return out, nil
}

// ComplementCIDRs returns IPv4 blocks that together cover every address
// except those of cidrs (e.g. "everything but the forensics hosts").
func ComplementCIDRs(cidrs []string) ([]string, error) {
	type block struct {
		base uint32
		bits int
	}
	var excluded []block
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil || n.IP.To4() == nil {
			return nil, fmt.Errorf("%q is not an IPv4 CIDR", c)
		}
		ones, _ := n.Mask.Size()
		ip := n.IP.To4()
		excluded = append(excluded, block{uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3]), ones})
	}
	contains := func(outer, inner block) bool {
		if outer.bits > inner.bits {
			return false
		}
		if outer.bits == 0 {
			return true
		}
		mask := ^uint32(0) << (32 - outer.bits)
		return inner.base&mask == outer.base
	}
	var out []string
	var split func(b block)
	split = func(b block) {
		overlaps := false
		for _, e := range excluded {
			if contains(e, b) {
				return // wholly excluded
			}
			if contains(b, e) {
				overlaps = true
			}
		}
		if !overlaps {
			out = append(out, fmt.Sprintf("%d.%d.%d.%d/%d", b.base>>24, b.base>>16&0xff, b.base>>8&0xff, b.base&0xff, b.bits))
			return
		}
		half := uint32(1) << (31 - b.bits)
		split(block{b.base, b.bits + 1})
		split(block{b.base | half, b.bits + 1})
	}
	split(block{0, 0})
	return out, nil
}
