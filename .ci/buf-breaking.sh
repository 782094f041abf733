#!/usr/bin/env bash
# buf breaking: compare the contracts with main (or, on main itself, with the
# previous commit that had them). Nothing to compare against on the first version.
set -euo pipefail
branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo "")
if [[ "$branch" != "main" ]] && git rev-parse -q --verify main >/dev/null; then
  against="main"
elif git rev-parse -q --verify HEAD~1 >/dev/null; then
  against="HEAD~1"
else
  echo "buf breaking: no previous version yet"; exit 0
fi
if ! git cat-file -e "$against:protos/factoryfinder/v1" 2>/dev/null; then
  echo "buf breaking: $against has no contracts yet"; exit 0
fi
echo "buf breaking against $against"
buf breaking --against ".git#ref=$(git rev-parse "$against")"
