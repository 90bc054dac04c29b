#!/usr/bin/env bash
# make demo: start a local emulator on a free port and walk through zupy in a
# throw-away profile. Everything happens on 127.0.0.1; nothing is left behind.
set -euo pipefail

ZUPY=$(realpath "${1:-bin/zupy}")
work=$(mktemp -d)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

bold=$(tput bold 2>/dev/null || true); reset=$(tput sgr0 2>/dev/null || true)
has() { "$ZUPY" --help | grep -q "^  $1 "; }
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$reset"; "$@"; }

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
run "$ZUPY" config set base_url "$base"
run "$ZUPY" config set credential_store file
run "$ZUPY" config list

step "The permission scopes a key can hold"
run "$ZUPY" scopes

step "Log in without a terminal: request a code, then complete with the code on stdin"
run "$ZUPY" login --email dev@example.com --request-only -o json | tee "$work/challenge.json"
vid=$(sed -n 's/.*"verification_id": "\(.*\)".*/\1/p' "$work/challenge.json")
echo "(the emulator shows the message it \"sent\"; a script reads the code with \`zupy emulator otp\`)"
grep -A3 'Zupy Developer Verification' "$work/emulator.log" | sed -E 's/(code: )[0-9]{6}/\1••••••/' | head -4 || true
"$ZUPY" emulator otp --destination dev@example.com | run "$ZUPY" login --verification-id "$vid" --code-stdin
run "$ZUPY" auth status

if has keys; then
  step "Create a key: without a terminal the secret alone goes to stdout"
  printf '%s$ %s%s\n' "$bold" 'export ZUPY_API_KEY=$(zupy keys create --name "Demo PDV" --scopes loyalty:read,coupons:validate,keys:rotate --rate-limit 500 --allow-ip 127.0.0.1 --expires-in 90d)' "$reset"
  ZUPY_API_KEY=$("$ZUPY" keys create --name "Demo PDV" --scopes loyalty:read,coupons:validate,keys:rotate --rate-limit 500 --allow-ip 127.0.0.1 --expires-in 90d)
  export ZUPY_API_KEY
  echo "(secret kept in \$ZUPY_API_KEY, not shown)"
  run "$ZUPY" keys list
  key_id=$("$ZUPY" keys list -o json | sed -n 's/.*"key_id": "\(key_[a-z0-9]*\)".*/\1/p' | head -1)
  run "$ZUPY" keys show "$key_id"

  if has ping; then
    step "Check the key against GET /auth/verify and see its rate-limit headers"
    run "$ZUPY" ping --permission loyalty:read

    step "Call any endpoint with the key (gh api's conventions)"
    run "$ZUPY" api /loyalty/program --jq '{name, currency, tiers: [.tiers[].name]}'

    step "A burst that meets a small limit: ping stops at the 429 (exit 5) and says when the window frees up"
    printf '%s$ %s%s\n' "$bold" 'ZUPY_API_KEY=$(zupy keys create --name "Tiny" --scopes loyalty:read --rate-limit 5) zupy ping --count 8' "$reset"
    tiny=$("$ZUPY" keys create --name "Tiny" --scopes loyalty:read --rate-limit 5)
    ZUPY_API_KEY=$tiny "$ZUPY" ping --count 8 || echo "(exit $?: rate limited)"
    echo "(with --wait, ping would count down until the window frees up and go on: up to 60 s, so not here)"
  fi

  step "Rotate the key with itself (the CI path, no login needed); the old one keeps a 1h grace"
  printf '%s$ %s%s\n' "$bold" 'ZUPY_API_KEY=$(zupy keys rotate --self --grace 1h)' "$reset"
  ZUPY_API_KEY=$("$ZUPY" keys rotate --self --grace 1h)
  export ZUPY_API_KEY
  run "$ZUPY" keys list --status all
  if has ping; then
    step "The rotated key works (and shares its predecessor's rate-limit budget)"
    run "$ZUPY" ping
  fi

  step "Revoke the old key (scripts must say --yes)"
  run "$ZUPY" keys revoke "$key_id" --yes
  run "$ZUPY" keys list --status all
fi

step "Log out: the session is revoked on the server and removed locally"
run "$ZUPY" logout
"$ZUPY" auth status || echo "(exit $?: not logged in)"

printf '\n%sDone.%s The emulator log was:\n' "$bold" "$reset"
grep '^time=' "$work/emulator.log" | tail -15

step "See it live: the emulator's dashboard"
dashboard=$(sed -n 's/^Dashboard: //p' "$work/emulator.log" | head -1)
echo "This emulator also served a live dashboard at ${dashboard:-/_emulator/ui/} (codes sent,"
echo "keys and their usage, rate limits, audit events, the clock). The demo stops its"
echo "emulator now and leaves nothing running. To watch your own session, run"
printf '  %s%s%s\n' "$bold" 'zupy emulator start' "$reset"
echo "and open the URL it prints on stderr, e.g. http://127.0.0.1:8790/_emulator/ui/"
echo "(or use \`zupy emulator exec -- CMD\` to run a test suite against a fresh one)."
