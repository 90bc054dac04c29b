#!/usr/bin/env bash
# make contract: check docs/openapi.yaml and the emulator with tools we did
# not write (tools/contract/README.md):
#   1. Redocly CLI and Spectral (OAS ruleset) lint the document: no error;
#   2. docs/postman is what the document generates (make postman rewrites it);
#   3. Portman generates a contract suite from the document and Newman runs it
#      against a fresh emulator from zupy emulator exec.
# Each step prints its wall time; all run, and any failure fails the whole.
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
	# Built as the release is (.goreleaser.yaml): make vet and the snapshot
	# of make release-check compile the same packages, and -trimpath lets a
	# fresh clone of the same commit take them from Go's cache.
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$work/zupy" ./cmd/zupy) &&
		node "$tools/suite.js" "$work/suite.json" &&
		"$work/zupy" emulator exec --with-session --with-key "$scopes" -- node "$tools/run-newman.js" "$work/suite.json"
}

# Every step runs, so one run shows every problem; any failure fails it.
rc=0
step lint lint || rc=1
step postman node "$tools/postman.js" || rc=1
step suite suite || rc=1
exit "$rc"
