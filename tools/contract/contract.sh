#!/usr/bin/env bash
# make contract: check docs/openapi.yaml and the emulator with tools we did
# not write (tools/contract/README.md):
#   1. Redocly CLI and Spectral (OAS ruleset) lint the document: no error;
#   2. docs/postman is what the document generates (make postman rewrites it);
#   3. Portman generates a contract suite from the document and Newman runs it
#      against a fresh emulator from zupy emulator exec.
# The steps run side by side; each prints its wall time and its output,
# in this order, once all have ended; any failure fails the whole.
# Needs the tools make deps installs.
set -euo pipefail
cd "$(dirname "$0")"
tools=$PWD
repo=$(cd ../.. && pwd)
bin=$tools/node_modules/.bin
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

# The scopes of the suite's API key: every scope a route of the document checks.
scopes=loyalty:read,loyalty:write,customer:read,customer:write,coupons:validate,webhooks:manage,keys:rotate

bash "$tools/check-node.sh"
if [[ ! -x $bin/newman || ! -x $bin/portman || ! -x $bin/redocly || ! -x $bin/spectral ]]; then
	echo "make contract: the contract tools are not installed in tools/contract/node_modules: run make deps" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zupy-contract.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() {
	local name=$1 t0=$SECONDS rc=0
	shift
	echo "--> contract: $name"
	"$@" || rc=$?
	echo "--> contract: $name: $((SECONDS - t0))s$( ((rc == 0)) || echo " (failed: exit $rc)")"
	return "$rc"
}

lint() {
	# Redocly prints a banner about Node.js 20's end of life on every run.
	"$bin/redocly" lint --config "$tools/redocly.yaml" --format=stylish "$repo/docs/openapi.yaml" 2>&1 |
		grep -v '[║╔╚]' || return "${PIPESTATUS[0]}"
	"$bin/spectral" lint --ruleset "$tools/.spectral.yaml" --fail-severity error "$repo/docs/openapi.yaml"
}

suite() {
	# (set -e does not apply under step's ||: each command gates the next.)
	# zupy is built while Portman generates the suite. Built as the release
	# is (.goreleaser.yaml): make vet and the snapshot of make release-check
	# compile the same packages, and -trimpath lets a fresh clone of the
	# same commit take them from Go's cache.
	local build rc=0
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$work/zupy" ./cmd/zupy) &
	build=$!
	node "$tools/suite.js" "$work/suite.json" || rc=$?
	wait "$build" || rc=$?
	((rc == 0)) &&
		"$work/zupy" emulator exec --with-session --with-key "$scopes" -- node "$tools/run-newman.js" "$work/suite.json"
}

# The steps run side by side, each mostly one node process (on two cores:
# about 18 s, against 29 s one after the other); each one's output is kept
# and shown whole, in this order, with its own wall time. Every step runs,
# so one run shows every problem; any failure fails it.
names=(lint postman suite)
pids=()
step lint lint >"$work/lint.log" 2>&1 &
pids+=($!)
step postman node "$tools/postman.js" >"$work/postman.log" 2>&1 &
pids+=($!)
step suite suite >"$work/suite.log" 2>&1 &
pids+=($!)
rc=0
for i in "${!names[@]}"; do
	wait "${pids[$i]}" || rc=1
	cat "$work/${names[$i]}.log"
done
exit "$rc"
