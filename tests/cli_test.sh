#!/usr/bin/env bash
# Runs the real attn binary: arguments, a stdin pipe, files, every output format, bad inputs and exit codes.
# Usage: cli_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"

# --- help, version, usage errors
run_attn --help; expect_code "help" 0; expect_out "help lists exit codes" "Exit codes:"
run_attn classify --help; expect_code "classify help" 0; expect_out "classify help has examples" "Examples:"
run_attn --version; expect_code "version" 0; expect_out "version" "attn "
run_attn; expect_code "no subcommand" 2
run_attn classify --format xml x; expect_code "bad format" 2; expect_err "bad format names it" "xml not in"
run_attn classify --top-k 0 x; expect_code "top-k 0" 2
run_attn frobnicate; expect_code "unknown subcommand" 2

# --- arguments and the text format
run_attn --model "$TINY" classify "The movie was great fun!" "I hated it."
expect_code "two arguments" 0; expect_lines "two arguments give two records" 2
check "text record lists all three labels" py "import sys; l=open(sys.argv[1]).readline().split(); assert len(l)==6 and set(l[0::2])=={'neg','neu','pos'}, l"
run_attn --model "$TINY" classify -k 1 "good"; expect_code "top-k 1" 0
check "top-k 1 shows one label" py "import sys; l=open(sys.argv[1]).read().split(); assert len(l)==2 and abs(float(l[1])-1)<1, l"

# --- the stdin pipe from the README: three records in order, the empty line an error record
run_attn_stdin 'a gripping, beautifully acted film\n\nthe plot was a tedious mess\n' --model "$TINY" classify --format jsonl
expect_code "stdin with an empty line exits 5" 5; expect_lines "three records" 3
check "jsonl records in order, middle an error" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x['line'] for x in r] == [1, 2, 3], r
assert 'error' in r[1] and 'empty line' in r[1]['error'] and 'label' not in r[1], r[1]
for x in (r[0], r[2]):
    assert x['source'] == '-' and x['label'] in ('neg', 'neu', 'pos')
    assert abs(sum(l['probability'] for l in x['labels']) - 1) < 1e-5
    assert x['labels'][0]['label'] == x['label'] and isinstance(x['truncated'], bool)
"
run_attn_stdin 'good\n' --model "$TINY" classify -; expect_code "dash reads stdin" 0; expect_lines "dash one record" 1

# --- json and tsv
run_attn_stdin 'good\nbad\n' --model "$TINY" classify --format json
expect_code "json" 0
check "json is one array of two records" py "import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==2 and r[1]['line']==2"
run_attn_stdin '' --model "$TINY" classify --format json; expect_code "json of no input" 0
check "json of no input is an empty array" py "import json,sys; assert json.load(open(sys.argv[1]))==[]"
run_attn_stdin 'good\n\xff\n' --model "$TINY" classify --format tsv
expect_code "tsv with a bad line" 5; expect_lines "tsv header + 2 rows" 3
check "tsv columns" py "
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1], encoding='utf-8')]
assert rows[0] == ['source','line','label','probability','p_neg','p_neu','p_pos','truncated','error'], rows[0]
assert all(len(r) == 9 for r in rows), rows
assert rows[1][2] in ('neg','neu','pos') and rows[1][8] == ''
assert rows[2][2] == '' and 'invalid UTF-8 at byte 0' in rows[2][8], rows[2]
"

# --- files: order, source names, CRLF, no final newline, missing file, directory
printf 'good\r\nbad\r\n' >"$WORK/crlf.txt"
printf 'okay' >"$WORK/nonl.txt"
run_attn --model "$TINY" classify --format jsonl -i "$WORK/crlf.txt" --input "$WORK/nonl.txt"
expect_code "two files" 0; expect_lines "two files give three records" 3
check "file records carry source and line" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [(x['source'].split('/')[-1], x['line']) for x in r] == [('crlf.txt',1),('crlf.txt',2),('nonl.txt',1)], r
"
run_attn --model "$TINY" classify --format jsonl -i "$WORK/missing.txt" -i "$WORK/nonl.txt"
expect_code "missing file exits 4" 4; expect_lines "missing file: error record, then the next file" 2
expect_out "missing file named" "missing.txt: cannot open (No such file or directory)"
run_attn --model "$TINY" classify --format jsonl -i "$WORK"
expect_code "directory input exits 4" 4; expect_out "directory named" "is a directory"

# --- bad text: invalid UTF-8, NUL-only, whitespace-only; the batch goes on
run_attn_stdin 'good\nabc\xc0\xaf\n \t \nbad\n' --model "$TINY" classify --format jsonl
expect_code "bad lines exit 5" 5; expect_lines "four records" 4
check "bad lines are error records, good ones classified" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert 'label' in r[0] and 'label' in r[3]
assert 'invalid UTF-8 at byte 3' in r[1]['error'], r[1]
assert 'no tokens' in r[2]['error'], r[2]
"

# --- truncation is reported
long=$(printf 'good %.0s' $(seq 1 40))
run_attn --model "$TINY" classify --format jsonl "$long"
check "truncated record" py "import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r['truncated'] and r['tokens']==12 and r['tokens_before_truncation']==40, r"
run_attn --model "$TINY" classify "$long"; expect_out "text says truncated" "truncated: first 12 of 40 tokens"

# --- the attention dump
run_attn --model "$TINY" classify --attention "$WORK/att.json" "The movie was great fun!" ""
expect_code "attention dump with an empty input" 5
cp "$WORK/att.json" "$WORK/out"
check "attention dump shapes and rows" py "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['layout'] == 'attention[layer][head][query][key]' and d['labels'] == ['neg','neu','pos']
a, b = d['inputs']
n = len(a['tokens'])
assert a['tokens'] == ['the','movie','was','great','fun','!'], a['tokens']
assert len(a['attention']) == 2 and all(len(h) == 2 for h in a['attention'])
for layer in a['attention']:
    for head in layer:
        assert len(head) == n and all(len(row) == n and abs(sum(row) - 1) < 1e-5 for row in head)
assert 'error' in b and b['line'] == 2
"
run_attn --model "$TINY" classify --attention "$WORK/nodir/att.json" "good"
expect_code "unwritable attention file exits 4" 4; expect_err "names the file" "nodir/att.json"

# --- --output is written whole or not at all
run_attn --model "$TINY" classify --format jsonl -o "$WORK/res.jsonl" good bad
expect_code "output file" 0
check "output file has two records" test "$(wc -l <"$WORK/res.jsonl")" -eq 2
check "no temporary files left" test -z "$(ls "$WORK" | grep tmp-)"

# --- a reader that goes away, and interruption
seq 1 20000 | sed 's/$/ good/' >"$WORK/many.txt"
"$ATTN" --model "$TINY" classify -i "$WORK/many.txt" --format jsonl 2>"$WORK/err" | head -1 >"$WORK/out"
code=${PIPESTATUS[0]}
expect_code "closed stdout exits 141" 141
check "closed stdout is quiet" test ! -s "$WORK/err"
check "the first record is whole" py "import json,sys; assert json.loads(open(sys.argv[1]).read())['line'] == 1"
echo previous >"$WORK/kept.jsonl"
mkfifo "$WORK/fifo"
# interrupt SIGNAL ARGS...: classify from a FIFO that stays open (two lines, then nothing for 30 s) into
# $WORK/kept.jsonl with ARGS, send SIGNAL after a second, and collect the exit code in $code.
interrupt() {
  local signal=$1; shift
  ( printf 'good\nbad\n'; sleep 30 ) >"$WORK/fifo" &
  local writer=$!
  "$ATTN" --model "$TINY" classify -i "$WORK/fifo" --format jsonl -o "$WORK/kept.jsonl" "$@" >"$WORK/out" 2>"$WORK/err" &
  local pid=$!
  sleep 1
  kill -"$signal" "$pid"
  wait "$pid"; code=$?
  kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
}
interrupt TERM --attention "$WORK/att2.json"
expect_code "SIGTERM exits 130" 130; expect_err "says interrupted" "interrupted"
check "interrupted run leaves the previous output file" test "$(cat "$WORK/kept.jsonl")" = previous
check "interrupted run leaves no attention file" test ! -e "$WORK/att2.json"
check "interrupted run leaves no temporary files" test -z "$(ls "$WORK" | grep tmp-)"
# SIGINT as Ctrl-C sends it. A background job of a non-interactive shell starts with SIGINT ignored; attn
# installs its own handler all the same.
interrupt INT
expect_code "SIGINT exits 130" 130; expect_err "says interrupted" "interrupted"
check "SIGINT leaves the previous output file" test "$(cat "$WORK/kept.jsonl")" = previous
check "SIGINT leaves no temporary files" test -z "$(ls "$WORK" | grep tmp-)"
# A disk that fills up, as a file size limit of 100 blocks makes it: the write fails, exit 4 naming the file,
# the previous file stays whole and the temporary file goes.
( ulimit -f 100; "$ATTN" --model "$TINY" classify -i "$WORK/many.txt" --format jsonl -o "$WORK/kept.jsonl" \
    >"$WORK/out" 2>"$WORK/err" ); code=$?
expect_code "output past the file size limit exits 4" 4; expect_err "names the file" "kept.jsonl: write failed"
check "a failed write leaves the previous output file" test "$(cat "$WORK/kept.jsonl")" = previous
check "a failed write leaves no temporary files" test -z "$(ls "$WORK" | grep tmp-)"

# --- eval: metrics agree with classify's own predictions; bad lines are counted, not fatal
printf 'sentence\tlabel\nThe movie was great fun!\tpos\nI hated it.\tneg\nit is okay\tneu\ngood\t2\nno tab here\nbad\tmaybe\n' >"$WORK/labelled.tsv"
run_attn --model "$TINY" eval -i "$WORK/labelled.tsv" --header --format json
expect_code "eval with bad lines exits 5" 5; expect_err "eval names the unknown label" 'unknown label "maybe"'
expect_err "eval names the line without a tab" "labelled.tsv:6: no tab"
cp "$WORK/out" "$WORK/eval.json"
run_attn --model "$TINY" classify --format jsonl "The movie was great fun!" "I hated it." "it is okay" "good"
check "eval accuracy and confusion matrix match classify" "$PY" -c "
import json, sys
e = json.load(open('$WORK/eval.json'))
preds = [json.loads(l)['label'] for l in open('$WORK/out')]
truth = ['pos', 'neg', 'neu', 'pos']
labels = e['labels']
assert e['inputs'] == 4 and e['skipped'] == 2, e
assert abs(e['accuracy'] - sum(p == t for p, t in zip(preds, truth)) / 4) < 1e-12, (e['accuracy'], preds)
m = [[0] * 3 for _ in range(3)]
for p, t in zip(preds, truth): m[labels.index(t)][labels.index(p)] += 1
assert e['confusion_matrix'] == m, (e['confusion_matrix'], m)
"
printf '1 good\n0 bad\n' | "$ATTN" --model "$TINY" eval --data-format label-space-text --label-map 0=neg,1=pos >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "eval from stdin with a label map" 0; expect_out "eval text report" "confusion matrix"

# --- models: missing, malformed, env override, info
run_attn --model "$WORK/none.json" classify good
expect_code "missing model exits 3" 3; expect_err "missing model named" "none.json: cannot open model file"
printf '{"format_version": 9}' >"$WORK/future.json"
run_attn --model "$WORK/future.json" classify good
expect_code "future model exits 3" 3; expect_err "future model" "newer than this attn supports"
head -c 2000 "$TINY" >"$WORK/truncated.json"
run_attn --model "$WORK/truncated.json" info; expect_code "truncated model exits 3" 3; expect_err "truncated model" "not valid JSON"
ATTN_MODEL=$TINY "$ATTN" info --format json >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "ATTN_MODEL info" 0
check "info json" py "
import json, sys
i = json.load(open(sys.argv[1]))
assert i['format_version'] == 1 and i['d_model'] == 16 and i['num_heads'] == 2 and i['labels'] == ['neg','neu','pos']
assert i['parameters'] > 0 and i['vocab_size'] > 0 and i['model'].endswith('tiny-model.json')
"
run_attn --model "$TINY" info; expect_code "info text" 0; expect_out "info text" "parameters"
expect_out "info names the linear kernel's ISA" "linear_kernel"
ATTN_ISA=portable "$ATTN" --model "$TINY" info --format json >"$WORK/out" 2>"$WORK/err"
check "ATTN_ISA=portable: both kernels portable" py "
import json, sys
i = json.load(open(sys.argv[1]))
assert i['linear_kernel'] == 'portable' and i['attention_kernel'] == 'portable', i
"
ATTN_ISA=avx2 "$ATTN" --model "$TINY" info --format json >"$WORK/out" 2>"$WORK/err"
check "ATTN_ISA=avx2 caps the kernels at AVX2" py "
import json, sys
i = json.load(open(sys.argv[1]))
assert i['linear_kernel'] in ('avx2', 'portable') and i['attention_kernel'] in ('avx2', 'portable'), i
"

# --- the bundled model is the default and gives sensible labels
if [ -f "$ROOT/models/sst2-sentiment.json" ]; then
  run_attn classify --format jsonl "a gripping, beautifully acted and deeply moving film" "a tedious, boring mess with awful acting"
  expect_code "bundled model" 0
  check "bundled model labels" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]['label'] == 'positive' and r[1]['label'] == 'negative', r
"
else
  fail "bundled model models/sst2-sentiment.json is missing"
fi

finish "cli"
