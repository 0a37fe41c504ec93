#!/usr/bin/env bash
# Structured input (tsv, csv with quotes and newlines, jsonl; ids, kept columns, bad rows), --threshold in every
# format with its exit code, and the manners of issue 14: errors on stderr, "-" as stdout, "did you mean",
# attn help, bracketed texts, attn info's metadata.
# Usage: cli_pipelines_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"

# --- tsv with a header: the text column chosen by name, a kept column, the header not classified
printf 'sentence\tlabel\ngreat fun\t1\nawful\t0\n' >"$WORK/dev.tsv"
run_attn --model "$TINY" classify -i "$WORK/dev.tsv" --input-format tsv --header --text-column sentence --keep label -f jsonl
expect_code "tsv" 0; expect_lines "tsv: two records, no header record" 2
check "tsv: lines 2 and 3, kept label" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x['line'] for x in r] == [2, 3] and [x['kept'] for x in r] == [{'label': '1'}, {'label': '0'}], r"
run_attn --model "$TINY" classify -i "$WORK/dev.tsv" --input-format tsv --header --text-column sentence -k 1
check "tsv: the same answer as the text alone" test "$(sed -n 1p "$WORK/out")" = "$("$ATTN" --model "$TINY" classify -k 1 'great fun')"

# --- csv: RFC 4180 quotes, a newline inside quotes, an id, a bad row, a row too short
printf 'id,text\n7,"hello, ""world""\nsecond line"\n8,great\n9\n10,"open\n' >"$WORK/in.csv"
run_attn --model "$TINY" classify -i "$WORK/in.csv" --input-format csv --header --id-column id --keep text -f jsonl
expect_code "csv with bad rows exits 5" 5; expect_lines "csv: one record per row" 4
check "csv: quotes, ids, errors naming the row" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]['id'] == '7' and r[0]['kept']['text'] == 'hello, \"world\"\nsecond line' and r[0]['line'] == 2, r[0]
assert r[1]['id'] == '8' and r[1]['line'] == 4, r[1]
assert r[2]['error'].endswith('in.csv:5: the row has 1 columns, not the 2 the options name'), r[2]
assert 'in.csv:6: a quoted field is not closed' in r[3]['error'], r[3]"
expect_err "csv: errors on stderr too" "in.csv:5: the row has 1 columns"
run_attn --model "$TINY" classify -i "$WORK/in.csv" --input-format csv --header --id-column id -f tsv
check "tsv output: id column after line" py "
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
assert rows[0][:4] == ['source', 'line', 'id', 'label'] and rows[1][2] == '7', rows"
run_attn --model "$TINY" classify -i "$WORK/in.csv" --input-format csv --text-column text
expect_code "a column name without --header" 2; expect_err "names the column" "column text"
# Column numbers: the option check and the reader agree (00 and 1234567 were accepted, then read wrongly).
for column in 0 00 1234567; do
  run_attn --model "$TINY" classify -i "$WORK/in.csv" --input-format csv --text-column "$column"
  expect_code "column number $column refused" 2; expect_err "column $column named" "column $column"
done

# --- jsonl: id of any type, a text that is not a string, a line that is not JSON
printf '{"id":1,"text":"good"}\n{"id":"b","text":3}\nnot json\n' | "$ATTN" --model "$TINY" classify --input-format jsonl --id-column id -f jsonl >"$WORK/out" 2>"$WORK/err"
code=$?; expect_code "jsonl with bad rows" 5
check "jsonl: ids and errors" py "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]['id'] == '1' and 'label' in r[0] and 'is not a string' in r[1]['error'] and 'not a JSON object' in r[2]['error'], r"
run_attn --model "$TINY" classify --keep x good; expect_code "--keep needs a structured format" 2

# --- eval reads the same formats
printf 'text,label\ngood,pos\nbad,neg\n' >"$WORK/eval.csv"
run_attn --model "$TINY" eval -i "$WORK/eval.csv" --input-format csv --header --label-column label -f json
expect_code "eval csv" 0
check "eval csv counts two inputs" py "import json,sys; assert json.load(open(sys.argv[1]))['inputs'] == 2"

# --- --threshold: every format, exit 6; an error record takes precedence (5)
for format in text jsonl json tsv; do
  run_attn --model "$TINY" classify --threshold 0.99 -f "$format" good
  expect_code "--threshold $format exits 6" 6
done
run_attn --model "$TINY" classify --threshold 0.99 -f jsonl good
check "threshold jsonl: label null, below_threshold, probabilities kept" py "
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r['label'] is None and r['below_threshold'] is True and len(r['labels']) == 3, r"
run_attn --model "$TINY" classify --threshold 0.99 good; expect_out "threshold text" "(none)"
run_attn --model "$TINY" classify --threshold 0.01 -f jsonl good; expect_code "--threshold reached exits 0" 0
check "threshold reached: a label" py "import json,sys; assert json.loads(open(sys.argv[1]).read())['label']"
run_attn_stdin 'good\n\n' --model "$TINY" classify --threshold 0.99; expect_code "an error record wins over 6" 5
run_attn --model "$TINY" classify --threshold 1.5 good; expect_code "--threshold above 1" 2

# --- manners
run_attn --model "$TINY" classify -i "$WORK/missing.txt" -o "$WORK/o.txt"
expect_code "missing input with -o" 4; expect_err "missing input named on stderr" "missing.txt: cannot open"
(cd "$WORK" && "$ATTN" --model "$TINY" classify -o - good >"$WORK/out" 2>"$WORK/err"); code=$?
expect_code "-o -" 0; check "-o - writes stdout, no file named -" test -s "$WORK/out" -a ! -e "$WORK/-"
(cd "$WORK" && "$ATTN" --model "$TINY" classify -o "$WORK/r.txt" --attention - good >"$WORK/out" 2>"$WORK/err")
check "--attention - is stdout" py "import json,sys; assert json.load(open(sys.argv[1]))['format'] == 'attn-attention'"
check "--attention -: no file named -" test ! -e "$WORK/-"
run_attn --model "$TINY" classify --attention - good; expect_code "records and dump both on stdout" 2
(cd "$WORK" && "$ATTN" --model "$TINY" explain good --html - >"$WORK/out" 2>"$WORK/err")
check "--html - is stdout, the report alone" grep -q '^<!DOCTYPE html>' "$WORK/out"
run_attn clasify x; expect_code "mistyped subcommand" 2; expect_err "did you mean classify" "did you mean classify?"
run_attn classify --treshold 0.5 x; expect_code "mistyped option" 2; expect_err "did you mean --threshold" "did you mean --threshold?"
run_attn frobnicate; expect_code "unknown subcommand" 2; expect_err "unknown subcommand named" "unknown subcommand frobnicate"
run_attn help; expect_code "attn help" 0; expect_out "attn help lists subcommands" "Subcommands:"
run_attn help classify; expect_code "attn help classify" 0; expect_out "attn help classify" "--threshold"
run_attn --model "$TINY" classify -k 1 -- '[good,fun]' '[good]'; expect_code "bracketed texts" 0
expect_lines "bracketed texts: one record each" 2
check "a bracketed text is itself" test "$(sed -n 2p "$WORK/out")" = "$("$ATTN" --model "$TINY" classify -k 1 -- '[good]')"
run_attn info -f json
check "info shows the bundled model's metadata" py "import json,sys; m=json.load(open(sys.argv[1]))['metadata']; assert m['test_accuracy'] > 80"
run_attn info; expect_out "info text shows metadata" "metadata.test_accuracy"

# --stdin-name, --stdin-first-line: a piece of a file named and numbered as in it (tools/dask_classify.py).
run_attn_stdin 'fine\n\n' --model "$TINY" classify -f jsonl --stdin-name big.txt --stdin-first-line 41
expect_out "--stdin-name: the source" '{"source":"big.txt","line":41,'
expect_out "--stdin-first-line: the error record's line and message" '"line":42,"error":"big.txt:42: empty line"'
run_attn_stdin 'id\ttext\n7\tfine\n' --model "$TINY" classify --input-format tsv --header --id-column id -f tsv \
  --stdin-name t.tsv --stdin-first-line 9
expect_out "--stdin-first-line with --header: the header is line 9" $'t.tsv\t10\t7\t'
run_attn --model "$TINY" classify --stdin-first-line 0 x
expect_code "--stdin-first-line 0: refused" 2
finish "cli_pipelines"
