"""Opt-outs survive id formats (issue 12): a do-not-contact customer never reaches a contactable
row. The customers export stores ids as integers (749) while orders hold text: equal ids match,
ids that lost their leading zeros ('00749' vs 749) are refused before anything is scored."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from repurchase.cli import main
from repurchase.synthetic import SyntheticSpec, write_synthetic


def _digits(ids: pa.ChunkedArray, width: int) -> pa.Array:
    """'C0214' -> '214' (width 0) or '00214' (width 5)."""
    return pa.array([str(int(v[1:])).zfill(width) for v in ids.to_pylist()], pa.string())


def _with_numeric_ids(src: Path, out: Path, order_width: int, dnc: set[int]) -> Path:
    """``src`` with customer ids as digit text in orders / events and as int64 in customers
    (the way a CRM export and a warehouse table store them); ``dnc`` customers opt out."""
    out.mkdir(parents=True)
    for f in src.iterdir():
        if f.suffix != ".parquet":
            (out / f.name).write_bytes(f.read_bytes())
            continue
        t = pq.read_table(f)
        if "customer_id" in t.column_names:
            i = t.column_names.index("customer_id")
            if f.stem == "customers":
                ints = pa.array([int(v[1:]) for v in t["customer_id"].to_pylist()], pa.int64())
                t = t.set_column(i, "customer_id", ints)
                flags = pa.array([v in dnc for v in ints.to_pylist()])
                t = t.set_column(t.column_names.index("do_not_contact"), "do_not_contact", flags)
            else:
                t = t.set_column(i, "customer_id", _digits(t["customer_id"], order_width))
        pq.write_table(t, out / f.name)
    return out


@pytest.fixture(scope="module")
def retailer(tmp_path_factory) -> tuple[Path, str]:
    src = tmp_path_factory.mktemp("optout") / "data"
    write_synthetic(src, SyntheticSpec(customers=300, days=400, seed=20261122))
    last = pq.read_table(src / "orders.parquet", columns=["order_ts"])["order_ts"].to_pandas().max()
    return src, (last + pd.Timedelta(days=1)).date().isoformat()


def _score(data: Path, as_of: str, out: Path, capsys) -> tuple[int, str]:
    models = out.parent / "no-models"  # nothing trained: the transparent RFM rules score
    models.mkdir(exist_ok=True)
    code = main(["score", str(data), "--as-of", as_of, "--out", str(out), "--models", str(models)])
    return code, capsys.readouterr().err


def _listed(out: Path) -> set[str]:
    return {c for name in ("need_list", "recall_list") for c in pd.read_parquet(out / f"{name}.parquet")["customer_id"]}


def test_no_do_not_contact_customer_is_on_either_list_when_ids_differ_only_in_type(retailer, tmp_path, capsys):
    src, as_of = retailer
    # first without opt-outs: who the lists would contact
    code, err = _score(_with_numeric_ids(src, tmp_path / "open", 0, set()), as_of, tmp_path / "open-lists", capsys)
    assert code == 0, err
    listed = _listed(tmp_path / "open-lists")
    assert len(listed) > 20
    # then every other listed customer opts out: the customers table says 214, orders say '214'
    opted_out = {int(c) for c in sorted(listed)[::2]}
    data = _with_numeric_ids(src, tmp_path / "dnc", 0, opted_out)
    code, err = _score(data, as_of, tmp_path / "lists", capsys)
    assert code == 0, err
    now = _listed(tmp_path / "lists")
    assert now and not now & {str(c) for c in opted_out}


def test_ids_that_lost_leading_zeros_are_refused_before_scoring(retailer, tmp_path, capsys):
    src, as_of = retailer
    data = _with_numeric_ids(src, tmp_path / "zeros", 5, {214})  # orders '00214', customers 214
    code, err = _score(data, as_of, tmp_path / "lists", capsys)
    assert code == 2, err
    assert "table 'customers'" in err and "'orders'" in err and "leading zeros" in err and "'00" in err
    assert not (tmp_path / "lists").exists()
    assert main(["validate", str(data)]) == 2
    assert "leading zeros" in capsys.readouterr().err
