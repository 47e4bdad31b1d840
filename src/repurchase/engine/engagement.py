"""Community engagement as queries: event counts per type and window, recency, check-in rate,
trend, referrals, group membership and the most active hour.

Counts come from entry and exit keys (:mod:`repurchase.engine._keys`); the most active hour joins
each counted event only to the dates whose 90-day window holds it (a few per event).
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import KEYS, cumulative, entry_key, exit_key, keyed_counts, left_join
from repurchase.engine._time import DAY_S, secs
from repurchase.engine.session import Session
from repurchase.engine._names import safe_name

#: event types that describe membership, not engagement
MEMBERSHIP = ("group_join", "group_leave")
_NONE = ibis.null("int64")


def counted_types(s: Session, top: int, before_s: int) -> list[str]:
    """The ``top`` most frequent event types before epoch second ``before_s`` (ties by name),
    membership types left out."""
    def build(_strs, ints):
        e = s.table("events", ["event_type", "event_ts"])
        e = e.filter(secs(e.event_ts) < ints[0], e.event_type.notnull(), ~e.event_type.isin(MEMBERSHIP))
        return e.group_by("event_type").aggregate(n=e.count()).order_by([ibis.desc("n"), "event_type"]).limit(top)

    return [str(t) for t in s.run(("counted_types", top), build, ints=[int(before_s)]).column("event_type").to_pylist()]


def _events(s: Session, types: list[str]) -> ibis.Table:
    ev = s.table("events", ["customer_id", "event_ts", "event_type"])
    ev = ev.filter(ev.event_type.isin(sorted({*types, *MEMBERSHIP, "referral", "checkin"})))
    ts = secs(ev.event_ts)
    return s.cache(ev.select("customer_id", "event_type", ts_s=ts, wall=s.wall(ts)))


def _counts(s: Session, ev: ibis.Table, types: list[str], windows: list[int]) -> ibis.Table:
    """Running counts per (customer, date): per counted type and window, counted events in 30 and
    60 days, referrals, last counted / join / leave event, check-in days in 30 days."""
    n = s.n_dates
    typ, counted = ev.event_type, ev.event_type.isin(types)
    entry = {f"in_{i}": (lambda r, t=t: r.count(where=r.event_type == t)) for i, t in enumerate(types)}
    entry.update(in_counted=lambda r: r.count(where=r.event_type.isin(types)),
                 referrals=lambda r: r.count(where=r.event_type == "referral"),
                 last_s=lambda r: r.ts_s.max(where=r.event_type.isin(types)),
                 join_s=lambda r: r.ts_s.max(where=r.event_type == "group_join"),
                 leave_s=lambda r: r.ts_s.max(where=r.event_type == "group_leave"))
    deltas = [keyed_counts(ev, entry_key(ev.ts_s, s), n, **entry)]
    sums = [*(f"in_{i}" for i in range(len(types))), "in_counted", "referrals"]
    for w in sorted({*windows, 30, 60}):
        out = {f"out{w}_{i}": (lambda r, t=t: r.count(where=r.event_type == t))
               for i, t in enumerate(types) if w in windows}
        if w in (30, 60):
            out[f"out{w}_counted"] = lambda r: r.count(where=r.event_type.isin(types))
        deltas.append(keyed_counts(ev, exit_key(ev.ts_s, s, w), n, **out))
        sums += list(out)
    # a check-in day is stamped at the day's first check-in, as the numpy path did
    ck = ev.filter(typ == "checkin")
    ck = ck.group_by("customer_id", day=ck.wall // DAY_S).aggregate(ts_s=ck.ts_s.min())
    deltas.append(keyed_counts(ck, entry_key(ck.ts_s, s), n, ck_in=lambda r: r.count()))
    deltas.append(keyed_counts(ck, exit_key(ck.ts_s, s, 30), n, ck_out=lambda r: r.count()))
    del counted
    return cumulative(deltas, s.asof, sums=[*sums, "ck_in", "ck_out"], maxes=["last_s", "join_s", "leave_s"])


def _mode_hour(s: Session, ev: ibis.Table, types: list[str]) -> ibis.Table:
    """The most frequent local hour (lowest on ties) of counted events in [T - 90 days, T)."""
    c = ev.filter(ev.event_type.isin(types))
    c = c.select("customer_id", hour=(c.wall % DAY_S) // 3600, _e=entry_key(c.ts_s, s), _x=exit_key(c.ts_s, s, 90))
    c = c.filter(c._e < c._x)
    k = s.asof.select("as_of_key")
    j = c.join(k, (k.as_of_key >= c._e) & (k.as_of_key < c._x))
    h = j.group_by("customer_id", "as_of_key", "hour").aggregate(_n=j.count())
    h = h.mutate(_i=ibis.row_number().over(group_by=KEYS, order_by=[ibis.desc("_n"), "hour"]))
    return h.filter(h._i == 0).select("customer_id", "as_of_key", mode_hour=h.hour)


def engagement_columns(s: Session, types: list[str], windows: list[int]) -> dict[str, np.ndarray]:
    """The engagement group's columns (float64, spine order), as the numpy path named and
    ordered them; membership columns need events or ``customers.joined_group_ts``. In the
    query a counted type's column is named by its position (the names are values: they vary)."""
    c = s.tables.customers
    if s.tables.events is None and (c is None or not {"joined_group_ts", "registered_ts"} & set(c.columns)):
        return {}
    names = {f"_t{i}_{w}d": f"{safe_name(t)}_{w}d" for i, t in enumerate(types) for w in windows}
    got = s.columns(("engagement", tuple(windows)), lambda strs, _ints: _columns(s, strs, windows), None,
                    strings=types)
    return {names.get(k, k): v for k, v in got.items()}


def _columns(s: Session, types: list[str], windows: list[int]) -> ibis.Table:
    """The spine (``_row``) with the engagement columns."""
    has_events = s.tables.events is not None
    c = s.tables.customers
    has_join = c is not None and "joined_group_ts" in c.columns
    has_reg = c is not None and "registered_ts" in c.columns
    x, cols = s.spine, {}
    if has_events:
        ev = _events(s, types)
        x = left_join(left_join(x, _counts(s, ev, types, windows)), _mode_hour(s, ev, types))
        for i in range(len(types)):
            for w in windows:
                cols[f"_t{i}_{w}d"] = (x[f"in_{i}"].fill_null(0) - x[f"out{w}_{i}"].fill_null(0)).cast("float64")
        last30 = x.in_counted.fill_null(0) - x.out30_counted.fill_null(0)
        prev30 = x.out30_counted.fill_null(0) - x.out60_counted.fill_null(0)
        cols["events_30d"] = last30.cast("float64")
        cols["engagement_trend_30d"] = ibis.ifelse(last30 + prev30 > 0, (last30 - prev30) / (last30 + prev30), 0.0)
        cols["days_since_last_engagement"] = (x.t_wall - s.wall(x.last_s)) / DAY_S
        cols["most_active_hour_90d"] = x.mode_hour.cast("float64")
        cols["referrals_made"] = x.referrals.fill_null(0).cast("float64")
    if has_join or has_reg:
        cu = s.table("customers", ["customer_id", "registered_ts", "joined_group_ts"])
        x = left_join(x, cu.select("customer_id", **{f"_{k}": secs(cu[k]) for k in ("registered_ts", "joined_group_ts")
                                                    if k in cu.columns}), ["customer_id"])
    before = {k: ibis.ifelse(x[f"_{k}"] < x.t_s, x[f"_{k}"], _NONE) for k in ("registered_ts", "joined_group_ts")
              if f"_{k}" in x.columns}
    if has_join or has_events:
        joined = before.get("joined_group_ts", _NONE)
        if has_events:
            joined = ibis.coalesce(ibis.greatest(joined, x.join_s), joined, x.join_s)
        left = x.leave_s if has_events else _NONE
        in_group = joined.notnull() & ~(left.notnull() & (left >= joined))
        since = ibis.ifelse(in_group, (x.t_wall - s.wall(joined)) / DAY_S, ibis.null("float64"))
        cols["in_group"] = in_group.cast("float64")
        cols["days_since_joined_group"] = since
    if has_events:
        days_in = ibis.ifelse(cols["in_group"] > 0, ibis.least(30.0, ibis.greatest(cols["days_since_joined_group"], 1.0)),
                              30.0) if "in_group" in cols else ibis.literal(30.0)
        cols["checkin_rate_30d"] = (x.ck_in.fill_null(0) - x.ck_out.fill_null(0)) / days_in
    if has_reg:
        cols["days_since_registered"] = (x.t_wall - s.wall(before["registered_ts"])) / DAY_S
    return x.select("_row", **cols)
