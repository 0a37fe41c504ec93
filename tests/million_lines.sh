#!/usr/bin/env bash
# Load test, not run by ctest: a million generated lines through `attn classify --format jsonl`.
#
# Checks that every line gives exactly one record, in order (line numbers 1..N, the few deliberately bad lines
# as error records); that peak memory is flat (the N-line run against a run of N/10 lines); and that the records
# are the same as those of the same lines classified in 10 separate runs of N/10 lines (N/10 is a multiple of
# the batch size, so every batch holds the same lines and the numbers match bit for bit). Prints the figures.
#
# Usage: tests/million_lines.sh path/to/attn [lines]     (lines: default 1000000, a multiple of 320)
# The model is models/sst2-sentiment.json when it is there, else tests/fixtures/tiny-model.json; ATTN_MODEL
# overrides. Run it with `nice -n 19` on a machine that is busy with something else.
set -euo pipefail
ATTN=$(realpath "$1")
LINES=${2:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$(command -v /usr/bin/python3 || command -v python3)
MODEL=${ATTN_MODEL:-$ROOT/models/sst2-sentiment.json}
[ -f "$MODEL" ] || MODEL=$ROOT/tests/fixtures/tiny-model.json
CHUNK=$((LINES / 10))
if [ $((CHUNK % 32)) -ne 0 ]; then echo "million_lines: $LINES is not a multiple of 320" >&2; exit 2; fi
if [ ! -x /usr/bin/time ]; then echo "million_lines: needs GNU time (/usr/bin/time)" >&2; exit 2; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A cache of our own, filled before the timed runs: every run then loads the model the same way, and peak RSS
# shows the pipeline rather than the one-off JSON parse (about 86 MB for the bundled model).
export ATTN_CACHE_DIR="$WORK/cache"
"$ATTN" --model "$MODEL" classify </dev/null >/dev/null

# Deterministic lines: 4 to 30 words from a fixed list, with punctuation; every 9973rd line empty and every
# 99991st line invalid UTF-8, so that error records are counted and ordered too.
"$PY" - "$LINES" >"$WORK/lines.txt" <<'EOF'
import random, sys
n = int(sys.argv[1])
rng = random.Random(1000000)
words = ('the a film movie story plot acting actors director script scenes music it is was not very too '
         'good great gripping beautiful moving funny smart fresh bad awful boring tedious dull mess flat '
         'predictable long slow and but with without of to in on its this that never ever quite rather '
         'performance performances character characters ending dialogue camera cast an year best worst '
         'charming clever sweet sour loud quiet heart soul comedy drama thriller horror romance').split()
out = sys.stdout.buffer
for i in range(1, n + 1):
    if i % 9973 == 0:
        out.write(b'\n')
    elif i % 99991 == 0:
        out.write(b'an invalid \xc3\x28 byte\n')
    else:
        k = rng.randint(4, 30)
        text = ' '.join(rng.choice(words) for _ in range(k))
        out.write((text + rng.choice(('', '.', '!', ' ...', ', really.')) + '\n').encode())
EOF
head -n "$CHUNK" "$WORK/lines.txt" >"$WORK/tenth.txt"
split -d -l "$CHUNK" "$WORK/lines.txt" "$WORK/chunk-"

# run INPUT NAME: classifies INPUT into $WORK/NAME.jsonl; the wall time (s) and peak RSS (KB) into $WORK/NAME.time.
run() {
  /usr/bin/time -f '%e %M' -o "$WORK/$2.time" "$ATTN" --model "$MODEL" classify --batch-size 32 --format jsonl -i "$1" \
    >"$WORK/$2.jsonl" 2>"$WORK/$2.err" || [ $? -eq 5 ]  # 5: finished, with the error records expected here
}
run "$WORK/lines.txt" all
run "$WORK/tenth.txt" tenth
for chunk in "$WORK"/chunk-*; do run "$chunk" "$(basename "$chunk")"; done

"$PY" - "$WORK" "$LINES" "$CHUNK" "$MODEL" <<'EOF'
import glob, json, os, sys
work, n, chunk, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def timing(name):
    seconds, rss_kb = open(os.path.join(work, name + '.time')).read().split()[-2:]
    return float(seconds), int(rss_kb) / 1024

# Every line one record, in order; error records exactly where the bad lines are.
errors = 0
with open(os.path.join(work, 'all.jsonl'), encoding='utf-8') as f:
    count = 0
    for count, line in enumerate(f, 1):
        r = json.loads(line)
        assert r['line'] == count, (count, r)
        bad = count % 9973 == 0 or count % 99991 == 0
        assert ('error' in r) == bad, r
        errors += bad
assert count == n, (count, n)

# The same records as 10 runs of a tenth each, line for line, bit for bit (source and line numbers aside).
chunks = sorted(glob.glob(os.path.join(work, 'chunk-*.jsonl')))
assert len(chunks) == 10, chunks
def strip(r):
    return {k: v for k, v in r.items() if k not in ('source', 'line') and k != 'error'}, r.get('error', '').split(': ', 1)[-1]
with open(os.path.join(work, 'all.jsonl'), encoding='utf-8') as whole:
    for index, path in enumerate(chunks):
        with open(path, encoding='utf-8') as part:
            for j, line in enumerate(part, 1):
                a, b = json.loads(whole.readline()), json.loads(line)
                assert a['line'] == index * chunk + j and b['line'] == j, (a, b)
                assert strip(a) == strip(b), (a, b)
    assert whole.readline() == '', 'the whole run has more records than the chunks'

all_s, all_mb = timing('all')
tenth_s, tenth_mb = timing('tenth')
chunk_s = sum(timing(os.path.basename(p)[:-6])[0] for p in chunks)
print(f'model: {os.path.relpath(model)}')
print(f'records: {count} in order, {errors} error records where the bad lines are')
print(f'{n} lines: {all_s:.1f} s ({n / all_s:,.0f} lines/s), peak RSS {all_mb:.0f} MB')
print(f'{chunk} lines: {tenth_s:.1f} s, peak RSS {tenth_mb:.0f} MB')
print(f'10 runs of {chunk} lines: {chunk_s:.1f} s in all, the same records bit for bit')
assert all_mb <= tenth_mb * 1.25 + 16, f'peak RSS not flat: {all_mb:.0f} MB against {tenth_mb:.0f} MB'
print('million_lines: passed')
EOF
