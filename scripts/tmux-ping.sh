#!/usr/bin/env bash
# tmux-ping.sh ZUPY_BINARY: check what `zupy ping` draws on a real terminal,
# against a fresh in-memory emulator (see lib/tmux-harness.sh).
#
# Checked: a single ping shows the four X-RateLimit-* headers and the usage
# bar ("█…░ 99 of 100 left"); `ping --count 25 --interval 150ms` draws a
# progress bar on stderr that advances while it runs and is erased before the
# summary; `ping --wait` on a 429 shows a countdown that ticks down each
# second, and Ctrl-C during it exits 130 with the line erased; `api` indents
# the body on a terminal; a slow call shows a spinner, erased once the answer
# comes, and never when stderr is piped.
#
# The keys are saved in a 0600 credentials file and chosen as the default key
# or by --key-id: a secret never becomes a process argument. Needs tmux (`make deps`).
# Exit status: 0 passed, 1 failed, 2 a tool or the binary is missing.
set -euo pipefail

NAME=tmux-ping.sh TOOLS=()
# shellcheck source=lib/tmux-harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tmux-harness.sh" "$@"

z() { ZUPY_BASE_URL=$base "$zupy" "$@"; }

z config set credential_store file >/dev/null
challenge=$(z login --email dev@example.com --request-only -o json) || fail "login --request-only failed"
vid=$(sed -n 's/.*"verification_id": *"\([^"]*\)".*/\1/p' <<<"$challenge")
[[ -n $vid ]] || fail "no verification_id in: $challenge"
z emulator otp --destination dev@example.com | z login --verification-id "$vid" --code-stdin 2>/dev/null ||
	fail "login --code-stdin failed"

# Two keys, saved in the 0600 file: a roomy one and one allowed 1 request a minute.
z keys create --name Roomy --scopes loyalty:read --save --default >/dev/null 2>&1 || fail "keys create Roomy failed"
tiny_id=$(z keys create --name Tiny --scopes loyalty:read --rate-limit 1 --save -o json 2>/dev/null |
	sed -n 's/.*"key_id": *"\(key_[0-9a-z]*\)".*/\1/p')
[[ -n $tiny_id ]] || fail "keys create Tiny failed"
ok "logged in, two keys saved"

# ---- 1. one ping: the headers and the usage bar --------------------------------
start single ping
wait_for "[zupy exited 0]"
wait_for_re '✓ Authenticated as key_[0-9a-z]{12}'
for h in "X-RateLimit-Limit" "X-RateLimit-Remaining" "X-RateLimit-Reset" "X-RateLimit-Window"; do
	grep -qF -- "$h" <<<"$pane" || fail "ping does not show $h"
done
wait_for_re 'Usage +█{19}░ 99 of 100 left'
ok "ping shows the four headers and the usage bar"

# ---- 2. a burst: the progress bar advances, then gives way to the summary ------
start burst ping --count 25 --interval 150ms
wait_for_re 'ping [█░]{30} [0-9]+/25'
first=$(grep -oE 'ping [█░]{30} [0-9]+/25' <<<"$pane" | grep -oE '[0-9]+/25' | cut -d/ -f1)
wait_for_re 'ping [█░]{30} (1[5-9]|2[0-4])/25'
later=$(grep -oE 'ping [█░]{30} [0-9]+/25' <<<"$pane" | grep -oE '[0-9]+/25' | cut -d/ -f1)
((later > first)) || fail "the progress bar did not advance ($first then $later)"
wait_for "[zupy exited 0]" 20
wait_for_re 'Sent 25 requests with key_'
wait_for_re 'Answers +25 × 2xx, 0 × 429'
grep -qE 'ping [█░]{30}' <<<"$pane" && fail "the progress bar was left on the screen"
ok "the progress bar advanced ($first → $later of 25) and was erased before the summary"

# ---- 3. api on a terminal: the body indented (and coloured) -------------------
start api api /loyalty/program
wait_for "[zupy exited 0]"
wait_for_re '^  "name": "Demo Partner Rewards",$'
wait_for_re '^    \{$'
ok "api indents the body on a terminal"

# ---- 4. a slow answer: a spinner on the terminal, nothing when piped ----------
# A stopped emulator still accepts connections (the kernel does) but answers
# nothing until it is continued: a call that takes as long as we like.
kill -STOP "$emu_pid"
start spin ping
wait_for_re '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting for the API…'
z ping >"$work/piped.out" 2>"$work/piped.err" &
piped=$!
# This checks a wall-clock ticker: the spinner is drawn after a delay and
# animated on the wall clock, so the piped ping gets a fixed second to draw
# one (it must not) before the emulator answers.
sleep 1
kill -CONT "$emu_pid"
wait_for "[zupy exited 0]"
grep -q 'waiting for the API' <<<"$pane" && fail "the spinner was left on the screen"
wait "$piped" || fail "the piped ping failed"
[[ ! -s $work/piped.err ]] || fail "a piped ping drew on stderr: $(cat "$work/piped.err")"
ok "a slow call shows a spinner on a terminal, erased after; none when piped"

# ---- 5. --wait: a live countdown; Ctrl-C stops it -------------------------------
start wait ping --key-id "$tiny_id" --count 3 --wait
wait_for_re 'rate limited after 1 of 3; a request will be admitted again in [0-9m]+s'
# left: the seconds the countdown shows ("1m17s" or "42s"), 0 if none.
left() {
	local v m=0 s=0
	v=$(grep -oE 'admitted again in [0-9m]+s' <<<"$pane" | tail -n 1 | sed 's/admitted again in //') || true
	[[ $v =~ ^([0-9]+)m([0-9]+)s$ ]] && { m=${BASH_REMATCH[1]}; s=${BASH_REMATCH[2]}; }
	[[ $v =~ ^([0-9]+)s$ ]] && s=${BASH_REMATCH[1]}
	echo $((10#$m * 60 + 10#$s))
}
t1=$(left)
((t1 > 0)) || fail "no countdown value on the screen"
# The countdown ticks on the wall clock: poll until it shows less, for at
# most 5 s.
ticked() { t2=$(left) && ((t2 > 0 && t2 < t1)); }
wait_until 5 "the countdown did not tick down from $t1 s" ticked
ok "the countdown ticks ($t1 s → $t2 s)"
keys C-c
wait_for "[zupy exited 130]"
grep -q 'admitted again in' <<<"$pane" && fail "the countdown line was left on the screen"
ok "Ctrl-C during --wait exits 130 and erases the countdown"

echo "PASS: $NAME"
