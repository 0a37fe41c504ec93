#!/usr/bin/env bash
# attn never answers silently wrong: the model cache follows the file it was made from (a file replaced while it
# is parsed, or rewritten keeping its size, inode and mtime), trusts only its user's own files and never waits
# on a FIFO; scores that overflow give an error, not a label; a layer_norm_eps that is 0 as a float and
# duplicate JSON keys are refused; eval refuses a --label-map that conflicts or names no label of the model,
# and an evaluation of nothing.
# Usage: cli_wrong_answers_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
M=$WORK/models
mkdir "$M"
# model FILE PYTHON: a copy of the tiny model changed by PYTHON (m is the parsed JSON), written to $M/FILE.
model() {
  "$PY" -c "
import json, sys
m = json.load(open(sys.argv[1]))
$2
json.dump(m, open(sys.argv[2], 'w'))" "$TINY" "$M/$1"
}
labels_of() { "$ATTN" --model "$1" info --format json | "$PY" -c "import json, sys; print(','.join(json.load(sys.stdin)['labels']))"; }
# Timestamps advance by clock ticks; attn caches only a file whose last change is a second old.
settle() { sleep 1.2; }

# --- a model replaced (mv) while attn parses it: the next runs answer with the new model
# A model with a large metadata array parses for a while; attn is stopped mid-parse, the file replaced, and
# attn let go on.
model slow.json "m['metadata'] = {'padding': [0.5] * 3000000}"
model renamed.json "m['labels'] = ['NEG', 'NEU', 'POS']"
cp "$M/slow.json" "$M/live.json"
settle
"$ATTN" --model "$M/live.json" info >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -STOP "$pid"
if [ -z "$(ls "$ATTN_CACHE_DIR" 2>/dev/null | grep live)" ]; then
  mv "$M/renamed.json" "$M/live.json"
  kill -CONT "$pid"; wait "$pid"
  check "a model replaced mid-parse: the next run answers with the new one" test "$(labels_of "$M/live.json")" = NEG,NEU,POS
  check "and the one after it too" test "$(labels_of "$M/live.json")" = NEG,NEU,POS
else
  kill -CONT "$pid"; wait "$pid"
  echo "SKIP: the slow model was parsed before it could be replaced" >&2
fi

# --- rewritten in place, same size, inode and mtime (cp -p, rsync --inplace -t): ctime tells
model inplace.json ""
cp -p "$M/inplace.json" "$M/reference"
settle
check "first run: the tiny labels" test "$(labels_of "$M/inplace.json")" = neg,neu,pos
check "second run from the cache" test "$(labels_of "$M/inplace.json")" = neg,neu,pos
inode=$(stat -c %i "$M/inplace.json")
sed 's/"neg"/"gen"/' "$M/reference" | dd of="$M/inplace.json" conv=notrunc status=none
touch -r "$M/reference" "$M/inplace.json"
check "same inode, size and mtime" test "$(stat -c %i-%s-%Y "$M/inplace.json")" = "$inode-$(stat -c %s-%Y "$M/reference")"
check "a model rewritten in place is read again" test "$(labels_of "$M/inplace.json")" = gen,neu,pos

# --- the cache trusts only its user's own files, and never waits on a FIFO
model cached.json ""
settle
"$ATTN" -v --model "$M/cached.json" info >/dev/null 2>"$WORK/err"
"$ATTN" -v --model "$M/cached.json" info >/dev/null 2>"$WORK/err"
entry=$(sed -n 's/.* from the cache \(.*\)$/\1/p' "$WORK/err")
check "the cache entry is found" test -f "$entry"
check "the cache directory is the user's alone" test "$(stat -c %a "$ATTN_CACHE_DIR")" = 700
rm "$entry"
mkfifo "$entry"
timeout 60 "$ATTN" --model "$M/cached.json" classify good >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "a FIFO in place of a cache entry is passed over" 0
rm -f "$entry"
"$ATTN" --model "$M/cached.json" info >/dev/null 2>&1
chown nobody "$entry" 2>/dev/null && {
  "$ATTN" -v --model "$M/cached.json" info >/dev/null 2>"$WORK/err"
  check "an entry another user owns is not used" test -z "$(grep 'from the cache' "$WORK/err")"
}
chmod 0777 "$ATTN_CACHE_DIR"
"$ATTN" -v --model "$M/cached.json" info >/dev/null 2>"$WORK/err"; code=$?
expect_code "a cache directory others may write is not fatal" 0
expect_err "says why it is not used" "not used as the model cache: other users may write to it"
check "nor read" test -z "$(grep 'from the cache' "$WORK/err")"
chmod 0700 "$ATTN_CACHE_DIR"

# --- scores that overflow: an error, never a label
model overflow.json "
for w in m['weights']:
    if w['name'] == 'classifier.weight': w['data'] = [3e38 if i % 2 else -3e38 for i in range(len(w['data']))]"
run_attn --model "$M/overflow.json" classify --format jsonl good "I hated it."
expect_code "overflowing scores exit 5" 5
check "overflowing scores give error records" py "
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l); assert 'error' in r and 'not finite' in r['error'] and 'label' not in r, r"
check "no nan anywhere" test -z "$(grep -i nan "$WORK/out")"
printf 'good\tpos\nI hated it.\tneg\n' >"$WORK/labelled.tsv"
run_attn --model "$M/overflow.json" eval -i "$WORK/labelled.tsv"
expect_code "eval of overflowing scores exits 5" 5; expect_err "counts them as bad lines" "not finite"
run_attn --model "$M/overflow.json" explain good
expect_code "explain of overflowing scores exits 5" 5

# --- config and JSON checks
model tiny-eps.json "m['config']['layer_norm_eps'] = 1e-50"
run_attn --model "$M/tiny-eps.json" info
expect_code "layer_norm_eps 1e-50 exits 3" 3; expect_err "says it is 0 as a float" "config.layer_norm_eps: 1e-50 is 0 as a float32"
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
open(sys.argv[2], 'w').write(t.replace('\"d_model\": 16', '\"d_model\": 16, \"d_model\": 32', 1).replace('\"d_model\":16', '\"d_model\":16,\"d_model\":32', 1))
open(sys.argv[3], 'w').write(t.replace('{', '{\"labels\": [\"a\", \"b\", \"c\"], ', 1))" "$TINY" "$M/dup-config.json" "$M/dup-top.json"
run_attn --model "$M/dup-config.json" info
expect_code "a duplicate key in the config exits 3" 3; expect_err "names it" 'config: duplicate key "d_model"'
run_attn --model "$M/dup-top.json" info
expect_code "a duplicate top-level key exits 3" 3; expect_err "names it" 'duplicate key "labels"'

# --- eval: a label map that conflicts or names no model label, and nothing to evaluate
run_attn --model "$TINY" eval -i "$WORK/labelled.tsv" --label-map good=pos,good=neg
expect_code "a conflicting --label-map exits 2" 2; expect_err "says so" '"good" is mapped to both "pos" and "neg"'
run_attn --model "$TINY" eval -i "$WORK/labelled.tsv" --label-map pos=positive
expect_code "a --label-map to no model label exits 2" 2; expect_err "says so" '"positive" is not a label of the model'
run_attn --model "$TINY" eval -i "$WORK/labelled.tsv" --label-map pos=pos,pos=pos,neg=neg
expect_code "a repeated, agreeing --label-map is fine" 0
: >"$WORK/empty.tsv"
run_attn --model "$TINY" eval -i "$WORK/empty.tsv"
expect_code "an empty evaluation exits 5" 5; expect_err "says so" "no labelled line to evaluate"
check "an empty evaluation reports no figures" test ! -s "$WORK/out"
printf 'no tab\n' >"$WORK/bad.tsv"
run_attn --model "$TINY" eval -i "$WORK/bad.tsv" --format json
expect_code "an evaluation of bad lines only exits 5" 5
check "and reports no figures" test ! -s "$WORK/out"

finish "cli_wrong_answers"
