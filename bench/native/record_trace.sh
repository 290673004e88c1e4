#!/bin/sh
# Record a real kernel's khugepaged trace of bench/native/thp_touch.c, for
# `khugesim check-trace bench/native/thp_touch.yaml OUT` (docs/check-trace.md).
#
#   sudo bench/native/record_trace.sh perf|tracefs OUT [SECONDS] [SCAN_SLEEP_MS]
#
# perf:    perf record -a -k CLOCK_MONOTONIC of the huge_memory events, then perf script.
# tracefs: a tracing instance of its own (the global buffer is left alone), its trace file.
# khugepaged/scan_sleep_millisecs (default here 100) and THP "enabled" (madvise) are set
# for the run and put back on exit, whether the recording succeeded or not.
set -eu

MODE=${1:?usage: record_trace.sh perf|tracefs OUT [SECONDS] [SCAN_SLEEP_MS]}
OUT=${2:?usage: record_trace.sh perf|tracefs OUT [SECONDS] [SCAN_SLEEP_MS]}
SECONDS_ALIVE=${3:-2}
SLEEP_MS=${4:-100}
case $MODE in perf|tracefs) ;; *) echo "record_trace.sh: mode must be perf or tracefs, got \"$MODE\"" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
THP=/sys/kernel/mm/transparent_hugepage
TRACEFS=/sys/kernel/tracing
EVENTS="mm_khugepaged_scan_pmd mm_collapse_huge_page mm_collapse_huge_page_isolate"
WORK=$(mktemp -d)
OLD_SLEEP=$(cat $THP/khugepaged/scan_sleep_millisecs)
OLD_ENABLED=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/enabled)
MOUNTED=""
INSTANCE=""

restore() {
  echo "$OLD_SLEEP" > $THP/khugepaged/scan_sleep_millisecs
  echo "$OLD_ENABLED" > $THP/enabled
  if [ -n "$INSTANCE" ] && [ -d "$INSTANCE" ]; then
    echo 0 > "$INSTANCE/tracing_on"
    rmdir "$INSTANCE"
  fi
  if [ -n "$MOUNTED" ]; then umount $TRACEFS; fi
  rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

cc -O2 -o "$WORK/thp_touch" "$HERE/thp_touch.c"
echo madvise > $THP/enabled
echo "$SLEEP_MS" > $THP/khugepaged/scan_sleep_millisecs

if [ "$MODE" = perf ]; then
  set --
  for e in $EVENTS; do set -- "$@" -e "huge_memory:$e"; done
  perf record -q -a -k CLOCK_MONOTONIC "$@" -o "$WORK/perf.data" -- "$WORK/thp_touch" "$SECONDS_ALIVE"
  perf script -i "$WORK/perf.data" > "$OUT"
else
  if [ ! -d $TRACEFS/events ]; then
    mount -t tracefs nodev $TRACEFS
    MOUNTED=1
  fi
  INSTANCE=$TRACEFS/instances/khugesim.$$
  mkdir "$INSTANCE"
  echo mono > "$INSTANCE/trace_clock"
  for e in $EVENTS; do echo 1 > "$INSTANCE/events/huge_memory/$e/enable"; done
  "$WORK/thp_touch" "$SECONDS_ALIVE"
  echo 0 > "$INSTANCE/tracing_on"
  cat "$INSTANCE/trace" > "$OUT"
fi
