"""Features from tables left in their Parquet files (QueryTables, read by DuckDB views) equal the
features from the same tables loaded by pandas: same rows, same order, same values."""

from __future__ import annotations

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.data.io import load_tables
from repurchase.data.query_load import load_query_tables
from repurchase.engine import connect
from repurchase.engine.spine import query_spine
from repurchase.engine.tables import QueryTables
from repurchase.features import FEATURE_INPUTS, build_features
from repurchase.spine import build_spine

DATES = ["2024-09-01", "2024-12-01", "2025-02-01"]


def _both(data_dir, dates, **kwargs):
    in_files = load_query_tables(data_dir)
    assert isinstance(in_files, QueryTables)
    loaded, _ = load_tables(data_dir, keep=FEATURE_INPUTS)
    return build_features(in_files, dates, **kwargs), build_features(loaded, dates, **kwargs)


def test_features_in_files_equal_loaded(synthetic_dir):
    got, expected = _both(synthetic_dir, DATES)
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_non_buyers_in_files_equal_loaded(synthetic_dir):
    from repurchase.config import FeatureConfig

    config = FeatureConfig(include_non_buyers=True)
    got, expected = _both(synthetic_dir, DATES[:1], config=config)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _literal(tmp_path):
    """Orders out of id order, a refunded first order, a customer only in customers and one only
    in events: the spine's order of first appearance and its population are written out below."""
    d = tmp_path / "data"
    d.mkdir()
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["c9", "c2", "c9", "c5"],
                  "order_ts": [ts("2024-01-05"), ts("2024-01-02"), ts("2024-02-03"), ts("2024-02-10")],
                  "amount": [10.0, 20.0, 5.0, 7.0], "status": ["paid", "refunded", "paid", "paid"]}).to_parquet(d / "orders.parquet")
    pd.DataFrame({"customer_id": ["c7", "c2"], "registered_ts": [ts("2023-12-01"), ts("2023-12-15")]}).to_parquet(d / "customers.parquet")
    pd.DataFrame({"customer_id": ["c2", "c7", "c9"], "event_ts": [ts("2024-01-20"), ts("2024-01-21"), ts("2024-01-22")],
                  "event_type": ["checkin"] * 3}).to_parquet(d / "events.parquet")
    return d


@pytest.mark.parametrize("non_buyers, expected", [
    # buyers only: c9 (paid 01-05) at both dates, c5 (paid 02-10) only at 03-01; c2 only refunded
    (False, [("2024-02-01", "c9"), ("2024-03-01", "c9"), ("2024-03-01", "c5")]),
    # with non-buyers: first appearance c9, c2 (orders), c5, then c7 (customers only)
    (True, [("2024-02-01", "c9"), ("2024-02-01", "c2"), ("2024-02-01", "c7"),
            ("2024-03-01", "c9"), ("2024-03-01", "c2"), ("2024-03-01", "c5"), ("2024-03-01", "c7")]),
])
def test_query_spine_literal(tmp_path, non_buyers, expected):
    d = _literal(tmp_path)
    q = load_query_tables(d)
    assert q is not None
    got = query_spine(connect().con, q, ["2024-02-01", "2024-03-01"], include_non_buyers=non_buyers)
    assert [(str(a.date()), c) for a, c in zip(got["as_of"], got["customer_id"])] == expected
    reference = build_spine(load_tables(d)[0], ["2024-02-01", "2024-03-01"], include_non_buyers=non_buyers)
    pd.testing.assert_frame_equal(got, reference)


def test_features_command_reads_parquet_in_place(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "f.parquet"
    assert main(["features", str(synthetic_dir), "--as-of", DATES[-1], "--out", str(out)]) == 0
    assert "read in place" in capsys.readouterr().out
    loaded, _ = load_tables(synthetic_dir, keep=FEATURE_INPUTS)
    pd.testing.assert_frame_equal(pd.read_parquet(out), build_features(loaded, DATES[-1:]), check_exact=True)


def test_features_command_with_a_bad_row_gives_the_loaders_message(tmp_path, capsys):
    d = _literal(tmp_path)
    orders = pd.read_parquet(d / "orders.parquet")
    orders.loc[0, "amount"] = -3.0  # a negative paid amount: the pandas loader names it
    orders.to_parquet(d / "orders.parquet")
    assert load_query_tables(d) is None
    assert main(["features", str(d), "--as-of", "2024-03-01", "--out", str(tmp_path / "f.parquet")]) != 0
    err = capsys.readouterr().err
    assert "negative amount not marked as a refund" in err and "read in place" not in err
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.parametrize("fixture, dates", [("cdnow_dir", ["1997-10-01", "1998-02-01"]),
                                            ("orii_dir", ["2011-03-01", "2011-10-01"])])
def test_real_data_in_files_equal_loaded(request, fixture, dates):
    """Real shops' imports (naive local times, refunds, customers without orders): the same."""
    got, expected = _both(request.getfixturevalue(fixture), dates)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
