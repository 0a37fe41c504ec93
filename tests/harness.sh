# The harness every CLI test script sources: `source "$(dirname "$0")/harness.sh" "$@"` with the arguments
# path/to/attn path/to/source-tree [...]. It gives:
#   ATTN, ROOT, TINY (the tiny fixture model), PY (Debian's python3 when present), WORK (a scratch directory,
#   removed on exit after at_exit, which a test may redefine to stop what it started), and ATTN_CACHE_DIR inside
#   WORK, so that no test writes into the user's ~/.cache/attn;
#   pass / fail / check NAME COMMAND... to count results, finish NAME to print them and set the exit status;
#   run_attn ARGS... (stdout in $WORK/out, stderr in $WORK/err, exit code in $code), run_attn_stdin INPUT ARGS...;
#   expect_code / expect_out / expect_err / expect_lines NAME VALUE;
#   py CODE (Python asserting on $WORK/out, given as argv[1]) and py_check NAME CODE [ARGS...] (run in $WORK).
set -u
ATTN=$1
ROOT=$2
TINY=$ROOT/tests/fixtures/tiny-model.json
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
WORK=$(mktemp -d)
at_exit() { :; }
trap 'at_exit; chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
export ATTN_CACHE_DIR="$WORK/cache"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }
# check NAME COMMAND...: the command must succeed (exit 0).
check() { local name=$1; shift; if "$@"; then pass; else fail "$name"; fi; }
finish() { echo "$1: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

run_attn() { "$ATTN" "$@" >"$WORK/out" 2>"$WORK/err"; code=$?; }
run_attn_stdin() { local input=$1; shift; printf '%b' "$input" | "$ATTN" "$@" >"$WORK/out" 2>"$WORK/err"; code=$?; }
expect_code() { if [ "$code" -eq "$2" ]; then pass; else fail "$1: exit $code, expected $2 ($(head -c 300 "$WORK/err"))"; fi; }
expect_out() { if grep -qF -- "$2" "$WORK/out"; then pass; else fail "$1: stdout lacks '$2': $(head -c 300 "$WORK/out")"; fi; }
expect_err() { if grep -qF -- "$2" "$WORK/err"; then pass; else fail "$1: stderr lacks '$2': $(head -c 300 "$WORK/err")"; fi; }
expect_lines() { local n; n=$(wc -l <"$WORK/out"); if [ "$n" -eq "$2" ]; then pass; else fail "$1: $n lines, expected $2"; fi; }

py() { "$PY" -c "$1" "$WORK/out" 2>>"$WORK/err"; }
py_check() {
  local name=$1 code=$2
  shift 2
  if (cd "$WORK" && "$PY" -c "$code" "$@" 2>>"$WORK/pyerr"); then pass; else fail "$name: $(tail -3 "$WORK/pyerr")"; fi
}

# unprivileged COMMAND...: runs the command as an ordinary user: as is when this is not root, else as nobody
# (setpriv), for checks that root's permissions would skip. $WORK is opened to nobody for it (mode 0711: its
# files keep their own modes). Returns 77 without running anything when that cannot be done (no setpriv, or
# nobody cannot run $ATTN or read $TINY); skip_unprivileged NAME then says so.
unprivileged() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  command -v setpriv >/dev/null || return 77
  chmod 0711 "$WORK"
  local as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
  "${as_nobody[@]}" test -x "$ATTN" -a -r "$TINY" 2>/dev/null || return 77
  "${as_nobody[@]}" "$@"
}
skip_unprivileged() { echo "SKIP: $1: cannot run as an ordinary user here (root without setpriv, or nobody cannot reach the build)" >&2; }
