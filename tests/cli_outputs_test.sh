#!/usr/bin/env bash
# Output files (-o, --attention, --html) never lose a file the shell's `>` would have kept: /dev/stdout,
# /dev/stderr and /dev/fd/N write to the descriptor where it stands; a file the user may not write is refused;
# an output that is another output, the model or an input is refused; hard links, dangling links and link loops
# are treated as the shell treats them; descriptors 0, 1 and 2 closed at start do not mix outputs.
# Usage: cli_outputs_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
export ATTN_CACHE_DIR=""
D=$WORK/d
mkdir "$D"
printf 'good\nbad\n' >"$D/in.txt"
no_temp_files() { test -z "$(ls -a "$D" | grep tmp-)"; }
same() { cmp -s "$1" "$2"; }

# --- /dev/stdout, /dev/stderr, /dev/fd/N on a regular file: what the shell wrote before and after stays
{ echo header; "$ATTN" --model "$TINY" classify -i "$D/in.txt" -o /dev/stdout; echo footer; } >"$D/log.txt" 2>"$WORK/err"
check "-o /dev/stdout keeps the header" test "$(head -1 "$D/log.txt")" = header
check "-o /dev/stdout keeps the footer" test "$(tail -1 "$D/log.txt")" = footer
check "-o /dev/stdout writes the records between" test "$(wc -l <"$D/log.txt")" -eq 4
echo "earlier entry" >"$D/app.log"
"$ATTN" --model "$TINY" classify -i "$D/in.txt" -o /dev/stderr 2>>"$D/app.log" >/dev/null
check "-o /dev/stderr 2>>log keeps the log" test "$(head -1 "$D/app.log")" = "earlier entry"
check "-o /dev/stderr appends the records" test "$(wc -l <"$D/app.log")" -eq 3
echo first >"$D/fd.log"
"$ATTN" --model "$TINY" classify -i "$D/in.txt" -o /dev/fd/3 3>>"$D/fd.log"
check "-o /dev/fd/3 3>>file appends" test "$(head -1 "$D/fd.log")" = first -a "$(wc -l <"$D/fd.log")" -eq 3
{ echo header; "$ATTN" --model "$TINY" classify good --attention /dev/stdout -o /dev/null; } >"$D/att.log"
check "--attention /dev/stdout keeps the header" test "$(head -1 "$D/att.log")" = header
check "--attention /dev/stdout writes the dump after it" "$PY" -c "
import json, sys; json.loads(open(sys.argv[1]).read().split('\n', 1)[1])" "$D/att.log"
{ echo header; "$ATTN" --model "$TINY" explain good --html /dev/fd/3 3>&1 >/dev/null; } >"$D/html.log"
check "--html /dev/fd/3 keeps the header" test "$(head -1 "$D/html.log")" = header
check "--html /dev/fd/3 writes the page" grep -q "</html>" "$D/html.log"
check "no temporary files beside the logs" no_temp_files

# --- a file the user may not write is refused, as by the shell's `>` (checked as an ordinary user)
chmod 0777 "$D"
echo "read-only" >"$D/ro.txt"
chmod 0444 "$D/ro.txt"
unprivileged "$ATTN" --model "$TINY" classify good -o "$D/ro.txt" >"$WORK/out" 2>"$WORK/err"; code=$?
if [ "$code" -eq 77 ]; then
  skip_unprivileged "a read-only output file"
else
  expect_code "read-only output exits 4" 4; expect_err "says why" "ro.txt: cannot open for writing (Permission denied)"
  check "read-only output is left as it was" test "$(cat "$D/ro.txt")" = "read-only"
  check "no temporary file beside the read-only file" no_temp_files
fi
chmod 0755 "$D"

# --- an output that is another output, the model or an input
cp "$TINY" "$D/model.json"
cp "$D/in.txt" "$D/in.copy"
run_attn --model "$D/model.json" classify good -o "$D/both.json" --attention "$D/both.json"
expect_code "-o X --attention X exits 2" 2; expect_err "names both" "--attention: $D/both.json is the same file as --output"
check "-o X --attention X writes nothing" test ! -e "$D/both.json"
run_attn --model "$D/model.json" classify good -o "$D/model.json"
expect_code "-o the model exits 2" 2; expect_err "says it is the model" "is the same file as the model"
check "the model is unchanged" same "$D/model.json" "$TINY"
run_attn --model "$D/model.json" classify -i "$D/in.txt" -o "$D/in.txt"
expect_code "-o an input exits 2" 2; expect_err "says it is an input" "is the same file as -i"
check "the input is unchanged" same "$D/in.txt" "$D/in.copy"
ln -s in.txt "$D/in.link"
run_attn --model "$D/model.json" classify -i "$D/in.txt" --attention "$D/in.link"
expect_code "--attention through a link to an input exits 2" 2
check "the input is still unchanged" same "$D/in.txt" "$D/in.copy"
ln "$D/model.json" "$D/model.hardlink"
run_attn --model "$D/model.json" explain good --html "$D/model.hardlink"
expect_code "--html onto a hard link of the model exits 2" 2
check "the model is still unchanged" same "$D/model.json" "$TINY"
"$ATTN" --model "$D/model.json" classify good -o /dev/stdout >>"$D/model.json" 2>"$WORK/err"; code=$?
expect_code "-o /dev/stdout redirected onto the model exits 2" 2
check "the model is unchanged again" same "$D/model.json" "$TINY"

# --- hard links, dangling links, link loops
echo old >"$D/hard1"
ln "$D/hard1" "$D/hard2"
run_attn --model "$TINY" classify good -o "$D/hard1"
expect_code "-o a hard-linked file" 0
check "every name of a hard-linked file sees the records" test "$(cat "$D/hard2")" = "$(cat "$D/hard1")" -a "$(wc -l <"$D/hard2")" -eq 1
check "the hard link is kept" test "$(stat -c %h "$D/hard1")" -eq 2 -a "$(stat -c %i "$D/hard1")" = "$(stat -c %i "$D/hard2")"
ln -s dangling-target.txt "$D/dangling"
run_attn --model "$TINY" classify good -o "$D/dangling"
expect_code "-o a dangling link" 0
check "a dangling link stays a link" test -L "$D/dangling"
check "the file it names is created" test "$(wc -l <"$D/dangling-target.txt")" -eq 1
ln -s loop-b "$D/loop-a"
ln -s loop-a "$D/loop-b"
run_attn --model "$TINY" classify good -o "$D/loop-a"
expect_code "-o a link loop exits 4" 4; expect_err "says why" "loop-a: cannot open for writing (Too many levels of symbolic links)"
check "a link loop stays a link" test -L "$D/loop-a" -a -L "$D/loop-b"
check "no temporary files left" no_temp_files

# --- descriptors 0, 1 and 2 closed at start: outputs do not take their numbers
"$ATTN" --model "$TINY" classify good --attention "$D/closed1.json" >&- 2>"$WORK/err"; code=$?
expect_code "stdout closed exits 4" 4; expect_err "says stdout" "stdout: write failed"
check "no dump holding the records" test ! -e "$D/closed1.json"
seq 1 300 | sed 's/$/ good/' >"$D/many.txt"
"$ATTN" --model "$TINY" classify -i "$D/many.txt" -f jsonl -o "$D/closed2.jsonl" --progress always 2>&-; code=$?
expect_code "stderr closed" 0
check "no progress lines inside the output file" "$PY" -c "
import json, sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
assert lines[-1] == b'' and len(lines) == 301, len(lines)
for l in lines[:-1]: json.loads(l)" "$D/closed2.jsonl"
"$ATTN" --model "$TINY" classify -f jsonl -o "$D/closed0.jsonl" <&- >"$WORK/out" 2>"$WORK/err"; code=$?
expect_code "stdin closed exits 4" 4
check "stdin closed: an error record, no records read from an output" grep -qF -- '"error":"-: read error' "$D/closed0.jsonl"

finish "cli_outputs"
