#!/usr/bin/env bash
# Strings from a model or a data file never act on a terminal or break a TSV row: label names, tokens and eval
# labels with escape sequences, CR, NUL, tabs, newlines and bidi overrides are shown escaped.
# Usage: cli_terminal_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
export ATTN_CACHE_DIR=""
ESC=$(printf '\033')
"$PY" -c "
import json, sys
m = json.load(open(sys.argv[1]))
m['labels'] = ['neg\x1b[2J\x1b]0;pwned\x07', 'neu\ttab\nline\r', 'pos\u202egnp.exe']
m['tokenizer']['vocab'][1] = m['tokenizer']['special_tokens']['unk'] = '[UNK\x1b[31m]'
json.dump(m, open(sys.argv[2], 'w'))" "$TINY" "$WORK/evil.json"
raw() { LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xe2\x80\xae' "$1"; }  # a control byte other than \t, \n, or U+202E

run_attn --model "$WORK/evil.json" classify "I hated it."
expect_code "classify with hostile labels" 0
check "text records: no control character, no bidi override" bash -c "$(declare -f raw); ! raw '$WORK/out'"
expect_out "escaped as text" 'neg\x1b[2J\x1b]0;pwned\x07'
expect_out "bidi override escaped" 'pos\u{202e}gnp.exe'
run_attn --model "$WORK/evil.json" classify -f tsv "I hated it." "the movie"
check "tsv: every row has the header's columns" "$PY" -c "
import sys
rows = open(sys.argv[1], 'rb').read().split(b'\n')
assert rows[-1] == b'' and len(rows) == 4, rows
assert all(r.count(b'\t') == rows[0].count(b'\t') for r in rows[:-1]), rows" "$WORK/out"
run_attn --model "$WORK/evil.json" info
check "info: no control character" bash -c "$(declare -f raw); ! raw '$WORK/out'"
run_attn --model "$WORK/evil.json" explain "good zzyzx movie"
check "explain: tokens escaped" bash -c "$(declare -f raw); ! raw '$WORK/out'"
expect_out "the unknown token shown escaped" '[UNK\x1b[31m]'
run_attn --model "$WORK/evil.json" explain --color always "good zzyzx movie"
check "shaded explain: only attn's own colour sequences" test -z "$(grep -F "${ESC}[31m" "$WORK/out")"
printf 'good\tx\033]0;title\007\nbad\ty\rz\n' >"$WORK/labelled.tsv"
run_attn --model "$WORK/evil.json" eval -i "$WORK/labelled.tsv"
expect_code "eval with hostile data labels exits 5" 5
check "eval warnings: no control character" bash -c "$(declare -f raw); ! raw '$WORK/err'"
expect_err "the data label shown escaped" 'x\x1b]0;title\x07'
run_attn --model "$TINY" eval -i "$WORK/labelled.tsv" --label-map $'x\033]0;title\007=pos'
check "the report: no control character" bash -c "$(declare -f raw); ! raw '$WORK/out' && ! raw '$WORK/err'"
printf '{"format_version": 1, "config": {}, "labels": ["\\u001b[2J"]}' >"$WORK/bad.json"
run_attn --model "$WORK/bad.json" info
expect_code "a bad model exits 3" 3
check "model error messages: no control character" bash -c "$(declare -f raw); ! raw '$WORK/err'"

finish "cli_terminal"
