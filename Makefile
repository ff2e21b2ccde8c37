# Clavis build targets.
#   make run    fetch the models and start Clavis on its embedded default
#   make test   run every test (what CI runs)
SHELL := /bin/bash
GO ?= go
PROTO_DIR := api/proto
GEN_DIR := api/gen
BIN := $(CURDIR)/.bin
PROTOS := $(shell find $(PROTO_DIR) -name '*.proto' | sort)
# Models for tests live outside the clone, so a second run fetches nothing.
TEST_MODELS_DIR ?= $(HOME)/.cache/clavis/models
DATA_DIR ?= ./clavis-data
ADDR ?= 127.0.0.1:18080

.PHONY: deps tools generate check-generate build setup run test test-go test-e2e bench

deps:
	scripts/deps.sh

tools:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc

# generate rebuilds $(OUT) (default api/gen) from api/proto with the pinned
# generators: versions in go.mod's tool block, protoc from Debian's
# protobuf-compiler.
OUT ?= $(GEN_DIR)
generate: tools
	rm -rf $(OUT) && mkdir -p $(OUT)
	protoc -I $(PROTO_DIR) \
	  --plugin=protoc-gen-go=$(BIN)/protoc-gen-go --go_out=$(OUT) --go_opt=module=github.com/clavis-dev/clavis/$(GEN_DIR) \
	  --plugin=protoc-gen-go-grpc=$(BIN)/protoc-gen-go-grpc --go-grpc_out=$(OUT) --go-grpc_opt=module=github.com/clavis-dev/clavis/$(GEN_DIR) \
	  $(patsubst $(PROTO_DIR)/%,%,$(PROTOS))

# check-generate fails when api/gen differs from what `make generate` makes.
check-generate:
	@tmp=$$(mktemp -d) && $(MAKE) --no-print-directory generate OUT=$$tmp >/dev/null && \
	  if diff -r $$tmp $(GEN_DIR); then echo "generated code is up to date"; rm -rf $$tmp; \
	  else echo "api/gen differs from 'make generate': regenerate and commit"; rm -rf $$tmp; exit 1; fi

build:
	$(GO) build -o $(BIN)/clavis ./cmd/clavis

setup: build
	$(BIN)/clavis setup --data-dir $(DATA_DIR)

run: deps setup
	$(BIN)/clavis serve --addr $(ADDR) --data-dir $(DATA_DIR)

test: deps build
	$(BIN)/clavis setup --models-dir $(TEST_MODELS_DIR)
	$(MAKE) --no-print-directory check-generate
	$(GO) vet ./...
	$(MAKE) --no-print-directory test-go test-e2e

test-go:
	CLAVIS_MODELS_DIR=$(TEST_MODELS_DIR) CLAVIS_REQUIRE_MODELS=1 $(GO) test -count=1 ./...

test-e2e:
	CLAVIS_BIN=$(BIN)/clavis CLAVIS_MODELS_DIR=$(TEST_MODELS_DIR) CLAVIS_E2E_REQUIRE_ALL=1 e2e/node/run.sh

# test-postgres runs the PostgreSQL tests (conformance suite, server,
# replicas, durability, migrate) on the server in CLAVIS_TEST_POSTGRES or, when unset, on
# a throwaway cluster it starts; a skipped PostgreSQL test fails it.
.PHONY: test-postgres
test-postgres:
	GO=$(GO) scripts/test-postgres.sh

# bench runs every benchmark in one go: token verification, store reads,
# RPCs against the health check, and each model on the server against its
# bare ONNX Runtime session on the same tensors.
bench:
	CLAVIS_MODELS_DIR=$(TEST_MODELS_DIR) $(GO) test -run XXX -bench . -benchtime 2s \
	  ./internal/auth/ ./internal/store/sqlite/ ./internal/inference/ocr/ ./internal/inference/vision/ ./cmd/clavis/
