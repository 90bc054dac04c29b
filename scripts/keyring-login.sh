#!/usr/bin/env bash
# keyring-login.sh ZUPY: log in, read and log out through the real OS keyring.
# Run by test-keyring.sh inside a private D-Bus session with an unlocked
# gnome-keyring; never on a desktop session of its own. Prints no secret.
set -euo pipefail
zupy=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-keyring-login.XXXXXX")
emu=""
trap '[ -n "$emu" ] && kill "$emu" 2>/dev/null; rm -rf "$work"' EXIT
export ZUPY_CONFIG_DIR="$work/config"
unset ZUPY_SESSION_TOKEN ZUPY_API_KEY ZUPY_BASE_URL ZUPY_PROFILE
fail() { echo "keyring-login.sh: $*" >&2; exit 1; }

"$zupy" emulator start --in-memory --addr 127.0.0.1:0 >"$work/emu.out" 2>"$work/emu.log" &
emu=$!
for _ in $(seq 200); do [ -s "$work/emu.out" ] && break; sleep 0.05; done
base=$(head -1 "$work/emu.out")
[ -n "$base" ] || fail "the emulator did not start"
export ZUPY_BASE_URL=$base

"$zupy" login --email dev@example.com --request-only -o json >"$work/challenge.json"
vid=$(sed -n 's/.*"verification_id": "\(.*\)".*/\1/p' "$work/challenge.json")
"$zupy" emulator otp --destination dev@example.com | "$zupy" login --verification-id "$vid" --code-stdin

# The session is in the Secret Service under service zupy, user default/session,
# and not in any file of the config directory.
secret-tool lookup service zupy username default/session >/dev/null || fail "no session in the keyring after login"
[ "$(secret-tool lookup service zupy username default/session-issuer)" = "$base" ] || fail "the issuing base URL was not recorded with the session"
! grep -rq zup_sess_ "$work/config" 2>/dev/null || fail "the session was written to the config directory"
"$zupy" auth status >"$work/status.txt" || fail "auth status failed after login"
grep -q '^Credentials: *keyring$' "$work/status.txt" || fail "auth status does not name the keyring"
"$zupy" auth token | grep -q '^zup_sess_' || fail "auth token did not read the session back"

"$zupy" logout
for entry in default/session default/session-issuer; do
  if secret-tool lookup service zupy username "$entry" >/dev/null 2>&1; then
    fail "$entry is still in the keyring after logout"
  fi
done
if "$zupy" auth status >/dev/null 2>&1; then fail "auth status still succeeds after logout"; fi
echo "keyring-login.sh: ok (login stored, read and deleted the session in the real keyring)"
