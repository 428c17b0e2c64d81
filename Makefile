# Signalbox — run `make help` for the targets.
GO        ?= go
BIN       := bin
PLUGINS   := shell ansible terraform storage-bolt
PLUGIN_BINS := $(PLUGINS:%=$(BIN)/plugins/signalbox-plugin-%)
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/signalbox/signalbox/core/app.Version=$(VERSION)
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0
GOBIN_DIR := $(CURDIR)/.cache/bin
# Build tags that leave out code the binaries never use: gin's MessagePack
# codec (6 MB of binary) and gRPC's x/net/trace (html/template and more).
# A smaller binary is a smaller resident set: see docs/benchmarks.md.
# Exported, so that tests and the binaries they build use the same tags.
GO_TAGS   := nomsgpack,grpcnotrace
export GOFLAGS := -tags=$(GO_TAGS) $(GOFLAGS)

.PHONY: help build run test test-go test-sdk test-web web web-dev web-if-stale vet proto proto-check bench clean FORCE

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: $(BIN)/signalbox $(PLUGIN_BINS) ## build the server and the built-in plugins into bin/

$(BIN)/signalbox: FORCE
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $@ ./cmd/signalbox

$(BIN)/plugins/signalbox-plugin-%: FORCE
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $@ ./plugins/$*

run: web-if-stale build ## build everything and run the server on SQLite in ./data (SIGNALBOX_LISTEN, default :3000)
	$(BIN)/signalbox server

# The web UI: sources in web/, the built files in web/dist (committed, so
# that go build never needs Node). web/dist/.source-hash records which
# sources the committed build came from (go:embed skips dot files).
WEB_SRC_HASH = find web/src web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json -type f 2>/dev/null | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1

web: ## build the web UI into web/dist (npm ci && npm run build; needs Node 20.19+)
	cd web && npm ci && npm run build
	$(WEB_SRC_HASH) > web/dist/.source-hash

web-dev: ## Vite dev server on :5173 with /api (and its WebSocket) proxied to :3000 (SIGNALBOX_API to change)
	cd web && { [ -d node_modules ] || npm ci; } && npm run dev

# web-if-stale rebuilds web/dist only when the web sources differ from those
# of the committed build and npm is installed; a failed rebuild keeps the
# committed web/dist, so `make run` never fails for the UI's sake.
web-if-stale:
	@if [ "$$($(WEB_SRC_HASH))" != "$$(cat web/dist/.source-hash 2>/dev/null)" ]; then \
		if command -v npm >/dev/null 2>&1; then $(MAKE) web || echo "web UI build failed: using the committed web/dist"; \
		else echo "web sources changed but npm is missing: using the committed web/dist"; fi; \
	fi

test-web: build ## web UI tests: npm ci, Vitest, then the Playwright e2e test against bin/signalbox (needs /usr/bin/chromium)
	cd web && npm ci && npm test && npm run e2e

vet: ## go vet both modules
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...

# Terraform 1.5.7 (the last MPL release) for the terraform plugin's tests,
# built from the Go module proxy once into the git-ignored .cache/bin.
TERRAFORM := $(GOBIN_DIR)/terraform
$(TERRAFORM):
	GOBIN=$(GOBIN_DIR) $(GO) install github.com/hashicorp/terraform@v1.5.7

test: vet $(TERRAFORM) ## run every test (needs PostgreSQL and MariaDB on 127.0.0.1; see .ci/run)
	cd sdk && $(GO) test -race -count=1 ./...
	$(GO) test -race -count=1 -timeout 15m ./...
	SIGNALBOX_TEST_API_STORE=bolt $(GO) test -race -count=1 ./core/api/
	$(MAKE) test-web

# Every .proto under sdk/proto (executor/v1, storage/v1…) generates into
# sdk/internal/gen/<protocol>v<N> (its go_package).
proto: ## regenerate the protobuf code (needs protoc: apt-get install protobuf-compiler)
	@command -v protoc >/dev/null 2>&1 || { echo "protoc is missing: apt-get install -y protobuf-compiler"; exit 1; }
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	cd sdk/proto && PATH=$(GOBIN_DIR):$$PATH protoc \
		--go_out=.. --go_opt=module=github.com/signalbox/signalbox/sdk \
		--go-grpc_out=.. --go-grpc_opt=module=github.com/signalbox/signalbox/sdk \
		$$(find . -name '*.proto')

proto-check: proto ## fail if the generated code is not up to date
	git diff --exit-code -- sdk/internal/gen
	@untracked="$$(git ls-files --others --exclude-standard -- sdk/internal/gen)"; \
	if [ -n "$$untracked" ]; then echo "generated but not committed:"; echo "$$untracked"; exit 1; fi

BENCH_STORES ?= sqlite,postgres
BENCH_FLAGS  ?=

bench: build ## Go benchmarks of the hot paths, then the load driver against the real server (see docs/benchmarks.md)
	SIGNALBOX_TEST_DIALECTS=$(BENCH_STORES) $(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./core/...
	cd sdk && $(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) build -o $(BIN)/signalbox-bench ./cmd/signalbox-bench
	$(BIN)/signalbox-bench -bin $(BIN)/signalbox -plugins $(BIN)/plugins -store $(BENCH_STORES) $(BENCH_FLAGS)

clean: ## remove build output
	rm -rf $(BIN)

FORCE:
