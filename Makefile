# Clavis build targets. `make test` is the test command CI runs.
SHELL := /bin/bash
GO ?= go
PROTO_DIR := api/proto
GEN_DIR := api/gen
BIN := $(CURDIR)/.bin
PROTOS := $(shell find $(PROTO_DIR) -name '*.proto' | sort)

.PHONY: generate check-generate build setup test bench tools

tools:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc

# generate rebuilds api/gen from api/proto with the pinned generators
# (versions in go.mod's tool block; protoc from Debian's protobuf-compiler).
generate: tools
	rm -rf $(GEN_DIR) && mkdir -p $(GEN_DIR)
	protoc -I $(PROTO_DIR) \
	  --plugin=protoc-gen-go=$(BIN)/protoc-gen-go --go_out=$(GEN_DIR) --go_opt=module=github.com/clavis-dev/clavis/$(GEN_DIR) \
	  --plugin=protoc-gen-go-grpc=$(BIN)/protoc-gen-go-grpc --go-grpc_out=$(GEN_DIR) --go-grpc_opt=module=github.com/clavis-dev/clavis/$(GEN_DIR) \
	  $(patsubst $(PROTO_DIR)/%,%,$(PROTOS))

# check-generate fails when the committed generated code differs from what
# `make generate` produces.
check-generate: generate
	git diff --exit-code -- $(GEN_DIR)
	test -z "$$(git status --porcelain -- $(GEN_DIR))"

build:
	$(GO) build -o $(BIN)/clavis ./cmd/clavis
