#!/usr/bin/env bash
# Accuracy of an attn model on a labelled SST-2 file in Kim's format (`label<space>sentence`, 1 = positive),
# computed by `attn eval`. Kim's files escape brackets as -lrb- / -rrb-; the bundled model was trained on GLUE's
# text, which writes ( and ), so the same mapping is applied here as in tools/train.py.
# Exits 77 (skipped) when the data file is absent.
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
report=$(sed 's/-lrb-/(/g; s/-rrb-/)/g' "$DATA" | "$ATTN" "$@" eval --data-format label-space-text)
echo "$report"
accuracy=$(echo "$report" | awk '$1 == "accuracy" { sub("%", "", $2); print $2 }')
echo "accuracy ${accuracy}% on $DATA (required: ${MINIMUM}%)"
awk -v a="$accuracy" -v m="$MINIMUM" 'BEGIN { exit (a + 0 >= m + 0) ? 0 : 1 }'
