"""Summarise every backtest under a folder: mean AUC / ECE per model, the paired-bootstrap gain of
the shipped model over each baseline (and at how many dates its interval is above zero), and the
need-list metrics where a run has them. Used by bench/backtests.sh and bench/backtests_defaults.sh.

Run: .venv/bin/python bench/summarise_backtests.py OUT_DIR
"""

import pathlib
import sys

import pandas as pd


def main(out: pathlib.Path) -> None:
    rows = []
    for d in sorted(p for p in out.iterdir() if (p / "metrics.csv").is_file()):
        m, c = pd.read_csv(d / "metrics.csv"), pd.read_csv(d / "comparisons.csv")
        mean = m.groupby("model")[["auc", "ece"]].mean()
        row = {"run": d.name, **{f"auc_{k}": v for k, v in mean["auc"].items()}, "ece_lightgbm": mean.loc["lightgbm", "ece"]}
        for base in ("recency", "rfm_logistic", "bgnbd"):
            cb = c[c["baseline"] == base]
            row[f"gain_vs_{base}"] = cb["auc_diff"].mean()
            row[f"ci>0_vs_{base}"] = f"{int((cb['ci_low'] > 0).sum())}/{len(cb)}"
        rows.append(row)
    print(pd.DataFrame(rows).round(4).to_string(index=False))
    for d in sorted(p for p in out.iterdir() if (p / "need_metrics.csv").is_file()):
        n = pd.read_csv(d / "need_metrics.csv")
        wide = n.pivot_table(index=["metric", "method"], columns="as_of", values="value")
        print(d.name)
        print(wide.assign(mean=wide.mean(axis=1)).round(3).to_string())


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
