// Package build holds the version information stamped into the binary.
package build

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker: -X github.com/zupy/zupy-cli/internal/build.Version=...
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes this build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
}

// Current returns the stamped version, falling back to what the Go toolchain
// recorded (module version and VCS stamp) when built without ldflags.
func Current() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// UserAgent is the User-Agent header of the API client.
func UserAgent() string { return "zupy/" + Current().Version }
