#!/usr/bin/env bash
# bench-ping.sh ZUPY_BINARY [RUNS]: how long `zupy ping` takes next to curl
# making the same request (GET /auth/verify with the same key) to the same
# emulator, each a fresh process, interleaved so that both see the same
# machine load. Prints the median wall time of each and their ratio; the goal
# is zupy ≤ 1.2 × curl. A measurement, never a pass/fail test.
#
# The key reaches zupy through ZUPY_API_KEY and curl through a 0600 header
# file (-H @file), never a process argument. Needs curl (`make deps`).
set -euo pipefail

zupy=$(realpath "${1:-bin/zupy}")
runs=${2:-41}
# shellcheck source=lib/require-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/require-tool.sh"
require_tool curl curl

work=$(mktemp -d)
emu_pid=""
cleanup() {
	[[ -n $emu_pid ]] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work ZUPY_CONFIG_DIR=$work/config XDG_DATA_HOME=$work/data
unset ZUPY_API_KEY ZUPY_SESSION_TOKEN ZUPY_PROFILE ZUPY_DEBUG

"$zupy" emulator start --in-memory --addr 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.err" &
emu_pid=$!
for _ in $(seq 100); do [[ -s $work/emulator.out ]] && break; sleep 0.05; done
base=$(head -n 1 "$work/emulator.out")
[[ $base == http* ]] || { echo "the emulator did not start" >&2; cat "$work/emulator.err" >&2; exit 1; }
export ZUPY_BASE_URL=$base

"$zupy" config set credential_store file >/dev/null
vid=$("$zupy" login --email dev@example.com --request-only -o json | sed -n 's/.*"verification_id": *"\([^"]*\)".*/\1/p')
"$zupy" emulator otp --destination dev@example.com | "$zupy" login --verification-id "$vid" --code-stdin >/dev/null 2>&1
ZUPY_API_KEY=$("$zupy" keys create --name bench --scopes loyalty:read --rate-limit 2000 2>/dev/null)
export ZUPY_API_KEY
umask 077
printf 'Authorization: Bearer %s\n' "$ZUPY_API_KEY" >"$work/auth.header"

now() { date +%s%N; }
zupy_ns=() curl_ns=()
for ((i = 0; i < runs + 1; i++)); do
	t0=$(now)
	"$zupy" ping >/dev/null
	t1=$(now)
	curl -fsS -o /dev/null -H @"$work/auth.header" "$base/auth/verify"
	t2=$(now)
	((i == 0)) && continue # warm-up: page cache, first connection
	zupy_ns+=($((t1 - t0)))
	curl_ns+=($((t2 - t1)))
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mz=$(median "${zupy_ns[@]}")
mc=$(median "${curl_ns[@]}")
awk -v z="$mz" -v c="$mc" -v n="$runs" 'BEGIN {
	printf "ping vs curl, GET /auth/verify on a local emulator, %d interleaved runs each:\n", n
	printf "  zupy ping  median %.2f ms\n", z / 1e6
	printf "  curl       median %.2f ms\n", c / 1e6
	printf "  ratio      %.2f× (goal ≤ 1.20×)\n", z / c
}'
