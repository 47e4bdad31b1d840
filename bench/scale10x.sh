#!/usr/bin/env bash
# Scale without surprises: retrain and score at 10x the demo size (50,000 customers, 730 days).
# Usage: bash bench/scale10x.sh OUT_DIR   (prints wall time and peak RSS of each step)
set -euo pipefail
OUT=${1:?usage: scale10x.sh OUT_DIR}
BIN="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin"
mkdir -p "$OUT"
export MLFLOW_TRACKING_URI="sqlite:///$OUT/mlflow.db"
step() { local name=$1; shift; /usr/bin/time -f "$name: %e s wall, peak RSS %M KB" "$@" > "$OUT/$name.log" 2>&1 || { tail -5 "$OUT/$name.log"; exit 1; }; tail -1 "$OUT/$name.log"; }
step generate "$BIN/repurchase" -q generate --out "$OUT/data" --customers 50000 --days 730
step retrain "$BIN/repurchase" -q retrain "$OUT/data" --models-dir "$OUT/models"
step score "$BIN/repurchase" -q score "$OUT/data" --as-of 2025-12-31 --out "$OUT/lists" --db "sqlite:///$OUT/crm.db"
