#!/usr/bin/env bash
# Issue 13's table: `repurchase backtest` with the DEFAULTS (no profile) on the three real datasets
# at the issue's dates, then mean AUC / ECE per model and the paired-bootstrap comparison.
# Run: bash bench/backtests_defaults.sh [OUT_DIR] [ROW ...]   (rows: cdnow-np90 cdnow-ch90 orii-np30 orii-ch90 cj-np14 cj-ch28)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/out/defaults}; shift || true
ROWS=${*:-cdnow-np90 cdnow-ch90 orii-np30 orii-ch90 cj-np14 cj-ch28}
R=.venv/bin/repurchase
SHARED=../shared/data
mkdir -p "$OUT/data"
[ -f "$OUT/data/orii/orders.parquet" ] || $R import online-retail-ii $SHARED/online_retail_ii/online_retail_ii.csv.gz --out "$OUT/data/orii"
[ -f "$OUT/data/cdnow/orders.parquet" ] || $R import cdnow $SHARED/cdnow/cdnow_master.csv.gz --out "$OUT/data/cdnow"
[ -f "$OUT/data/cj/orders.parquet" ] || $R import complete-journey $SHARED/complete_journey --out "$OUT/data/cj"
for row in $ROWS; do
  case $row in
    cdnow-np90) set -- cdnow next_purchase 90 "1997-10-01 1997-12-01 1998-02-01" ;;
    cdnow-ch90) set -- cdnow churn 90 "1997-10-01 1997-12-01 1998-02-01" ;;
    orii-np30)  set -- orii next_purchase 30 "2011-06-01 2011-08-01 2011-10-01" ;;
    orii-ch90)  set -- orii churn 90 "2011-03-01 2011-05-01 2011-07-01" ;;
    cj-np14)    set -- cj next_purchase 14 "2017-09-01 2017-10-15 2017-12-01" ;;
    cj-ch28)    set -- cj churn 28 "2017-09-01 2017-10-15 2017-12-01" ;;
    *) echo "unknown row $row"; exit 2 ;;
  esac
  dates=""; for d in $4; do dates="$dates --as-of $d"; done
  /usr/bin/time -f "$row: %e s, peak %M KiB" $R -q backtest "$OUT/data/$1" --task "$2" --horizon "$3" $dates --out "$OUT/$row" > "$OUT/$row.log" 2>&1 \
    || { echo "FAILED $row"; tail -5 "$OUT/$row.log"; }
  tail -1 "$OUT/$row.log"
done
.venv/bin/python bench/summarise_backtests.py "$OUT"
