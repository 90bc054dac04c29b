#!/usr/bin/env bash
# install.sh: tools/contract/node_modules for make contract and make postman
# (make deps-npm runs it, after check-node.sh). What it holds is exactly what
# `npm ci` installs from package-lock.json, install scripts off (.npmrc), but
# npm ci runs once per machine and lockfile, not once per clone:
#
#   - the installed tree is kept outside the clone, in
#     ${XDG_CACHE_HOME:-$HOME/.cache}/zupy/contract-tools/KEY, KEY the
#     sha256 of package.json, package-lock.json and .npmrc (what npm ci
#     reads from this directory);
#   - a missing entry is made by npm ci in a temporary directory beside it,
#     with a digest of every file, and renamed into place only when both are
#     complete, so an interrupted install is never found there (two
#     installs at once: the first rename wins, the other is dropped);
#   - the clone gets a copy, hard-linked where the file system allows (each
#     clone has its own directories: Portman writes into its package
#     directory when it runs); the copy is checked against the entry's
#     digest, and marked with KEY and renamed into place only if it
#     matches; an entry that does not match is removed and installed again.
#
# A clone whose node_modules is marked with the current KEY is left alone.
# Without a usable cache directory it runs npm ci here, as before. Entries
# unused for 30 days are removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

inputs=(package.json package-lock.json .npmrc)
key=$(sha256sum "${inputs[@]}" | sha256sum | cut -c1-64)
mark=.zupy-contract-tools
if [[ -f node_modules/$mark && $(<"node_modules/$mark") == "$key" ]]; then
	exit 0
fi

npm_ci() { npm ci --no-audit --no-fund --loglevel=error; }

# digest DIR: one sha256 over every entry's type, mode, path and link
# target, and every file's contents.
digest() {
	(
		cd "$1"
		find . -printf '%y %m %p %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	) | sha256sum | cut -c1-64
}

inst="" tmp=""
trap 'rm -rf ${inst:+"$inst"} ${tmp:+"$tmp"}' EXIT

cache=${XDG_CACHE_HOME:-${HOME:-}/.cache}/zupy/contract-tools
if [[ $cache != /* ]] || ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then
	echo "make deps: installing the contract tools (npm ci in tools/contract; no cache directory at ${cache})"
	rm -rf node_modules
	npm_ci
	echo "$key" >"node_modules/$mark"
	exit 0
fi
entry=$cache/$key

# place: copy the entry to $tmp/node_modules, hard-linked where the file
# system allows, and check the copy (what will be used, not the entry
# beforehand, which another install may be replacing) against the entry's
# digest.
place() {
	local want
	want=$(cat "$entry/digest" 2>/dev/null) || return 1
	rm -rf "$tmp/node_modules"
	if ! cp -al "$entry/node_modules" "$tmp/node_modules" 2>/dev/null; then
		rm -rf "$tmp/node_modules"
		cp -a "$entry/node_modules" "$tmp/node_modules" 2>/dev/null || return 1
	fi
	[[ $(digest "$tmp/node_modules") == "$want" ]]
}

# The copy is made under tmp/ (ignored by git, and no node_modules of it
# is left lying in the clone) and renamed into place once checked.
mkdir -p tmp
tmp=$(mktemp -d "$PWD/tmp/node_modules.XXXXXX")
placed=false
if [[ -d $entry ]]; then
	ino=$(stat -c %i "$entry" 2>/dev/null) || ino=""
	if place; then
		placed=true
		touch "$entry" 2>/dev/null || true
	else
		echo "make deps: $entry does not match its digest: installing again"
		# Removed unless another install has already replaced it.
		bad=$(mktemp -d "$cache/.bad.XXXXXX")
		if [[ -n $ino && $(stat -c %i "$entry" 2>/dev/null) == "$ino" ]]; then
			mv -T "$entry" "$bad/entry" 2>/dev/null || true
		fi
		rm -rf "$bad"
	fi
fi
if ! $placed; then
	if [[ ! -d $entry ]]; then
		echo "make deps: installing the contract tools (npm ci, kept in $entry)"
		inst=$(mktemp -d "$cache/.tmp.XXXXXX")
		cp -- "${inputs[@]}" "$inst/"
		(cd "$inst" && npm_ci)
		digest "$inst/node_modules" >"$inst/digest"
		# Fails when another install renamed its entry first: that one is used.
		mv -T "$inst" "$entry" 2>/dev/null || rm -rf "$inst"
		inst=""
	fi
	if ! place; then
		echo "make deps: the contract tools in $entry do not match their digest after installing them" >&2
		exit 1
	fi
fi
echo "$key" >"$tmp/node_modules/$mark"
rm -rf node_modules
mv -T "$tmp/node_modules" node_modules
rm -rf "$tmp"
tmp=""
rmdir tmp 2>/dev/null || true

find "$cache" -mindepth 1 -maxdepth 1 -mtime +30 ! -name "$key" -exec rm -rf {} + 2>/dev/null || true
