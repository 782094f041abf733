#!/usr/bin/env bash
# Generate the Go stubs into gen/ (never committed) from the repository's protos,
# with buf's own compiler and the protoc-gen-go / protoc-gen-go-grpc that
# `make interop-tools` installed into .tools/bin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$root/.tools/bin:$PATH"
rm -rf "$here/gen"
cd "$root"
"$root/.venv/bin/buf" generate --template "$here/buf.gen.yaml" -o "$here" --path protos/factoryfinder
