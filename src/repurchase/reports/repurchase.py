"""The business's two numbers, per period, and cohort retention.

For a window (month, quarter, year), over paid orders only:

* user repurchase rate (用户复购率) = customers with 2 or more purchases in the window /
  customers with at least 1 purchase in the window;
* order repurchase rate (订单复购率) = orders that are a customer's 2nd-or-later in the window /
  all orders in the window.

With ``by``, each value of an order attribute (e.g. ``channel``) or customer attribute (e.g.
``source_channel``, ``country``) is its own population: a customer who bought once in each of two
channels repurchased in neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from repurchase._io import atomic_dir, write_csv
from repurchase.errors import DataError
from repurchase.schema import Tables, validate_frame

Period = Literal["month", "quarter", "year"]
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
UNKNOWN = "(missing)"


def _local_period(ts: pd.Series, period: Period) -> pd.Series:
    # Periods follow the business's wall clock, not UTC.
    naive = ts.dt.tz_localize(None) if isinstance(ts.dtype, pd.DatetimeTZDtype) else ts
    return naive.dt.to_period(_FREQ[period])


def _with_attribute(orders: pd.DataFrame, by: str | None, customers: pd.DataFrame | None) -> pd.DataFrame:
    if by is None or by in orders.columns:
        out = orders
    elif customers is not None and by in customers.columns:
        out = orders.merge(customers[["customer_id", by]], on="customer_id", how="left", validate="many_to_one")
    else:
        cols = sorted(set(orders.columns) | set(customers.columns if customers is not None else []))
        raise DataError(f"--by '{by}' is not a column of orders or customers (columns: {', '.join(cols)}).")
    if by is not None:
        out = out.assign(**{by: out[by].astype("str").fillna(UNKNOWN)})
    return out


def repurchase_rates(
    orders: pd.DataFrame,
    period: Period = "month",
    by: str | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """User and order repurchase rates per period (and per value of ``by``).

    Parameters
    ----------
    orders : DataFrame
        Paid orders: ``customer_id``, ``order_ts`` (and ``by`` when it is an order attribute).
    period : {"month", "quarter", "year"}
    by : str, optional
        An order or customer attribute to split by.
    customers : DataFrame, optional
        Needed when ``by`` is a customer attribute.

    Returns
    -------
    DataFrame
        ``period, [by], customers, repeat_customers, user_repurchase_rate, orders,
        repeat_orders, order_repurchase_rate``.
    """
    validate_frame(orders, "orders", required=["customer_id", "order_ts"], dtypes=False)
    frame = _with_attribute(orders, by, customers)
    keys = ["period"] + ([by] if by else [])
    frame = frame.assign(period=_local_period(frame["order_ts"], period))
    per_customer = frame.groupby(keys + ["customer_id"], observed=True, sort=True).size().rename("n")
    g = per_customer.groupby(level=keys, observed=True, sort=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "repeat_customers": g.apply(lambda n: int((n >= 2).sum())),
        "orders": g.sum(),
    })
    out["repeat_orders"] = out["orders"] - out["customers"]  # each customer's 2nd-or-later orders
    out["user_repurchase_rate"] = out["repeat_customers"] / out["customers"]
    out["order_repurchase_rate"] = out["repeat_orders"] / out["orders"]
    out = out.reset_index()
    out["period"] = out["period"].astype(str)
    cols = keys + ["customers", "repeat_customers", "user_repurchase_rate", "orders", "repeat_orders",
                   "order_repurchase_rate"]
    return out[cols]


def cohort_retention(orders: pd.DataFrame) -> pd.DataFrame:
    """Share of each first-purchase-month cohort that bought in each month since.

    Returns
    -------
    DataFrame
        One row per cohort (``cohort``, ``cohort_size``) and columns ``m0, m1, ...``: the share
        of the cohort with at least one paid order ``k`` months after its first month (``m0`` is 1;
        months after the data ends are missing).
    """
    validate_frame(orders, "orders", required=["customer_id", "order_ts"], dtypes=False)
    month = _local_period(orders["order_ts"], "month")
    frame = pd.DataFrame({"customer_id": orders["customer_id"].to_numpy(), "month": month.to_numpy()})
    first = frame.groupby("customer_id")["month"].transform("min")
    since = (frame["month"] - first).map(lambda off: off.n)
    active = pd.DataFrame({"cohort": first, "k": since, "customer_id": frame["customer_id"]}).drop_duplicates()
    counts = active.groupby(["cohort", "k"]).size().unstack("k", fill_value=0).sort_index()
    size = counts[0]
    share = counts.div(size, axis=0)
    # Months after the data ends are unknown, not zero.
    last = frame["month"].max()
    observable = pd.DataFrame(
        {k: [(c + k) <= last for c in counts.index] for k in counts.columns}, index=counts.index
    )
    share = share.where(observable)
    share.columns = [f"m{k}" for k in share.columns]
    share.insert(0, "cohort_size", size)
    share.index = share.index.astype(str)
    return share.rename_axis("cohort").reset_index()


@dataclass
class MetricsReport:
    rates: pd.DataFrame
    cohorts: pd.DataFrame
    files: dict[str, Path]


def format_rates(rates: pd.DataFrame) -> str:
    """The rates as a plain-text table for the terminal."""
    shown = rates.copy()
    for col in ("user_repurchase_rate", "order_repurchase_rate"):
        shown[col] = (100 * shown[col]).map(lambda v: f"{v:5.1f}%")
    return shown.to_string(index=False)


def metrics_report(
    tables: Tables,
    out: str | Path | None = None,
    period: Period = "month",
    by: str | None = None,
) -> MetricsReport:
    """Compute rates and cohorts on paid orders and, with ``out``, write CSVs and PNG charts.

    The output directory is replaced whole and atomically.
    """
    orders = tables.paid_orders()
    rates = repurchase_rates(orders, period, by, tables.customers)
    cohorts = cohort_retention(orders)
    files: dict[str, Path] = {}
    if out is not None:
        out = Path(out)
        names = {"rates_csv": f"repurchase_rates_{period}.csv", "cohorts_csv": "cohort_retention.csv",
                 "rates_png": f"repurchase_rates_{period}.png", "cohorts_png": "cohort_retention.png"}
        with atomic_dir(out) as tmp:
            write_csv(rates, tmp / names["rates_csv"], index=False, encoding="utf-8-sig")
            write_csv(cohorts, tmp / names["cohorts_csv"], index=False, encoding="utf-8-sig")
            plot_rates(rates, by, tmp / names["rates_png"], period)
            plot_cohorts(cohorts, tmp / names["cohorts_png"])
        files = {k: out / v for k, v in names.items()}
    return MetricsReport(rates, cohorts, files)


def plot_rates(rates: pd.DataFrame, by: str | None, path: Path, period: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    groups = [(None, rates)] if by is None else list(rates.groupby(by, sort=True))[:12]
    for label, frame in groups:
        axes[0].plot(frame["period"], 100 * frame["user_repurchase_rate"], marker="o", ms=3, label=label)
        axes[1].plot(frame["period"], 100 * frame["order_repurchase_rate"], marker="o", ms=3, label=label)
    axes[0].set_ylabel("user repurchase rate, %")
    axes[1].set_ylabel("order repurchase rate, %")
    axes[0].set_title(f"Repurchase rates per {period}" + (f" by {by}" if by else ""))
    if by is not None:
        axes[0].legend(fontsize=8, ncol=3)
    ticks = sorted(rates["period"].unique())
    step = max(1, len(ticks) // 12)
    axes[1].set_xticks(ticks[::step])
    axes[1].tick_params(axis="x", rotation=45)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cohorts(cohorts: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = [c for c in cohorts.columns if c.startswith("m")][1:]  # m0 is 100% by definition
    data = 100 * cohorts[months].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.28 * len(cohorts) + 1.5)))
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap="viridis", vmin=0)
    ax.set_yticks(range(len(cohorts)))
    ax.set_yticklabels([f"{c} (n={n:,})" for c, n in zip(cohorts["cohort"], cohorts["cohort_size"])], fontsize=7)
    ax.set_xticks(range(len(months)))
    ax.set_xticklabels([m[1:] for m in months], fontsize=7)
    ax.set_xlabel("months since first purchase")
    ax.set_title("Cohort retention: % of each first-purchase month buying again")
    fig.colorbar(im, ax=ax, label="% of cohort")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
