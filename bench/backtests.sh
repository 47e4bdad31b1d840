#!/usr/bin/env bash
# Backtests on the real datasets at the as-of dates of shared/evaluation-notes.md.
# Run: bash bench/backtests.sh [OUT_DIR] [EXTRA ARGS FOR repurchase backtest]
#   (imports the data into OUT_DIR/data first), e.g. with BG/NBD outputs as features:
#   bash bench/backtests.sh bench/out/btyd "--set features.groups=[rfm,rhythm,categories,offers,engagement,btyd]"
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/out/backtests}
EXTRA=${2:-}
R=.venv/bin/repurchase
SHARED=../shared/data
mkdir -p "$OUT"
[ -f "$OUT/data/orii/orders.parquet" ] || $R import online-retail-ii $SHARED/online_retail_ii/online_retail_ii.csv.gz --out "$OUT/data/orii"
[ -f "$OUT/data/cdnow/orders.parquet" ] || $R import cdnow $SHARED/cdnow/cdnow_master.csv.gz --out "$OUT/data/cdnow"
ORII="--as-of 2011-03-01 --as-of 2011-06-01 --as-of 2011-09-01"
CDNOW="--as-of 1997-10-01 --as-of 1998-01-01 --as-of 1998-04-01"
for spec in "orii next_purchase 30" "orii next_purchase 90" "orii churn 90" "cdnow next_purchase 30" "cdnow next_purchase 90" "cdnow churn 90"; do
  set -- $spec
  dates=$ORII; [ "$1" = cdnow ] && dates=$CDNOW
  /usr/bin/time -f "$1 $2 $3: %e s, peak %M KiB" $R -q backtest "$OUT/data/$1" --task "$2" --horizon "$3" $dates $EXTRA --out "$OUT/$1-$2-$3" > "$OUT/$1-$2-$3.log" 2>&1 || { echo "FAILED $spec"; tail -5 "$OUT/$1-$2-$3.log"; }
  tail -1 "$OUT/$1-$2-$3.log" >/dev/null
done
.venv/bin/python bench/summarise_backtests.py "$OUT"
