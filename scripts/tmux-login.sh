#!/usr/bin/env bash
# tmux-login.sh ZUPY_BINARY: drive `zupy login` on a real terminal the way a
# person does, against a fresh in-memory emulator. The login runs in a
# detached tmux session (private socket, fixed 120x40 size); keys are typed
# with send-keys and the screen is read with capture-pane.
#
# Checked: the prompt for the identity; "Sent a code by e-mail" with a live
# countdown; a wrong code re-prompted with the attempts left; r refused during
# the cooldown; arrow, Home and Delete keys typing nothing; the success line;
# `zupy auth status` afterwards; the switch from WhatsApp to e-mail (refused
# during that address's cooldown, then done once the emulator's clock has
# moved on); Ctrl-C exiting 130; a code killed by five misses offering a new
# code with the countdown of the cooldown, refusing digits and an early r;
# login run again within the cooldown asking before it resumes the code
# already sent, or (another profile) a visible countdown to the next one; a
# mistyped number: the right one typed at the code prompt offered as the new
# address (never spent as a code), and typed as the answer to "use the code
# sent to …?"; a Brazilian
# national number offered as +55 and sent only once confirmed; "already
# logged in as … log in again?".
#
# The one-time codes and the session token are never printed: the screen
# shows typed digits as dots, and the emulator's log (which quotes the codes)
# is shown with every 6-digit number masked.
#
# Needs tmux (`make deps`), curl. Exit status: 0 passed, 1 failed, 2 a tool
# or the binary is missing.
set -euo pipefail

NAME=tmux-login.sh TOOLS=(curl:curl)
# shellcheck source=lib/tmux-harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tmux-harness.sh" "$@"

# code_line: the last "? Code (…)" line on the screen.
# (-J keeps trailing spaces.)
code_line() { capture; grep -F '? Code (' <<<"$pane" | tail -n 1 | sed 's/ *$//' || true; }

# otp DESTINATION: the latest code the emulator sent there (kept in a
# variable, never printed).
otp() {
	local c
	c=$(ZUPY_BASE_URL=$base "$zupy" emulator otp --destination "$1") || fail "zupy emulator otp --destination $1 failed"
	[[ $c =~ ^[0-9]{6}$ ]] || fail "zupy emulator otp did not print a 6-digit code"
	printf '%s' "$c"
}

advance_clock() {
	curl -fsS -X POST "$origin/_emulator/clock" -H 'Content-Type: application/json' \
		-d "{\"advance_seconds\": $1}" >/dev/null || fail "could not move the emulator's clock"
}


# ---- 1. e-mail login: countdown, wrong code, cooldown, keys, success ------
start login1 login --insecure-storage
wait_for "E-mail or WhatsApp number"
# Arrow keys in the address are moves, not text.
type_text "dev@example"
keys Left Right
type_text ".com"
wait_for "E-mail or WhatsApp number: dev@example.com"
grep -qF '[D' <<<"$pane" && fail "an arrow key was typed into the address"
keys Enter
wait_for "Sent a code by e-mail"
wait_for "expires in"
ok "prompted for the identity; code sent by e-mail"

# expiry: the countdown on the code line ("expires in 4m59s").
expiry() { code_line | grep -oE 'expires in [0-9hms ]*[0-9][hms]' || true; }
first=$(expiry)
[[ -n $first ]] || fail "no countdown on the code line"
# The countdown runs on the wall clock (it redraws once a second): poll until
# it moves, for at most 5 s.
moved() { second=$(expiry) && [[ -n $second && $second != "$first" ]]; }
wait_until 5 "the countdown never moved from \"$first\"" moved
ok "countdown is live ($first -> $second)"

type_text "000000"
keys Enter
wait_for "Wrong code. 4 attempts left."
ok "wrong code re-prompted with the attempts left"

keys r
wait_for_re "a new code can be sent in [0-9]+s"
ok "r during the cooldown is refused, saying how long is left"

# Delete, Home and arrow keys send escape sequences: no digit may come of them.
# The 3 typed after them is the sentinel: once its dot shows, the keys
# before it have been read, and exactly three dots means they typed nothing.
keys 1 2 Left DC Home End 3
code_is() { line=$(code_line) && [[ $line =~ $1 ]]; }
wait_until 5 "after typing 1 2, moving keys and 3 the code line never showed exactly three digits: $(code_line)" code_is '\): •••$'
keys BSpace BSpace BSpace
wait_until 5 "backspace did not clear the digits: $(code_line)" code_is '\):$'
ok "cursor keys type nothing, backspace deletes"

code=$(otp dev@example.com)
paste_secret "$code"
keys Enter
wait_for "Logged in as Demo Partner"
wait_for "[zupy exited 0]"
grep -qF -- "$code" <<<"$pane" && fail "the code is on the screen"
grep -qF 'zup_sess_' <<<"$pane" && fail "the session token is on the screen"
ok "logged in; neither code nor token on the screen"

status_out=$(ZUPY_BASE_URL=$base "$zupy" auth status 2>&1) || fail "zupy auth status failed after the login: $status_out"
grep -qE '^Partner: +Demo Partner <dev@example.com>$' <<<"$status_out" || fail "auth status: $status_out"
grep -qE '^Credentials: +.*credentials.yaml$' <<<"$status_out" || fail "auth status: $status_out"
mode=$(stat -c %a "$ZUPY_CONFIG_DIR/credentials.yaml" 2>/dev/null || stat -f %Lp "$ZUPY_CONFIG_DIR/credentials.yaml")
[[ $mode == 600 ]] || fail "credentials.yaml has mode $mode, want 600"
ok "auth status exits 0 and names the 0600 credentials file"

ZUPY_BASE_URL=$base "$zupy" logout >/dev/null 2>&1 || fail "zupy logout failed"

# ---- 2. WhatsApp, switched to e-mail ---------------------------------------
start login2 login --insecure-storage --whatsapp +5511999990000
wait_for "Sent a code by WhatsApp"
wait_for "e: send by e-mail instead"
# dev@example.com got a code moments ago: its 60 s cooldown refuses at once,
# and the WhatsApp code stays the one to type.
keys e
wait_for "E-mail address of your partner account:"
type_text "dev@example.com"
keys Enter
wait_for "A code was sent less than a minute ago"
grep -qF 'rate limited; retrying' <<<"$pane" && fail "the switch waited out the cooldown behind the user's back"
ok "switch to e-mail during its cooldown is refused at once"
advance_clock 61
keys e
wait_for_re 'E-mail address of your partner account: *$'
type_text "dev@example.com"
keys Enter
wait_for "Sent a code by e-mail"
code=$(otp dev@example.com)
paste_secret "$code"
keys Enter
wait_for "Logged in as Demo Partner"
wait_for "[zupy exited 0]"
ok "switched from WhatsApp to e-mail and logged in"

ZUPY_BASE_URL=$base "$zupy" logout >/dev/null 2>&1 || fail "zupy logout failed"

# ---- 3. a narrow terminal, Ctrl-C -------------------------------------------
# At 50 columns the code line would wrap; "\r, clear line" clears one row
# only, so each redraw must stay on one row or it leaves a copy behind.
width=50
start login3 login --insecure-storage --whatsapp +5511999990000
wait_for "Sent a code by WhatsApp"
wait_for "? Code ("
keys 1 2 3 4 5 6 r
# This checks a wall-clock ticker: the countdown redraws once a second, so
# a fixed 2.2 s lets it redraw twice before the rows are counted.
sleep 2.2
capture
n=$(grep -cF '? Code (' <<<"$pane" || true)
[[ $n == 1 ]] || fail "at 50 columns the code line was drawn $n times"
ok "the countdown redraws in place on a 50-column terminal"
keys C-c
wait_for "[zupy exited 130]"
ok "Ctrl-C at the code prompt exits 130"

# ---- 4. a dead code: one state, a new code offered with its countdown -------
width=120
advance_clock 61
start login4 login --insecure-storage --email dev@example.com
wait_for "Sent a code by e-mail"
for i in 1 2 3 4; do
	type_text "000000"
	keys Enter
done
wait_for "Wrong code. 1 attempt left."
grep -qF "1 attempts" <<<"$pane" && fail "\"1 attempts\" on the screen"
type_text "000000"
keys Enter
wait_for "Wrong code, and no attempts are left on it: a new code is needed."
wait_for_re 'Code \(no attempts left · new code in [0-9]+s\)'
ok "after the fifth miss the prompt says no attempts are left, with the countdown to a new code"
keys r
wait_for_re "a new code can be sent in [0-9]+s"
type_text "1"
wait_for_re "this code can no longer be used: a new one in [0-9]+s"
line=$(code_line)
[[ $line == *"••"* ]] && fail "a dead code took digits: $line"
ok "a dead code takes no digits, and r waits for the cooldown"
keys C-c
wait_for "[zupy exited 130]"

# ---- 5. login again within the cooldown ---------------------------------------
# The first login is left at its code prompt (Ctrl-C); run again, it offers
# the code already sent instead of waiting to send one.
advance_clock 61
start login5 login --insecure-storage --email dev@example.com
wait_for "Sent a code by e-mail"
keys C-c
wait_for "[zupy exited 130]"
start login6 login --insecure-storage
wait_for_re "Use the code sent to d\*\*@example.com [0-9]+s ago\? \[Y/n, or type another address\]"
keys Enter
wait_for_re "A code was sent by e-mail to d\*\*@example.com [0-9]+s ago and is still valid: enter it"
grep -qF "rate limited; retrying" <<<"$pane" && fail "the second login waited out the cooldown"
wait_for "? Code ("
code=$(otp dev@example.com)
paste_secret "$code"
keys Enter
wait_for "Logged in as Demo Partner"
wait_for "[zupy exited 0]"
ok "login run again within the cooldown offered the code already sent"
[[ -e $HOME/.local/state/zupy/default.login.json ]] && fail "the used code's state file was left behind"
ok "the pending-code file is gone once the code is used"
ZUPY_BASE_URL=$base "$zupy" logout >/dev/null 2>&1 || fail "zupy logout failed"

# Another profile has no pending code: the server's cooldown is waited out
# with a visible countdown, not a silent "retrying in 51s".
start login7 --profile other login --insecure-storage --email dev@example.com
wait_for_re "a new one can be sent in [0-9]+s"
grep -qF "rate limited; retrying" <<<"$pane" && fail "the cooldown was waited out without a countdown"
ok "a refused resend is waited out with a visible countdown"
keys C-c
wait_for "[zupy exited 130]"

# ---- 6. a Brazilian national number, and "already logged in" ------------------
advance_clock 61
before=$(curl -fsS "$origin/_emulator/outbox" | grep -o '"code"' | wc -l)
start login8 login --insecure-storage --whatsapp "(11) 99999-0000"
wait_for "Send the code by WhatsApp to +55 11 99999-0000 (Brazil)? [y/n]"
type_text "n"
keys Enter
wait_for "not sent: the number was not confirmed"
wait_for "[zupy exited 2]"
after=$(curl -fsS "$origin/_emulator/outbox" | grep -o '"code"' | wc -l)
[[ $before == "$after" ]] || fail "a code was sent to a number nobody confirmed"
ok "a national number is offered as +55 and nothing is sent when it is refused"
start login9 login --insecure-storage --whatsapp "(11) 99999-0000"
wait_for "(Brazil)? [y/n]"
type_text "y"
keys Enter
wait_for "Sent a code by WhatsApp"
code=$(otp +5511999990000)
paste_secret "$code"
keys Enter
wait_for "Logged in as Demo Partner"
wait_for "[zupy exited 0]"
ok "confirmed, the code went to +5511999990000 and the login completed"
start login10 login --insecure-storage
wait_for_re "Already logged in as Demo Partner <dev@example.com> until [0-9T:Z-]+ \\(2[34]h [0-9]+m left\\)\\. Log in again\\? \\[y/n\\]"
type_text "n"
keys Enter
wait_for "Kept the current session (profile default)."
wait_for "[zupy exited 0]"
ok "login while logged in asks first, and n keeps the session"


# ---- 7. a mistyped number: never read as a code, not resumed unasked ---------
advance_clock 901
start login11 --profile typo login --insecure-storage --whatsapp +5511912345678
wait_for "Sent a code by WhatsApp"
wait_for "zupy login --email ADDR --profile typo"
type_text "+55 11 98765-4321"
keys Enter
wait_for "That is an address, not a code. Send a new code to +5511987654321 instead? [y/n]"
grep -qF "Wrong code" <<<"$pane" && fail "an address was spent as a code"
type_text "n"
keys Enter
type_text "dev@example"
keys Enter
wait_for "The code is 6 digits (no attempt was used)."
grep -qF "Wrong code" <<<"$pane" && fail "a line that is no code was spent as one"
ok "a phone number typed at the code prompt is offered as an address, not spent as a code"
keys C-c
wait_for "[zupy exited 130]"
start login12 --profile typo login --insecure-storage
wait_for_re "Use the code sent to .+ ago\? \[Y/n, or type another address\]"
type_text "dev@example.com"
keys Enter
wait_for "Sent a code by e-mail"
code=$(otp dev@example.com)
paste_secret "$code"
keys Enter
wait_for "Logged in as Demo Partner"
wait_for "[zupy exited 0]"
ok "login asks before resuming a code, and takes another address as the answer"

echo "PASS: tmux login"
