#!/usr/bin/env bash
# Unix manners: --help with examples for every subcommand, --version, info --format json, the progress line (on a
# pseudo-terminal through script(1), forced, silent otherwise), bash completion and the man page covering every
# option of every --help, and `cmake --install` putting the binary, models, man page and completion in place.
# Usage: cli_manners_test.sh path/to/attn path/to/source-tree path/to/build-tree
source "$(dirname "$0")/harness.sh"
BUILD=${3:-}
subcommands=$("$ATTN" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')

# --- help, version, info
run_attn --help; expect_code "--help" 0; expect_out "--help has examples" "Examples:"
check "subcommands listed" test -n "$subcommands"
for sub in $subcommands; do
  run_attn "$sub" --help
  expect_code "$sub --help" 0; expect_out "$sub --help has examples" "Examples:"; expect_out "$sub --help has exit codes" "Exit codes:"
done
version=$(sed -n 's/^project(attn VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
run_attn --version; expect_code "--version" 0
check "--version says attn $version" test "$(cat "$WORK/out")" = "attn $version"
run_attn --model "$TINY" info --format json; expect_code "info --format json" 0
check "info json is one object with the model's facts" "$PY" -c '
import json, sys
i = json.load(open(sys.argv[1]))
for key in ("format_version", "parameters", "max_length", "num_layers", "num_heads", "labels", "pooling"):
    assert key in i, key
' "$WORK/out"

# --- the progress line
seq 1 200000 | sed 's/$/ good movie/' >"$WORK/lines.txt"
run_attn --model "$TINY" classify -i "$WORK/lines.txt" -o /dev/null -t 1
expect_code "classify a file" 0
check "no progress when stderr is not a terminal" test ! -s "$WORK/err"
head -3000 "$WORK/lines.txt" >"$WORK/some.txt"
run_attn --model "$TINY" classify -i "$WORK/some.txt" -o /dev/null --progress always
check "--progress always: percentage, rate and ETA for a file" grep -qE '[0-9]+% \[=*>? *\] .* lines/s  ETA [0-9]+:[0-9]{2}' "$WORK/err"
check "--progress always: a final line with the count" grep -qF "3000 lines in 0:" "$WORK/err"
check "--progress always: redrawn in place" grep -qF $'\r' "$WORK/err"
check "the records are not disturbed" test ! -s "$WORK/out"
"$ATTN" --model "$TINY" classify -o /dev/null --progress always <"$WORK/some.txt" 2>"$WORK/err"
check "a file redirected to stdin still has a percentage" grep -qE '[0-9]+% \[' "$WORK/err"
cat "$WORK/some.txt" | "$ATTN" --model "$TINY" classify -o /dev/null --progress always 2>"$WORK/err"
check "a pipe: count and rate, no percentage" grep -qE 'lines +[0-9.]+k? lines/s +[0-9]+:[0-9]{2} elapsed' "$WORK/err"
check "a pipe: no percentage" test -z "$(grep -E '[0-9]+%' "$WORK/err")"
run_attn --model "$TINY" classify -i "$WORK/some.txt" -o /dev/null --progress never; check "--progress never" test ! -s "$WORK/err"
run_attn --model "$TINY" classify -i "$WORK/some.txt" --progress sometimes; expect_code "bad --progress exits 2" 2
if command -v script >/dev/null; then
  # On a terminal (script gives the command one), a run longer than half a second shows the line unasked; a
  # million lines keep the tiny model busy for seconds even on a fast machine.
  seq 1 1000000 | sed 's/$/ good movie/' >"$WORK/long-run.txt"
  script -qec "'$ATTN' --model '$TINY' classify -i '$WORK/long-run.txt' -o /dev/null -t 1" /dev/null </dev/null >"$WORK/tty.log" 2>&1
  check "progress on a terminal" grep -qE '[0-9]+% \[.*lines/s  ETA' "$WORK/tty.log"
  script -qec "'$ATTN' --model '$TINY' classify -i '$WORK/long-run.txt' -t 1 | cat >/dev/null" /dev/null </dev/null >"$WORK/tty.log" 2>&1
  check "progress on a terminal when the records go to a pipe" grep -qE '[0-9]+% \[.*lines/s  ETA' "$WORK/tty.log"
  script -qec "'$ATTN' --model '$TINY' classify -i '$WORK/lines.txt' -o /dev/null -t 1 --progress never" /dev/null </dev/null >"$WORK/tty.log" 2>&1
  check "--progress never on a terminal" test -z "$(grep -F 'lines/s' "$WORK/tty.log")"
  script -qec "'$ATTN' --model '$TINY' classify -i '$WORK/lines.txt' -t 1 -k 1" /dev/null </dev/null >"$WORK/tty.log" 2>&1
  check "no meter cut into records shown on the same terminal" \
    test "$(grep -c '^pos\|^neg\|^neu' "$WORK/tty.log")-$(grep -c 'lines/s' "$WORK/tty.log")" = "200000-0"
  # Texts typed at the terminal: each answer is the progress; no meter.
  (sleep 1; printf 'good\n'; sleep 1; printf '\004') | timeout 30 script -qec "'$ATTN' --model '$TINY' classify" /dev/null >"$WORK/tty.log" 2>&1
  check "typed input: the prompt, an answer, no meter" \
    test "$(grep -c 'reading one text per line from the terminal' "$WORK/tty.log")-$(grep -c 'lines/s' "$WORK/tty.log")" = "1-0"
else
  echo "note: script(1) is missing; the terminal cases were not run"
fi

# --- every long option of every --help is in the completion script and the man page
"$ATTN" --help >"$WORK/help-global"
for sub in $subcommands; do "$ATTN" "$sub" --help >"$WORK/help-$sub"; done
long_options() { grep -oE '(^|[ ,])--[a-z][a-z-]*' "$1" | sed 's/^[ ,]//' | sort -u; }
COMPLETION=$ROOT/completions/attn.bash
MAN=$ROOT/docs/attn.1
for sub in global $subcommands; do
  options=$(bash -c "source '$COMPLETION'; _attn_options '$( [ "$sub" = global ] || echo "$sub")'")
  for option in $(sed -n '/^Options:/,/^$/p' "$WORK/help-$sub" | long_options /dev/stdin); do
    check "completion of $sub offers $option" grep -qw -- "$option" <<<"$options"
    check "the man page describes $sub $option" grep -qF -- "$(sed 's/-/\\-/g' <<<"$option")" "$MAN"
  done
done
complete_words() { bash -c "source '$COMPLETION'; COMP_WORDS=($*); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _attn; echo \"\${COMPREPLY[*]}\""; }
check "completion: every subcommand" test "$(complete_words attn '""' | tr ' ' '\n' | sort)" = "$(sort <<<"$subcommands")"
check "completion: --long-text values" test "$(complete_words attn classify --long-text '""')" = "keep-start keep-end keep-ends window"
check "completion: --color values" test "$(complete_words attn explain --color '""')" = "auto always never"
check "completion: classify formats" test "$(complete_words attn classify -f '""')" = "text json jsonl tsv"
check "completion: options by prefix" test "$(complete_words attn --model x.json classify --head)" = "--heads --head-aggregate --header"
if command -v groff >/dev/null; then
  check "the man page renders without warnings" test -z "$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)"
fi

# --- cmake --install
if [ -n "$BUILD" ] && command -v cmake >/dev/null; then
  cmake --install "$BUILD" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1
  check "cmake --install ($(tail -2 "$WORK/install.log"))" test $? -eq 0
  check "installs the binary" test -x "$WORK/prefix/bin/attn"
  check "installs the man page" test -s "$WORK/prefix/share/man/man1/attn.1"
  check "installs the completion" test -s "$WORK/prefix/share/bash-completion/completions/attn"
  if ls "$ROOT"/models/*.json >/dev/null 2>&1; then
    check "installs the bundled models" test -n "$(ls "$WORK/prefix/share/attn/models/"*.json)"
    env -u ATTN_MODEL "$WORK/prefix/bin/attn" classify good >"$WORK/out" 2>"$WORK/err"
    check "the installed binary classifies with its bundled model ($(head -c 200 "$WORK/err"))" test $? -eq 0
  fi
fi

finish "cli_manners"
