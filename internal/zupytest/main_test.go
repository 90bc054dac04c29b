package zupytest

import "testing"

// TestMain makes this package's test binary a zupy too: scripts/test-keyring.sh
// compiles it as "zupy" (go test -c) for the login through the real keyring.
func TestMain(m *testing.M) { Main(m) }
