package ui

import "strings"

// InCI reports whether the environment says this is a CI run: CI set to
// anything but empty, "false" or "0" (GitHub Actions, GitLab CI and most
// others set CI=true). Prompts stop there, and a test that misses a tool it
// needs fails there instead of skipping (internal/clitest.RequireTool).
func InCI(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv("CI"))) {
	case "", "false", "0":
		return false
	}
	return true
}
