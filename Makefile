# `make test` installs what the tests need (Debian packages, as root) and runs every test,
# then the race detector over the concurrent packages.
GO ?= go
RACE_PKGS = ./internal/rtr/... ./internal/listen/... ./internal/health/... ./internal/publish/... ./internal/store/... ./internal/api/... ./internal/daemon/... ./internal/ca/... ./internal/waves/... ./internal/delegation/... ./internal/updownsrv/... ./internal/pubsrv/... ./internal/gate/... ./internal/proposal/...

.PHONY: test unit deps build vet race bench blackbox
test: deps vet unit race blackbox

unit:
	$(GO) test -count=1 -timeout 19m ./...

deps:
	bash scripts/install-test-deps.sh

build:
	$(GO) build ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# The bgp package's full-table tests take minutes under -race; its
# concurrency tests run there.
race:
	$(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)
	$(GO) test -race -count=1 -timeout 10m -run 'Race|Concurrent|Speaker' ./internal/bgp/

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# Black-box checks of the built binaries on loopback (scripts/blackbox.d).
blackbox:
	bash scripts/blackbox.sh
