# `make test` installs what the tests need (Debian packages, as root) and runs every test.
GO ?= go
RACE_PKGS = ./internal/rtr/... ./internal/publish/... ./internal/store/... ./internal/api/...

.PHONY: test deps build vet race bench
test: deps vet
	$(GO) test -count=1 -timeout 19m ./...

deps:
	bash scripts/install-test-deps.sh

build:
	$(GO) build ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 $(RACE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
