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
# moved on); Ctrl-C exiting 130.
#
# The one-time codes and the session token are never printed: the screen
# shows typed digits as dots, and the emulator's log (which quotes the codes)
# is shown with every 6-digit number masked.
#
# Needs tmux (`make deps`), curl. Exit status: 0 passed, 1 failed, 2 a tool
# or the binary is missing.
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 PATH/TO/zupy" >&2
	exit 2
fi
for tool in tmux curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "tmux-login.sh: $tool is missing (make deps installs tmux)" >&2
		exit 2
	fi
done
zupy=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [[ ! -x $zupy ]]; then
	echo "tmux-login.sh: $1 is not an executable" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-tmux-login.XXXXXX")
sock="zupy-login-$$-$RANDOM"
emu_pid=""
cleanup() {
	tmux -L "$sock" kill-server >/dev/null 2>&1 || true
	if [[ -n $emu_pid ]]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/home"
export HOME="$work/home"
export ZUPY_CONFIG_DIR="$work/home/.config/zupy"
export XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
unset ZUPY_SESSION_TOKEN ZUPY_API_KEY ZUPY_PROFILE ZUPY_DEBUG NO_COLOR CLICOLOR_FORCE TMUX

session=""  # the tmux session being driven
pane=""     # its last capture

capture() { pane=$(tmux -L "$sock" capture-pane -p -J -t "$session:0.0" 2>/dev/null || true); }

fail() {
	echo "FAIL: $*" >&2
	capture
	echo "---- screen of $session ----" >&2
	printf '%s\n' "$pane" >&2
	echo "---- emulator log (last lines, codes masked) ----" >&2
	tail -n 20 "$work/emulator.err" 2>/dev/null | sed -E 's/[0-9]{6}/[code]/g' >&2 || true
	exit 1
}

ok() { echo "ok: $*"; }

# wait_for TEXT [SECONDS]: poll the screen until it shows TEXT (fixed string).
wait_for() {
	local text=$1 tries=$((${2:-10} * 10))
	for ((i = 0; i < tries; i++)); do
		capture
		if grep -qF -- "$text" <<<"$pane"; then
			return 0
		fi
		sleep 0.1
	done
	fail "the screen never showed \"$text\""
}

# wait_for_re REGEX: the same with an extended regular expression.
wait_for_re() {
	for ((i = 0; i < 100; i++)); do
		capture
		if grep -qE -- "$1" <<<"$pane"; then
			return 0
		fi
		sleep 0.1
	done
	fail "the screen never matched /$1/"
}

# code_line: the last "? Code (…)" line on the screen.
# (-J keeps trailing spaces.)
code_line() { capture; grep -F '? Code (' <<<"$pane" | tail -n 1 | sed 's/ *$//' || true; }

keys() { tmux -L "$sock" send-keys -t "$session:0.0" "$@"; }
type_text() { tmux -L "$sock" send-keys -t "$session:0.0" -l -- "$1"; }

# start NAME ARGS...: run `zupy ARGS...` in a new detached session of
# $width x 40; the pane stays open after zupy exits, showing "[zupy exited N]".
width=120
start() {
	session=$1
	shift
	local cmd
	cmd=$(printf '%q ' env "ZUPY_BASE_URL=$base" "ZUPY_CONFIG_DIR=$ZUPY_CONFIG_DIR" "HOME=$HOME" \
		TERM=xterm-256color "$zupy" "$@")
	tmux -L "$sock" -f /dev/null new-session -d -s "$session" -x "$width" -y 40 \
		"$cmd; echo \"[zupy exited \$?]\"; sleep 600"
}

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

# ---- the emulator ----------------------------------------------------------
"$zupy" emulator start --in-memory --addr 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.err" &
emu_pid=$!
base=""
for ((i = 0; i < 100; i++)); do
	base=$(head -n 1 "$work/emulator.out" 2>/dev/null || true)
	[[ $base == http* ]] && break
	kill -0 "$emu_pid" 2>/dev/null || fail "the emulator exited: $(cat "$work/emulator.err")"
	sleep 0.1
done
[[ $base == http* ]] || fail "the emulator printed no base URL within 10 s"
origin=${base%/v1}
ok "emulator at $base"

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

first=$(code_line | grep -oE 'expires in [0-9hms ]*[0-9][hms]' || true)
sleep 1.2
second=$(code_line | grep -oE 'expires in [0-9hms ]*[0-9][hms]' || true)
[[ -n $first && -n $second ]] || fail "no countdown on the code line"
[[ $first != "$second" ]] || fail "the countdown did not move in 1.2 s ($first)"
ok "countdown is live ($first -> $second)"

type_text "000000"
keys Enter
wait_for "Wrong code. 4 attempts left."
ok "wrong code re-prompted with the attempts left"

keys r
wait_for "wait for the cooldown"
ok "r during the cooldown is refused"

# Delete, Home and arrow keys send escape sequences: no digit may come of them.
keys 1 2 Left DC Home End
sleep 0.3
line=$(code_line)
[[ $line =~ \):\ ••$ ]] || fail "after typing 1 2 and moving keys the code shows more than two digits: $line"
keys BSpace BSpace
sleep 0.2
line=$(code_line)
[[ $line =~ \):$ ]] || fail "backspace did not clear the digits: $line"
ok "cursor keys type nothing, backspace deletes"

code=$(otp dev@example.com)
type_text "$code"
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
wait_for "Wait before requesting a new OTP code"
grep -qF 'rate limited; retrying' <<<"$pane" && fail "the switch waited out the cooldown behind the user's back"
ok "switch to e-mail during its cooldown is refused at once"
advance_clock 61
keys e
wait_for_re 'E-mail address of your partner account: *$'
type_text "dev@example.com"
keys Enter
wait_for "Sent a code by e-mail"
code=$(otp dev@example.com)
type_text "$code"
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
sleep 2.2
capture
n=$(grep -cF '? Code (' <<<"$pane" || true)
[[ $n == 1 ]] || fail "at 50 columns the code line was drawn $n times"
ok "the countdown redraws in place on a 50-column terminal"
keys C-c
wait_for "[zupy exited 130]"
ok "Ctrl-C at the code prompt exits 130"

echo "PASS: tmux login"
