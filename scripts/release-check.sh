#!/usr/bin/env bash
# release-check.sh: what `make release-check` runs (the Makefile installs
# GoReleaser first and passes it in $GORELEASER).
#
#  1. `goreleaser check` validates .goreleaser.yaml.
#  2. A snapshot release for this machine's platform only: GoReleaser v2's
#     `release` has no --single-target (only `build` has), so the config is
#     copied with goos/goarch narrowed to this machine's (a real release
#     builds all six targets).
#  3. The artefacts are proved without touching this machine's own system:
#     the archive's files and checksums; the deb's listing, then the deb
#     unpacked into a temporary root where the binary runs, man renders the
#     installed pages, and bash, zsh and fish find and use the completions;
#     the rpm's listing, with the same binary inside.
#
# It ends with the artefacts and their sizes. Exit status: 0 all good, 1 a
# check failed (or, in CI, a tool is missing), 2 a tool is missing (make deps
# installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

gr=${GORELEASER:-goreleaser}
NAME=release-check
# shellcheck source=lib/require-tool.sh
source scripts/lib/require-tool.sh
command -v "$gr" >/dev/null 2>&1 || missing_tool "$gr" "(none: make release-check installs goreleaser with go install)"
for tool in dpkg-deb:dpkg rpm:rpm man:man-db bash:bash zsh:zsh fish:fish sha256sum:coreutils; do
	require_tool "${tool%%:*}" "${tool#*:}"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-release-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
	echo "release-check: FAIL: $*" >&2
	exit 1
}
ok() { echo "release-check: ok: $*"; }

# ---- 1. the configuration ------------------------------------------------------
"$gr" check
ok "goreleaser check"

# ---- 2. a snapshot for this platform ---------------------------------------------
goos=$(go env GOOS) goarch=$(go env GOARCH)
[[ $goos == linux ]] || fail "the packages are checked on Linux only (this is $goos)"
mkdir -p build
config=build/goreleaser-$goos-$goarch.yaml
sed -e "s/^    goos: \[linux, darwin, windows\]\$/    goos: [$goos]/" \
	-e "s/^    goarch: \[amd64, arm64\]\$/    goarch: [$goarch]/" .goreleaser.yaml >"$config"
grep -qx "    goos: \[$goos\]" "$config" && grep -qx "    goarch: \[$goarch\]" "$config" ||
	fail ".goreleaser.yaml no longer has the goos/goarch lines this script narrows"
"$gr" release --snapshot --clean --config "$config"
ok "snapshot release for $goos/$goarch"

version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' dist/metadata.json)
[[ -n $version ]] || fail "no version in dist/metadata.json"
shopt -s nullglob
archives=(dist/zupy_*_"$goos"_"$goarch".tar.gz)
debs=(dist/*.deb)
rpms=(dist/*.rpm)
((${#archives[@]} == 1 && ${#debs[@]} == 1 && ${#rpms[@]} == 1)) ||
	fail "want one archive, one deb and one rpm in dist/, got: $(ls dist)"
archive=${archives[0]} deb=${debs[0]} rpm=${rpms[0]}
pages=(docs/man/*.1)
((${#pages[@]} > 1)) || fail "no man pages in docs/man"

# ---- 3a. archive and checksums -----------------------------------------------------
listing=$(tar -tzf "$archive")
for f in zupy README.md LICENSE completions/zupy.bash completions/_zupy completions/zupy.fish \
	completions/zupy.ps1 "${pages[@]}"; do
	grep -qx -- "$f" <<<"$listing" || fail "$archive lacks $f"
done
ok "$(basename "$archive") holds zupy, README, LICENSE, completions/ and ${#pages[@]} man pages"
(cd dist && sha256sum --quiet -c checksums.txt --ignore-missing) || fail "checksums.txt does not match"
for f in "$archive" "$deb" "$rpm"; do
	grep -q " $(basename "$f")\$" dist/checksums.txt || fail "checksums.txt lacks $(basename "$f")"
done
ok "checksums.txt covers the archive and packages, and matches"

# ---- 3b. the deb -------------------------------------------------------------------
want_common=(/usr/bin/zupy /usr/share/bash-completion/completions/zupy /usr/share/fish/vendor_completions.d/zupy.fish)
for p in "${pages[@]}"; do want_common+=("/usr/share/man/man1/$(basename "$p").gz"); done
listing=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
for f in "${want_common[@]}" /usr/share/zsh/vendor-completions/_zupy; do
	grep -qx -- "$f" <<<"$listing" || fail "$(basename "$deb") lacks $f"
done
ok "dpkg-deb -c lists the binary, ${#pages[@]} gzipped man pages and the bash, zsh (vendor-completions) and fish completions"

root=$work/root
dpkg-deb -x "$deb" "$root"
out=$("$root/usr/bin/zupy" --version)
grep -qF -- "$version" <<<"$out" || fail "the installed zupy --version says \"$out\", not $version"
ok "the unpacked /usr/bin/zupy runs: $out"

for page in zupy zupy-keys-create; do
	rendered=$(MANPAGER=cat MANWIDTH=80 man -l "$root/usr/share/man/man1/$page.1.gz" 2>"$work/man.err")
	[[ ! -s $work/man.err ]] || fail "man -l $page.1.gz warned: $(cat "$work/man.err")"
	head -n 1 <<<"$rendered" | grep -q "^${page^^}(1) " || fail "man -l $page.1.gz is headed \"$(head -n 1 <<<"$rendered")\""
done
grep -q '^EXIT STATUS' <<<"$(MANPAGER=cat man -l "$root/usr/share/man/man1/zupy.1.gz")" || fail "zupy(1) has no EXIT STATUS"
ok "man -l renders the installed zupy(1) and zupy-keys-create(1), headed with their names"

# bash-completion finds completions in $dir/bash-completion/completions for
# each dir of XDG_DATA_DIRS (/usr/share on a real system).
reply=$(env -i HOME="$work" PATH="$root/usr/bin:/usr/bin:/bin" XDG_DATA_DIRS="$root/usr/share" bash --norc --noprofile -c '
	source /usr/share/bash-completion/bash_completion
	__load_completion zupy || { echo "no completion file found"; exit 1; }
	complete -p zupy
	COMP_WORDS=(zupy keys cr); COMP_CWORD=2; COMP_LINE="zupy keys cr"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
	__start_zupy 2>/dev/null # compopt complains outside a real <Tab>
	printf "%s\n" "${COMPREPLY[@]}"') || fail "bash: $reply"
grep -q -- '-F __start_zupy zupy$' <<<"$reply" && grep -qx 'create' <<<"$reply" ||
	fail "bash did not load the packaged completion: $reply"
ok "bash-completion loads /usr/share/bash-completion/completions/zupy and completes \`zupy keys cr\` to create"

reply=$(env -i HOME="$work" PATH="$root/usr/bin:/usr/bin:/bin" zsh -f -c "
	fpath=($root/usr/share/zsh/vendor-completions \$fpath)
	autoload -U compinit && compinit -u -D
	print -r -- \${_comps[zupy]}")
[[ $reply == _zupy ]] || fail "zsh's compinit did not pick up vendor-completions/_zupy (got \"$reply\")"
reply=$(env -i HOME="$work" XDG_CONFIG_HOME="$work/cfg" XDG_DATA_HOME="$work/data" PATH="$root/usr/bin:/usr/bin:/bin" \
	fish --no-config -c "set -p fish_complete_path $root/usr/share/fish/vendor_completions.d; complete -C 'zupy keys cr'")
grep -q '^create' <<<"$reply" || fail "fish did not complete \`zupy keys cr\` from vendor_completions.d: $reply"
ok "zsh's compinit finds _zupy and fish completes from vendor_completions.d"

# ---- 3c. the rpm -------------------------------------------------------------------
listing=$(rpm -qlp "$rpm" 2>/dev/null)
for f in "${want_common[@]}" /usr/share/zsh/site-functions/_zupy; do
	grep -qx -- "$f" <<<"$listing" || fail "$(basename "$rpm") lacks $f"
done
grep -q vendor-completions <<<"$listing" && fail "the rpm holds Debian's zsh path"
digest=$(rpm -qp --dump "$rpm" 2>/dev/null | awk '$1 == "/usr/bin/zupy" {print $4}')
[[ $digest == "$(sha256sum "$root/usr/bin/zupy" | cut -d' ' -f1)" ]] || fail "the rpm's /usr/bin/zupy differs from the deb's"
ok "rpm -qlp lists the same files (zsh in site-functions), and its binary is the deb's"

echo "release-check: artefacts of zupy $version:"
(cd dist && ls -l --time-style=+ -- *.tar.gz *.zip *.deb *.rpm checksums.txt 2>/dev/null | awk '{printf "  %10d  %s\n", $5, $NF}')
echo "PASS: release-check"
