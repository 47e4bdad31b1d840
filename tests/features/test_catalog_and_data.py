"""The catalog documents every feature; features run on synthetic and on the real datasets."""

from __future__ import annotations

import pandas as pd

from repurchase.cli import main
from repurchase.data.io import load_tables
from repurchase.features import CATALOG, build_features, feature_columns, lookup, markdown
from tests.conftest import CDNOW_CSV, ORII_CSV, REPO, need_shared


def test_docs_are_generated_from_the_catalog():
    assert (REPO / "docs" / "features.md").read_text(encoding="utf-8").strip() == markdown().strip(), \
        "regenerate: repurchase features --list --markdown > docs/features.md"


def test_every_catalog_entry_is_produced_on_full_synthetic_data(synthetic_dir):
    import pytest

    from repurchase.config import FeatureConfig
    from repurchase.features.bgnbd import lifetimes_available

    if not lifetimes_available():
        pytest.skip("the btyd group needs lifetimes")
    tables, _ = load_tables(synthetic_dir)
    cfg = FeatureConfig(groups=["rfm", "rhythm", "categories", "offers", "engagement", "btyd"])
    f = build_features(tables, ["2024-10-01", "2024-11-01"], config=cfg)
    cols = feature_columns(f)
    assert all(lookup(c) is not None for c in cols)
    produced = {lookup(c).name for c in cols}
    assert produced == {s.name for s in CATALOG}
    assert f["bgnbd_p_alive"].between(0, 1).all() and f["bgnbd_p_buy_90d"].ge(f["bgnbd_p_buy_30d"] - 1e-6).all()
    assert f["as_of"].nunique() == 2 and not f.duplicated(["customer_id", "as_of"]).any()


def test_features_command_on_synthetic(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "f.parquet"
    assert main(["features", str(synthetic_dir), "--schedule", "2024-06-01", "2024-09-01", "--out", str(out)]) == 0
    f = pd.read_parquet(out)
    assert f["as_of"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2024-06-01", "2024-07-01", "2024-08-01", "2024-09-01"]
    assert "as of 2024-09-01" in capsys.readouterr().out
    assert main(["features", "--list"]) == 0
    assert main(["features", str(synthetic_dir), "--out", str(out)]) == 2  # no dates: usage error


@need_shared(ORII_CSV)
def test_features_command_on_online_retail_ii(orii_dir, tmp_path):
    out = tmp_path / "orii.parquet"
    assert main(["features", str(orii_dir), "--as-of", "2011-06-01", "--as-of", "2011-09-01", "--out", str(out)]) == 0
    f = pd.read_parquet(out)
    assert f.groupby("as_of").size().min() > 3000
    assert (f["days_since_last_order"] > 0).all()
    assert str(f["as_of"].dt.tz) == "Europe/London"


@need_shared(CDNOW_CSV)
def test_features_command_on_cdnow(cdnow_dir, tmp_path):
    out = tmp_path / "cd.parquet"
    assert main(["features", str(cdnow_dir), "--as-of", "1997-10-01", "--out", str(out)]) == 0
    f = pd.read_parquet(out)
    assert len(f) == 23_570  # every customer bought in Q1 1997
    assert "categories_bought_count" in f.columns and (f["categories_bought_count"] == 1).all()


def test_feature_inputs_are_every_column_the_features_read(synthetic_dir):
    """Tables loaded with only :data:`FEATURE_INPUTS` give the very same features."""
    from repurchase.data.io import load_tables
    from repurchase.features import FEATURE_INPUTS, build_features

    full = load_tables(synthetic_dir)[0]
    lean = load_tables(synthetic_dir, keep=FEATURE_INPUTS)[0]
    assert set(lean.events.columns) < set(full.events.columns)
    dates = ["2024-09-01", "2025-01-01"]
    pd.testing.assert_frame_equal(build_features(lean, dates), build_features(full, dates), check_exact=True)


def test_windows_without_90_days_still_build_every_group(synthetic_tables):
    """The most active hour reads a 90-day window whatever ``engagement_windows_days`` holds."""
    from repurchase.config import FeatureConfig

    f = build_features(synthetic_tables, ["2024-10-01"],
                       config=FeatureConfig(windows_days=[30], engagement_windows_days=[7, 30]))
    assert f["most_active_hour_90d"].notna().any() and "orders_30d" in f.columns
