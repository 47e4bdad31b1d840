"""The Spark engine's plumbing on PySpark ``local[2]``: the session as the features need it
(UTC), Ibis results and Parquet timestamps equal to DuckDB's on the 5k demo, and scoring with
``mapInPandas`` equal to the pandas path. Slow (starts a JVM): ``make test-slow``."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from repurchase.errors import ConfigError, RepurchaseError


pytestmark = [pytest.mark.slow,
              # PySpark 4.3 and Ibis 12 on pandas 3: their own deprecation notes, not this code's
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning:pyspark"),
              pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning:ibis"),
              pytest.mark.filterwarnings("ignore:Series.values returning an ndarray:pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning:ibis")]


def _both(spark_con, duck_con, demo_dir, names):
    from repurchase.engine.spark import read_parquet_tables

    s = read_parquet_tables(spark_con, demo_dir, names)
    d = {n: duck_con.read_parquet(str(demo_dir / f"{n}.parquet"), table_name=n) for n in names}
    return s, d


def test_the_session_runs_on_utc_with_ansi_on_and_local_settings(spark, con):
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert spark.sparkContext.master == "local[2]"
    # the clock really is UTC: epoch 0 is midnight, and 1704067200 is 2024-01-01 00:00
    row = spark.sql("SELECT hour(timestamp_seconds(0)) AS h, "
                    "CAST(timestamp_seconds(1704067200) AS STRING) AS s").first()
    assert (row.h, row.s) == (0, "2024-01-01 00:00:00")
    from repurchase.engine.spark import spark_session

    assert spark_session("local[2]") is spark  # reused, not a second JVM


def test_a_timezone_other_than_utc_is_refused():
    from repurchase.engine.spark import _settings

    with pytest.raises(ConfigError, match="needs UTC"):
        _settings("local[2]", {"spark.sql.session.timeZone": "Asia/Shanghai"}, "ERROR")


def test_missing_pyspark_and_missing_java_name_the_fix(monkeypatch, tmp_path):
    from repurchase.engine import spark as mod

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    with pytest.raises(RepurchaseError, match=r"pip install 'repurchase\[spark\]'"):
        mod.spark_session()
    monkeypatch.delitem(sys.modules, "pyspark")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(mod, "JVM_DIR", str(tmp_path))
    with pytest.raises(RepurchaseError, match="scripts/java.sh"):
        mod.java_home()


def test_a_group_by_gives_the_same_result_on_spark_and_duckdb(con, duck, demo_dir):
    import ibis

    def summary(o):
        return (o.group_by("status", "channel")
                .aggregate(n=o.count(), customers=o.customer_id.nunique(), cents=(o.amount * 100).round().sum(),
                           first=o.order_ts.min(), last=o.order_ts.max())
                .order_by("status", "channel"))

    s, d = _both(con, duck, demo_dir, ["orders"])
    got, want = con.to_pandas(summary(s["orders"])), duck.to_pandas(summary(d["orders"]))
    assert len(want) > 1 and want["n"].sum() > 10_000
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert str(got["first"].dtype) == str(want["first"].dtype) == "datetime64[us, UTC]"
    # a memtable goes to Spark as a DataFrame and back the same way
    mt = ibis.memtable({"k": ["a", "b", "a", "c", "a"], "v": [1.5, 2.0, 3.0, None, 0.5]})
    expr = mt.group_by("k").aggregate(n=mt.count(), s=mt.v.sum(), m=mt.v.mean()).order_by("k")
    pd.testing.assert_frame_equal(con.to_pandas(expr), duck.to_pandas(expr), check_dtype=False)


def test_parquet_timestamps_are_read_as_the_same_instants(con, duck, demo_dir):
    import ibis.expr.datatypes as dt

    names = ["orders", "events", "customers"]
    s, d = _both(con, duck, demo_dir, names)
    checked = 0
    for name, key in (("orders", "order_id"), ("events", None), ("customers", "customer_id")):
        cols = [c for c, t in d[name].schema().items() if t.is_timestamp()]
        assert cols and all(s[name].schema()[c] == dt.Timestamp(timezone="UTC", scale=6) for c in cols)
        for c in cols:
            def secs(t):  # floored epoch seconds, as the feature code computes them
                return t.select(k=t[key or "customer_id"], ts=t[c], s=t[c].epoch_seconds().floor().cast("int64"))

            a = con.to_pandas(secs(s[name])).sort_values(["k", "s"], na_position="last").reset_index(drop=True)
            b = duck.to_pandas(secs(d[name])).sort_values(["k", "s"], na_position="last").reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
            exact = pd.to_datetime(b["ts"]).dropna().astype("int64") // 10**6  # microseconds -> seconds
            assert (b["s"].dropna().astype("int64").to_numpy() == exact.to_numpy()).all()
            checked += int(b["ts"].notna().sum())
    assert checked > 100_000
    # the demo's order_ts specifically: epoch seconds equal row by row, keyed by order id
    o_s, o_d = s["orders"], d["orders"]
    a = con.to_pandas(o_s.select("order_id", e=o_s.order_ts.epoch_seconds())).set_index("order_id")["e"]
    b = duck.to_pandas(o_d.select("order_id", e=o_d.order_ts.epoch_seconds())).set_index("order_id")["e"]
    assert len(a) == len(b) > 50_000 and (a.loc[b.index] == b).all()


def test_sub_second_instants_floor_to_the_same_epoch_second(con, duck):
    import ibis

    ts = pd.to_datetime(["2024-01-01 00:00:00.700", "2024-01-01 00:00:01", "2030-06-01 12:00:00.001", None],
                        format="ISO8601").tz_localize("UTC")
    mt = ibis.memtable(pd.DataFrame({"k": [1, 2, 3, 4], "ts": ts}))
    expr = mt.select("k", s=mt.ts.epoch_seconds().floor().cast("int64"), h=mt.ts.hour()).order_by("k")
    got, want = con.to_pandas(expr), duck.to_pandas(expr)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got["s"].iloc[:3].tolist() == [1704067200, 1704067201, 1906545600]


def _synthetic(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=["recency", "frequency", "spend", "engagement", "tenure"])
    X.loc[rng.random(n) < 0.1, "engagement"] = np.nan  # LightGBM's missing-value branch, via Arrow nulls
    y = (X["recency"] - 0.5 * X["frequency"] + rng.normal(size=n) > 0).astype(int).to_numpy()
    return X.astype("float32"), y


def test_scoring_in_spark_equals_pandas_and_the_ranked_cut_is_identical(spark):
    import lightgbm as lgb

    from repurchase.engine.spark_scoring import rank_and_cut, score_in_spark
    from repurchase.scoring.lists import rank_order

    X, y = _synthetic()
    cols = list(X.columns)
    model = lgb.LGBMClassifier(n_estimators=25, num_leaves=7, verbose=-1, random_state=0, n_jobs=1).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    ids = pd.Series([f"C{i:05d}" for i in range(len(X))])
    # the Spark frame holds the features as doubles, in another order than training, keys first
    frame = X[cols[::-1]].astype("float64").assign(customer_id=ids)[["customer_id", *cols[::-1]]]
    sdf = spark.createDataFrame(frame).repartition(3)
    scored = score_in_spark(sdf, model, cols, score_col="p_need", dtypes={c: "float32" for c in cols}).cache()
    got = scored.toPandas().set_index("customer_id")["p_need"].loc[ids]
    assert list(scored.columns) == ["customer_id", "p_need"]
    assert np.abs(got.to_numpy() - p).max() <= 1e-12
    budget = 400
    cut = rank_and_cut(scored, "p_need", budget).toPandas()
    order = rank_order(p, ids)[:budget]
    assert cut["rank"].tolist() == list(range(1, budget + 1))
    assert cut["customer_id"].tolist() == ids.iloc[order].tolist()
    assert np.abs(cut["p_need"].to_numpy() - p[order]).max() <= 1e-12
    assert pd.Series(p[order]).duplicated().any()  # trees give tied scores: the id tie-break was exercised
    scored.unpersist()


def test_the_packages_classifier_scores_the_same_on_the_executors(spark):
    """RepurchaseClassifier (calibrated trees) unpickles on the Python workers and checks its columns."""
    from repurchase.engine.spark_scoring import score_in_spark
    from repurchase.models.lgbm import RepurchaseClassifier

    X, y = _synthetic(2000, seed=11)
    half = len(X) // 2
    model = RepurchaseClassifier(n_estimators=40, early_stopping_rounds=10, n_jobs=1)
    model.fit(X.iloc[:half], y[:half], X.iloc[half:], y[half:])
    p = model.predict_proba(X)[:, 1]
    frame = X.astype("float64").assign(customer_id=[f"C{i:05d}" for i in range(len(X))])
    got = score_in_spark(spark.createDataFrame(frame), model, model.feature_names_in_).toPandas()
    assert got["customer_id"].tolist() == frame["customer_id"].tolist()
    assert np.abs(got["score"].to_numpy() - p).max() <= 1e-12  # the float32 training dtypes came from the model


def test_rank_and_cut_puts_missing_scores_last_and_breaks_ties_by_id(spark):
    from repurchase.engine.spark_scoring import rank_and_cut
    from repurchase.scoring.lists import rank_order

    ids = pd.Series(["c", "a", "e", "b", "d", "f"])
    score = np.array([0.5, 0.5, np.nan, 0.9, 0.1, 0.5])
    sdf = spark.createDataFrame(pd.DataFrame({"customer_id": ids, "s": score}))
    want = ids.iloc[rank_order(score, ids)].tolist()
    assert want == ["b", "a", "c", "f", "d", "e"]
    assert rank_and_cut(sdf, "s", None).toPandas()["customer_id"].tolist() == want
    assert rank_and_cut(sdf, "s", 3).toPandas()["customer_id"].tolist() == want[:3]
    assert rank_and_cut(sdf, "s", 2, by_desc=False).toPandas()["customer_id"].tolist() == ["d", "a"]
    assert rank_and_cut(sdf, "s", 0).count() == 0
