"""Many as-of dates built in batches of whole dates: the batches, concatenated, are the one-run
frame (same rows, order, columns and values), and the features command writes them as one file."""

from __future__ import annotations

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.config import FeatureConfig
from repurchase.data.io import load_tables
from repurchase.data.query_load import load_query_tables
from repurchase.features import build_features
from repurchase.features.batches import date_batches, feature_batches

DATES = ["2024-06-01", "2024-09-01", "2024-12-01", "2025-02-01"]


@pytest.mark.parametrize("rows, batch_rows, expected", [
    ([3, 3, 3, 5, 1], 6, [(0, 2), (2, 3), (3, 5)]),
    ([3, 3, 3], None, [(0, 3)]),
    ([10, 1, 1], 4, [(0, 1), (1, 3)]),  # a date over the budget is a batch by itself
    ([2, 2], 100, [(0, 2)]),
    ([], 5, [(0, 0)]),
])
def test_date_batches(rows, batch_rows, expected):
    assert [(b.start, b.stop) for b in date_batches(rows, batch_rows)] == expected


@pytest.mark.parametrize("in_files", [False, True])
def test_batches_concatenated_equal_one_run(synthetic_dir, in_files):
    tables = load_query_tables(synthetic_dir) if in_files else load_tables(synthetic_dir)[0]
    whole = build_features(tables, DATES)
    per_date = whole.groupby("as_of").size()
    assert per_date.min() > 100
    parts = list(feature_batches(tables, DATES, batch_rows=int(per_date.max()) + 1))
    assert len(parts) >= 2
    got = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(got, whole, check_exact=True)


def _shifting_categories(tmp_path):
    """Category 'tea' leads before 2024-03-01, 'rice' after: the top category of a run is ranked
    at its latest date, so a batch of the early date alone would pick 'tea'."""
    d = tmp_path / "data"
    d.mkdir()
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    days = ["2024-01-05", "2024-01-10", "2024-01-20", "2024-03-05", "2024-03-10", "2024-03-15", "2024-03-20"]
    cats = ["tea", "tea", "rice", "rice", "rice", "rice", "rice"]
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(7)], "customer_id": ["c1", "c2", "c1", "c2", "c1", "c2", "c1"],
                           "order_ts": [ts(x) for x in days], "amount": [10.0] * 7})
    orders.to_parquet(d / "orders.parquet")
    pd.DataFrame({"order_id": orders["order_id"], "sku": [f"s{c}" for c in cats], "category": cats,
                  "quantity": [1] * 7, "unit_price": [10.0] * 7}).to_parquet(d / "order_items.parquet")
    return d


def test_batches_keep_the_columns_of_the_latest_date(tmp_path):
    tables = load_query_tables(_shifting_categories(tmp_path))
    config = FeatureConfig(top_categories=1)
    dates = ["2024-02-01", "2024-04-01"]
    whole = build_features(tables, dates, config=config)
    assert any("rice" in c for c in whole.columns) and not any("tea" in c for c in whole.columns)
    # alone, the early date ranks tea first
    assert any("tea" in c for c in build_features(tables, dates[:1], config=config).columns)
    parts = list(feature_batches(tables, dates, config=config, batch_rows=1))
    assert len(parts) == 2
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)


def test_features_command_writes_batches_as_one_file(synthetic_dir, tmp_path, capsys):
    one, batched = tmp_path / "one.parquet", tmp_path / "batched.parquet"
    args = ["features", str(synthetic_dir), "--schedule", DATES[0], DATES[-1]]
    assert main([*args, "--out", str(one), "--set", "engine.batch_rows=null"]) == 0
    assert "batches" not in capsys.readouterr().out
    assert main([*args, "--out", str(batched), "--set", "engine.batch_rows=1500"]) == 0
    out = capsys.readouterr().out
    assert "batches of dates" in out
    pd.testing.assert_frame_equal(pd.read_parquet(batched), pd.read_parquet(one), check_exact=True)


def test_a_failing_batch_writes_nothing(synthetic_dir, tmp_path, monkeypatch):
    import repurchase.features as features

    out = tmp_path / "f.parquet"
    out.write_bytes(b"the previous file")
    real, calls = features.build_features, []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk gone")
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "build_features", second_fails)
    args = ["features", str(synthetic_dir), "--schedule", DATES[0], DATES[-1], "--out", str(out),
            "--set", "engine.batch_rows=1500"]
    assert main(args) != 0
    assert out.read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.parquet"]
