package emulator

import (
	"net"
	"testing"
)

func TestDashboardURLIsReachableFromThisMachine(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8790}, "http://127.0.0.1:8790/_emulator/ui/"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8790}, "http://127.0.0.1:8790/_emulator/ui/"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8790}, "http://[::1]:8790/_emulator/ui/"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, "http://[::1]:1/_emulator/ui/"},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.10"), Port: 8790}, "http://192.168.1.10:8790/_emulator/ui/"},
	} {
		if got := dashboardURL(c.addr); got != c.want {
			t.Errorf("dashboardURL(%v) = %q, want %q", c.addr, got, c.want)
		}
	}
}
