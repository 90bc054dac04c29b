#!/usr/bin/env bash
# tmux-completion.sh ZUPY_BINARY: type into real bash (with bash-completion),
# zsh (compinit) and fish, each with the script `zupy completion SHELL`
# prints installed the way the help says, and read what <Tab> puts on the
# screen. Against a fresh in-memory emulator with a logged-in profile.
#
# Checked in each shell:
#   - subcommands: `zupy ke<Tab>` becomes `zupy keys`, and `zupy keys r<Tab>`
#     offers revoke and rotate;
#   - --scopes, first scope: `--scopes loyalty:w<Tab>` becomes loyalty:write,
#     and `--scopes coupons:<Tab>` offers redeem and validate;
#   - --scopes after a comma: `loyalty:read,coupons:v<Tab>` becomes
#     loyalty:read,coupons:validate, `loyalty:read,cou<Tab>` becomes
#     loyalty:read,coupons:, which offers both coupon scopes, and `loyalty:read,loyalty:<Tab>` completes the one not yet given;
#   - live key ids from the emulator: `zupy keys revoke <Tab>` inserts the one
#     active key's id (the revoked one is not offered) and `zupy keys show
#     <Tab>` offers both.
#
# The shells start with no user configuration but what is written here
# (fish's autosuggestions off, so only <Tab> can put text on the line).
# Needs tmux, bash-completion, zsh and fish (`make deps`). Exit status: 0
# passed, 1 failed, 2 a tool or the binary is missing.
set -euo pipefail

NAME=tmux-completion.sh TOOLS=(zsh:zsh fish:fish)
# shellcheck source=lib/tmux-harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tmux-harness.sh" "$@"

bash_completion=/usr/share/bash-completion/bash_completion
require_file "$bash_completion" bash-completion

z() { ZUPY_BASE_URL=$base "$zupy" "$@"; }

# ---- a logged-in profile with one active and one revoked key ------------------
z config set credential_store file >/dev/null
challenge=$(z login --email dev@example.com --request-only -o json) || fail "login --request-only failed"
vid=$(sed -n 's/.*"verification_id": *"\([^"]*\)".*/\1/p' <<<"$challenge")
[[ -n $vid ]] || fail "no verification_id in: $challenge"
z emulator otp --destination dev@example.com | z login --verification-id "$vid" --code-stdin 2>/dev/null ||
	fail "login --code-stdin failed"
key_id() { z keys create --name "$1" --scopes loyalty:read -o json | sed -n 's/.*"key_id": *"\([^"]*\)".*/\1/p'; }
active=$(key_id Till) && gone=$(key_id Old) || fail "keys create failed"
[[ $active == key_* && $gone == key_* ]] || fail "no key ids from keys create: $active $gone"
z keys revoke "$gone" --yes >/dev/null 2>&1 || fail "keys revoke failed"
ok "logged in with $active active and $gone revoked"

# ---- each shell's set-up, as `zupy completion --help` describes it -------------
bin=$work/bin
mkdir -p "$bin" "$work/zfunc" "$work/zdot" "$XDG_CONFIG_HOME/fish/completions"
ln -s "$zupy" "$bin/zupy"
z completion bash >"$work/zupy.bash"
cat >"$work/bashrc" <<EOF
source $bash_completion
source $work/zupy.bash
PS1='\$ '
EOF
z completion zsh >"$work/zfunc/_zupy"
cat >"$work/zdot/.zshrc" <<EOF
fpath=($work/zfunc \$fpath)
autoload -U compinit && compinit -u -d $work/zcompdump
PS1='\$ '
EOF
z completion fish >"$XDG_CONFIG_HOME/fish/completions/zupy.fish"
cat >"$XDG_CONFIG_HOME/fish/config.fish" <<'EOF'
set -g fish_greeting
set -g fish_autosuggestion_enabled 0
function fish_prompt; echo -n '$ '; end
function fish_right_prompt; end
EOF

# shell_start SHELL: a new session running SHELL, waiting for its prompt.
shell_start() {
	session=$1
	local cmd
	case $1 in
	bash) cmd=(bash --noprofile --rcfile "$work/bashrc" -i) ;;
	zsh) cmd=(env "ZDOTDIR=$work/zdot" zsh -i) ;;
	fish) cmd=(fish -i) ;;
	esac
	tmux -L "$sock" -f /dev/null new-session -d -s "$session" -x "$width" -y 40 \
		"$(printf '%q ' env -u BASH_ENV -u ENV "PATH=$bin:$PATH" "HOME=$HOME" "TERM=xterm-256color" \
			"XDG_CONFIG_HOME=$XDG_CONFIG_HOME" "XDG_DATA_HOME=$XDG_DATA_HOME" \
			"ZUPY_CONFIG_DIR=$ZUPY_CONFIG_DIR" "ZUPY_BASE_URL=$base" "${cmd[@]}")"
	wait_prompt
}

# bare_prompt [TRIES]: whether the screen becomes the prompt alone within
# TRIES tenths of a second (20).
bare_prompt() {
	for ((i = 0; i < ${1:-20}; i++)); do
		capture
		[[ $(sed 's/[[:space:]]*$//; /^$/d' <<<"$pane") == '$' ]] && return 0
		sleep 0.1 # bounded polling loop
	done
	return 1
}

wait_prompt() { bare_prompt 100 || fail "$session never showed its bare prompt"; }

# fresh_line: cancel what is typed and clear the screen. A Ctrl-C that lands
# while a completion is still running ends only that completion, so this
# tries again until the screen is the bare prompt.
fresh_line() {
	for ((try = 0; try < 5; try++)); do
		keys C-c
		sleep 0.2 # bounded retry loop (five tries): let the Ctrl-C land before Ctrl-L
		keys C-l
		bare_prompt && return 0
	done
	fail "$session never came back to a bare prompt"
}

# tab TEXT [TABS]: type TEXT on a fresh line, then press <Tab> TABS times (1).
tab() {
	fresh_line
	type_text "$1"
	for ((t = 0; t < ${2:-1}; t++)); do
		settle # the shell has taken in what was typed (polls, bounded)
		keys Tab
	done
}

# line_becomes TEXT: the command line reads TEXT (trailing spaces aside).
line_becomes() {
	local want="\$ $1"
	for ((i = 0; i < 100; i++)); do
		capture
		if sed 's/[[:space:]]*$//' <<<"$pane" | grep -qxF -- "$want"; then
			return 0
		fi
		sleep 0.1 # bounded polling loop
	done
	fail "$session: the line never read \"$want\""
}

# offers WORD...: each WORD is shown below the command line (a listing).
offers() {
	for word in "$@"; do
		for ((i = 0; i < 100; i++)); do
			capture
			sed 1d <<<"$pane" | grep -qF -- "$word" && break
			sleep 0.1 # bounded polling loop
		done
		sed 1d <<<"$pane" | grep -qF -- "$word" || fail "$session: <Tab> did not offer \"$word\""
	done
}

# check_shell SHELL: every check above in SHELL, in a tmux session of its own.
check_shell() {
	local sh=$1
	shell_start "$sh"
	# How many <Tab>s list an ambiguous word. All three first insert what
	# the candidates share; then fish lists at once, zsh on the next <Tab>
	# (at once when there was nothing to insert; the second then starts its
	# menu, which keeps the list), bash on the next but one (the second when
	# nothing was inserted; the third lists again).
	case $sh in bash) list=3 ;; zsh) list=2 ;; fish) list=1 ;; esac
	tab "zupy ke"
	line_becomes "zupy keys"
	tab "zupy keys r" "$list"
	offers revoke rotate
	ok "$sh completes subcommands"

	tab "zupy keys create --scopes loyalty:w"
	line_becomes "zupy keys create --scopes loyalty:write"
	tab "zupy keys create --scopes coupons:" "$list"
	offers redeem validate
	ok "$sh completes the first scope"

	tab "zupy keys create --scopes loyalty:read,coupons:v"
	line_becomes "zupy keys create --scopes loyalty:read,coupons:validate"
	tab "zupy keys create --scopes loyalty:read,cou"
	line_becomes "zupy keys create --scopes loyalty:read,coupons:"
	tab "zupy keys create --scopes loyalty:read,coupons:" "$list"
	offers redeem validate
	tab "zupy keys create --scopes loyalty:read,loyalty:"
	line_becomes "zupy keys create --scopes loyalty:read,loyalty:write"
	ok "$sh completes a scope after a comma"

	tab "zupy keys revoke "
	line_becomes "zupy keys revoke $active"
	tab "zupy keys show key_" "$list"
	offers "$active" "$gone"
	ok "$sh completes live key ids (revoke offers only the active one)"
}

# The three shells are checked side by side, each in a subshell (whose fail
# ends only it) writing to a log of its own; the logs are printed in order.
# Most of a check is waiting for a shell to draw, so together they take
# about the time of the slowest instead of the sum.
declare -A pids
for sh in bash zsh fish; do
	(check_shell "$sh") >"$work/$sh.log" 2>&1 &
	pids[$sh]=$!
done
failed=()
for sh in bash zsh fish; do
	wait "${pids[$sh]}" || failed+=("$sh")
	cat "$work/$sh.log"
done
((${#failed[@]} == 0)) || { echo "FAIL: tmux-completion.sh: ${failed[*]}" >&2; exit 1; }
echo "PASS: tmux-completion.sh"
