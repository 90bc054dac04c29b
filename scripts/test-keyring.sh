#!/usr/bin/env bash
# test-keyring.sh: run internal/credentials' real-keyring tests against a real
# Secret Service: a private D-Bus session bus with a freshly created, unlocked
# gnome-keyring, under a throw-away HOME, so the user's own keyring is never
# touched and no desktop session is needed (works headless, in CI, as root).
#
# Needs Go and, on Debian/Ubuntu:
#   apt-get install -y dbus-daemon gnome-keyring libsecret-tools
# (dbus-run-session, gnome-keyring-daemon, secret-tool). -race also needs a
# C compiler (gcc); without one the tests run without the race detector.
#
# Exit status: 0 when the tests passed, 1 when they failed, 2 when a tool is
# missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=./internal/credentials
tests='^(TestRealSecretService|TestUnreachableKeyring)$'

# A missing tool fails in CI and exits 2 elsewhere (lib/require-tool.sh).
NAME=test-keyring.sh
# shellcheck source=lib/require-tool.sh
source "$repo/scripts/lib/require-tool.sh"
require_tool go golang-go
require_tool dbus-run-session dbus-daemon
require_tool gnome-keyring-daemon gnome-keyring
require_tool secret-tool libsecret-tools

work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-keyring-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Build the test binary first, with the caller's Go caches: HOME changes below.
race=-race
if [[ "$(cd "$repo" && go env CGO_ENABLED)" != 1 ]]; then
	echo "test-keyring.sh: cgo is off (no C compiler?): running without -race" >&2
	race=
fi
# The compiler flags of make test (TEST_GCFLAGS in the Makefile), so that
# the packages both build are compiled once and found in the build cache.
gcflags=${TEST_GCFLAGS-modernc.org/...=-d=checkptr=0}
(cd "$repo" && go test -c $race -trimpath -gcflags="$gcflags" -o "$work/credentials.test" "$pkg")
# And zupy, to log in through the same keyring (keyring-login.sh): the test
# binary of internal/zupytest, which acts as zupy under that name, as every
# test's zupy does (no ZUPY_TEST_KEYRING_FILE here: the real keyring).
(cd "$repo" && go test -c $race -trimpath -gcflags="$gcflags" -o "$work/zupy" ./internal/zupytest)
# Built with -race, each program would sleep a second before it exits 0
# (GORACE atexit_sleep_ms, as in zupytest.QuietRaceExit); an
# atexit_sleep_ms of the caller's (make test exports one) is kept.
case " ${GORACE:-} " in
*" atexit_sleep_ms="*) ;;
*) export GORACE="${GORACE:+$GORACE }atexit_sleep_ms=0" ;;
esac

# A fresh HOME and XDG directories: gnome-keyring creates a new login keyring
# in $XDG_DATA_HOME/keyrings with the password below, already unlocked.
mkdir -p "$work/home" "$work/data" "$work/config" "$work/cache" "$work/runtime"
chmod 700 "$work/runtime"
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
	XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR="$work/runtime"
export ZUPY_TEST_KEYRING_PASSWORD="zupy-test-keyring-password"
export ZUPY_TEST_REAL_KEYRING=1 ZUPY_TEST_BINARY="$work/credentials.test" ZUPY_TEST_RUN="$tests"
export ZUPY_TEST_ZUPY="$work/zupy" ZUPY_TEST_LOGIN_SCRIPT="$repo/scripts/keyring-login.sh"
unset DBUS_SESSION_BUS_ADDRESS ZUPY_SESSION_TOKEN ZUPY_API_KEY

cd "$repo/$pkg"
status=0
dbus-run-session -- bash -c '
	set -euo pipefail
	# --unlock reads the password on stdin, creates the login keyring if there
	# is none, and leaves a daemon serving org.freedesktop.secrets on this bus.
	printf %s "$ZUPY_TEST_KEYRING_PASSWORD" |
		gnome-keyring-daemon --unlock --components=secrets >/dev/null
	"$ZUPY_TEST_BINARY" -test.run "$ZUPY_TEST_RUN" -test.count=1 -test.v
	bash "$ZUPY_TEST_LOGIN_SCRIPT" "$ZUPY_TEST_ZUPY"
' 2>&1 | tee "$work/test.log" || status=$?

# A renamed test would "pass" by running nothing: require that it ran.
if ((status == 0)) && ! grep -q -- '--- PASS: TestRealSecretService' "$work/test.log"; then
	echo "test-keyring.sh: TestRealSecretService did not run" >&2
	status=1
fi
if ((status == 0)) && ! grep -q -- '^keyring-login.sh: ok' "$work/test.log"; then
	echo "test-keyring.sh: the CLI login through the keyring did not run" >&2
	status=1
fi
if ((status != 0)); then
	echo "test-keyring.sh: FAIL (real keyring tests)" >&2
	exit 1
fi
echo "test-keyring.sh: ok (real Secret Service: gnome-keyring $(gnome-keyring-daemon --version | head -n1 | awk "{print \$2}"))"
