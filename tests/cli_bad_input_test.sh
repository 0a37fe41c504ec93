#!/usr/bin/env bash
# Bad text through the real attn binary: invalid UTF-8, NUL bytes, a BOM, CRLF, a 50 MB line, no final newline,
# an empty file, binary garbage, a directory and an unreadable file among the inputs. Whatever the input, every
# line gives exactly one record, in order, an error record where the line is bad, and the batch goes on.
# (tests/cli_test.sh covers the basics: a missing file, a directory alone, one overlong form, a NUL-only line.)
# Usage: cli_bad_input_test.sh path/to/attn path/to/source-tree [sanitized]
# With "sanitized" (an ASan/UBSan build) the peak-memory bound is not checked: the sanitizer's own heap use
# would dominate it.
source "$(dirname "$0")/harness.sh"
BUILD_KIND=${3:-plain}
export ATTN_CACHE_DIR=""  # no model cache: these runs must not write outside $WORK

skip() { echo "SKIP: $1" >&2; }
# check NAME COMMAND...: the command must succeed (exit 0).
# A failing Python check leaves its traceback in $WORK/pyerr; the last line is shown.
check() {
  local name=$1; shift
  : >"$WORK/pyerr"
  if "$@"; then pass; else fail "$name: $(tail -n 1 "$WORK/pyerr" | head -c 600)"; fi
}
# classify ARGS...: attn with the tiny model and jsonl records; stdout in $WORK/out, stderr in $WORK/err, exit in $code.
classify() { "$ATTN" --model "$TINY" classify --format jsonl "$@" >"$WORK/out" 2>"$WORK/err"; code=$?; }
# py CODE [ARGS...]: runs Python with $WORK/out as argv[1] and ARGS after it; the code asserts.
py() { local code=$1; shift; "$PY" -c "$code" "$WORK/out" "$@" 2>"$WORK/pyerr"; }
# bytes FILE PYTHON-EXPRESSION: writes the bytes the expression gives (deterministic inputs, any byte value).
bytes() { "$PY" -c "import sys; sys.stdout.buffer.write($2)" >"$1"; }

# Python that every check below starts from: the records of $WORK/out, and the lines of an input file split the
# way attn documents it (on "\n", one "\r" before it dropped, a last line without "\n" still a line).
PRELUDE='
import json, sys
records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def input_lines(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [l[:-1] if l.endswith(b"\r") else l for l in lines]
def one_record_per_line(source, count, records=records):
    mine = [r for r in records if r["source"] == source]
    assert [r["line"] for r in mine] == list(range(1, count + 1)), [r["line"] for r in mine][:20]
    for r in mine:
        assert ("label" in r) != ("error" in r), r
    return mine
def same(x, y):
    # The same classification: a packed batch may differ from another in the last float bits, so
    # probabilities are compared to 1e-5; everything else but the source exactly.
    assert x.get("label") == y.get("label") and x["tokens"] == y["tokens"], (x, y)
    assert x["truncated"] == y["truncated"] and x["line"] == y["line"], (x, y)
    assert [l["label"] for l in x["labels"]] == [l["label"] for l in y["labels"]], (x, y)
    assert all(abs(a["probability"] - b["probability"]) < 1e-5 for a, b in zip(x["labels"], y["labels"])), (x, y)
'
# records_match INPUT: one record per input line of INPUT, in order (every record of $WORK/out is from INPUT).
records_match() {
  py "$PRELUDE
path = sys.argv[2]
n = len(input_lines(path))
assert len(records) == n, (len(records), n)
one_record_per_line(path, n)
" "$1"
}

# --- invalid UTF-8: each bad line gets its own error record with the byte offset, the good lines around it are
# classified. The offsets are those of Python's UnicodeDecodeError.start (docs/model-format.md).
bytes "$WORK/utf8.txt" "b''.join(l + b'\n' for l in [
    b'good film',
    b'\xc0\xaf',                  # overlong 2-byte form of /
    b'ab\xe0\x80\xaf',            # overlong 3-byte form
    b'\xf0\x80\x80\xaf',          # overlong 4-byte form
    b'good \x80 film',            # lone continuation byte
    b'\xbf\xbf',                  # continuation bytes only
    b'\xed\xa0\x80',              # UTF-16 surrogate U+D800
    b'x\xed\xbf\xbfy',            # surrogate U+DFFF
    b'film \xe2\x82',             # truncated at the end of the line
    b'\xe2\x82good',              # truncated by an ASCII byte
    b'\xf0\x9f\x98',              # truncated 4-byte sequence
    b'\xf4\x90\x80\x80',          # above U+10FFFF
    b'\xff\xfe',                  # bytes no sequence starts with
    b'caf\xc3\xa9 \xe2\x82\xac',  # valid: cafe with an accent, the euro sign
    b'bad',
])"
classify -i "$WORK/utf8.txt"
expect_code "invalid UTF-8 lines exit 5" 5
check "invalid UTF-8: one record per line" records_match "$WORK/utf8.txt"
check "invalid UTF-8: exact error records" py "$PRELUDE
p = sys.argv[2]
expected = {
    2: 'invalid UTF-8 at byte 0: overlong encoding (lead byte 0xC0)',
    3: 'invalid UTF-8 at byte 2: overlong encoding (bytes 0xE0 0x80)',
    4: 'invalid UTF-8 at byte 0: overlong encoding (bytes 0xF0 0x80)',
    5: 'invalid UTF-8 at byte 5: unexpected continuation byte 0x80',
    6: 'invalid UTF-8 at byte 0: unexpected continuation byte 0xBF',
    7: 'invalid UTF-8 at byte 0: surrogate code point (U+D800..U+DFFF) (bytes 0xED 0xA0)',
    8: 'invalid UTF-8 at byte 1: surrogate code point (U+D800..U+DFFF) (bytes 0xED 0xBF)',
    9: 'invalid UTF-8 at byte 5: truncated sequence at end of text (2 of 3 bytes)',
    10: 'invalid UTF-8 at byte 0: truncated sequence (byte 0x67 at 2 is not a continuation byte)',
    11: 'invalid UTF-8 at byte 0: truncated sequence at end of text (3 of 4 bytes)',
    12: 'invalid UTF-8 at byte 0: code point above U+10FFFF (bytes 0xF4 0x90)',
    13: 'invalid UTF-8 at byte 0: invalid byte 0xFF',
}
lines = input_lines(p)
for r in records:
    n = r['line']
    if n in expected:
        assert r.get('error') == p + ':' + str(n) + ': ' + expected[n], r
        # the offset is Python's
        try:
            lines[n - 1].decode('utf-8')
            assert False, n
        except UnicodeDecodeError as e:
            assert ('at byte %d:' % e.start) in r['error'], (r, e.start)
    else:
        assert 'label' in r, r
" "$WORK/utf8.txt"

# The same bytes on stdin, one line per batch, four threads: order and count do not depend on the batching.
"$ATTN" --model "$TINY" classify --format jsonl --batch-size 1 --threads 4 <"$WORK/utf8.txt" >"$WORK/out" 2>"$WORK/err"
code=$?
expect_code "invalid UTF-8 on stdin exits 5" 5
check "invalid UTF-8 on stdin: one record per line" py "$PRELUDE
one_record_per_line('-', 15)
assert sum('error' in r for r in records) == 12
"

# --- NUL bytes: U+0000 is dropped like any control character, so "go\0od" is "good"; a line of NULs alone has
# no tokens. Nothing cuts the line at the NUL.
bytes "$WORK/nul.txt" "b'go\x00od film\n\x00\x00\x00\n\x00good film\x00\ngood film\nbad\x00\x00\x00\n'"
classify -i "$WORK/nul.txt"
expect_code "NUL lines exit 5" 5
check "NUL: one record per line" records_match "$WORK/nul.txt"
check "NUL: dropped, not a line end" py "$PRELUDE
r = records
assert r[1]['error'].endswith(':2: no tokens: the text is empty or holds only white space and characters the tokenizer drops'), r[1]
for i in (0, 2):
    same(dict(r[i], line=4), r[3])
assert 'label' in r[4]
"

# --- a UTF-8 byte order mark: U+FEFF is a format character (Cf), which the tokenizer drops, so the first line
# of a file that starts with one is classified exactly as without it (and so is a BOM inside a word).
bytes "$WORK/bom.txt" "b'\xef\xbb\xbfgood film\nbad\nfi\xef\xbb\xbflm\n'"
bytes "$WORK/nobom.txt" "b'good film\nbad\nfilm\n'"
classify -i "$WORK/bom.txt" -i "$WORK/nobom.txt"
expect_code "BOM file exits 0" 0
check "BOM: classified as without it" py "$PRELUDE
a = one_record_per_line(sys.argv[2], 3)
b = one_record_per_line(sys.argv[3], 3)
for x, y in zip(a, b):
    same(x, y)
" "$WORK/bom.txt" "$WORK/nobom.txt"
"$ATTN" --model "$TINY" classify "$(printf '\xef\xbb\xbf')" >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "a BOM alone is a line with no tokens" 5

# --- CRLF: the CR of a CRLF ending belongs to the ending; a line of CR alone is empty; a CR inside a line is
# white space. The results equal those of the same text with LF endings.
bytes "$WORK/crlf.txt" "b'good film\r\nbad\r\n\r\ngood\rbad\r\nfilm\r'"
bytes "$WORK/lf.txt" "b'good film\nbad\n\ngood bad\nfilm'"
classify -i "$WORK/crlf.txt" -i "$WORK/lf.txt"
expect_code "CRLF exits 5 (one empty line)" 5
check "CRLF: same records as LF" py "$PRELUDE
a = one_record_per_line(sys.argv[2], 5)
b = one_record_per_line(sys.argv[3], 5)
assert a[2]['error'] == sys.argv[2] + ':3: empty line', a[2]
for x, y in zip(a, b):
    if 'error' in x:
        assert x['error'].replace(sys.argv[2], sys.argv[3]) == y['error']
    else:
        same(x, y)
" "$WORK/crlf.txt" "$WORK/lf.txt"

# --- no final newline, and files of nothing
printf 'good film\nbad' >"$WORK/nonl.txt"
classify -i "$WORK/nonl.txt"
expect_code "no final newline exits 0" 0
check "no final newline: the last line is a record" py "$PRELUDE
r = one_record_per_line(sys.argv[2], 2)
assert 'label' in r[0] and 'label' in r[1], r
" "$WORK/nonl.txt"
: >"$WORK/empty.txt"
classify -i "$WORK/empty.txt"
expect_code "empty file exits 0" 0
check "empty file: zero records" test ! -s "$WORK/out"
"$ATTN" --model "$TINY" classify --format json -i "$WORK/empty.txt" >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "empty file, json, exits 0" 0
check "empty file, json: an empty array" py "import json, sys; assert json.load(open(sys.argv[1])) == []"
if [ -c /dev/null ]; then
  classify -i /dev/null -i "$WORK/nonl.txt"
  expect_code "/dev/null then a file exits 0" 0
  check "/dev/null gives nothing, the next file its records" records_match "$WORK/nonl.txt"
else
  skip "/dev/null as input: /dev/null is not a character device on this machine ($(stat -c %F /dev/null))"
fi
printf '\n\n\n' >"$WORK/newlines.txt"
classify -i "$WORK/newlines.txt"
expect_code "three empty lines exit 5" 5
check "three empty lines: three error records" py "$PRELUDE
r = one_record_per_line(sys.argv[2], 3)
assert all(x['error'].endswith(': empty line') for x in r)
" "$WORK/newlines.txt"

# --- binary garbage: 100,000 bytes from a seeded generator. Every line must give one record; a line Python
# cannot decode must be an error at Python's offset; a line it decodes must be classified or have no tokens.
"$PY" -c "
import random, sys
rng = random.Random(20240601)
sys.stdout.buffer.write(bytes(rng.getrandbits(8) for _ in range(100000)))
" >"$WORK/garbage.bin"
classify -i "$WORK/garbage.bin"
expect_code "binary garbage exits 5" 5
check "binary garbage: one record per line, each error explained" py "$PRELUDE
p = sys.argv[2]
lines = input_lines(p)
r = one_record_per_line(p, len(lines))
assert len(r) == len(records) > 300, len(records)
for line, rec in zip(lines, r):
    prefix = p + ':' + str(rec['line']) + ': '
    if not line:
        assert rec['error'] == prefix + 'empty line', rec
        continue
    try:
        line.decode('utf-8')
    except UnicodeDecodeError as e:
        assert rec.get('error', '').startswith(prefix + 'invalid UTF-8 at byte %d: ' % e.start), (rec, e.start, line[:40])
        continue
    assert 'label' in rec or rec['error'].startswith(prefix + 'no tokens'), rec
print('garbage: %d lines, %d errors' % (len(r), sum('error' in x for x in r)))
" "$WORK/garbage.bin"
"$ATTN" --model "$TINY" classify --format tsv -i "$WORK/garbage.bin" >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "binary garbage as tsv exits 5" 5
check "binary garbage as tsv: a header and one row of 9 fields per line" "$PY" -c "
import sys
rows = open(sys.argv[1], 'rb').read().split(b'\n')
assert rows[-1] == b''
rows = rows[1:-1]
data = open(sys.argv[2], 'rb').read().split(b'\n')
n = len(data) - (1 if data[-1] == b'' else 0)
assert len(rows) == n, (len(rows), n)
for i, row in enumerate(rows, 1):
    f = row.split(b'\t')
    assert len(f) == 9 and f[1] == str(i).encode(), row
" "$WORK/out" "$WORK/garbage.bin"

# --- valid but hostile text: 20,000 random code points (controls, marks, CJK, BOMs, separators, private use,
# astral planes, no surrogates), a newline about every 40. Every line is classified or has no tokens.
"$PY" -c "
import random, sys
rng = random.Random(7)
pools = [(0x00, 0x7F), (0x80, 0x24F), (0x300, 0x36F), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x9FFF),
         (0xE000, 0xF8FF), (0xFE00, 0xFFFF), (0x10000, 0x10FFFF)]
out = []
for _ in range(20000):
    if rng.random() < 0.025:
        out.append('\\n')
        continue
    lo, hi = rng.choice(pools)
    cp = rng.randint(lo, hi)
    if 0xD800 <= cp <= 0xDFFF or cp == 0x0A:
        cp = 0x20
    out.append(chr(cp))
sys.stdout.buffer.write(''.join(out).encode('utf-8'))
" >"$WORK/unicode.txt"
classify -i "$WORK/unicode.txt"
check "random valid UTF-8: exit 0 or 5" test "$code" -eq 0 -o "$code" -eq 5
check "random valid UTF-8: one record per line, none invalid" py "$PRELUDE
p = sys.argv[2]
lines = input_lines(p)
r = one_record_per_line(p, len(lines))
assert len(lines) > 400, len(lines)
for rec in r:
    assert 'label' in rec or ': empty line' in rec['error'] or ': no tokens' in rec['error'], rec
print('unicode: %d lines, %d classified' % (len(r), sum('label' in x for x in r)))
" "$WORK/unicode.txt"

# --- a directory and an unreadable file among the inputs: one error record each (line 0), exit 4, and the
# files after them are still read.
mkdir "$WORK/adir"
classify -i "$WORK/nonl.txt" -i "$WORK/adir" -i "$WORK/nobom.txt"
expect_code "a directory among the inputs exits 4" 4
check "a directory: one error record, the next file read" py "$PRELUDE
d = sys.argv[2]
assert [(r['source'], r['line']) for r in records] == [(sys.argv[3], 1), (sys.argv[3], 2), (d, 0), (sys.argv[4], 1), (sys.argv[4], 2), (sys.argv[4], 3)], records
assert records[2]['error'] == d + ': is a directory', records[2]
" "$WORK/adir" "$WORK/nonl.txt" "$WORK/nobom.txt"
printf 'good\n' >"$WORK/locked.txt"
chmod 000 "$WORK/locked.txt"
if cat "$WORK/locked.txt" >/dev/null 2>&1; then
  skip "unreadable file: running as $(id -un), who can read a file with mode 000"
else
  classify -i "$WORK/locked.txt" -i "$WORK/nonl.txt"
  expect_code "an unreadable file exits 4" 4
  check "an unreadable file: one error record, the next file read" py "$PRELUDE
assert records[0] == {'source': sys.argv[2], 'line': 0, 'error': sys.argv[2] + ': cannot open (Permission denied)'}, records[0]
one_record_per_line(sys.argv[3], 2)
" "$WORK/locked.txt" "$WORK/nonl.txt"
fi

# --- long lines: a 50 MB line is one record, truncated to the model's 12 tokens, and the lines after it are
# classified; the reader never holds more than the line, so peak memory stays far below 400 MB.
"$PY" -c "
import sys
out = sys.stdout.buffer
out.write(b'good film\n')
out.write(b'good film ' * 5000000 + b'\n')  # 50 MB
out.write(b'bad\n')
" >"$WORK/long.txt"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f '%M' -o "$WORK/rss" "$ATTN" --model "$TINY" classify --format jsonl -i "$WORK/long.txt" \
    >"$WORK/out" 2>"$WORK/err"
  code=$?
else
  classify -i "$WORK/long.txt"
fi
expect_code "50 MB line exits 0" 0
check "50 MB line: one truncated record among three" py "$PRELUDE
r = one_record_per_line(sys.argv[2], 3)
assert r[1]['truncated'] is True and r[1]['tokens'] == 12, r[1]
assert r[1]['tokens_before_truncation'] == 5000000 * r[0]['tokens'], (r[0], r[1])
assert 'label' in r[2]
" "$WORK/long.txt"
if [ ! -x /usr/bin/time ]; then
  skip "50 MB line peak memory: /usr/bin/time is not installed"
elif [ "$BUILD_KIND" = sanitized ]; then
  skip "50 MB line peak memory: a sanitizer build ($(cat "$WORK/rss") KB)"
else
  rss_kb=$(cat "$WORK/rss")
  echo "50 MB line: peak RSS $((rss_kb / 1024)) MB"
  check "50 MB line: peak RSS $((rss_kb / 1024)) MB under 400 MB" test "$rss_kb" -lt 409600
fi
# Many long lines: a batch ends at 1 MiB of text as well as at --batch-size lines, so 32 lines of 3 MB use about
# the memory of one (32 such lines in one batch held over 300 MB).
"$PY" -c "import sys; sys.stdout.buffer.write(b'good film ' * 300000 + b'\n')" >"$WORK/long1.txt"
for _ in $(seq 32); do cat "$WORK/long1.txt"; done >"$WORK/long32.txt"
if [ "$BUILD_KIND" = sanitized ]; then
  skip "32 long lines: a sanitizer build, where memory is not the program's own"
elif [ ! -x /usr/bin/time ]; then
  skip "32 long lines: /usr/bin/time is not installed"
else
  /usr/bin/time -f '%M' -o "$WORK/rss1" "$ATTN" --model "$TINY" classify --threads 2 -i "$WORK/long1.txt" \
    >"$WORK/out" 2>"$WORK/err"
  /usr/bin/time -f '%M' -o "$WORK/rss32" "$ATTN" --model "$TINY" classify --threads 2 --format jsonl \
    -i "$WORK/long32.txt" >"$WORK/out" 2>"$WORK/err"
  code=$?
  expect_code "32 long lines exit 0" 0
  check "32 long lines: 32 truncated records" py "$PRELUDE
r = one_record_per_line(sys.argv[2], 32)
assert all(x['truncated'] for x in r)
" "$WORK/long32.txt"
  rss1=$(cat "$WORK/rss1") rss32=$(cat "$WORK/rss32")
  echo "3 MB lines: peak RSS $((rss1 / 1024)) MB for one, $((rss32 / 1024)) MB for 32"
  check "32 long lines: peak RSS $((rss32 / 1024)) MB within 100 MB of one line's $((rss1 / 1024)) MB" \
    test "$rss32" -lt $((rss1 + 102400))
fi

# A single word of 10 MB: longer than max_word_chars, so one unknown token.
"$PY" -c "import sys; sys.stdout.buffer.write(b'a' * 10000000 + b'\ngood\n')" >"$WORK/word.txt"
classify -i "$WORK/word.txt"
expect_code "10 MB word exits 0" 0
check "10 MB word: one [UNK] token" py "$PRELUDE
r = one_record_per_line(sys.argv[2], 2)
assert r[0]['tokens'] == 1 and r[0]['truncated'] is False, r[0]
" "$WORK/word.txt"

# --- outputs that are not regular files: -o and --attention write into a FIFO or a device in place, as a shell
# redirection would, and into the file a symbolic link names; renaming a temporary file over them would replace
# the FIFO, the device node (as root, `-o /dev/null` made /dev/null a regular file) or the link itself.
printf 'good\nbad\n' >"$WORK/two.txt"
mkfifo "$WORK/out.fifo"
timeout 30 cat "$WORK/out.fifo" >"$WORK/fifo.jsonl" &
reader=$!
timeout 30 "$ATTN" --model "$TINY" classify --format jsonl -i "$WORK/two.txt" -o "$WORK/out.fifo" >"$WORK/out" 2>"$WORK/err"
code=$?
wait "$reader"
expect_code "-o FIFO exits 0" 0
check "-o FIFO: the records came through the FIFO" test "$(wc -l <"$WORK/fifo.jsonl")" -eq 2
check "-o FIFO: still a FIFO" test -p "$WORK/out.fifo"
check "-o FIFO: no temporary file left" test -z "$(ls "$WORK" | grep tmp-)"
if mknod "$WORK/null" c 1 3 2>/dev/null && [ -c "$WORK/null" ]; then
  classify -i "$WORK/two.txt" -o "$WORK/null" --attention "$WORK/null"
  expect_code "-o and --attention to a copy of /dev/null exit 0" 0
  check "-o and --attention to a copy of /dev/null: still a character device" test -c "$WORK/null"
else
  skip "-o to a device: cannot make a device node here (needs root and a filesystem without nodev)"
fi
echo 'previous' >"$WORK/real.jsonl"
ln -s real.jsonl "$WORK/link.jsonl"
classify -i "$WORK/two.txt" -o "$WORK/link.jsonl"
expect_code "-o symbolic link exits 0" 0
check "-o symbolic link: still a link" test -L "$WORK/link.jsonl"
check "-o symbolic link: the file it names holds the records" test "$(wc -l <"$WORK/real.jsonl")" -eq 2

finish "bad-input"
