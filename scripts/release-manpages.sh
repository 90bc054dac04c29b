#!/usr/bin/env bash
# release-manpages.sh: gzip docs/man/*.1 into build/man/ for the deb and rpm
# packages (GoReleaser's before hook). gzip -n leaves out the name and the
# time, so the same pages give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build/man
mkdir -p build/man
for page in docs/man/*.1; do
	gzip -9 -n -c "$page" >"build/man/$(basename "$page").gz"
done
