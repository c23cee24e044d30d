package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Isolation configures the GuardDuty isolation responder.
type Isolation struct {
	SeverityThreshold    float64
	ImmediateSeverity    float64
	FindingTypePrefixes  []string
	BlastRadiusTiers     []string
	ForensicsCIDRs       []string
	ApprovalTimeoutHours int
}

func (r *reader) severity(key string, def float64) float64 {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 1 || f > 10 {
		r.fail(key, v, "is not a GuardDuty severity from 1 to 10 (7 = high, 9 = critical)")
		return def
	}
	return f
}

func (r *reader) isolation(n *Network) *Isolation {
	iso := &Isolation{}
	iso.SeverityThreshold = r.severity("isolationSeverityThreshold", 7)
	iso.ImmediateSeverity = r.severity("isolationImmediateSeverity", 9)
	if iso.ImmediateSeverity < iso.SeverityThreshold {
		r.fail("isolationImmediateSeverity", fmt.Sprint(iso.ImmediateSeverity), "is below isolationSeverityThreshold: every acted-on finding would skip approval")
	}
	iso.FindingTypePrefixes = r.strList("isolationFindingTypePrefixes", false, "GuardDuty finding type prefixes such as Backdoor:EC2/")
	iso.BlastRadiusTiers = []string{"private"}
	if l := r.strList("isolationBlastRadiusTiers", false, "tiers isolated when a finding names no network resource"); l != nil {
		iso.BlastRadiusTiers = l
		for _, t := range l {
			ok := t == "private" || t == "isolated" || (t == "public" && n != nil && n.Public())
			if !ok {
				r.fail("isolationBlastRadiusTiers", t, "is not a tier of this VPC (private, isolated, or public when it exists)")
			}
		}
	}
	iso.ForensicsCIDRs = r.strList("forensicsCidrs", false, "CIDRs of the forensics hosts allowed through the quarantine network ACL")
	for _, c := range iso.ForensicsCIDRs {
		ip, ipnet, err := net.ParseCIDR(c)
		if err != nil || ip.To4() == nil || !ip.Equal(ipnet.IP) {
			r.fail("forensicsCidrs", c, "is not an IPv4 network CIDR")
			continue
		}
		if size, _ := ipnet.Mask.Size(); size < 16 {
			r.fail("forensicsCidrs", c, "is wider than /16; name the forensics hosts")
		}
	}
	iso.ApprovalTimeoutHours = r.intIn("isolationApprovalTimeoutHours", 4, 1, 168)
	return iso
}
