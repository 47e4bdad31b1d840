"""Plain-text summaries and tables for the terminal.

The CLI prints these and formats nothing itself. Each function returns the text of what used to be
one or more ``click.echo`` calls, joined by newlines, so the printed bytes are unchanged.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

#: wide, untruncated pandas printing (the feature catalog, backtest and lift tables)
_WIDE = ("display.max_colwidth", 120, "display.width", 250, "display.max_rows", 500)

#: the columns of the training metrics printed per model
TRAIN_COLUMNS = ["model", "n", "positive_rate", "auc", "pr_auc", "brier", "ece", "lift_top_decile"]
#: the columns of the overall lift printed per list and as-of date
LIFT_COLUMNS = ["list", "as_of", "metric", "n_contacted", "n_control", "contacted", "control",
                "lift_abs", "lift_abs_lo", "lift_abs_hi", "lift_rel"]


@contextlib.contextmanager
def wide_pandas() -> Iterator[None]:
    """Print frames wide and untruncated inside the block."""
    with pd.option_context(*_WIDE):
        yield


def wide_table(frame: pd.DataFrame) -> str:
    """``frame`` without its index, wide and untruncated."""
    with wide_pandas():
        return frame.to_string(index=False)


def paths_text(title: str, paths: Mapping[str, Any]) -> str:
    """``title`` and one indented ``name  path`` line per written file."""
    return "\n".join([title] + [f"  {name:<14} {path}" for name, path in paths.items()])


def tracking_text(uri: str) -> str:
    """Where the MLflow runs are and how to look at them (``uri`` already masked)."""
    return f"MLflow tracking store: {uri}  (look at the runs: mlflow ui --backend-store-uri {uri})"


def contract_text() -> str:
    """The data contract: per table its columns, ``*`` marking the required ones."""
    from repurchase.schema import KIND_DOC, TABLES

    lines = []
    for t in TABLES.values():
        lines.append(f"{t.name}: {t.doc}")
        lines += [f"  {'*' if c.required else ' '} {c.name:<20} {KIND_DOC[c.kind]:<10} {c.doc}" for c in t.columns]
    return "\n".join(lines)


def validation_text(data_dir: str | Path, tables, report) -> str:
    """What ``validate`` found: per-table summary, the order span and the rejected rows by reason."""
    o = tables.orders
    lines = [f"{data_dir}: valid (timezone {report.timezone}).",
             report.summary_frame().to_string(index=False),
             f"orders from {o['order_ts'].min()} to {o['order_ts'].max()}; "
             f"{o['customer_id'].nunique():,} customers; {len(tables.paid_orders()):,} paid orders."]
    if report.rejected:
        lines.append("Rejected rows by reason:")
        lines += [f"  {table}: {n:,} rows {reason}" for (table, reason), n in report.rejected.items()]
    return "\n".join(lines)


def features_text(per_date: pd.Series, n_features: int, load_s: float, build_s: float, *, batches: int = 1) -> str:
    """Timings, the size of the feature frame and the customers per as-of date (``per_date``)."""
    how = f" in {batches} batches of dates" if batches > 1 else ""
    lines = [f"load {load_s:.1f}s, features and writing {build_s:.1f}s{how}: {int(per_date.sum()):,} rows x "
             f"{n_features} features"]
    lines += [f"  as of {d.date()}: {n:,} customers" for d, n in per_date.items()]
    return "\n".join(lines)


def backtest_text(result) -> str:
    """The backtest's metrics and its model-vs-baseline comparisons, rounded to 4 decimals."""
    with wide_pandas():
        return "\n".join(frame.drop(columns=["task"]).round(4).to_string(index=False)
                         for frame in (result.metrics, result.comparisons))


def train_metrics_text(metrics: pd.DataFrame) -> str:
    """One row per model (candidates and baselines) on the holdout, rounded to 4 decimals."""
    return metrics[TRAIN_COLUMNS].round(4).to_string(index=False)


def lift_text(result) -> str:
    """Notes, overall lift, ROI and the windows not closed yet; empty when there is none of them."""
    lines = [f"note: {n}" for n in result.notes]
    with wide_pandas():
        if not result.overall.empty:
            lines.append(result.overall[LIFT_COLUMNS].round(4).to_string(index=False))
        if not result.roi.empty:
            lines.append(result.roi.drop(columns=["window_days"]).to_string(index=False))
        lines += [f"{r.list} list as of {r.as_of}: the {r.window_days}-day window closes {r.closes}, after the "
                  f"data ends ({r.data_end}); not measured yet" for r in result.open_windows.itertuples()]
    return "\n".join(lines)


def uplift_text(report: Mapping[str, Any]) -> str:
    """The uplift training report on one line, and which ranking won on the held-out campaign."""
    lines = [", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in report.items())]
    if "winner" in report:
        lines.append(f"on the held-out campaign the {report['winner']} ranking captured more incremental "
                     "buyers (Qini)")
    return "\n".join(lines)


def campaign_text(truth: pd.DataFrame) -> str:
    """Who a simulated campaign contacted and the purchase-rate lift it truly caused."""
    t = truth.loc[~truth["control_group"]]
    return (f"contacted {len(t):,} customers ({int(truth['control_group'].sum()):,} held out as control); "
            f"{int(t['converted'].sum()):,} extra purchases caused; true purchase-rate lift "
            f"{(t['converted'] & ~t['natural']).mean():.4f}")
