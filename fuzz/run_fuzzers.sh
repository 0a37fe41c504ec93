#!/usr/bin/env bash
# Runs every libFuzzer harness of a build (-DATTN_FUZZ=ON) for SECONDS from its committed seed corpus, as many at
# once as there are cores, and prints one line per harness: executions, time, findings. Exits 1 if any harness
# found something (a crash, a sanitizer report, a broken invariant, a timeout or running out of memory); the
# input that did it is kept as BUILD/fuzz-findings/<harness>/crash-* (or timeout-*, oom-*).
# New corpus entries go to BUILD/fuzz-corpus/<harness>, never into the source tree.
# Usage: fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]
set -uo pipefail
BUILD=$(realpath "$1")
SECONDS_EACH=${2:-60}
SOURCE=$(cd "$(dirname "$0")" && pwd)
HARNESSES=(fuzz_model_loader fuzz_tokenizer fuzz_line_reader)
JOBS=$(nproc)
export OPENBLAS_NUM_THREADS=1  # one core per harness; OpenBLAS threads would only compete with the others

run_one() {
  local harness=$1
  local corpus=$BUILD/fuzz-corpus/$harness findings=$BUILD/fuzz-findings/$harness
  local options=(-max_total_time="$SECONDS_EACH" -timeout=30 -print_final_stats=1 -artifact_prefix="$findings/")
  [ -f "$SOURCE/$harness.dict" ] && options+=(-dict="$SOURCE/$harness.dict")
  mkdir -p "$corpus" "$findings"
  "$BUILD/fuzz/$harness" "$corpus" "$SOURCE/corpus/$harness" "${options[@]}" >"$BUILD/fuzz-$harness.log" 2>&1
  echo $? >"$BUILD/fuzz-$harness.rc"
}

for harness in "${HARNESSES[@]}"; do
  if [ ! -x "$BUILD/fuzz/$harness" ]; then echo "fuzz: $BUILD/fuzz/$harness is not built" >&2; exit 2; fi
done
running=0
for harness in "${HARNESSES[@]}"; do
  run_one "$harness" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
for harness in "${HARNESSES[@]}"; do
  log=$BUILD/fuzz-$harness.log
  rc=$(cat "$BUILD/fuzz-$harness.rc")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  new_units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  findings=0
  if [ "$rc" -ne 0 ]; then
    findings=1  # libFuzzer stops at the first finding
    status=1
  fi
  echo "fuzz $harness: ${runs:-?} executions in ${seconds:-?} s, $findings findings" \
       "(${new_units:-?} new corpus units, peak RSS ${rss:-?} MB, exit $rc)"
  if [ "$rc" -ne 0 ]; then
    grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|^==[0-9]+== ERROR|deadly signal|Test unit written' "$log" | head -n 8
    echo "fuzz $harness: full log in $log"
  fi
done
exit "$status"
