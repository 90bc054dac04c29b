package emulator

import (
	"net"
	"strings"
	"testing"
)

func TestExposureWarningOnlyBeyondLoopback(t *testing.T) {
	for _, c := range []struct {
		ip   string
		warn bool
	}{
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"0.0.0.0", true},
		{"::", true},
		{"192.0.2.10", true},
	} {
		w := exposureWarning(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: 8790})
		if (w != "") != c.warn {
			t.Errorf("%s: warning %q, want one: %v", c.ip, w, c.warn)
		}
		if c.warn && !strings.Contains(w, "without any credential") {
			t.Errorf("%s: warning %q does not say why", c.ip, w)
		}
		// The Host check is no protection from the network: the warning
		// must not suggest it is.
		if c.warn && (!strings.Contains(w, "anyone who can reach the port can use its API") || !strings.Contains(w, "not network clients")) {
			t.Errorf("%s: warning %q suggests the Host check protects from network clients", c.ip, w)
		}
	}
}
