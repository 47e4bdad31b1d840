"""Parity of the two engines: every default feature of the 5k demo, built on PySpark
``local[2]``, is identical to DuckDB's, and ``repurchase features --engine spark`` writes the same
file as the default engine. Slow (starts a JVM): ``make test-slow``."""

from __future__ import annotations

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.config import FeatureConfig
from repurchase.data.io import load_tables
from repurchase.features import build_features

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning:ibis")]

#: two as-of dates a year apart, the second after the demo's summer: windows and keys differ
DATES = ["2024-11-01", "2025-06-01"]
SPARK = {"backend": "spark", "spark_master": "local[2]"}


@pytest.fixture(scope="module")
def demo_tables(demo_dir):
    return load_tables(demo_dir)[0]


def test_every_default_feature_on_spark_equals_duckdb(spark, demo_tables):
    config = FeatureConfig(dtype="float64")
    duck = build_features(demo_tables, DATES, config=config)
    on_spark = build_features(demo_tables, DATES, config=config, engine=SPARK)
    assert len(duck) > 5000 and duck.shape[1] > 40
    # a few columns must be populated at all, else equal-by-emptiness would pass
    for col in ("days_since_last_order", "orders_90d", "r_score"):
        assert duck[col].notna().mean() > 0.9, col
    pd.testing.assert_frame_equal(on_spark, duck, check_exact=True)


def test_the_features_command_runs_on_spark(spark, demo_dir, tmp_path, capsys):
    outs = {}
    for engine in ("duckdb", "spark"):
        outs[engine] = tmp_path / f"{engine}.parquet"
        assert main(["features", str(demo_dir), "--as-of", DATES[1], "--engine", engine,
                     "--out", str(outs[engine])]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pd.read_parquet(outs["spark"]), pd.read_parquet(outs["duckdb"]), check_exact=True)


def test_scoring_with_the_features_on_spark_gives_the_same_lists(spark, synthetic_tables, score_as_of, bundles_dir,
                                                                  score_config):
    from repurchase.scoring import load_models, score

    on_spark = score_config.model_copy(update={"engine": score_config.engine.model_copy(update={"backend": "spark"})})
    models = load_models(bundles_dir, score_config)
    duck, sp = score(synthetic_tables, score_as_of, models, score_config), score(synthetic_tables, score_as_of, models, on_spark)
    assert len(duck.need) > 50 and len(duck.recall) > 50
    for part in ("need", "recall", "scores"):
        pd.testing.assert_frame_equal(getattr(sp, part), getattr(duck, part), check_exact=True)
