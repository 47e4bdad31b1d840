"""Slow, obvious reference implementations (tests only).

Each function walks the spine row by row and computes a feature straight from its definition in
the catalog, with plain Python over the customer's rows before T. The fast vectorised code must
agree with these on small random data.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter

import numpy as np
import pandas as pd

DAY = 86_400.0


def _secs(ts: pd.Timestamp) -> int:
    return int(ts.value // 10**9)


def _wall(ts: pd.Timestamp) -> int:
    """Seconds on the local wall clock (durations are local calendar days and hours)."""
    return int(ts.tz_localize(None).value // 10**9)


def _back(as_of: pd.Timestamp, days: int) -> int:
    """Epoch second of local midnight ``days`` calendar days before ``as_of``."""
    naive = as_of.tz_localize(None) - pd.Timedelta(days=days)
    return _secs(naive.tz_localize(as_of.tz, ambiguous=False, nonexistent="shift_forward"))


def _paid(orders: pd.DataFrame) -> pd.DataFrame:
    if "status" not in orders.columns:
        return orders
    return orders[orders["status"].isna() | (orders["status"] == "paid")]


def rfm_rhythm_reference(orders: pd.DataFrame, spine: pd.DataFrame, windows=(30, 90, 180, 365), shrink=2.0) -> pd.DataFrame:
    """RFM, window and rhythm features per spine row, by brute force."""
    paid = _paid(orders)
    by_customer = {c: g.sort_values("order_ts", kind="stable") for c, g in paid.groupby("customer_id")}
    rows = []
    for cust, as_of in zip(spine["customer_id"], spine["as_of"]):
        T = _secs(as_of)
        g = by_customer.get(cust, paid.iloc[:0])
        secs = [_secs(t) for t in g["order_ts"]]
        before = [(s, a, t) for s, a, t in zip(secs, g["amount"], g["order_ts"]) if s < T]
        before.sort(key=lambda x: x[0])
        # durations on the wall clock: whole days between local midnights across daylight saving
        wall = [_wall(t) for _, _, t in before]
        T_wall = _wall(as_of)
        r: dict[str, float] = {"customer_id": cust, "as_of": as_of}
        n = len(before)
        r["orders_count"] = float(n)
        r["spend_total"] = round(sum(a for _, a, _ in before), 2)
        for w in windows:
            inside = [(s, a) for s, a, _ in before if s >= _back(as_of, w)]
            r[f"orders_{w}d"] = float(len(inside))
            r[f"spend_{w}d"] = round(sum(a for _, a in inside), 2)
        if n:
            r["days_since_last_order"] = (T_wall - wall[-1]) / DAY
            r["days_since_first_order"] = (T_wall - wall[0]) / DAY
            r["avg_order_value"] = r["spend_total"] / n
            r["max_order_value"] = max(a for _, a, _ in before)
            # modes: most frequent, lowest on ties
            wd = Counter(t.weekday() for _, _, t in before)
            hr = Counter(t.hour for _, _, t in before)
            r["preferred_weekday"] = float(min(wd, key=lambda k: (-wd[k], k)))
            r["preferred_hour"] = float(min(hr, key=lambda k: (-hr[k], k)))
        else:
            for k in ("days_since_last_order", "days_since_first_order", "avg_order_value", "max_order_value",
                      "preferred_weekday", "preferred_hour"):
                r[k] = math.nan
        gaps = [(wall[i] - wall[i - 1]) / DAY for i in range(1, n)]
        r["gap_mean_days"] = sum(gaps) / len(gaps) if gaps else math.nan
        r["gap_std_days"] = statistics.pstdev(gaps) if len(gaps) >= 2 else math.nan
        r["gap_median_last10_days"] = statistics.median(gaps[-10:]) if gaps else math.nan
        n_last90 = sum(1 for s, _, _ in before if s >= _back(as_of, 90))
        n_prev90 = sum(1 for s, _, _ in before if _back(as_of, 180) <= s < _back(as_of, 90))
        r["orders_trend_90d"] = (n_last90 - n_prev90) / (n_last90 + n_prev90) if n_last90 + n_prev90 else 0.0
        r["_n_gaps"] = len(gaps)
        rows.append(r)
    out = pd.DataFrame(rows)
    # due ratio: the customer's mean gap shrunk toward the median mean gap of the population at T
    due = []
    for as_of, grp in out.groupby("as_of", sort=False):
        means = [m for m in grp["gap_mean_days"] if not math.isnan(m)]
        pop = statistics.median(means) if means else math.nan
        for idx, row in grp.iterrows():
            m = 0.0 if math.isnan(row["gap_mean_days"]) else row["gap_mean_days"]
            k = row["_n_gaps"]
            typical = (m * k + shrink * pop) / (k + shrink)
            due.append((idx, row["days_since_last_order"] / typical if typical else math.nan))
    out["due_ratio"] = pd.Series(dict(due))
    return out.drop(columns=["_n_gaps"])


def quintile_reference(values: list[float], higher_is_better: bool = True) -> list[float]:
    """1..5 from the average-rank percentile, by counting."""
    v = [x if higher_is_better else -x for x in values]
    n = len(v)
    out = []
    for x in v:
        less = sum(1 for y in v if y < x)
        equal = sum(1 for y in v if y == x)
        pct = (less + (equal + 1) / 2) / n
        out.append(float(min(5, max(1, math.ceil(pct * 5)))))
    return out


def event_counts_reference(events: pd.DataFrame, spine: pd.DataFrame, types: list[str], windows=(7, 30, 90)) -> pd.DataFrame:
    """Events of each type per window [T - w, T), by brute force."""
    rows = []
    for cust, as_of in zip(spine["customer_id"], spine["as_of"]):
        T = _secs(as_of)
        mine = events[events["customer_id"] == cust]
        r = {"customer_id": cust, "as_of": as_of}
        for etype in types:
            secs = [_secs(t) for t in mine.loc[mine["event_type"] == etype, "event_ts"]]
            for w in windows:
                r[f"{etype}_{w}d"] = float(sum(1 for s in secs if _back(as_of, w) <= s < T))
        rows.append(r)
    return pd.DataFrame(rows)


def offers_reference(orders: pd.DataFrame, spine: pd.DataFrame) -> pd.DataFrame:
    paid = _paid(orders)
    rows = []
    for cust, as_of in zip(spine["customer_id"], spine["as_of"]):
        T = _secs(as_of)
        mine = paid[(paid["customer_id"] == cust)]
        mine = mine[[(_secs(t) < T) for t in mine["order_ts"]]]
        n = len(mine)
        disc = mine["discount_amount"].fillna(0.0)
        offer = (disc > 0) | (mine["coupon_id"].notna() if "coupon_id" in mine.columns else False)
        gross = mine["amount"].sum() + disc.sum()
        rows.append({
            "customer_id": cust, "as_of": as_of,
            "discount_order_share": offer.sum() / n if n else math.nan,
            "avg_discount_depth": disc.sum() / gross if gross > 0 else math.nan,
        })
    return pd.DataFrame(rows)


def spine_reference(orders: pd.DataFrame, as_of: list[pd.Timestamp]) -> set[tuple[str, pd.Timestamp]]:
    paid = _paid(orders)
    out = set()
    for T in as_of:
        for cust, ts in zip(paid["customer_id"], paid["order_ts"]):
            if _secs(ts) < _secs(T):
                out.add((cust, T))
    return out


def assert_frames_match(fast: pd.DataFrame, slow: pd.DataFrame, columns: list[str], rtol=1e-9, atol=1e-9) -> None:
    f = fast.set_index(["customer_id", "as_of"]).sort_index()
    s = slow.set_index(["customer_id", "as_of"]).sort_index()
    assert list(f.index) == list(s.index)
    for col in columns:
        a = f[col].to_numpy(dtype=np.float64)
        b = s[col].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=col)
