"""The run report of one scoring run: ``report.html`` beside the lists, one self-contained file
(charts inlined as PNG, no script, no link out) that opens from the file system or an e-mail.

Sections: list sizes and exclusions; score distributions by band; each model's holdout (metrics
against its baselines, decile gains and calibration, from the bundle's manifest); what drives each
model today (mean |SHAP| and the top reason's mix, from :attr:`ScoreResult.insights`); contact
hours; drift (against training and the previous run); lift of earlier lists when measured.
Every text from the data (categories, reasons, ids) is escaped.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from repurchase.features.catalog import lookup

BAND_COLORS = {"high": "#c0392b", "medium": "#e67e22", "low": "#95a5a6"}
CSS = """body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.4}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;
padding:.25em .6em;text-align:right}td.t{text-align:left}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#666;font-size:.9em}.alarm{color:#c0392b;font-weight:bold}"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _num(v, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.{digits}f}"
    return _e(v)


def _table(rows: Iterable[Iterable], header: list[str], digits: list[int] | None = None) -> str:
    rows = list(rows)
    digits = digits or [3] * len(header)
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    def cell(v, d):  # text reads from the left, numbers line up on the right
        text = isinstance(v, str) and not v.replace(",", "").replace(".", "").isdigit()
        return f"<td class='t'>{_num(v, d)}</td>" if text else f"<td>{_num(v, d)}</td>"
    body = "".join("<tr>" + "".join(cell(v, d) for v, d in zip(r, digits)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>" if rows else '<p class="note">nothing to show</p>'


def _figure(draw, width: float = 10, height: float = 3.6, alt: str = "chart") -> str:
    """A matplotlib figure drawn by ``draw(fig)`` as an inline PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height))
    try:
        draw(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
    finally:
        plt.close(fig)
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _label(feature: str) -> str:
    """``orders_30d (paid orders in the last 30 days)``: the catalog's meaning, its window filled in."""
    entry = lookup(feature)
    if entry is None:
        return feature
    w = re.search(r"_(\d+)d$", feature)
    meaning = entry.meaning.replace("{w}", w.group(1)) if w else entry.meaning
    meaning = re.sub(r"\blast w days\b", f"last {w.group(1)} days", meaning) if w else meaning
    return f"{feature} ({meaning})"


def _sizes(summary: dict) -> str:
    rows = []
    for name in ("need", "recall"):
        s = summary[name]
        rows.append([f"{name} list", s["rows"], s["contacted"], s["control"],
                     ", ".join(f"{k} {v:,}" for k, v in s["bands"].items()),
                     ", ".join(f"{k} {v:,}" for k, v in s["excluded"].items()) or "none"])
    r = summary["recall"]
    money = (f"<p>Recall list: value at risk {r['value_at_risk']:,.0f}; expected recovered revenue "
             f"{r['expected_recovered_revenue']:,.0f} for a cost of {r['cost']:,.0f} (ROI "
             f"{_num(r['roi'], 2)}).</p>")
    return (_table(rows, ["list", "rows", "to contact", "control (do not contact)", "bands", "left out, and why"])
            + money)


def _distributions(need: pd.DataFrame, recall: pd.DataFrame) -> str:
    def draw(fig):
        for i, (frame, title) in enumerate(((need, "need list: P(purchase in the horizon)"),
                                            (recall, "recall list: P(churn)"))):
            ax = fig.add_subplot(1, 2, i + 1)
            bins = np.linspace(0, 1, 41)
            for band in ("low", "medium", "high"):
                s = frame.loc[frame["band"] == band, "score"]
                if len(s):
                    ax.hist(s, bins=bins, alpha=0.8, color=BAND_COLORS[band], label=f"{band} ({len(s):,})")
            ax.set(title=title, xlabel="score", ylabel="customers")
            if len(frame):
                ax.legend(title="band")
    return _figure(draw, alt="score distributions by band")


def _holdout(manifests: dict[str, dict]) -> str:
    parts = []
    for task, m in manifests.items():
        metrics = m.get("metrics", {})
        rows = [[name, v.get("auc"), v.get("pr_auc"), v.get("ece"), v.get("lift_top_decile")] for name, v in metrics.items()]
        scorer = m.get("scorer", "lightgbm")
        parts.append(f"<h3>{_e(task)}, {m.get('horizon_days')}-day horizon: holdout {_e(m.get('holdout'))}, scored "
                     f"by {_e(scorer)}</h3>" + _table(rows, ["model", "AUC", "PR AUC", "ECE", "lift top decile"], [0, 3, 3, 3, 2]))
        deciles = m.get("holdout_deciles")
        if not deciles:
            parts.append('<p class="note">No decile table in this bundle (trained before the run report existed): '
                         "retrain to see gains and calibration.</p>")
            continue
        d = pd.DataFrame(deciles)
        d["gain"] = d["positives"].cumsum() / max(d["positives"].sum(), 1)
        d["lift"] = d["observed"] / max(d["positives"].sum() / d["rows"].sum(), 1e-12)
        parts.append(_table(d[["decile", "rows", "positives", "mean_p", "observed", "gain", "lift"]].itertuples(index=False),
                            ["score decile (1 = highest)", "rows", "positives", "mean prediction", "observed rate",
                             "cumulative gain", "lift"], [0, 0, 0, 3, 3, 3, 2]))

        def draw(fig, d=d):
            ax = fig.add_subplot(1, 2, 1)
            share = np.r_[0, d["rows"].cumsum() / d["rows"].sum()]
            ax.plot(share, np.r_[0, d["gain"]], marker="o", label="model")
            ax.plot([0, 1], [0, 1], ls="--", color="grey", label="random")
            ax.set(title="gains: share of positives found", xlabel="share of customers contacted", ylabel="share of positives")
            ax.legend()
            ax = fig.add_subplot(1, 2, 2)
            ax.plot(d["mean_p"], d["observed"], marker="o")
            top = max(d["mean_p"].max(), d["observed"].max(), 0.05)
            ax.plot([0, top], [0, top], ls="--", color="grey")
            ax.set(title="calibration by decile", xlabel="mean prediction", ylabel="observed rate")
        parts.append(_figure(draw, alt=f"{task} gains and calibration"))
    return "".join(parts)


def _drivers(insights: dict[str, dict]) -> str:
    parts = []
    for task, ins in insights.items():
        if not ins["importance"]:
            parts.append(f"<p class='note'>{_e(task)}: {_e(ins.get('note') or 'no contributions')}</p>")
            continue
        imp = ins["importance"]

        def draw(fig, imp=imp, task=task):
            ax = fig.add_subplot(1, 1, 1)
            names = [n for n, _ in imp][::-1]
            ax.barh(names, [v for _, v in imp][::-1], color="#2e86c1")
            ax.set(title=f"{task}: mean |SHAP| on {ins['rows']:,} scored customers", xlabel="mean |contribution| (log-odds)")
        parts.append(_figure(draw, height=0.3 * len(imp) + 1.2, alt=f"{task} feature importance"))
        parts.append(f"<p>Reasons mix, {_e(task)}: the feature behind each sampled customer's first reason</p>"
                     + _table(([_label(f), 100 * s] for f, s in ins["top_driver"]), ["feature", "% of customers"], [0, 1]))
    return "".join(parts)


def _hours(need: pd.DataFrame, recall: pd.DataFrame) -> str:
    both = pd.concat([need[["best_contact_hour", "contact_hour_source"]], recall[["best_contact_hour", "contact_hour_source"]]])
    if both.empty:
        return '<p class="note">nobody on the lists</p>'

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        bottom = np.zeros(24)
        for source, color in zip(sorted(both["contact_hour_source"].unique()), ["#2e86c1", "#95a5a6", "#e67e22", "#27ae60"]):
            counts = np.bincount(both.loc[both["contact_hour_source"] == source, "best_contact_hour"], minlength=24)[:24]
            ax.bar(range(24), counts, bottom=bottom, color=color, label=source)
            bottom += counts
        ax.set(title="best contact hour (local), both lists", xlabel="hour", ylabel="rows", xticks=range(0, 24, 2))
        ax.legend(title="from")
    shares = both["contact_hour_source"].value_counts(normalize=True)
    return _figure(draw, height=3, alt="contact hours") + "<p>" + ", ".join(
        f"{_e(k)}: {100 * v:.0f}% of rows" for k, v in shares.items()) + "</p>"


def _drift(drift: dict[str, pd.DataFrame], warn: float, top: int = 10) -> str:
    parts = []
    for task, d in drift.items():
        grows = d.loc[d["grows_with_time"], "column"].tolist() if "grows_with_time" in d else []
        rows = []
        for r in d.head(top).itertuples():
            alarm = bool(np.isfinite(r.judged_psi) and r.judged_psi > warn)
            rows.append([r.column, r.psi, r.psi_previous, "previous run" if r.grows_with_time else "training",
                         r.judged_psi, "ALARM" if alarm else ""])
        n_alarm = int((d["judged_psi"] > warn).sum())
        parts.append(f"<h3>{_e(task)}: {n_alarm} column(s) over PSI {warn}</h3>"
                     + _table(rows, ["column", "PSI vs training", "PSI vs previous run", "judged against", "judged PSI", ""],
                              [0, 3, 3, 0, 3, 0]))
        if grows:
            parts.append(f'<p class="note">Grow with time by definition, so judged against the previous run only: '
                         f"{_e(', '.join(grows))}.</p>")
    return "".join(parts) or '<p class="note">No drift reference: the models are rules or were trained before drift was recorded.</p>'


def _lift(lift: pd.DataFrame | None) -> str:
    if lift is None or lift.empty:
        return ('<p class="note">No lift measured yet. When an earlier list\'s window has closed, run '
                "<code>repurchase lift DATA --lists DIR</code> and set <code>export.lift_dir</code> to its output.</p>")
    rows = lift.loc[lift["metric"] == "purchase_rate"] if "metric" in lift else lift
    return _table(rows[["list", "as_of", "n_contacted", "n_control", "contacted", "control", "lift_abs", "lift_abs_lo",
                        "lift_abs_hi"]].itertuples(index=False),
                  ["list", "as of", "contacted", "control", "purchase rate contacted", "control", "lift", "95% low", "95% high"],
                  [0, 0, 0, 0, 3, 3, 3, 3, 3])


def render_run_report(result, manifests: dict[str, dict], *, warn_psi: float, title: str = "Scoring run",
                      lift: pd.DataFrame | None = None) -> str:
    """The HTML text of the run report of ``result`` (a :class:`~repurchase.scoring.ScoreResult`).

    ``manifests``: task -> the manifest of the bundle that scored it (holdout metrics and deciles);
    ``lift``: an earlier ``lift.csv`` (``repurchase lift``), shown when given.
    """
    s = result.summary
    models = ", ".join(f"{k}: {v}" for k, v in s["models"].items())
    fallback = "".join(f"<p class='alarm'>{_e(t)} scored by rules: {_e(w)}</p>" for t, w in s.get("fallback", {}).items())
    sections = [
        ("Lists", _sizes(s)), ("Scores by band", _distributions(result.need, result.recall)),
        ("The models on their holdout", _holdout(manifests)), ("What drives the scores today", _drivers(result.insights)),
        ("Contact hours", _hours(result.need, result.recall)), ("Drift", _drift(result.drift, warn_psi)),
        ("Lift of earlier lists", _lift(lift))]
    body = "".join(f"<h2>{_e(h)}</h2>{content}" for h, content in sections)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)} {_e(s['as_of'])}</title>"
            f"<style>{CSS}</style></head><body><h1>{_e(title)} as of {_e(s['as_of'])}</h1>"
            f"<p>{s['customers_scored']:,} customers scored. Models: {_e(models)}.</p>{fallback}{body}"
            "</body></html>")


def read_lift(path: str | Path | None) -> pd.DataFrame | None:
    """``lift.csv`` of a ``repurchase lift`` output directory, or None when absent."""
    if path is None or not (Path(path) / "lift.csv").is_file():
        return None
    return pd.read_csv(Path(path) / "lift.csv")


__all__ = ["render_run_report", "read_lift"]
