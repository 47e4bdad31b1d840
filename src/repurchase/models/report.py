"""The backtest report: metrics table against the baselines, gains, calibration, importance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repurchase._io import atomic_dir, write_csv
from repurchase.models.backtest import METRIC_COLUMNS, BacktestResult


def write_backtest_report(result: BacktestResult, out: str | Path, title: str = "Backtest") -> dict[str, Path]:
    """Write metrics.csv, comparisons.csv, report.md and PNG charts into ``out`` (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    names = {"metrics": "metrics.csv", "comparisons": "comparisons.csv", "segments": "segments.csv", "report": "report.md",
             "gains": "gains.png", "calibration": "calibration.png", "importance": "importance.png"}
    last = list(result.scores)[-1]
    s = result.scores[last]
    models = [c for c in s.columns if c != "y"]
    with atomic_dir(out) as tmp:
        write_csv(result.metrics[METRIC_COLUMNS], tmp / names["metrics"], index=False)
        write_csv(result.comparisons, tmp / names["comparisons"], index=False)
        write_csv(result.segments, tmp / names["segments"], index=False)
        if not result.need.empty:
            names["need"] = "need_metrics.csv"
            write_csv(result.need, tmp / names["need"], index=False)

        fig, ax = plt.subplots(figsize=(6.5, 5))
        for m in models:
            order = np.argsort(-s[m].to_numpy(), kind="stable")
            captured = np.cumsum(s["y"].to_numpy()[order]) / max(s["y"].sum(), 1)
            ax.plot(np.arange(1, len(order) + 1) / len(order), captured, label=m)
        ax.plot([0, 1], [0, 1], "k:", lw=1, label="random")
        ax.set(xlabel="share of customers contacted (by score)", ylabel="share of positives reached",
               title=f"Gains, as of {last}")
        ax.legend(); ax.grid(alpha=0.3)
        fig.tight_layout(); fig.savefig(tmp / names["gains"], dpi=110); plt.close(fig)

        fig, ax = plt.subplots(figsize=(6.5, 5))
        for m in models:
            bins = pd.cut(s[m], np.linspace(0, 1, 11), include_lowest=True)
            g = s.groupby(bins, observed=True).agg(p=(m, "mean"), y=("y", "mean"))
            ax.plot(g["p"], g["y"], marker="o", label=m)
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.set(xlabel="predicted probability", ylabel="observed rate", title=f"Calibration, as of {last}")
        ax.legend(); ax.grid(alpha=0.3)
        fig.tight_layout(); fig.savefig(tmp / names["calibration"], dpi=110); plt.close(fig)

        imp = result.importance[last].head(20)[::-1]
        fig, ax = plt.subplots(figsize=(7, 6))
        ax.barh(imp.index, imp.to_numpy() / imp.sum())
        ax.set(xlabel="share of total gain (top 20)", title=f"LightGBM feature importance, as of {last}")
        fig.tight_layout(); fig.savefig(tmp / names["importance"], dpi=110); plt.close(fig)

        mean = result.metrics.groupby("model")[["auc", "pr_auc", "brier", "ece", "lift_top_decile"]].mean()
        lines = [f"# {title}", "", "## Mean over test dates", "", _table(mean.reset_index()),
                 "", "## Per test date", "", _table(result.metrics[METRIC_COLUMNS]),
                 "", "## At a contact budget (top share of customers by score)", "",
                 _table(result.metrics[["model", "as_of", "budget", "precision_at_budget", "recall_at_budget"]]),
                 "", "## AUC per RFM segment", "",
                 _table(result.segments.pivot_table(index=["as_of", "rfm_segment"], columns="model", values="auc").reset_index())
                 if not result.segments.empty else "(no segment with both classes)",
                 "", "## LightGBM minus baseline, AUC (paired bootstrap 95% interval)", "", _table(result.comparisons),
                 *(_need_section(result.need) if not result.need.empty else []),
                 "", "![gains](gains.png) ![calibration](calibration.png)", "", "![importance](importance.png)", ""]
        (tmp / names["report"]).write_text("\n".join(lines), encoding="utf-8")
    return {k: out / v for k, v in names.items()}


def _need_section(need: pd.DataFrame) -> list[str]:
    wide = need.pivot_table(index=["metric", "method"], columns="as_of", values="value").reset_index()
    wide["mean"] = wide.drop(columns=["metric", "method"]).mean(axis=1)
    return ["", "## The need list among buyers in the window", "",
            "hit@3: a due category was bought (higher is better); date_mae_days: error of the expected "
            "purchase day (lower is better). Baselines: own / popular top 3, the window midpoint, "
            "last order + median gap.", "", _table(wide)]


def _table(frame: pd.DataFrame) -> str:
    """A Markdown table without optional dependencies."""
    f = frame.copy()
    for c in f.columns:
        if pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].map(lambda v: f"{v:.4f}")
    head = "| " + " | ".join(map(str, f.columns)) + " |"
    sep = "| " + " | ".join("---" for _ in f.columns) + " |"
    body = ["| " + " | ".join(map(str, r)) + " |" for r in f.itertuples(index=False)]
    return "\n".join([head, sep, *body])
