package securevpc

import (
	"fmt"
	"math/bits"
	"net"
)

// SlotsPerTier is how many subnets each tier reserves, one per possible AZ,
// so that adding a third AZ later renumbers no existing subnet.
const SlotsPerTier = 3

// SubnetCIDR returns the CIDR of slot tierIndex*3+azIndex when the VPC block
// is cut into /prefix subnets.
func SubnetCIDR(vpcCidr string, prefix, tierIndex, azIndex int) (string, error) {
	ip, vpc, err := net.ParseCIDR(vpcCidr)
	if err != nil || ip.To4() == nil {
		return "", fmt.Errorf("vpc cidr %q is not an IPv4 CIDR", vpcCidr)
	}
	vpcPrefix, _ := vpc.Mask.Size()
	extra := prefix - vpcPrefix
	if extra <= 0 || prefix > 28 {
		return "", fmt.Errorf("subnet prefix /%d does not fit inside %s (must be longer than /%d and at most /28)", prefix, vpcCidr, vpcPrefix)
	}
	if tierIndex < 0 || azIndex < 0 || azIndex >= SlotsPerTier {
		return "", fmt.Errorf("subnet slot (tier %d, az %d) is out of range", tierIndex, azIndex)
	}
	slot := uint32(tierIndex*SlotsPerTier + azIndex)
	if bits.Len32(slot) > extra {
		return "", fmt.Errorf("subnet slot %d does not fit %s with /%d subnets", slot, vpcCidr, prefix)
	}
	v4 := vpc.IP.To4()
	base := uint32(v4[0])<<24 | uint32(v4[1])<<16 | uint32(v4[2])<<8 | uint32(v4[3])
	addr := base | slot<<(32-uint(prefix))
	return fmt.Sprintf("%d.%d.%d.%d/%d", addr>>24, addr>>16&0xff, addr>>8&0xff, addr&0xff, prefix), nil
}
