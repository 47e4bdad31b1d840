"""The synthetic retailer written in customer blocks (issue 16): one retailer, in bounded memory."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow.parquet as pq
import pytest

from repurchase.data.io import load_tables
from repurchase.synthetic import SyntheticSpec, write_synthetic, writer
from repurchase.synthetic.events import events_table

SPEC = SyntheticSpec(customers=1200, days=200, seed=20261122, block_customers=400)
TABLES = ("orders", "order_items", "customers", "events", "ground_truth")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The blocked retailer written twice (the first with the progress bar on)."""
    root = tmp_path_factory.mktemp("blocks")
    write_synthetic(root / "a", SPEC, progress=True)
    write_synthetic(root / "b", SPEC)
    return root / "a", root / "b"


@pytest.fixture(scope="module")
def tables(runs):
    return {name: pd.read_parquet(runs[0] / f"{name}.parquet") for name in TABLES}


def test_each_block_is_row_groups_of_the_same_files(runs):
    for name in TABLES:
        assert pq.ParquetFile(runs[0] / f"{name}.parquet").metadata.num_row_groups == SPEC.n_blocks
    assert pq.ParquetFile(runs[0] / "products.parquet").metadata.num_rows == 13  # once, not per block
    assert "block_customers: 400" in (runs[0] / "dataset.yaml").read_text()


def test_deterministic_across_runs(runs):
    a, b = runs
    for name in (*TABLES, "products"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet"))
        assert hashlib.sha256((a / f"{name}.parquet").read_bytes()).digest() == \
            hashlib.sha256((b / f"{name}.parquet").read_bytes()).digest()


def test_customers_ids_and_references(tables):
    o, items, c, ev, truth = (tables[n] for n in TABLES)
    assert len(c) == SPEC.customers and c["customer_id"].is_unique
    assert list(truth["customer_id"]) == list(c["customer_id"])
    assert c["customer_id"].str.len().nunique() == 1  # one id width over every block
    known = set(c["customer_id"])
    assert set(o["customer_id"]) <= known and set(ev["customer_id"]) <= known
    assert o["order_id"].is_unique and set(items["order_id"]) <= set(o["order_id"])
    assert o["coupon_id"].dropna().is_unique
    # a group belongs to one store, whichever block its members are in
    members = c.dropna(subset=["group_id"])
    assert (members["group_id"].str.split("-").str[0] == members["store_id"]).all()
    assert members.groupby("group_id")["customer_id"].apply(lambda s: _block(s).nunique()).max() > 1


def test_referrals_stay_among_the_customers_of_a_block(tables):
    c, ev = tables["customers"], tables["events"]
    referred = c.dropna(subset=["referred_by"])
    assert len(referred) > 10
    assert set(referred["referred_by"]) <= set(c["customer_id"])
    assert (_block(referred["referred_by"]).to_numpy() == _block(referred["customer_id"]).to_numpy()).all()
    refs = ev[ev["event_type"] == "referral"]
    assert set(refs["customer_id"]) == set(referred["referred_by"])


def test_times_inside_the_history(tables):
    start = pd.Timestamp(SPEC.start).tz_localize(SPEC.timezone)
    end = start + pd.Timedelta(days=SPEC.days)
    c, o, ev = tables["customers"], tables["orders"], tables["events"]
    for ts in (o["order_ts"], ev["event_ts"], c["registered_ts"], c["joined_group_ts"].dropna()):
        assert ts.min() >= start and ts.max() < end


def test_loads_clean(runs):
    _, report = load_tables(runs[0])
    assert report.rejected == {}


def test_progress_per_block_on_stderr(runs, capsys):
    write_synthetic(runs[0].parent / "c", SyntheticSpec(customers=60, days=60, seed=1, block_customers=20), progress=True)
    assert "customer blocks" in capsys.readouterr().err


def test_a_run_failing_in_a_later_block_leaves_the_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "data"
    write_synthetic(out, SyntheticSpec(customers=60, days=60, seed=1))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []

    def events_then_fail(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed in block 2")
        return events_table(*args)

    monkeypatch.setattr(writer, "events_table", events_then_fail)
    with pytest.raises(RuntimeError, match="block 2"):
        write_synthetic(out, SPEC)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no staging directory left beside it


def test_at_most_one_block_the_block_size_changes_nothing(tmp_path):
    small = SyntheticSpec(customers=300, days=120, seed=7)
    write_synthetic(tmp_path / "a", small)
    write_synthetic(tmp_path / "b", SyntheticSpec(customers=300, days=120, seed=7, block_customers=300))
    for p in sorted((tmp_path / "a").iterdir()):
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes(), p.name


def _block(ids: pd.Series) -> pd.Series:
    """The block of each customer id ``C00001 ..``."""
    return (ids.str[1:].astype(int) - 1) // SPEC.block_customers
