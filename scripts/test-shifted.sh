#!/usr/bin/env bash
# `make test-shifted`: the suite again with the clock shifted ahead (SHIFTS, default a month and a year), so a test
# that builds a fixed date into something compared with the real clock fails here before the date comes round.
#
#   SHIFTS="+30d +365d" bash scripts/test-shifted.sh [pytest arguments, default: tests]
#
# Every process of the run sees the shifted wall clock through libfaketime (Debian's faketime package): pytest, the
# app subprocesses and Chromium, so the browser and the server agree on the time. It preloads the thread-safe
# variant (`faketime -m`): the plain one re-parses FAKETIME every 10 s with no lock, and app.py (threaded) once died
# with SIGSEGV under it. Exceptions, in tests/clockshift/:
# redis-server keeps the real clock (jemalloc and libfaketime cannot share a process; the app never reads the store's
# clock), the monotonic clock stays real for Python (libfaketime 0.9.10 hangs Python's timed lock waits otherwise;
# sitecustomize.py works around the one call that then breaks, time.sleep), and Chromium gets a shifted monotonic
# clock too (it starts slowly otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
PY=${PY:-$root/.venv/bin/python}
SHIFTS=${SHIFTS-+30d +365d}
# The benches' smoke run (tests/e2e/test_bench_smoke.py, a fifth of the whole suite's time) runs at the real clock
# only: it checks that each bench prints its figures, and the benches build their data from the clock they run at
# (and the soak bench's app died with SIGSEGV under libfaketime once). It is deselected whatever the arguments are:
# `make test-shifted` passes `tests`, and a default that only applied without arguments let it run (stop 28's CI).
[ $# -gt 0 ] || set -- tests
set -- "$@" --deselect tests/e2e/test_bench_smoke.py::test_every_bench_runs_to_the_end_and_prints_its_figures
if ! command -v faketime >/dev/null 2>&1; then
  echo "test-shifted: faketime is not installed (make system-deps, or apt-get install faketime)" >&2
  exit 1
fi

seconds() {  # +30d, +12h, +90m, +3600 (seconds) -> seconds
  local n=${1#+} unit=1
  case $n in *d) unit=86400; n=${n%d} ;; *h) unit=3600; n=${n%h} ;; *m) unit=60; n=${n%m} ;; *s) n=${n%s} ;; esac
  echo $((n * unit))
}

export FAKETIME_DONT_FAKE_MONOTONIC=1
export PATH="$root/tests/clockshift/bin:$PATH"
export PYTHONPATH="$root/tests/clockshift${PYTHONPATH:+:$PYTHONPATH}"
for shift in $SHIFTS; do
  if ! [[ $shift =~ ^\+[0-9]+[dhms]?$ ]]; then
    echo "test-shifted: a shift looks like +30d, +12h, +90m or +3600, not '$shift'" >&2
    exit 2
  fi
  export ONESCREEN_TEST_CLOCK_SHIFT=$shift
  # the shift must really be in effect (a silently unshifted run would pass and prove nothing)
  real=$(date +%s)
  seen=$(faketime -m -f "$shift" "$PY" -c 'import time; print(int(time.time()))')
  off=$((seen - real - $(seconds "$shift")))
  if [ "${off#-}" -gt 60 ]; then
    echo "test-shifted: the clock under faketime $shift is off by ${off} s from the shift asked for" >&2
    exit 1
  fi
  echo "== clock shifted $shift: $(faketime -m -f "$shift" date -u '+%Y-%m-%dT%H:%M:%SZ') (really $(date -u '+%Y-%m-%dT%H:%M:%SZ'))"
  start=$(date +%s)
  faketime -m -f "$shift" "$PY" -m pytest -q -p no:cacheprovider "$@"
  echo "== clock shifted $shift: passed in $(($(date +%s) - start)) s"
done
