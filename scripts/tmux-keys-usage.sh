#!/usr/bin/env bash
# tmux-keys-usage.sh ZUPY_BINARY: check `zupy keys usage` on a real terminal,
# against a fresh in-memory emulator, at 80 and 120 columns.
#
# Checked: after a 403, four 2xx and two 429 on a key with a limit of 5 a
# minute, the chart draws 2xx, 4xx and 429 with the limit as a line (its
# label on the axis), every line fits the width; the text says the peak
# minute against the limit ("peak 7 of 5 req/min at HH:MM (2 refused with
# 429)"), the scopes checked and those held but never checked; and `--watch`
# redraws in place until Ctrl-C, which exits 0. TMUX_USAGE_SHOW=1 prints the
# screens. Needs tmux (`make deps`). Exit status: 0 passed, 1 failed, 2 a tool
# or the binary is missing.
set -euo pipefail
export LC_ALL=C.UTF-8 # ${#line} counts characters, not bytes

NAME=tmux-keys-usage.sh TOOLS=()
# shellcheck source=lib/tmux-harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tmux-harness.sh" "$@"

z() { ZUPY_BASE_URL=$base "$zupy" "$@"; }

z config set credential_store file >/dev/null
challenge=$(z login --email dev@example.com --request-only -o json) || fail "login --request-only failed"
vid=$(sed -n 's/.*"verification_id": *"\([^"]*\)".*/\1/p' <<<"$challenge")
[[ -n $vid ]] || fail "no verification_id in: $challenge"
z emulator otp --destination dev@example.com | z login --verification-id "$vid" --code-stdin 2>/dev/null ||
	fail "login --code-stdin failed"

created=$(z keys create --name Usage --scopes loyalty:read,customer:read --rate-limit 5 -o json)
id=$(sed -n 's/.*"key_id": *"\([^"]*\)".*/\1/p' <<<"$created" | head -n 1)
secret=$(grep -oE 'zup_live_sk_[A-Za-z0-9]{20,64}' <<<"$created" | head -n 1)
[[ -n $id && -n $secret ]] || fail "keys create gave no key"
# Traffic: a 403 (a scope it lacks), four 2xx, then two 429, all in one
# minute of the emulator's clock: it is first moved to the top of its next
# minute, so a slow machine cannot split the peak minute in two.
now=$(z emulator clock show | cut -d' ' -f1)
sec=${now:17:2}
z emulator clock advance "$((60 - 10#$sec))s" >/dev/null || fail "emulator clock advance failed"
export ZUPY_API_KEY=$secret
z --retries 0 api '/auth/verify?permission=admin:read' >/dev/null 2>&1 && fail "verify of a missing scope succeeded"
for _ in 1 2 3 4; do z api /loyalty/program >/dev/null || fail "a request within the limit failed"; done
for _ in 1 2; do z --retries 0 api /loyalty/program >/dev/null 2>&1 && fail "a request over the limit succeeded"; done
unset ZUPY_API_KEY
ok "7 requests of $id: a 403, four 2xx, two 429"

for w in 80 120; do
	width=$w
	start "usage$w" keys usage "$id" --since 1h
	wait_for "[zupy exited 0]"
	wait_for "7 requests: 4 2xx, 0 401, 1 403, 2 429"
	wait_for_re 'peak 7 of 5 req/min at [0-9]{2}:[0-9]{2} \(2 refused with 429\)'
	wait_for_re '^ +5 ┤─+.* limit$'
	wait_for "█ 2xx  ▓ 4xx  ▒ 429"
	wait_for "scopes checked: admin:read 1, loyalty:read 4"
	wait_for "held, never checked: customer:read"
	wait_for_re '^ +127\.0\.0\.1 +7 +last '
	grep -qF '▒' <<<"$(sed -n '/┤/p' <<<"$pane")" || fail "at $w columns the chart shows no 429"
	while IFS= read -r line; do
		((${#line} <= w)) || fail "at $w columns a line is ${#line} wide: $line"
	done <<<"$pane"
	[[ -n ${TMUX_USAGE_SHOW:-} ]] && printf '%s\n' "$pane"
	ok "at $w columns the chart fits, with the limit line, the classes and the peak"
done

start watch keys usage "$id" --since 1h --watch --interval 1s
wait_for "Ctrl-C to stop"
sleep 2.5 # a wall-clock ticker: --watch redraws every --interval (1s); let two redraws pass
capture
(($(grep -c "^$id  " <<<"$pane") == 1)) || fail "--watch did not redraw in place (the header shows more than once)"
keys C-c
wait_for "[zupy exited 0]"
ok "--watch redraws in place and Ctrl-C exits 0"
echo "PASS: tmux-keys-usage.sh"
