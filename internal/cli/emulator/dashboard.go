package emulator

import (
	"net"
	"strconv"

	zemulator "github.com/zupy/zupy-cli/internal/emulator"
)

// dashboardURL is the dashboard's address for a browser on this machine:
// an emulator listening on every interface (0.0.0.0, ::) is reached on
// loopback, which its Host rule always answers.
func dashboardURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String() + zemulator.DashboardPath
	}
	ip := tcp.IP
	switch {
	case ip.IsUnspecified() && ip.To4() != nil:
		ip = net.IPv4(127, 0, 0, 1)
	case ip.IsUnspecified():
		ip = net.IPv6loopback
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port)) + zemulator.DashboardPath
}
