#!/usr/bin/env bash
# Accuracy of an attn model on a labelled SST-2 file in Kim's format (`label<space>sentence`, 1 = positive),
# computed by the attn binary itself. Exits 77 (skipped) when the data file is absent.
# Usage: sst2_accuracy.sh path/to/attn [data-file] [minimum-accuracy-percent] [attn options...]
set -euo pipefail
ATTN=$1
DATA=${2:-../shared/data/sst2/kim2014/stsa.binary.test}
MINIMUM=${3:-0}
shift $(( $# < 3 ? $# : 3 ))
if [ ! -f "$DATA" ]; then
  echo "SKIP: $DATA not found (the SST-2 data lives in ../shared/data/sst2; it is not part of the repository)"
  exit 77
fi
cut -d' ' -f1 "$DATA" >"${TMPDIR:-/tmp}/sst2-gold.$$"
status=0
cut -d' ' -f2- "$DATA" | "$ATTN" "$@" classify --format tsv |
  tail -n +2 | cut -f3 | paste "${TMPDIR:-/tmp}/sst2-gold.$$" - |
  awk -v minimum="$MINIMUM" -v data="$DATA" '
    { total++; predicted = ($2 == "positive") ? 1 : 0; if (predicted == $1) correct++ }
    END {
      accuracy = 100 * correct / total
      printf "accuracy %.2f%% (%d of %d) on %s\n", accuracy, correct, total, data
      if (accuracy < minimum) { printf "below the required %.1f%%\n", minimum; exit 1 }
    }' || status=$?
rm -f "${TMPDIR:-/tmp}/sst2-gold.$$"
exit $status
