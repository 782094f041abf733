#!/usr/bin/env bash
# `make tools`: the manifest checkers tests/deploy runs beside its own checks, and the API
# schemas they read, all offline afterwards:
# - kubeconform and kube-score, pinned, built by `go install` from the Go module proxy into
#   .tools/bin (kustomize is built by the Makefile the same way);
# - the Kubernetes API schemas kubeconform validates against, written from those the
#   kubernetes-validate package (a pinned dev dependency) ships: tests/deploy/kube_schemas.py.
# Without Go it says so plainly: a warning locally (the checks skip), a failure in CI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools/bin"
python="$root/.venv/bin/python"

go_tools=(
  github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0
  github.com/zegl/kube-score/cmd/kube-score@v1.20.0
)

if command -v go >/dev/null; then
  stamp="$tools/.manifest-checkers-$(printf '%s\n' "${go_tools[@]}" | sha256sum | cut -c1-12)"
  if [[ ! -e "$stamp" ]]; then
    mkdir -p "$tools"
    for tool in "${go_tools[@]}"; do GOBIN="$tools" go install "$tool"; done
    touch "$stamp"
  fi
else
  echo "tools: no Go toolchain: kubeconform and kube-score are not installed." >&2
  case "${CI:-}" in ""|0|false|no) echo "tools: their checks will be skipped." >&2;; *) exit 1;; esac
fi

schemas="$root/.tools/kubernetes-json-schema"
version="$("$python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))')"
if [[ ! -e "$schemas/.from-kubernetes-validate-$version" ]]; then
  rm -rf "$schemas"
  (cd "$root" && "$python" -m tests.deploy.kube_schemas "$schemas")
  touch "$schemas/.from-kubernetes-validate-$version"
fi
