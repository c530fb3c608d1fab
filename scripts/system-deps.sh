#!/usr/bin/env bash
# Installs the system packages the tests need (Debian, as root): a real redis-server, Chromium (+ CJK fonts
# so screenshots show Chinese), faketime, wrk and PostgreSQL (the case records' tests start a throw-away server). Without root it only checks and says what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# faketime (libfaketime) runs the suite again with the clock shifted ahead (`make test-shifted`).
command -v faketime >/dev/null 2>&1 || need+=(faketime)
# CJK fonts only matter for screenshots; checked through dpkg where there is one.
if command -v dpkg >/dev/null 2>&1; then dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk); fi
# wrk, a load generator that leaves the CPU to the server under test: `make bench`, and its smoke run in the suite.
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# PostgreSQL: tests/pg.py runs initdb and postgres from Debian's versioned directory (no cluster is configured).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]} (install them, e.g. sudo apt-get install ${need[*]})" >&2
  exit 1
fi
