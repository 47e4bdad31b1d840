"""Shared fixtures: one seed, a small synthetic retailer, helpers to write literal tables."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from repurchase.synthetic import SyntheticSpec, write_synthetic

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ORII_CSV = SHARED_DATA / "online_retail_ii" / "online_retail_ii.csv.gz"
CDNOW_CSV = SHARED_DATA / "cdnow" / "cdnow_master.csv.gz"


@pytest.fixture(scope="session")
def seed() -> int:
    """The one seed of the test suite."""
    return 20261122


@pytest.fixture(scope="session")
def small_spec(seed) -> SyntheticSpec:
    return SyntheticSpec(customers=1500, days=400, seed=seed)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory, small_spec) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "data"
    write_synthetic(out, small_spec)
    return out


def _imported(tmp_path_factory, dataset: str, src: Path) -> Path:
    """A public dataset imported once per session through the CLI (skipped without shared/)."""
    if not src.is_file():
        pytest.skip(f"shared dataset not found: {src}")
    from repurchase.cli import main

    out = tmp_path_factory.mktemp(dataset) / "data"
    assert main(["import", dataset, str(src), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def orii_dir(tmp_path_factory) -> Path:
    return _imported(tmp_path_factory, "online-retail-ii", ORII_CSV)


@pytest.fixture(scope="session")
def cdnow_dir(tmp_path_factory) -> Path:
    return _imported(tmp_path_factory, "cdnow", CDNOW_CSV)


def write_csv(directory: Path, table: str, rows: list[dict] | pd.DataFrame, **kwargs) -> Path:
    """Write a literal table as ``<table>.csv`` (strings as given)."""
    directory.mkdir(parents=True, exist_ok=True)
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    path = directory / f"{table}.csv"
    frame.to_csv(path, index=False, **kwargs)
    return path


def literal_dir(tables: dict, write_table: Callable[[Path, str, object], object]) -> Callable[[Path], Path]:
    """A builder of a literal data directory: each table written by ``write_table(directory,
    name, content)``, except bytes or text, written as given to the file ``name``."""
    def build(d: Path) -> Path:
        d.mkdir(parents=True, exist_ok=True)
        for name, content in tables.items():
            if isinstance(content, bytes):
                (d / name).write_bytes(content)
            elif isinstance(content, str):
                (d / name).write_text(content, encoding="utf-8")
            else:
                write_table(d, name, content)
        return d
    return build


def need_shared(path: Path):
    return pytest.mark.skipif(not path.is_file(), reason=f"shared dataset not found: {path}")


@pytest.fixture(scope="session")
def synthetic_tables(synthetic_dir):
    from repurchase.data.io import load_tables

    return load_tables(synthetic_dir)[0]


@pytest.fixture(scope="session")
def score_config():
    """Small training stacks for speed; a recall budget the small retailer fills."""
    from repurchase.config import load_config

    return load_config(overrides=[{"models": {"train_dates": 4, "timing_horizons_days": [7]},
                                   "scoring": {"recall": {"budget_contacts": 150}}}])


@pytest.fixture(scope="session")
def bundles_dir(tmp_path_factory, synthetic_tables, score_config):
    """Champion bundles (need 30 d, timing 7 d, churn 90 d) trained once, without MLflow."""
    from repurchase.models.train import train

    out = tmp_path_factory.mktemp("bundles")
    for task, horizon in (("next_purchase", 30), ("next_purchase", 7), ("churn", 90)):
        r = train(synthetic_tables, task, horizon, score_config, models_dir=out, track=False)
        assert r.promoted, r.reason
    return out


@pytest.fixture(scope="session")
def score_as_of(synthetic_tables) -> str:
    """The day after the last order: scoring 'this morning'."""
    return (synthetic_tables.orders["order_ts"].max() + pd.Timedelta(days=1)).date().isoformat()
