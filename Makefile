# factoryfinder: `make run` starts everything against the sandbox; `make test` runs the whole suite.
# Both install what they need on a fresh machine (venv, Python packages, generated stubs,
# redis-server from Debian, Go tools, Maven artifacts).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
GEN := protos/gen/python
TOOLS := $(CURDIR)/.tools/bin
PROTOS := $(wildcard protos/factoryfinder/v1/*.proto)
export PATH := $(CURDIR)/$(BIN):$(TOOLS):$(PATH)
# Large gRPC messages are allocator-bound with glibc defaults: a lower mmap threshold and a
# higher trim threshold keep big buffers from fragmenting the heap.
export MALLOC_MMAP_THRESHOLD_ ?= 67108864
export MALLOC_TRIM_THRESHOLD_ ?= 268435456

.PHONY: help install gen check-gen lint proto-lint test unit run shell bench tools system-deps clean interop-tools

help:
	@echo "make run    - install, start every service against the sandbox, show a real search"
	@echo "make shell  - a shell where \`factoryfinder\` works (the project's venv activated)"
	@echo "make test   - install and run the whole suite (lint, types, protos, tests, interop, manifests)"
	@echo "make bench  - benchmarks (ratios against baselines measured in the same run)"

# Install steps are quiet: their output goes to a log that is shown only when a step fails.
INSTALL_LOG := $(VENV)/install.log
QUIETLY = >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG) >&2; echo "install failed (log: $(INSTALL_LOG))" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { echo "installing factoryfinder into $(VENV) ..."; $(PYTHON) -m venv $(VENV); }
	@: > $(INSTALL_LOG)
	@$(PY) -m pip install -q --upgrade pip==25.3 $(QUIETLY)
	@$(PY) -m pip install -q -e '.[dev]' $(QUIETLY)
	@touch $@

install: $(VENV)/.installed $(GEN)/.stamp

# Stubs are generated, never committed, so they can never be stale: any change to a
# .proto regenerates them before the next run or test.
$(GEN)/.stamp: $(PROTOS) $(VENV)/.installed
	@rm -rf $(GEN) && mkdir -p $(GEN)
	@$(PY) -m grpc_tools.protoc -Iprotos -Iprotos/vendor \
		--python_out=$(GEN) --grpc_python_out=$(GEN) --mypy_out=$(GEN) --mypy_grpc_out=$(GEN) \
		$(PROTOS) $(QUIETLY)
	@touch $(GEN)/factoryfinder/__init__.py $(GEN)/factoryfinder/v1/__init__.py
	@echo "$(CURDIR)/$(GEN)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/factoryfinder_protos.pth
	@touch $@

gen: $(GEN)/.stamp

proto-lint: install
	$(BIN)/buf lint
	@./.ci/buf-breaking.sh

lint: install proto-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services tests
	$(BIN)/lint-imports

system-deps:
	@./.ci/system-deps.sh

unit: install
	$(BIN)/pytest -q tests/unit

test: install system-deps lint tools interop-tools
	$(BIN)/pytest -q -p no:cacheprovider

run: install
	@$(BIN)/factoryfinder up

# An interactive shell with the venv activated (exit to leave); your ~/.bashrc still runs.
shell: install
	@echo "factoryfinder is on PATH in this shell; type exit to leave"
	@bash --rcfile <(echo '[ -f ~/.bashrc ] && . ~/.bashrc; . $(CURDIR)/$(BIN)/activate') -i

bench: install
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(PY) -m tests.bench.$$(basename $$b .py) || exit 1; done

# kustomize, kubeconform and kube-score, for the offline manifest checks (tests/deploy), built
# by Go from the module proxy; the Kubernetes API schemas from the venv's kubernetes-validate.
KUSTOMIZE_VERSION := v5.8.2
tools: install $(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION)
	@./tests/deploy/install-tools.sh

$(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION):
	@if command -v go >/dev/null; then \
		GOBIN=$(TOOLS) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION) && touch $@; \
	elif [ -n "$$CI" ]; then \
		echo "error: kustomize needs a Go toolchain (go install) and there is none on PATH" >&2; exit 1; \
	else \
		echo "warning: no Go toolchain: the kustomize manifest checks will be skipped" >&2; \
	fi

# Go tools (protoc plugins, grpcurl, grpc-health-probe) and Maven artifacts for tests/interop.
interop-tools: install
	@./tests/interop/install-tools.sh

clean:
	rm -rf $(VENV) $(GEN) .tools .mypy_cache .ruff_cache .pytest_cache
