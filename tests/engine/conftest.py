"""Fixtures of the Spark engine tests: one PySpark ``local[2]`` session per module (on the Java
``scripts/java.sh`` finds or installs), a DuckDB beside it, and the demo's data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark():
    """One local[2] session for the module, on the Java that scripts/java.sh finds or installs."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "java.sh")], capture_output=True, text=True, timeout=900)
    if done.returncode == 3:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    pytest.importorskip("pyspark")
    from repurchase.engine.spark import spark_session, stop_spark

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAVA_HOME", done.stdout.strip().splitlines()[-1])
        session = spark_session("local[2]", conf={"spark.driver.memory": "1g"})
        yield session
        stop_spark()


@pytest.fixture(scope="module")
def con(spark):
    from repurchase.engine.spark import ibis_spark

    return ibis_spark(spark)


@pytest.fixture(scope="module")
def duck():
    import ibis

    c = ibis.duckdb.connect(threads=1)
    c.raw_sql("SET TimeZone = 'UTC'")  # DuckDB's EPOCH(CAST(tz-aware AS TIMESTAMP)) follows its TimeZone
    return c


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """The demo's data: 5,000 customers over 730 days, seed 42 (as make demo and the spike)."""
    from repurchase.synthetic import SyntheticSpec, write_synthetic

    out = tmp_path_factory.mktemp("demo") / "data"
    write_synthetic(out, SyntheticSpec(customers=5000, days=730, seed=42))
    return out
