#!/usr/bin/env bash
# attn explain: plain output when piped, shaded tokens on a terminal (through `script`, which gives the command a
# pseudo-terminal) unless NO_COLOR, --color, stdin, long texts, the --html file, and errors.
# Usage: cli_explain_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
ESC=$(printf '\033')

# --- piped: the label line, then "token  importance" per token, no escape sequences
run_attn --model "$TINY" explain "The movie was great fun!"
expect_code "explain" 0
check "plain output: label line, one line per token, importances sum to 1" py "
import sys
lines = open(sys.argv[1]).read().splitlines()
label = lines[0].split()
assert len(label) == 6 and set(label[0::2]) == {'neg', 'neu', 'pos'}, lines[0]
rows = [l.split() for l in lines[1:]]
assert [r[0] for r in rows] == ['the', 'movie', 'was', 'great', 'fun', '!'], rows
assert abs(sum(float(r[1]) for r in rows) - 1) < 0.01, rows
"
check "no escape sequences when piped" test -z "$(grep -F "$ESC" "$WORK/out")"
run_attn --model "$TINY" classify "The movie was great fun!"
label_line=$(head -1 "$WORK/out")
run_attn --model "$TINY" explain "The movie was great fun!"
check "the label line is classify's" test "$(head -1 "$WORK/out")" = "$label_line"

# --- --color always: 256 colours, or 24-bit with COLORTERM=truecolor
run_attn --model "$TINY" explain --color always "The movie was great fun!"
expect_code "color always" 0
check "256-colour backgrounds" grep -qF "${ESC}[38;5;16;48;5;" "$WORK/out"
check "a legend" grep -q "importance (attention rollout): low" "$WORK/out"
check "colours are reset" grep -qF "${ESC}[0m" "$WORK/out"
COLORTERM=truecolor "$ATTN" --model "$TINY" explain --color always "The movie was great fun!" >"$WORK/out" 2>"$WORK/err"
check "truecolor backgrounds" grep -qF "${ESC}[38;2;0;0;0;48;2;" "$WORK/out"
NO_COLOR=1 "$ATTN" --model "$TINY" explain --color always "good" >"$WORK/out" 2>"$WORK/err"
check "--color always beats NO_COLOR" grep -qF "$ESC" "$WORK/out"
run_attn --model "$TINY" explain --color sometimes good
expect_code "bad --color exits 2" 2; expect_err "names the value" "sometimes"

# --- on a terminal: shaded unless NO_COLOR is set (or --color never)
if command -v script >/dev/null; then
  on_tty() { script -qec "$1" /dev/null >"$WORK/out" 2>&1 </dev/null; }
  on_tty "'$ATTN' --model '$TINY' explain 'The movie was great fun!'"
  check "shaded on a terminal" grep -qF "${ESC}[38;5;16;48;5;" "$WORK/out"
  on_tty "env NO_COLOR=1 '$ATTN' --model '$TINY' explain 'The movie was great fun!'"
  check "NO_COLOR on a terminal: plain" test -z "$(grep -F "$ESC" "$WORK/out")"
  check "NO_COLOR on a terminal: numbers" grep -qE '^movie +0\.[0-9]{3}' "$WORK/out"
  on_tty "'$ATTN' --model '$TINY' explain --color never 'The movie was great fun!'"
  check "--color never on a terminal: plain" test -z "$(grep -F "$ESC" "$WORK/out")"
  on_tty "env TERM=dumb '$ATTN' --model '$TINY' explain 'The movie was great fun!'"
  check "TERM=dumb: plain" test -z "$(grep -F "$ESC" "$WORK/out")"
else
  echo "note: script(1) is missing; the terminal cases were not run"
fi

# --- WordPiece continuations are joined when shaded
run_attn --model "$TINY" explain --color always "dancing cafés"
check "continuations joined to their word" py "
import re, sys
text = re.sub(r'\x1b\[[0-9;]*m', '', open(sys.argv[1]).read())
assert '##' not in text.splitlines()[2] and 'cafes' in text.splitlines()[2], text
"

# --- stdin, long texts, errors
printf 'The movie was great fun!\n' | "$ATTN" --model "$TINY" explain - >"$WORK/out" 2>"$WORK/err"
check "explain - reads stdin" test "$(head -1 "$WORK/out")" = "$label_line"
long=$(printf 'the movie was good but far too long %.0s' $(seq 1 8))
run_attn --model "$TINY" explain "$long"
expect_code "long text" 0; expect_out "long text note" "(truncated: first 12 of 64 tokens)"
check "12 token lines" test "$(wc -l <"$WORK/out")" -eq 13
run_attn --model "$TINY" explain --long-text window "$long"
expect_code "long text in windows" 0; expect_out "windows note" "(64 tokens in 10 windows)"
check "64 token lines, importances summing to 1" py "
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
assert len(rows) == 64 and abs(sum(float(r[1]) for r in rows) - 1) < 0.02, len(rows)
"
run_attn --model "$TINY" explain ""
expect_code "empty text exits 5" 5; expect_err "says why" "no tokens"
run_attn --model "$TINY" explain "$(printf 'bad \xff')"
expect_code "invalid UTF-8 exits 5" 5; expect_err "gives the byte" "invalid UTF-8 at byte 4"
run_attn --model "$TINY" explain
expect_code "no text exits 2" 2; expect_err "asks for the text" "text is required"
run_attn --model "$TINY" explain --stride 4 good
expect_code "--stride without window exits 2" 2; expect_err "explains" "--stride: needs --long-text window"

# --- --html: written whole, with the usual mode; an unwritable place exits 4 and leaves nothing
(umask 022 && "$ATTN" --model "$TINY" explain --html "$WORK/r.html" "good" >/dev/null 2>"$WORK/err")
check "report written" test -s "$WORK/r.html"
check "report mode 644 under umask 022" test "$(stat -c %a "$WORK/r.html")" = 644
check "report is one self-contained page" py "
import re, sys
page = open(sys.argv[1].replace('out', 'r.html')).read()
assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
assert '<style>' in page and '<script>' in page and 'id=\"attn-data\"' in page
assert not re.search(r'<(link|img|iframe)|src=|@import|url\(', page), 'an external resource'
"
run_attn --model "$TINY" explain --html "$WORK/nodir/r.html" good
expect_code "unwritable report exits 4" 4; expect_err "names the file" "nodir/r.html"
check "no temporary files left" test -z "$(ls "$WORK" | grep tmp-)"

finish "cli_explain"
