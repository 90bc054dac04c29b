#!/usr/bin/env bash
# fuzz.sh [FUZZTIME] [PATTERN]: run every fuzz target of the module (every
# `func FuzzX` in a *_test.go) for FUZZTIME each (default 60s), one after the
# other, then print how many inputs each executed. PATTERN (a grep -E regexp
# on "package FuzzX") picks some. A failing input is written under the
# package's testdata/fuzz/FuzzX/: check it in with the fix, and `go test`
# replays it from then on. FUZZPARALLEL sets the workers (default: GOMAXPROCS).
set -euo pipefail
fuzztime=${1:-60s}
pattern=${2:-.}
go=${GO:-go}
cd "$(dirname "$0")/.."

targets=()
while IFS=: read -r file _ line; do
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
	targets+=("./$(dirname "$file") $name")
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | xargs grep -n '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' | sort)
summary=()
failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	grep -Eq -- "$pattern" <<<"$pkg $name" || continue
	echo "== $name ($pkg) for $fuzztime"
	log=$(mktemp)
	args=(test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime")
	[[ -n ${FUZZPARALLEL:-} ]] && args+=(-parallel "$FUZZPARALLEL")
	if "$go" "${args[@]}" 2>&1 | tee "$log" | grep -v 'execs: .*(0/sec)' | tail -n 4; then
		status=ok
	else
		status=FAILED
		failed=1
	fi
	if grep -q '^--- FAIL' "$log"; then status=FAILED; failed=1; fi
	[[ $status == ok ]] || grep -v '(0/sec)' "$log" | tail -n 30
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d" " -f2 || true)
	summary+=("$(printf '%-32s %-26s %12s execs  %s' "$name" "$pkg" "${execs:-0}" "$status")")
	rm -f "$log"
done
echo
echo "fuzz summary ($fuzztime each):"
printf '  %s\n' "${summary[@]}"
exit $failed
