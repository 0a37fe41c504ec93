#!/usr/bin/env bash
# --long-text on a text five times the model's max_length (12 tokens for the tiny model, 60 here; 64 and 320 for
# the bundled one): which tokens each policy keeps, the record's fields, and windows checked one by one against
# classifying each window's text on its own.
# Usage: cli_long_text_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"

# 60 one-token words of the tiny vocabulary: 5 x max_length, each word its own token.
words=(the movie was good but far too long and the acting was boring it is not great)
text=""
for i in $(seq 0 59); do text+="${words[i % ${#words[@]}]} "; done
text=${text% }

# --- the default is today's behaviour: the first 12 tokens, and the record says so
run_attn --model "$TINY" classify -f jsonl "$text"; cp "$WORK/out" "$WORK/default.jsonl"
run_attn --model "$TINY" classify -f jsonl --long-text keep-start "$text"
check "--long-text keep-start is the default" cmp -s "$WORK/out" "$WORK/default.jsonl"
py_check "default record" "
import json
r = json.loads(open('default.jsonl').readline())
assert r['truncated'] is True and r['tokens'] == 12 and r['tokens_before_truncation'] == 60, r
assert r['long_text'] == 'keep-start' and r['windows'] == 1, r
"
run_attn --model "$TINY" classify -f jsonl "the movie was good"
py_check "a short text's record has no long-text fields" "
import json
r = json.loads(open('out').readline())
assert 'long_text' not in r and 'windows' not in r and r['truncated'] is False, r
"

# --- every policy: the tokens the model saw (from the dump), the record, the text line
for policy in keep-start keep-end keep-ends window; do
  run_attn --model "$TINY" classify -f jsonl --long-text "$policy" --attention "$WORK/$policy.json" "$text"
  expect_code "$policy" 0
  cp "$WORK/out" "$WORK/$policy.jsonl"
done
py_check "each policy keeps the right tokens" "
import json
words = '$text'.split()
kept = {p: json.load(open(p + '.json'))['inputs'][0]['tokens'] for p in ('keep-start', 'keep-end', 'keep-ends', 'window')}
assert kept['keep-start'] == words[:12], kept['keep-start']
assert kept['keep-end'] == words[-12:], kept['keep-end']
assert kept['keep-ends'] == words[:6] + words[-6:], kept['keep-ends']
assert kept['window'] == words, 'a windowed entry lists every token'
for p in ('keep-end', 'keep-ends'):
    r = json.loads(open(p + '.jsonl').readline())
    assert r['long_text'] == p and r['windows'] == 1 and r['truncated'] and r['tokens'] == 12, r
r = json.loads(open('window.jsonl').readline())
assert r['long_text'] == 'window' and r['windows'] == 9 and r['truncated'] is False and r['tokens'] == 60, r
"
run_attn --model "$TINY" classify --long-text keep-end "$text"; expect_out "keep-end text line" "(truncated: last 12 of 60 tokens)"
run_attn --model "$TINY" classify --long-text keep-ends "$text"; expect_out "keep-ends text line" "(truncated: first 6 and last 6 of 60 tokens)"
run_attn --model "$TINY" classify --long-text window "$text"; expect_out "window text line" "(60 tokens in 9 windows)"

# --- windows: each one is the classification of its own text; mean and max combine them
run_attn --model "$TINY" classify -f jsonl --long-text window --window-combine max "$text"; cp "$WORK/out" "$WORK/max.jsonl"
run_attn --model "$TINY" classify -f jsonl --long-text window --stride 12 --attention "$WORK/stride12.json" "$text"
cp "$WORK/out" "$WORK/stride12.jsonl"
"$PY" -c "
import json
d = json.load(open('$WORK/window.json'))
words = d['inputs'][0]['tokens']
for w in d['inputs'][0]['windows']:
    print(' '.join(words[w['start']:w['start'] + w['length']]))
" >"$WORK/window-texts.txt"
"$ATTN" --model "$TINY" classify -f jsonl -i "$WORK/window-texts.txt" >"$WORK/each.jsonl" 2>>"$WORK/err"
py_check "windows start every 6 tokens, the last ending on the text's end, and each matches its own classification" "
import json
d = json.load(open('window.json'))
windows = d['inputs'][0]['windows']
assert [w['start'] for w in windows] == [0, 6, 12, 18, 24, 30, 36, 42, 48], [w['start'] for w in windows]
assert all(w['length'] == 12 for w in windows)
labels = d['labels']
each = [json.loads(l) for l in open('each.jsonl')]
assert len(each) == len(windows)
for w, e in zip(windows, each):
    alone = {x['label']: x['probability'] for x in e['labels']}
    assert all(abs(p - alone[labels[i]]) < 1e-5 for i, p in enumerate(w['probabilities'])), (w['probabilities'], alone)
mean = [sum(w['probabilities'][i] for w in windows) / len(windows) for i in range(len(labels))]
r = json.loads(open('window.jsonl').readline())
got = {x['label']: x['probability'] for x in r['labels']}
assert all(abs(got[labels[i]] - mean[i]) < 1e-5 for i in range(len(labels))), (got, mean)
assert r['label'] == labels[mean.index(max(mean))]
top = [max(w['probabilities'][i] for w in windows) for i in range(len(labels))]
m = json.loads(open('max.jsonl').readline())
got = {x['label']: x['probability'] for x in m['labels']}
assert all(abs(got[labels[i]] - top[i] / sum(top)) < 1e-5 for i in range(len(labels))), (got, top)
s = json.load(open('stride12.json'))['inputs'][0]['windows']
assert [w['start'] for w in s] == [0, 12, 24, 36, 48], [w['start'] for w in s]
assert json.loads(open('stride12.jsonl').readline())['windows'] == 5
"

# --- batches: long and short texts mixed keep their order and their own policy fields
printf '%s\nthe movie was good\n\n%s\n' "$text" "$text" | "$ATTN" --model "$TINY" classify -f jsonl --long-text window \
  --batch-size 2 -t 2 >"$WORK/out" 2>"$WORK/err"
code=$?
expect_code "mixed batch with an empty line" 5
py_check "mixed batch records in order" "
import json
r = [json.loads(l) for l in open('out')]
assert [x['line'] for x in r] == [1, 2, 3, 4]
assert r[0]['windows'] == 9 and 'windows' not in r[1] and 'error' in r[2] and r[3]['windows'] == 9, r
assert r[0]['labels'] == r[3]['labels']
"

# --- usage errors
run_attn --model "$TINY" classify --long-text middle good
expect_code "unknown policy exits 2" 2; expect_err "names the value" "middle"
run_attn --model "$TINY" classify --window-combine max good
expect_code "--window-combine without window exits 2" 2; expect_err "explains" "--window-combine: needs --long-text window"
run_attn --model "$TINY" classify --long-text window --stride 13 good
expect_code "stride above max_length exits 2" 2; expect_err "names the limit" "more than the model's max_length (12)"
run_attn --model "$TINY" classify --long-text window --stride 0 good
expect_code "stride 0 exits 2" 2

# --- the bundled model: 5 x 64 tokens
if [ -f "$ROOT/models/sst2-sentiment.json" ]; then
  bundled=""
  for i in $(seq 1 64); do bundled+="film plot acting music story "; done
  for policy in keep-start keep-end keep-ends window; do
    "$ATTN" classify -f jsonl --long-text "$policy" "$bundled" >"$WORK/b-$policy.jsonl" 2>"$WORK/err"
  done
  py "bundled model: 320 tokens" "
import json
r = {p: json.loads(open('b-' + p + '.jsonl').readline()) for p in ('keep-start', 'keep-end', 'keep-ends', 'window')}
assert r['keep-start']['tokens'] == 64 and r['keep-start']['tokens_before_truncation'] == 320, r['keep-start']
assert r['window']['tokens'] == 320 and r['window']['windows'] == 9, r['window']
"
else
  echo "note: models/sst2-sentiment.json is absent; the bundled-model case was not run"
fi

finish "cli_long_text"
