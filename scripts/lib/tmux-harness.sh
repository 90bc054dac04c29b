# tmux-harness.sh: what the terminal tests (tmux-login.sh, tmux-keys.sh) share.
# Source it after setting NAME (the script's name, for messages) and TOOLS (the
# commands it needs besides tmux, each as TOOL:DEBIAN_PACKAGE), with the
# script's arguments:
#
#   NAME=tmux-login.sh TOOLS=(curl:curl) ; source "$(dirname "$0")/lib/tmux-harness.sh" "$@"
#
# A missing tool fails in CI and skips elsewhere (lib/require-tool.sh). The
# shells it drives see neither CI nor ZUPY_PROMPT_DISABLED, which stop
# prompts; the CI decision itself is kept in ZUPY_TEST_IN_CI.
#
# It checks the arguments (the zupy binary), gives the test a throw-away HOME
# and config directory, a private tmux socket and an in-memory emulator ($base,
# $origin), and cleans all of it up on exit. Screens are read with capture-pane
# and printed on failure with secrets and codes masked.

if (($# != 1)); then
	echo "usage: $0 PATH/TO/zupy" >&2
	exit 2
fi
# shellcheck source=require-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/require-tool.sh"
for tool in tmux:tmux "${TOOLS[@]}"; do
	require_tool "${tool%%:*}" "${tool#*:}"
done
if in_ci; then export ZUPY_TEST_IN_CI=1; else export ZUPY_TEST_IN_CI=0; fi
unset CI ZUPY_PROMPT_DISABLED
zupy=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [[ ! -x $zupy ]]; then
	echo "$NAME: $1 is not an executable" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-${NAME%.sh}.XXXXXX")
sock="zupy-${NAME%.sh}-$$-$RANDOM"
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
# CI and ZUPY_PROMPT_DISABLED would stop every prompt these tests drive.
unset ZUPY_SESSION_TOKEN ZUPY_API_KEY ZUPY_PROFILE ZUPY_DEBUG NO_COLOR CLICOLOR_FORCE TMUX CI ZUPY_PROMPT_DISABLED

session="" # the tmux session being driven
pane=""    # its last capture
width=120  # of sessions started from now on

capture() { pane=$(tmux -L "$sock" capture-pane -p -J -t "$session:0.0" 2>/dev/null || true); }

# fail MESSAGE: print the screen (API keys masked) and the emulator's log
# (which quotes the codes it "sent": every 6-digit number masked), exit 1.
fail() {
	echo "FAIL: $*" >&2
	if [[ -n $session ]]; then
		capture
		echo "---- screen of $session (secrets masked) ----" >&2
		printf '%s\n' "$pane" | sed -E 's/zup_(live|test)_sk_[A-Za-z0-9]+/zup_\1_sk_[secret]/g; s/zup_sess_[A-Za-z0-9]+/zup_sess_[secret]/g' >&2
	fi
	echo "---- emulator log (last lines, codes masked) ----" >&2
	tail -n 20 "$work/emulator.err" 2>/dev/null | sed -E 's/[0-9]{6}/[code]/g' >&2 || true
	exit 1
}

ok() { echo "ok: $*"; }

# Waiting: a test reads the screen by polling it, bounded, and prints it when
# what it expects never comes (fail). Every fixed sleep below is the 0.1 s
# step of such a bounded polling loop. An assertion that something is absent
# first waits for a sentinel that proves the screen is up to date (a later
# line, "[zupy exited N]").

# wait_for TEXT [SECONDS]: poll the screen until it shows TEXT (fixed string),
# for at most SECONDS (10).
wait_for() {
	local text=$1 tries=$((${2:-10} * 10))
	for ((i = 0; i < tries; i++)); do
		capture
		if grep -qF -- "$text" <<<"$pane"; then
			return 0
		fi
		sleep 0.1 # bounded polling loop
	done
	fail "the screen never showed \"$text\""
}

# wait_for_re REGEX [SECONDS]: the same with an extended regular expression.
wait_for_re() {
	local tries=$((${2:-10} * 10))
	for ((i = 0; i < tries; i++)); do
		capture
		if grep -qE -- "$1" <<<"$pane"; then
			return 0
		fi
		sleep 0.1 # bounded polling loop
	done
	fail "the screen never matched /$1/"
}

# wait_until SECONDS WHAT COMMAND...: capture the screen and run COMMAND
# every 0.1 s until it succeeds; after SECONDS, fail saying WHAT was awaited.
wait_until() {
	local tries=$(($1 * 10)) what=$2
	shift 2
	for ((i = 0; i < tries; i++)); do
		capture
		if "$@"; then
			return 0
		fi
		sleep 0.1 # bounded polling loop
	done
	fail "$what (waited $((tries / 10)) s)"
}

# settle: wait until the screen has not changed for 0.3 s (at most 10 s), so
# that the program has taken in what was typed before more is typed.
settle() {
	local last="" same=0
	for ((i = 0; i < 100; i++)); do
		capture
		if [[ $pane == "$last" ]]; then
			((++same >= 3)) && return 0
		else
			same=0 last=$pane
		fi
		sleep 0.1 # bounded polling loop
	done
	fail "the screen never stopped changing"
}

keys() { tmux -L "$sock" send-keys -t "$session:0.0" "$@"; }
type_text() { tmux -L "$sock" send-keys -t "$session:0.0" -l -- "$1"; }
# paste_secret SECRET: type a secret (a code, a key) through a tmux buffer fed
# on stdin by a shell builtin, so it never becomes a process argument.
paste_secret() {
	printf %s "$1" | tmux -L "$sock" load-buffer -b zupy-secret - &&
		tmux -L "$sock" paste-buffer -d -b zupy-secret -t "$session:0.0"
}

# start NAME ARGS...: run `zupy ARGS...` in a new detached session of
# $width x 40; the pane stays open after zupy exits, showing "[zupy exited N]".
start() {
	session=$1
	shift
	local cmd
	cmd=$(printf '%q ' env -u CI -u ZUPY_PROMPT_DISABLED "ZUPY_BASE_URL=$base" "ZUPY_CONFIG_DIR=$ZUPY_CONFIG_DIR" "HOME=$HOME" \
		TERM=xterm-256color "$zupy" "$@")
	tmux -L "$sock" -f /dev/null new-session -d -s "$session" -x "$width" -y 40 \
		"$cmd; echo \"[zupy exited \$?]\"; sleep 600" # keeps the pane open; kill-server ends it
}

# The emulator, on a free port; its first stdout line is the base URL.
"$zupy" emulator start --in-memory --addr 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.err" &
emu_pid=$!
base=""
for ((i = 0; i < 100; i++)); do
	base=$(head -n 1 "$work/emulator.out" 2>/dev/null || true)
	[[ $base == http* ]] && break
	kill -0 "$emu_pid" 2>/dev/null || fail "the emulator exited: $(cat "$work/emulator.err")"
	sleep 0.1 # bounded polling loop
done
[[ $base == http* ]] || fail "the emulator printed no base URL within 10 s"
origin=${base%/v1}
ok "emulator at $base"
