#!/usr/bin/env bash
# docs/scale-out.md's GNU parallel recipe: a file split with --pipepart, attn run on two "hosts" (-S with local
# slots), the output kept in order (-k), byte for byte the output of one attn process. Skipped (77) without
# GNU parallel (Debian's parallel package).
# Usage: scale_out_parallel_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
if ! parallel --version 2>/dev/null | grep -q "GNU parallel"; then
  echo "skipped: GNU parallel is not installed (apt-get install parallel)"
  exit 77
fi
# 20,000 lines, no empty ones: in the text format a record carries no line number, so the pieces join exactly.
seq 1 20000 | sed 's/$/ was a great and gripping film/; 3~7s/great/tedious/' >"$WORK/big.txt"
"$ATTN" --model "$TINY" classify -i "$WORK/big.txt" -k 1 >"$WORK/one.txt"
check "one process" test "$(wc -l <"$WORK/one.txt")" -eq 20000
# The recipe, with the tiny model and small blocks so that the file is cut into many pieces.
parallel --will-cite --pipepart -a "$WORK/big.txt" --block 64k -k -S 1/:,1/: \
  "$ATTN" --model "$TINY" classify -k 1 -t 1 >"$WORK/many.txt" 2>"$WORK/err"
check "parallel exits 0 ($(head -c 300 "$WORK/err"))" test $? -eq 0
check "parallel's output is one process's, byte for byte" cmp -s "$WORK/one.txt" "$WORK/many.txt"
finish "scale_out_parallel"
