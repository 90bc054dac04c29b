# zupy — every command a person needs. `make help` lists them.

SHELL        := bash
GO           ?= go
BIN          := bin/zupy
PKG          := github.com/zupy/zupy-cli
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE         ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS      := -s -w -X $(PKG)/internal/build.Version=$(VERSION) -X $(PKG)/internal/build.Commit=$(COMMIT) -X $(PKG)/internal/build.Date=$(DATE)
# Debian packages the tests need: a Secret Service (and secret-tool) for the real keyring test,
# a D-Bus session to run it on, tmux for the terminal tests, gcc for -race, git for keys scan's
# history and work-tree tests (grep for its benchmark is always there), jq for the docs/ci.md
# rotation recipes, curl for the ping benchmark and the guides, chromium for the emulator
# dashboard's browser test, bash-completion, zsh and fish for the completion test in real shells,
# groff, man-db and mandoc to lint the man pages, script(1) from bsdutils to run the guides'
# commands on a pseudo-terminal.
TEST_DEBS    := gnome-keyring dbus-daemon libsecret-tools tmux gcc git jq curl chromium \
                bash-completion zsh fish groff-base man-db mandoc bsdutils
# and what make release-check needs to prove the packages: rpm (rpm -qlp), dpkg-deb and man.
RELEASE_DEBS := rpm dpkg man-db
GORELEASER_VERSION := v2.15.1

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/zupy (static, CGO_ENABLED=0)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/zupy

.PHONY: install
install: ## Install zupy into $(go env GOPATH)/bin
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/zupy

.PHONY: deps
deps: deps-npm ## Install the Debian packages the tests and release-check need, and the npm tools of make contract, when missing
	@dpkg -s $(TEST_DEBS) $(RELEASE_DEBS) >/dev/null 2>&1 && exit 0; \
	missing=""; for p in $(TEST_DEBS) $(RELEASE_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "make deps: install$$missing with your package manager" >&2; exit 1; fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	echo "make deps: installing$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null

# The npm tools of make contract (tools/contract/package.json): node >= 20.19
# is checked first, then tools/contract/node_modules is what npm ci installs
# from the lockfile, installed once per machine and lockfile outside the
# clone and copied into each clone (tools/contract/install.sh says how, and
# why that copy can be trusted).
.PHONY: deps-npm
deps-npm:
	@bash tools/contract/check-node.sh
	@bash tools/contract/install.sh

# A Go program built with -race sleeps a second before it exits 0 (GORACE
# atexit_sleep_ms, default 1000) to give its goroutines time to show a
# race: for a test binary that is a second per package, and the zupy
# processes the scripts, guides and terminal tests start (the test binary
# re-executed) each waited it too. A race met before the exit is still
# reported and fails the program. An atexit_sleep_ms of your own is kept.
test: export GORACE := $(if $(findstring atexit_sleep_ms=,$(GORACE)),$(GORACE),$(strip $(GORACE) atexit_sleep_ms=0))

# -race also turns on checkptr, which checks every unsafe.Pointer conversion;
# in modernc.org/sqlite (SQLite's C translated to Go, all pointer
# arithmetic) those checks were half the CPU of the emulator's tests
# (TestUsageRetentionKeepsRowsBoundedOverYears: 54 s without this, 18 s
# with it; docs/architecture.md "Tests"). They stay on for every package
# of this module, and the race detector stays on everywhere.
TEST_GCFLAGS := modernc.org/...=-d=checkptr=0

# The packages whose tests take longest, named first: go test starts
# packages in the order given (the rest of ./... follows, each once), so
# these start at once instead of leaving the last minute to one of them on
# one core (docs/architecture.md "Tests").
SLOW_TEST_PKGS := ./internal/cli/root ./internal/emulator ./internal/shellcomp ./internal/docrun

GO_TEST = $(GO) test -race -trimpath -gcflags='$(TEST_GCFLAGS)' -count=1 -timeout 30m $(SLOW_TEST_PKGS) ./...

# The real-keyring test (scripts/test-keyring.sh) mostly waits on D-Bus and
# gnome-keyring: it runs beside go test, its output kept and printed after
# go test's; either failing fails make test.
.PHONY: test
test: deps vet ## Vet, run every test with -race, the scripts, the real keyring and the terminal tests
	@log=$$(mktemp "$${TMPDIR:-/tmp}/zupy-keyring.XXXXXX"); \
	TEST_GCFLAGS='$(TEST_GCFLAGS)' bash scripts/test-keyring.sh >"$$log" 2>&1 & kr=$$!; \
	echo "$(GO_TEST)"; $(GO_TEST); rc=$$?; \
	wait $$kr; krc=$$?; \
	echo "bash scripts/test-keyring.sh (beside go test):"; cat "$$log"; rm -f "$$log"; \
	[ $$rc = 0 ] && [ $$krc = 0 ]

.PHONY: guides
guides: ## Run the commands README.md and the guides in docs/ show, against an emulator
	$(GO) test -count=1 -run 'TestGuides' -v ./internal/docrun/

.PHONY: goreleaser
goreleaser: ## Install goreleaser $(GORELEASER_VERSION) into $(go env GOPATH)/bin, unless it is there (a few minutes, once)
	@bin=$$($(GO) env GOBIN); bin=$${bin:-$$($(GO) env GOPATH)/bin}; \
	if ! "$$bin/goreleaser" --version 2>/dev/null | grep -q 'GitVersion: *$(GORELEASER_VERSION)$$'; then \
		echo "make goreleaser: installing goreleaser $(GORELEASER_VERSION) into $$bin (a few minutes, once)"; \
		$(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION) || exit 1; \
	fi

.PHONY: release-check
release-check: deps goreleaser ## Check .goreleaser.yaml, build a snapshot for this platform and prove its archive, deb and rpm
	@bin=$$($(GO) env GOBIN); bin=$${bin:-$$($(GO) env GOPATH)/bin}; \
	GORELEASER="$$bin/goreleaser" bash scripts/release-check.sh

# go vet with the test build's settings (-race, TEST_GCFLAGS, -trimpath):
# the packages it compiles are the ones go test links, so a fresh machine
# compiles the module's dependencies once for both, not once without and
# once with -race (the race-instrumented build of everything is minutes of
# CPU on two cores). -trimpath keeps them, and vet's verdicts, independent
# of the clone's path: a fresh clone of code already built on this machine
# is vetted and its tests built from Go's cache. -race needs cgo (gcc, which
# make deps installs). make contract and make release-check build the
# release's way (CGO_ENABLED=0, -trimpath) and share theirs.
.PHONY: vet
vet:
	$(GO) vet -race -trimpath -gcflags='$(TEST_GCFLAGS)' ./...

.PHONY: lint
lint: vet ## gofmt and go vet must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: fmt
fmt: ## Format the code
	gofmt -w $$(git ls-files '*.go')

.PHONY: docs
docs: ## Regenerate docs/cli and docs/man (and completions/)
	$(GO) run ./cmd/zupy-docgen .

.PHONY: completions
completions: docs ## Regenerate completions/ (with the docs: one generator)

.PHONY: contract
contract: deps-npm ## Lint docs/openapi.yaml (Redocly, Spectral), check docs/postman, run the Portman/Newman suite against an emulator
	bash tools/contract/contract.sh

.PHONY: postman
postman: deps-npm ## Regenerate docs/postman (the Postman collection and environments) from docs/openapi.yaml
	node tools/contract/postman.js --update

.PHONY: bench
bench: ## Measure against same-run baselines (start-up, ping vs curl, verify load in-process and process level, scale, Go benchmarks); write docs/benchmarks.md
	$(GO) run ./cmd/zupy-bench

FUZZTIME ?= 60s
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 60s) and print the executions of each
	bash scripts/fuzz.sh $(FUZZTIME)

.PHONY: demo
demo: build ## Start an emulator on a free port and walk through zupy
	bash scripts/demo.sh $(BIN)

.PHONY: clean
clean:
	rm -rf bin build dist
