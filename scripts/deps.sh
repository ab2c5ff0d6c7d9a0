#!/usr/bin/env bash
# Installs every Debian 12 package that Corio's build, tests and demo use, if missing.
# Idempotent: when everything is present it does nothing (no apt-get update either).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # the fuzz targets: clang 14 with libFuzzer and its sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libspdlog-dev libssl-dev zlib1g-dev libgumbo-dev
  # corio::http: IDNA host names, brotli and zstd content codings
  libidn2-dev libbrotli-dev libzstd-dev
  # tests and demo helpers
  python3 curl procps
  # corio::redis: its tests start their own redis-server (Debian 12: Redis 7.0)
  redis-server
  # corio-scrape: nginx for the crawl integration test; tinyproxy for the proxy tests; aiohttp and
  # GNU time for perf/scrape_compare.sh
  nginx-light tinyproxy python3-aiohttp time
  # corio-serve: the dashboard test (headless Chromium driven by playwright-core from npm) and
  # the wrk comparison in perf/serve_compare.sh
  chromium wrk
  # perf/run: asyncio on uvloop, and the chart
  python3-uvloop gnuplot-nox
)
# Node.js and npm for that browser test: Debian's, unless a Node.js with npm is already there
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
