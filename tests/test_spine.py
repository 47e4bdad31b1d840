from __future__ import annotations

import pandas as pd
import pytest

from repurchase.errors import ConfigError, DataError
from repurchase.spine import AsOfContext, as_of_timestamp, build_spine, schedule
from tests.features.strategies import make_tables

BASE = {"amount": 1.0, "status": "paid", "discount_amount": 0.0, "coupon_id": None}


def _tables(**kw):
    orders = [dict(BASE, order_id="1", customer_id="x", order_ts=pd.Timestamp("2024-01-10")),
              dict(BASE, order_id="2", customer_id="y", order_ts=pd.Timestamp("2024-02-10"), status="cancelled"),
              dict(BASE, order_id="3", customer_id="y", order_ts=pd.Timestamp("2024-03-10"))]
    return make_tables("Asia/Shanghai", orders, **kw)


def test_schedules():
    m = schedule("2024-01-01", "2024-04-15", "monthly", "Asia/Shanghai")
    assert [d.strftime("%Y-%m-%d") for d in m] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert str(m[0].tz) == "Asia/Shanghai" and m[0].hour == 0
    w = schedule("2024-01-01", "2024-01-31", "weekly")
    assert [d.day for d in w] == [1, 8, 15, 22, 29] and all(d.weekday() == 0 for d in w)
    with pytest.raises(ConfigError):
        schedule("2024-02-01", "2024-01-01")


def test_as_of_must_be_a_date():
    assert as_of_timestamp("2024-03-01", "UTC") == pd.Timestamp("2024-03-01", tz="UTC")
    with pytest.raises(ConfigError, match="midnight"):
        as_of_timestamp("2024-03-01 10:00", "UTC")
    with pytest.raises(ConfigError, match="not a date"):
        as_of_timestamp("soon", "UTC")


def test_as_of_context_converts_once_in_local_calendar_days():
    ctx = AsOfContext.of("2024-04-01", "Europe/London")  # British summer time began on 31 March
    assert ctx.ts == pd.Timestamp("2024-04-01", tz="Europe/London")
    assert ctx.seconds == int(pd.Timestamp("2024-03-31 23:00", tz="UTC").timestamp())
    assert ctx.wall_seconds == int(pd.Timestamp("2024-04-01", tz="UTC").timestamp())
    assert ctx.window_start(30) == pd.Timestamp("2024-03-02", tz="Europe/London")
    assert ctx.seconds - ctx.window_start_seconds(30) == 30 * 86_400 - 3_600  # one local day was 23 hours
    assert ctx.shifted(1).date() == ctx.date + pd.Timedelta(days=1)
    assert ctx.earlier(30).ts == ctx.window_start(30) and ctx.earlier(30).tz == ctx.tz
    assert AsOfContext.of(ctx, "Europe/London") is ctx
    with pytest.raises(ConfigError, match="Europe/London"):
        AsOfContext.of(ctx, "UTC")
    today = AsOfContext.today("Asia/Shanghai").ts
    assert today == today.normalize() and str(today.tz) == "Asia/Shanghai"


def test_spine_population_uses_paid_orders_before_T():
    s = build_spine(_tables(), ["2024-02-01", "2024-03-01", "2024-04-01"])
    got = {(d.strftime("%m-%d"), c) for c, d in zip(s["customer_id"], s["as_of"])}
    # y's cancelled order does not make y a customer; y joins after its paid order
    assert got == {("02-01", "x"), ("03-01", "x"), ("04-01", "x"), ("04-01", "y")}


def test_include_non_buyers_from_events():
    events = [{"customer_id": "member", "event_ts": pd.Timestamp("2024-01-05"), "event_type": "message"}]
    t = _tables(events=events)
    assert set(build_spine(t, ["2024-02-01"])["customer_id"]) == {"x"}
    assert set(build_spine(t, ["2024-02-01"], include_non_buyers=True)["customer_id"]) == {"x", "member"}


def test_empty_spine_is_a_clear_error():
    with pytest.raises(DataError, match="no customer has a paid order before"):
        build_spine(_tables(), ["2023-01-01"])


def test_every_module_imports_on_its_own():
    """No import cycle: each module loads first, with no other repurchase module loaded before it
    (spine once failed alone). One fresh interpreter; third-party imports stay cached between tries."""
    import subprocess
    import sys

    from tests.conftest import REPO

    src = REPO / "src" / "repurchase"
    mods = sorted("repurchase." + ".".join(p.relative_to(src).with_suffix("").parts).replace(".__init__", "")
                  for p in src.rglob("*.py") if p.name != "__main__.py")
    code = ("import importlib, sys\nbad = []\nfor m in sys.argv[1:]:\n"
            "    for k in [k for k in sys.modules if k == 'repurchase' or k.startswith('repurchase.')]:\n"
            "        del sys.modules[k]\n"
            "    try:\n        importlib.import_module(m)\n"
            "    except Exception as e:\n        bad.append(f'{m}: {type(e).__name__}: {e}')\n"
            "print('\\n'.join(bad))\nsys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code, *mods], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
