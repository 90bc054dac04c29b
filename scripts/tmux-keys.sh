#!/usr/bin/env bash
# tmux-keys.sh ZUPY_BINARY: check `zupy keys` on a real terminal, against a
# fresh in-memory emulator. Each command runs in a detached tmux session
# (private socket, fixed 120x40 size, TERM=xterm-256color); answers are typed
# with send-keys and the screen is read with capture-pane.
#
# Checked: `zupy keys create` draws the card (border, every field, a
# zup_live_sk_ secret and the warning that it will not be shown again) and
# `keys list` shows the key with a relative expiry; `zupy keys revoke` asks
# `Revoke key_… "Demo"? This cannot be undone [y/N]`, and "n" leaves the key
# active while "y" revokes it; `zupy keys import` reads the secret from a
# prompt that does not echo it; `keys create` without flags asks for every
# field (huh) and shows the equivalent command line; `keys show` and `keys
# revoke` without an id offer the keys to pick from; at 50 and 120 columns
# the card stays framed and the list within the width.
#
# The login is non-interactive (two steps, code through `zupy emulator otp`)
# and the credentials go to a 0600 file in a temporary config directory,
# never the OS keyring. TMUX_KEYS_SHOW=1 prints the card's screen at the end
# (its secret belongs to the throwaway emulator). Needs tmux (`make deps`). Exit status: 0 passed, 1
# failed, 2 a tool or the binary is missing.
set -euo pipefail

NAME=tmux-keys.sh TOOLS=()
# shellcheck source=lib/tmux-harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tmux-harness.sh" "$@"

# z ARGS...: run zupy outside tmux (no terminal), against the emulator.
z() { ZUPY_BASE_URL=$base "$zupy" "$@"; }

# status_of KEY_ID: the key's status, from the script-safe `keys show`.
status_of() { z keys show "$1" | sed -n 's/^status\t//p'; }


z config set credential_store file >/dev/null
challenge=$(z login --email dev@example.com --request-only -o json) || fail "login --request-only failed"
vid=$(sed -n 's/.*"verification_id": *"\([^"]*\)".*/\1/p' <<<"$challenge")
[[ -n $vid ]] || fail "no verification_id in: $challenge"
z emulator otp --destination dev@example.com | z login --verification-id "$vid" --code-stdin 2>/dev/null ||
	fail "login --code-stdin failed"
ok "logged in (session in a 0600 file)"

# ---- 1. the create card --------------------------------------------------------
start create keys create --name Demo --scopes loyalty:read
wait_for "[zupy exited 0]"
wait_for "This secret will not be shown again. Store it now."
wait_for_re '│ *Secret +zup_live_sk_[A-Za-z0-9]{20} *│'
wait_for_re '╭─+╮'
wait_for_re '╰─+╯'
for field in "Created API key" "Key ID" "Name" "Demo" "Environment" "production" "Scopes" "loyalty:read" \
	"100 requests/minute" "IP allow-list" "any address" "Expires" "in 365 days"; do
	grep -qF -- "$field" <<<"$pane" || fail "the card lacks \"$field\""
done
secret=$(grep -oE 'zup_live_sk_[A-Za-z0-9]{20}' <<<"$pane" | head -n 1)
id=$(grep -oE 'key_[0-9a-z]{12}' <<<"$pane" | head -n 1)
[[ -n $id ]] || fail "no key id on the card"
ok "create drew the card with $id, its secret and the warning"

# The secret shown is the key's: the server agrees on its masked hint.
hint=$(z keys show "$id" | sed -n 's/^key_hint\t//p')
[[ $hint == "zup_live_sk_…${secret: -4}" ]] || fail "the card's secret does not match the key's hint $hint"
ok "the card's secret matches the key's hint"

# ---- 2. the list table ---------------------------------------------------------
start list keys list
wait_for "[zupy exited 0]"
wait_for_re '^ID +NAME +ENV +SCOPES +RATE +IPS +EXPIRES +LAST USED +STATUS'
wait_for_re "^$id +Demo +production +loyalty:read +100 +any +in 365 days +never +active"
grep -qF 'zup_live_sk_' <<<"$pane" && fail "keys list shows a secret"
ok "list shows the key with a relative expiry and no secret"

# ---- 3. revoke asks first; n keeps the key -------------------------------------
start revoke-no keys revoke "$id"
wait_for "Revoke $id \"Demo\"? This cannot be undone [y/N]"
ok "revoke asks for confirmation"
keys n Enter
wait_for "Not revoked: $id is still active"
wait_for "[zupy exited 2]"
[[ $(status_of "$id") == active ]] || fail "the key is not active after answering n"
ok "answering n leaves the key active"

# ---- 4. y revokes it -----------------------------------------------------------
start revoke-yes keys revoke "$id"
wait_for "This cannot be undone [y/N]"
keys y Enter
wait_for "Revoked $id \"Demo\""
wait_for "[zupy exited 0]"
[[ $(status_of "$id") == revoked ]] || fail "the key is not revoked after answering y"
ok "answering y revokes the key"

# ---- 5. import reads the secret from a hidden prompt ------------------------
imported=$(z keys create --name Imported --scopes loyalty:read,coupons:validate 2>/dev/null) || fail "keys create in a pipe failed"
[[ $imported =~ ^zup_live_sk_[A-Za-z0-9]{20}$ ]] || fail "keys create in a pipe printed more than the secret"
start import keys import --default
wait_for "Paste the API key (input hidden):"
paste_secret "$imported"
keys Enter
wait_for_re 'Imported key_[0-9a-z]{12} \(production, loyalty:read, coupons:validate\) into .*credentials.yaml as the profile.s default key'
wait_for "[zupy exited 0]"
grep -qF -- "${imported:12}" <<<"$pane" && fail "the pasted secret was echoed on the screen"
ok "import read the secret without echo and saved it as the default key"

# ---- 6. keys create with no flag asks for everything (huh) ------------------
start ask keys create
wait_for "Name"
type_text "Asked"
keys Enter
wait_for "Scopes"
wait_for "Read customer profiles and data"
keys Space Down Down Space Enter
wait_for "Environment"
keys Down Enter
wait_for "Rate limit"
keys BSpace BSpace BSpace
type_text "300"
keys Enter
wait_for "Expiry"
type_text "90d"
keys Enter
wait_for "IP allow-list"
type_text "10.0.0.0/8"
keys Enter
wait_for "it is shown only once"
keys Down Enter
wait_for "[zupy exited 0]"
wait_for "Equivalent command: zupy keys create --name Asked --scopes customer:read,loyalty:read --environment staging --rate-limit 300 --expires-in 90d --allow-ip 10.0.0.0/8 --save"
wait_for "Saved key_"
wait_for_re '│ *Secret +zup_test_sk_[A-Za-z0-9]{20} *│'
asked=$(grep -oE 'key_[0-9a-z]{12}' <<<"$pane" | head -n 1)
[[ $(z keys show "$asked" | sed -n 's/^rate_limit\t//p') == 300 ]] || fail "the asked rate limit was not sent"
ok "keys create asked name, scopes, environment, rate limit, expiry, IPs and whether to save, and showed the command line"

# ---- 7. show and revoke without an id offer a list --------------------------
start pick-show keys show
wait_for "Which key to show?"
wait_for "$asked"
# The newest key comes first? Move to it whatever its place.
for ((i = 0; i < 6; i++)); do
	capture
	grep -qF "❯ $asked" <<<"$pane" && break
	keys Down
	sleep 0.1 # bounded polling loop (six tries)
done
keys Enter
wait_for "[zupy exited 0]"
wait_for "Asked"
ok "keys show without an id offered the keys and showed the one picked"
start pick-revoke keys revoke
wait_for "Which key to revoke?"
keys Enter
wait_for "This cannot be undone [y/N]"
keys n Enter
wait_for "[zupy exited 2]"
ok "keys revoke without an id offered the keys, then asked to confirm"

# ---- 8. the list and the card fit 50 and 120 columns ---------------------------
for w in 50 120; do
	width=$w
	start "card$w" keys create --name "A name long enough to wrap at fifty columns" --scopes customer:read,loyalty:read,loyalty:write,coupons:validate,coupons:redeem --allow-ip 203.0.113.10,198.51.100.0/24 --default
	wait_for "[zupy exited 0]"
	wait_for_re '╰─+╯'
	# The whole card, scrolled-off rows included (-S -200); -J joins a row
	# the terminal wrapped, so a line too wide shows as one.
	body=$(tmux -L "$sock" capture-pane -p -J -S -200 -t "$session:0.0" | sed -n '/╭/,/╯/p')
	[[ -n $body ]] || fail "at $w columns no card was drawn"
	while IFS= read -r line; do
		((${#line} <= w)) || fail "at $w columns a card line is ${#line} wide: $line"
		[[ $line =~ ^[╭│╰].*[╮│╯]$ ]] || fail "at $w columns a card line is not framed: $line"
	done <<<"$body"
	grep -qE 'zup_live_sk_[A-Za-z0-9]{20}' <<<"$body" || fail "at $w columns the secret is not whole on one line"
	start "list$w" keys list
	wait_for "[zupy exited 0]"
	wait_for "ID"
	while IFS= read -r line; do
		((${#line} <= w)) || fail "at $w columns a list line is ${#line} wide: $line"
	done <<<"$pane"
	grep -qE '^key_[0-9a-z]{12} \(default\)|^key_[0-9a-z]{12}[*+]? +' <<<"$pane" || fail "at $w columns no key id is whole"
	ok "at $w columns the card and the list fit, framed, the secret and ids whole"
done
grep -qE '^ID +NAME +ENV +SCOPES' <<<"$pane" || fail "at 120 columns the list lacks its main columns"
grep -qE '^key_[0-9a-z]{12}\* ' <<<"$pane" || fail "the list does not mark the default key"
grep -qF "* the profile's default key" <<<"$pane" || fail "the list does not say what * means"
width=120

[[ -n ${TMUX_KEYS_SHOW:-} ]] && { session=create; capture; printf "%s\n" "$pane"; }
echo "PASS: tmux-keys.sh"
