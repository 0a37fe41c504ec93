#!/usr/bin/env bash
# Crashes, hangs and limits: an interruption ends every command at once (a model load, a stalled pipe, info,
# explain, eval) and leaves no temporary file; threads that cannot be started and memory limits give a message,
# not an abort; a model path that is not UTF-8 works everywhere; a line, explain's stdin and the model file are
# bounded. Every run here has a generous timeout, and every process started is waited for.
# Usage: cli_limits_test.sh path/to/attn path/to/source-tree [sanitized]
source "$(dirname "$0")/harness.sh"
BUILD_KIND=${3:-plain}
export ATTN_CACHE_DIR=""
D=$WORK/d
mkdir "$D"
no_temp_files() { test -z "$(ls -a "$D" | grep tmp-)"; }
seq 1 200000 | sed 's/$/ good/' >"$D/many.txt"
# A model that takes a while to parse (a large metadata array), for signals during a load.
"$PY" -c "
import json, sys
m = json.load(open(sys.argv[1])); m['metadata'] = {'padding': [0.5] * 3000000}
json.dump(m, open(sys.argv[2], 'w'))" "$TINY" "$D/slow.json"

# handling PID: waits (up to 60 s) until attn, the child of the timeout with PID, catches SIGTERM, so that a
# signal is sent to attn's handler and not to a process still starting (a sanitized build starts slowly).
handling() {
  local child
  for _ in $(seq 600); do
    child=$(pgrep -P "$1" | head -1)
    if [ -n "$child" ] && (( 0x$(sed -n 's/^SigCgt:\t*//p' "/proc/$child/status" 2>/dev/null || echo 0) & 0x4000 )); then
      return 0
    fi
    sleep 0.1
  done
}
# term_after SECONDS ARGS...: starts attn (guarded by a 60 s timeout) with ARGS, sends SIGTERM SECONDS after its
# handler is in place, and sets $code.
term_after() {
  local seconds=$1; shift
  timeout -s KILL 60 "$ATTN" "$@" >"$WORK/out" 2>"$WORK/err" &
  local pid=$!
  handling "$pid"
  sleep "$seconds"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"; code=$?
}

# --- SIGTERM during a model load, in every command (the handler acts at once; 137 would be the timeout)
term_after 0.2 --model "$D/slow.json" info
expect_code "SIGTERM during info's model load exits 130" 130
term_after 0.2 --model "$D/slow.json" explain good --html "$D/report.html"
expect_code "SIGTERM during explain exits 130" 130
check "explain --html interrupted writes no report" test ! -e "$D/report.html"
mkfifo "$D/labelled"
( printf 'good\tpos\n'; sleep 30 ) >"$D/labelled" &
writer=$!
term_after 1 --model "$TINY" eval -i "$D/labelled"
expect_code "SIGTERM during eval exits 130" 130
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
echo previous >"$D/kept.jsonl"
term_after 0.2 --model "$D/slow.json" classify -i "$D/many.txt" -o "$D/kept.jsonl"
expect_code "SIGTERM during classify's model load exits 130" 130
check "the previous output is kept" test "$(cat "$D/kept.jsonl")" = previous

# --- SIGTERM and SIGHUP while blocked writing to a pipe that nobody reads
mkfifo "$D/stalled"
stalled() {
  local signal=$1; shift
  timeout -s KILL 60 "$ATTN" --model "$TINY" classify -i "$D/many.txt" "$@" >"$D/stalled" 2>"$WORK/err" &
  local pid=$!
  exec 3<"$D/stalled"  # a reader that never reads: the pipe fills and attn blocks in write()
  handling "$pid"
  sleep 2
  kill -"$signal" "$pid"
  wait "$pid"; code=$?
  exec 3<&-
}
stalled TERM
expect_code "SIGTERM while stdout is stalled exits 130" 130
stalled TERM -o "$D/kept.jsonl" --attention /dev/stdout
expect_code "SIGTERM while the dump is stalled exits 130" 130
check "the previous output is kept" test "$(cat "$D/kept.jsonl")" = previous
check "no temporary file left" no_temp_files
stalled HUP -o "$D/kept.jsonl" --attention /dev/stdout
expect_code "SIGHUP exits 130 too" 130
check "SIGHUP leaves no temporary file" no_temp_files

# --- threads that cannot be started, memory limits (not under the sanitizers, which reserve huge address space)
chmod 0777 "$D"
# (LeakSanitizer needs a thread of its own to check at exit: none can be started here.)
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 unprivileged bash -c 'ulimit -u 1; exec "$@"' _ "$ATTN" --model "$TINY" classify good \
  -o "$D/threads.txt" >"$WORK/out" 2>"$WORK/err"; code=$?
if [ "$code" -eq 77 ]; then
  skip_unprivileged "ulimit -u"
else
  expect_code "no thread can be started: exit 1" 1; expect_err "says why" "cannot start a worker thread"
  check "no temporary file left" no_temp_files
fi
chmod 0755 "$D"
if [ "$BUILD_KIND" = plain ]; then
  ( ulimit -v 120000; exec timeout -s KILL 60 "$ATTN" classify good ) >"$WORK/out" 2>"$WORK/err"; code=$?
  expect_code "ulimit -v 120 MB: the bundled model classifies" 0
  ( ulimit -v 60000; exec timeout -s KILL 60 "$ATTN" --model "$TINY" classify good -o "$D/mem.txt" ) \
    >"$WORK/out" 2>"$WORK/err"; code=$?
  check "ulimit -v 60 MB: classified, or a message; never an abort" test "$code" -le 1
  check "no 'terminate called'" test -z "$(grep terminate "$WORK/err")"
  check "no temporary file left" no_temp_files
  ( ulimit -v 1000000; exec timeout -s TERM 5 "$ATTN" --model "$TINY" classify -i /dev/zero -t 1 ) \
    >"$WORK/out" 2>"$WORK/err"; code=$?
  expect_code "/dev/zero under 1 GB: runs in bounded memory until stopped" 124
  expect_err "stopped by the signal, not by memory" "interrupted"
else
  echo "SKIP: memory limits under the sanitizers" >&2
fi

# --- bounded line, explain's stdin, model file
{ head -c 70000000 /dev/zero | tr '\0' a; printf '\ngood\n'; } >"$D/long-line.txt"
run_attn --model "$TINY" classify -f jsonl -i "$D/long-line.txt"
expect_code "a line over 64 MiB exits 5" 5; expect_lines "one record each" 2
expect_out "the long line is an error record" "long-line.txt:1: longer than 64 MiB, the longest line attn reads"
expect_out "the next line is classified" '"line":2,"label"'
head -c 70000000 /dev/zero | tr '\0' a | "$ATTN" --model "$TINY" explain - >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "explain - over 64 MiB exits 5" 5; expect_err "says why" "longer than 64 MiB"
truncate -s 2G "$D/sparse.json"
timeout -s KILL 60 "$ATTN" --model "$D/sparse.json" info >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "a 2 GiB model file exits 3" 3; expect_err "says why" "larger than 1024 MiB, the largest model file attn reads"
rm -f "$D/sparse.json"

# --- a model path that is not UTF-8
bad=$D/$'model-\xff.json'
cp "$TINY" "$bad"
run_attn --model "$bad" info --format json
expect_code "info -f json of a non-UTF-8 path" 0
check "info json parses" py "import json, sys; assert json.load(open(sys.argv[1]))['model'].endswith('.json')"
run_attn --model "$bad" classify good --attention "$D/att.json"
expect_code "classify --attention of a non-UTF-8 path" 0
check "the dump parses" "$PY" -c "import json, sys; json.load(open(sys.argv[1]))" "$D/att.json"
printf 'good\tpos\n' >"$D/one.tsv"
run_attn --model "$bad" eval -i "$D/one.tsv" --format json
expect_code "eval -f json of a non-UTF-8 path" 0

finish "cli_limits"
