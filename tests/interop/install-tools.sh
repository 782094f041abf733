#!/usr/bin/env bash
# `make interop-tools`: what tests/interop needs beyond Python, installed from the
# Go module proxy, the npm registry and Maven Central. Go tools go to .tools/bin (pinned versions);
# Go modules and Maven artifacts go to the usual per-user caches (~/go/pkg/mod,
# ~/.m2), so a later `go test` / `mvn test` needs no network.
# Without Go, Node, a JDK or Maven it says so plainly: a warning locally, a failure in CI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/interop"
tools="$root/.tools/bin"

go_tools=(
  google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
  google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
  github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  github.com/grpc-ecosystem/grpc-health-probe@v0.4.61
)

missing() {
  echo "interop-tools: $1 is not installed; the Go/Java interop tests need it." >&2
  case "${CI:-}" in ""|0|false|no) echo "interop-tools: those tests will be skipped." >&2; return 0;; esac
  exit 1
}

if command -v go >/dev/null; then
  stamp="$tools/.installed-$(printf '%s\n' "${go_tools[@]}" | sha256sum | cut -c1-12)"
  if [[ ! -e "$stamp" ]]; then
    mkdir -p "$tools"
    for tool in "${go_tools[@]}"; do GOBIN="$tools" go install "$tool"; done
    touch "$stamp"
  fi
  # Generate the stubs and compile the client once, so the test run only runs it.
  "$here/go/generate.sh"
  (cd "$here/go" && go test -count=1 -run '^$' ./... >/dev/null)
else
  missing go
fi

if command -v npm >/dev/null; then
  # The Node client's pinned packages (package-lock.json), into tests/interop/node/node_modules.
  lock="$here/node/package-lock.json" stamp="$here/node/node_modules/.installed"
  if [[ ! -e "$stamp" || "$lock" -nt "$stamp" ]]; then
    (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
else
  missing "Node.js with npm (node, npm)"
fi

if command -v java >/dev/null && command -v mvn >/dev/null; then
  # With no endpoints every test skips: this only fetches the plugins, protoc and libraries.
  (cd "$here/java" && env -u FF_ENDPOINTS_FILE -u FF_QUOTA_ENDPOINTS_FILE mvn -B -q test)
else
  missing "a JDK with Maven (java, mvn)"
fi
