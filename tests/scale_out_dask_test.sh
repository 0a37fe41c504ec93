#!/usr/bin/env bash
# tools/dask_classify.py on a loopback Dask cluster that this test starts (a scheduler and two worker processes of
# one thread): its output byte for byte one attn process's (jsonl, tsv, json) for two files (one with an empty and
# an invalid UTF-8 line, one without a final newline) and for TSV input with a header; then a worker killed
# (SIGKILL) while it runs a piece, and still the same output, with that piece run again on the other worker.
# Skipped (77) when Python's distributed (Debian's python3-distributed) is missing.
# Usage: scale_out_dask_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
if ! "$PY" -c 'import distributed' 2>/dev/null; then
  echo "skipped: Python's distributed is not installed (apt-get install python3-distributed)"
  exit 77
fi
TOOL=$ROOT/tools/dask_classify.py
cluster_pids=()
at_exit() {
  local pid
  for pid in "${cluster_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  # attn processes that a killed worker had started (their pids recorded by the wrapper below).
  [ -f "$WORK/started" ] && while read -r _ pid _; do kill -9 "$pid" 2>/dev/null; done <"$WORK/started"
}

"$PY" -m distributed.cli.dask_scheduler --host 127.0.0.1 --port 0 --no-dashboard \
  --scheduler-file "$WORK/scheduler.json" >"$WORK/scheduler.log" 2>&1 &
cluster_pids+=($!)
start_worker() {
  # No nanny: the process started here is the worker itself, so that killing it kills the worker for good.
  "$PY" -m distributed.cli.dask_worker --scheduler-file "$WORK/scheduler.json" --host 127.0.0.1 --nthreads 1 \
    --no-nanny --no-dashboard --local-directory "$WORK/dask" >"$WORK/worker$1.log" 2>&1 &
  cluster_pids+=($!)
}
for _ in $(seq 100); do [ -s "$WORK/scheduler.json" ] && break; sleep 0.2; done
start_worker 1
start_worker 2
worker1=${cluster_pids[1]}
worker2=${cluster_pids[2]}
if ! "$PY" -c 'import sys, distributed; distributed.Client(scheduler_file=sys.argv[1], timeout=30).wait_for_workers(2, timeout=30)' \
  "$WORK/scheduler.json" 2>"$WORK/err"; then
  fail "the cluster did not start: $(tail -3 "$WORK/err") $(tail -3 "$WORK"/*.log)"
  finish "scale_out_dask"
  exit
fi

# 3,000 lines with an empty one and an invalid UTF-8 one (error records); a second file without a final newline.
"$PY" - "$WORK/big.txt" "$WORK/small.txt" <<'EOF'
import sys
words = ["a great and gripping film", "a tedious mess", "not bad at all", "the plot was thin"]
lines = [f"{i} {words[i % 4]}".encode() for i in range(3000)]
lines[4] = b""
lines[1500] = b"caf\xe9 \xff broken"
open(sys.argv[1], "wb").write(b"\n".join(lines) + b"\n")
open(sys.argv[2], "wb").write(b"fine\n\nlast line without a newline")
EOF
dask_classify() { timeout 120 "$PY" "$TOOL" --scheduler-file "$WORK/scheduler.json" -m "$TINY" "$@"; }

for format in jsonl tsv json; do
  "$ATTN" --model "$TINY" classify -i "$WORK/big.txt" -i "$WORK/small.txt" -f "$format" >"$WORK/one.$format" 2>/dev/null
  dask_classify --attn "$ATTN" -f "$format" --piece-size 8K -o "$WORK/many.$format" "$WORK/big.txt" "$WORK/small.txt" \
    -- -t 1 2>"$WORK/err"
  code=$?
  expect_code "$format: exit 5 (error records)" 5
  check "$format: one process's output, byte for byte" cmp "$WORK/one.$format" "$WORK/many.$format"
done
check "no temporary file left beside the output" test -z "$(find "$WORK" -maxdepth 1 -name '.dask_classify.*')"
check "attn's error messages passed on, named as in the file" grep -qF "$WORK/big.txt:1501: invalid UTF-8" "$WORK/err"

# TSV input with a header: every piece gets the header, the records keep the file's line numbers and the ids.
{ printf 'id\ttext\n'; sed -n '1,4p;6,1500p' "$WORK/big.txt" | nl -ba -w1 -s$'\t'; } >"$WORK/table.tsv"
"$ATTN" --model "$TINY" classify -i "$WORK/table.tsv" --input-format tsv --header --id-column id -f jsonl -k 1 \
  >"$WORK/one.table"
dask_classify --attn "$ATTN" --input-format tsv --header -f jsonl --piece-size 4K "$WORK/table.tsv" \
  -- --id-column id -k 1 -t 1 >"$WORK/many.table" 2>"$WORK/err"
code=$?
expect_code "tsv input with a header: exit 0" 0
check "tsv input with a header: one process's output" cmp "$WORK/one.table" "$WORK/many.table"

dask_classify --attn "$ATTN" "$WORK/big.txt" -- -o x >/dev/null 2>"$WORK/err"
code=$?
expect_code "-o after --: refused" 2
expect_err "-o after --: says why" "this tool sets it"

# A worker killed mid-job: each piece starts slowly (a wrapper sleeps before attn), the first piece worker 1 starts
# is the signal to kill it, and the other pieces are still to come then.
cat >"$WORK/slow-attn" <<EOF
#!/bin/sh
echo "\$PPID \$\$ \$*" >>"$WORK/started"
sleep 0.3
exec "$ATTN" "\$@"
EOF
chmod +x "$WORK/slow-attn"
dask_classify --attn "$WORK/slow-attn" -f jsonl --piece-size 4K -o "$WORK/killed.jsonl" "$WORK/big.txt" \
  "$WORK/small.txt" -- -t 1 2>"$WORK/err" &
tool=$!
for _ in $(seq 600); do grep -q "^$worker1 " "$WORK/started" 2>/dev/null && break; sleep 0.05; done
kill -0 "$tool" 2>/dev/null
check "worker killed: while the tool runs" test $? -eq 0
kill -9 "$worker1"
wait "$worker1" 2>/dev/null
started_before_kill=$(wc -l <"$WORK/started")
wait "$tool"
code=$?
expect_code "worker killed: exit 5" 5
check "worker killed: one process's output, no record lost or twice" cmp "$WORK/one.jsonl" "$WORK/killed.jsonl"
killed_piece=$(grep -m1 "^$worker1 " "$WORK/started" | cut -d' ' -f3-)
check "worker killed: its piece run again by the other worker" grep -q "^$worker2 " <(grep -F -- "$killed_piece" "$WORK/started")
check "worker killed: in the middle of the job ($started_before_kill of $(wc -l <"$WORK/started") starts before)" \
  test "$(wc -l <"$WORK/started")" -gt $((started_before_kill + 5))
finish "scale_out_dask"
