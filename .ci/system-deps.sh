#!/usr/bin/env bash
# Debian packages the tests need: redis-server (replicated gateway mode), chromium and a
# Chinese font (the CLI's HTML report is rendered in a real headless browser).
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then need+=(fonts-wqy-zenhei); fi
if ((${#need[@]})); then
  echo "installing ${need[*]} from Debian"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
