# require-tool.sh: one decision about a missing external tool, the same as the
# Go tests' (internal/clitest.RequireTool). Source it, then:
#
#   require_tool TOOL DEBIAN_PACKAGE     # a program on PATH
#   require_file PATH DEBIAN_PACKAGE     # a file, such as a shell library
#
# In CI (CI set to anything but empty, "false" or "0", as ui.InCI decides;
# ZUPY_TEST_IN_CI=1/0 carries that decision into a shell whose CI was unset)
# a missing tool fails: exit 1. Elsewhere the script stops with exit 2, which
# the Go test that runs it reports as a skip. Both name the package.

# in_ci: whether this is a CI run.
in_ci() {
	local v=${ZUPY_TEST_IN_CI-${CI-}}
	v=$(tr '[:upper:]' '[:lower:]' <<<"${v// /}")
	case $v in
	"" | false | 0) return 1 ;;
	esac
	return 0
}

# missing_tool TOOL DEB: report TOOL missing and stop (1 in CI, 2 elsewhere).
missing_tool() {
	echo "${NAME:-$(basename "$0")}: $1 is missing: install the Debian package $2 (make deps installs it)" >&2
	if in_ci; then
		exit 1
	fi
	exit 2
}

require_tool() { command -v "$1" >/dev/null 2>&1 || missing_tool "$1" "$2"; }
require_file() { [[ -e $1 ]] || missing_tool "$1" "$2"; }
