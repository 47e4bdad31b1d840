"""Lift of a contacted list over its control group.

For each list and as-of date T already exported, over the window [T, T + window): purchase rate,
orders and revenue per customer in the contacted group and in the control group (random, stratified
by band, never contacted), the absolute and relative lift with a 95% percentile-bootstrap interval
(customers resampled within each group, seeded), broken down by band, RFM segment and offer, and the
incremental revenue against the offer and contact cost, i.e. the realised ROI. A window that has not
closed yet is reported as open, not guessed.

Who is "contacted": the list's non-control rows that the ``contacts`` table shows contacted in
[T, T + window); without a ``contacts`` table every non-control row counts as contacted (said in
the report).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from repurchase._io import atomic_dir, write_csv
from repurchase.errors import DataError
from repurchase._timeline import epoch_seconds
from repurchase.labels import data_end
from repurchase.schema import Tables
from repurchase.spine import as_of_timestamp, shift_days

METRICS = ["purchase_rate", "orders_per_customer", "revenue_per_customer"]


def read_lists(path: str | Path) -> pd.DataFrame:
    """Every exported list row under ``path`` (a scoring output, or a folder of them)."""
    path = Path(path)
    files = sorted(path.rglob("need_list.parquet")) + sorted(path.rglob("recall_list.parquet"))
    if not files:
        raise DataError(f"no need_list.parquet / recall_list.parquet under {path}: point --lists at the output "
                        "of repurchase score")
    frames = [pd.read_parquet(f) for f in files]
    rows = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]
    need = {"customer_id", "as_of", "list", "control_group", "band", "rfm_segment", "offer", "model_version"}
    missing = need - set(rows.columns)
    if missing:
        raise DataError(f"the list files under {path} lack columns {sorted(missing)}: were they written by repurchase score?")
    return rows.drop_duplicates(["list", "as_of", "customer_id"])


def _outcomes(tables: Tables, ids: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per customer over [start, end): bought (0/1), paid orders, revenue, discount given."""
    o = tables.paid_orders_in(start, end, ["customer_id", "amount", "discount_amount"])
    o = o.loc[o["customer_id"].isin(ids)]
    agg = o.groupby("customer_id").agg(orders=("amount", "size"), revenue=("amount", "sum"))
    agg["discount"] = o.groupby("customer_id")["discount_amount"].sum() if "discount_amount" in o.columns else 0.0
    out = agg.reindex(ids.to_numpy()).fillna(0.0)
    out["bought"] = (out["orders"] > 0).astype(float)
    return out.reset_index(drop=True)


def _boot_diff(t: np.ndarray, c: np.ndarray, n_boot: int, rng) -> tuple[float, float, float, float]:
    """(absolute lift, its 95% interval, relative lift) of mean(t) - mean(c), bootstrapping each group."""
    mt, mc = t.mean(), c.mean()
    bt = t[rng.integers(0, len(t), (n_boot, len(t)))].mean(axis=1)
    bc = c[rng.integers(0, len(c), (n_boot, len(c)))].mean(axis=1)
    lo, hi = np.percentile(bt - bc, [2.5, 97.5])
    return float(mt - mc), float(lo), float(hi), float((mt - mc) / mc) if mc > 0 else np.nan


@dataclass
class LiftResult:
    overall: pd.DataFrame  # one row per (list, as_of, metric)
    breakdown: pd.DataFrame  # per (list, as_of, by, value, metric)
    roi: pd.DataFrame  # per (list, as_of)
    open_windows: pd.DataFrame  # lists whose window has not closed
    notes: list[str] = field(default_factory=list)


def _compare(rows: pd.DataFrame, y: pd.DataFrame, n_boot: int, rng, min_group: int) -> list[dict]:
    out = []
    treated, control = rows["group"].eq("contacted").to_numpy(), rows["group"].eq("control").to_numpy()
    if treated.sum() < min_group or control.sum() < min_group:
        return out
    for metric, col in zip(METRICS, ["bought", "orders", "revenue"]):
        v = y[col].to_numpy(float)
        abs_, lo, hi, rel = _boot_diff(v[treated], v[control], n_boot, rng)
        out.append({"metric": metric, "n_contacted": int(treated.sum()), "n_control": int(control.sum()),
                    "contacted": float(v[treated].mean()), "control": float(v[control].mean()),
                    "lift_abs": abs_, "lift_abs_lo": lo, "lift_abs_hi": hi, "lift_rel": rel})
    return out


def measure_lift(tables: Tables, lists: pd.DataFrame, window_days: int = 30, *, contact_cost: float = 1.0,
                 n_boot: int = 1000, seed: int = 0, min_group: int = 10) -> LiftResult:
    """Lift of every (list, as_of) in ``lists`` over its control group; see the module docstring."""
    end = data_end(tables)
    overall, breakdown, roi, open_rows, notes = [], [], [], [], []
    contacts = tables.contacts
    if contacts is None:
        notes.append("no contacts table: every non-control list row is counted as contacted")
    for (name, as_of), rows in lists.groupby(["list", "as_of"], sort=True):
        T = as_of_timestamp(str(as_of), tables.timezone)
        close = shift_days(T, window_days)
        if close > end:
            open_rows.append({"list": name, "as_of": str(as_of), "window_days": window_days,
                              "closes": str(close.date()), "data_end": str(end.date())})
            continue
        rows = rows.reset_index(drop=True)
        ctrl = rows["control_group"].astype(bool).to_numpy()
        if contacts is not None:
            ts = epoch_seconds(contacts["contacted_ts"])
            lo, hi = epoch_seconds(pd.Series([T, close]))
            real = ~contacts["control_group"].fillna(False).astype(bool) if "control_group" in contacts.columns else True
            reached = set(contacts.loc[(ts >= lo) & (ts < hi) & real, "customer_id"])
            was = rows["customer_id"].isin(reached).to_numpy()
        else:
            was = ~ctrl
        rows["group"] = np.where(ctrl, "control", np.where(was, "contacted", "not_reached"))
        y = _outcomes(tables, rows["customer_id"], T, close)
        rng = np.random.default_rng([seed, zlib.crc32(f"{name}|{as_of}".encode())])
        key = {"list": name, "as_of": str(as_of), "window_days": window_days,
               "model_version": rows["model_version"].iloc[0]}
        overall += [{**key, **r} for r in _compare(rows, y, n_boot, rng, min_group)]
        for by in ("band", "rfm_segment", "offer"):
            for value, idx in rows.groupby(by).groups.items():
                sub = rows.loc[idx].reset_index(drop=True)
                breakdown += [{**key, "by": by, "value": value, **r}
                              for r in _compare(sub, y.loc[idx].reset_index(drop=True), n_boot, rng, min_group)]
        t, c = rows["group"].eq("contacted").to_numpy(), ctrl
        if t.sum() and c.sum():
            inc_rev = (y["revenue"][t].mean() - y["revenue"][c].mean()) * t.sum()
            inc_disc = max(0.0, (y["discount"][t].mean() - y["discount"][c].mean()) * t.sum())
            cost = contact_cost * t.sum() + inc_disc
            roi.append({**key, "n_contacted": int(t.sum()), "n_control": int(c.sum()),
                        "n_not_reached": int(rows["group"].eq("not_reached").sum()),
                        "incremental_revenue": round(float(inc_rev), 2), "contact_cost": round(contact_cost * t.sum(), 2),
                        "incremental_discount": round(inc_disc, 2), "roi": round(float((inc_rev - cost) / cost), 4)
                        if cost > 0 else np.nan})
    return LiftResult(pd.DataFrame(overall), pd.DataFrame(breakdown), pd.DataFrame(roi), pd.DataFrame(open_rows), notes)


def write_lift_report(result: LiftResult, out: str | Path) -> dict[str, Path]:
    """lift.csv, lift_breakdown.csv, roi.csv, open_windows.csv, report.md and lift.png (atomically)."""
    out = Path(out)
    names = {}
    with atomic_dir(out) as tmp:
        for name, frame in (("lift", result.overall), ("lift_breakdown", result.breakdown), ("roi", result.roi),
                            ("open_windows", result.open_windows)):
            write_csv(frame, tmp / f"{name}.csv", index=False)
            names[name] = out / f"{name}.csv"
        lines = ["# Lift against the control groups", "",
                 "Contacted vs control (random, stratified by band, never contacted) over the window after each "
                 "as-of date. Intervals: 95% percentile bootstrap, customers resampled within each group.", ""]
        lines += [f"- {n}" for n in result.notes]
        if not result.overall.empty:
            show = result.overall[["list", "as_of", "metric", "n_contacted", "n_control", "contacted", "control",
                                   "lift_abs", "lift_abs_lo", "lift_abs_hi", "lift_rel"]].round(4)
            lines += ["", "## Overall", "", "```", show.to_string(index=False), "```"]
        if not result.roi.empty:
            lines += ["", "## Realised ROI", "", "```", result.roi.to_string(index=False), "```"]
        if not result.open_windows.empty:
            lines += ["", "## Windows not closed yet (not measured)", "", "```", result.open_windows.to_string(index=False), "```"]
        (tmp / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        names["report"] = out / "report.md"
        if not result.breakdown.empty:
            _plot(result, tmp / "lift.png")
            names["plot"] = out / "lift.png"
    return names


def _plot(result: LiftResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.breakdown.loc[result.breakdown["metric"] == "purchase_rate"]
    groups = list(d.groupby(["list", "as_of", "by"]))
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.2 * len(groups) + 0.5), squeeze=False)
    for ax, ((name, as_of, by), g) in zip(axes[:, 0], groups):
        y = np.arange(len(g))
        ax.errorbar(g["lift_abs"], y, xerr=[g["lift_abs"] - g["lift_abs_lo"], g["lift_abs_hi"] - g["lift_abs"]],
                    fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, g["value"].astype(str))
        ax.set_title(f"{name} list, {as_of}: purchase-rate lift by {by} (95% interval)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def track_lift(result: LiftResult, experiment: str, artifacts_dir: Path | None = None) -> list[str]:
    """Log each measured (list, as_of) to MLflow next to the model version that produced the list."""
    from repurchase import tracking

    runs = []
    for (name, as_of), g in result.overall.groupby(["list", "as_of"]):
        metrics = {f"{m}_{k}": v for m, row in g.set_index("metric").iterrows()
                   for k, v in row.items() if k.startswith("lift_") or k in ("contacted", "control")}
        r = result.roi.loc[(result.roi["list"] == name) & (result.roi["as_of"] == as_of)]
        if len(r):
            metrics.update({"roi": r["roi"].iloc[0], "incremental_revenue": r["incremental_revenue"].iloc[0]})
        runs.append(tracking.log_lift(experiment, f"lift-{name}-{as_of}", metrics,
                                      {"list": name, "as_of": as_of, "window_days": str(g["window_days"].iloc[0]),
                                       "model_version": g["model_version"].iloc[0], "pipeline": "lift"}, artifacts_dir))
    return runs
