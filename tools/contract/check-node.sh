#!/usr/bin/env bash
# The contract tools need node >= 20.19 (@redocly/cli 2.x) and npm: say
# plainly what is missing and where it comes from (tools/contract/README.md).
set -euo pipefail
need="20.19.0"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "make deps: node >= $need and npm are needed for the contract tools (tools/contract): install Node.js 20.19+ or 22 (NodeSource's nodejs package; Debian's own nodejs is 18, too old), then run make deps again" >&2
	exit 1
fi
have=$(node --version)
have=${have#v}
if [[ $(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1) != "$need" ]]; then
	echo "make deps: node $have is too old for the contract tools (tools/contract): @redocly/cli 2.x needs node >= $need; install Node.js 20.19+ or 22 from NodeSource (Debian's own nodejs is 18), then run make deps again" >&2
	exit 1
fi
