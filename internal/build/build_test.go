package build

import (
	"runtime"
	"testing"
)

func stamp(t *testing.T, version, commit, date string) {
	t.Helper()
	v, c, d := Version, Commit, Date
	t.Cleanup(func() { Version, Commit, Date = v, c, d })
	Version, Commit, Date = version, commit, date
}

func TestCurrentFallsBackWithoutLdflags(t *testing.T) {
	stamp(t, "", "", "")
	// A test binary carries neither a module version nor a VCS stamp.
	got := Current()
	want := Info{Version: "dev", Commit: "unknown", Date: "unknown", GoVersion: runtime.Version()}
	if got != want {
		t.Errorf("Current() = %+v, want %+v", got, want)
	}
	if got.GoVersion == "" {
		t.Error("GoVersion is empty")
	}
}

func TestCurrentPrefersLdflagsValues(t *testing.T) {
	stamp(t, "v1.4.2", "0123abcd", "2025-06-01T12:00:00Z")
	want := Info{Version: "v1.4.2", Commit: "0123abcd", Date: "2025-06-01T12:00:00Z", GoVersion: runtime.Version()}
	if got := Current(); got != want {
		t.Errorf("Current() = %+v, want %+v", got, want)
	}
}

func TestUserAgentNamesVersion(t *testing.T) {
	stamp(t, "v1.4.2", "", "")
	if got := UserAgent(); got != "zupy/v1.4.2" {
		t.Errorf("UserAgent() = %q, want zupy/v1.4.2", got)
	}
	stamp(t, "", "", "")
	if got := UserAgent(); got != "zupy/dev" {
		t.Errorf("unstamped UserAgent() = %q, want zupy/dev", got)
	}
}
