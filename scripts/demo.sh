#!/usr/bin/env bash
# make demo: start a local emulator on a free port and walk through zupy in a
# throw-away profile. Everything happens on 127.0.0.1; nothing is left behind.
set -euo pipefail

# An absolute path, but not resolved: a test passes a symlink named zupy to
# its own binary, which acts as zupy only under that name.
bin=${1:-bin/zupy}
ZUPY=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Bold only on a terminal, and not under NO_COLOR (https://no-color.org):
# redirected to a file, the demo is plain text.
bold="" reset=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  bold=$(tput bold 2>/dev/null || true); reset=$(tput sgr0 2>/dev/null || true)
fi
# zupy is the binary under test, so the commands below read (and are shown)
# as a user types them.
zupy() { "$ZUPY" "$@"; }
has() { zupy --help | grep -q "^  $1 "; }
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
# quote prints an argument as it would be typed in a shell.
quote() {
  case $1 in
    '' | *[!A-Za-z0-9_./:@=,+%-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}
# show prints a command line, as typed; run shows a simple command and runs it.
show() { printf '%s$ %s%s\n' "$bold" "$*" "$reset"; }
run() {
  local line="" a
  for a in "$@"; do line+="${line:+ }$(quote "$a")"; done
  show "$line"
  "$@"
}

# A private config directory, and the 0600 credentials file instead of the OS
# keyring, so the demo works the same on a desktop and on a headless box.
export ZUPY_CONFIG_DIR="$work/config"
export HOME="$work"
unset ZUPY_API_KEY ZUPY_SESSION_TOKEN ZUPY_PROFILE ZUPY_BASE_URL

step "Start the emulator on a free port (its first stdout line is the base URL)"
"$ZUPY" emulator start --in-memory --addr 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.log" &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.05; done
base=$(head -1 "$work/emulator.out")
[ -n "$base" ] || { echo "the emulator did not start:"; cat "$work/emulator.log"; exit 1; }
echo "$base"

step "Point the profile at it"
run zupy config set base_url "$base"
run zupy config set credential_store file
run zupy config list

step "The permission scopes a key can hold"
run zupy scopes

step "Log in without a terminal: request a code, then complete with the code on stdin"
run zupy login --email dev@example.com --request-only -o json | tee "$work/challenge.json"
vid=$(sed -n 's/.*"verification_id": "\(.*\)".*/\1/p' "$work/challenge.json")
echo "(the emulator shows the message it \"sent\"; a script reads the code with \`zupy emulator otp\`)"
grep -A3 'Zupy Developer Verification' "$work/emulator.log" | sed -E 's/(code: )[0-9]{6}/\1••••••/' | head -4 || true
show "zupy emulator otp --destination dev@example.com | zupy login --verification-id $vid --code-stdin"
zupy emulator otp --destination dev@example.com | zupy login --verification-id "$vid" --code-stdin
run zupy auth status

if has keys; then
  step "Create a key: without a terminal the secret alone goes to stdout"
  show 'export ZUPY_API_KEY=$(zupy keys create --name "Demo PDV" --scopes loyalty:read,coupons:validate,keys:rotate --rate-limit 500 --allow-ip 127.0.0.1 --expires-in 90d)'
  ZUPY_API_KEY=$(zupy keys create --name "Demo PDV" --scopes loyalty:read,coupons:validate,keys:rotate --rate-limit 500 --allow-ip 127.0.0.1 --expires-in 90d)
  export ZUPY_API_KEY
  echo "(secret kept in \$ZUPY_API_KEY, not shown)"
  run zupy keys list
  key_id=$(zupy keys list -o json | sed -n 's/.*"key_id": "\(key_[a-z0-9]*\)".*/\1/p' | head -1)
  run zupy keys show "$key_id"

  if has ping; then
    step "Check the key against GET /auth/verify and see its rate-limit headers"
    run zupy ping --permission loyalty:read

    step "Call any endpoint with the key (gh api's conventions)"
    run zupy api /loyalty/program --jq '{name, currency, tiers: [.tiers[].name]}'

    step "A burst that meets a small limit: ping stops at the 429 (exit 5) and says when a request will be admitted again"
    show 'ZUPY_API_KEY=$(zupy keys create --name "Tiny" --scopes loyalty:read --rate-limit 5) zupy ping --count 8'
    tiny=$(zupy keys create --name "Tiny" --scopes loyalty:read --rate-limit 5)
    ZUPY_API_KEY=$tiny zupy ping --count 8 || echo "(exit $?: rate limited)"
    echo "(with --wait, ping would count down until a request is admitted and go on: up to 60 s, so not here)"
  fi

  step "Rotate the key with itself (the CI path, no login needed); the old one keeps a 1h grace"
  show 'ZUPY_API_KEY=$(zupy keys rotate --self --grace 1h)'
  ZUPY_API_KEY=$(zupy keys rotate --self --grace 1h)
  export ZUPY_API_KEY
  run zupy keys list --status all
  if has ping; then
    step "The rotated key works (and shares its predecessor's rate-limit budget)"
    run zupy ping
  fi

  step "Revoke the old key (scripts must say --yes)"
  run zupy keys revoke "$key_id" --yes
  run zupy keys list --status all
fi

step "Log out: the session is revoked on the server and removed locally"
run zupy logout
zupy auth status || echo "(exit $?: not logged in)"

printf '\n%sDone.%s The emulator log was:\n' "$bold" "$reset"
sleep 0.2 # the emulator writes its log in batches, at least every 100 ms (docs/api.md)
grep '^time=' "$work/emulator.log" | tail -15

step "See it live: the emulator's dashboard"
dashboard=$(sed -n 's/^Dashboard: //p' "$work/emulator.log" | head -1)
echo "This emulator also served a live dashboard at ${dashboard:-/_emulator/ui/} (codes sent,"
echo "keys and their usage, rate limits, audit events, the clock). The demo stops its"
echo "emulator now and leaves nothing running. To watch your own session, run"
printf '  %s%s%s\n' "$bold" 'zupy emulator start' "$reset"
echo "and open the URL it prints on stderr, e.g. http://127.0.0.1:8790/_emulator/ui/"
echo "(or use \`zupy emulator exec -- CMD\` to run a test suite against a fresh one)."
