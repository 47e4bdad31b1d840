"""One frame written as Parquet a row group at a time: the bytes of one ``write_table``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from repurchase.data import write


def test_write_parquet_in_row_groups_is_one_write_table(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(write, "ROW_GROUP_ROWS", 1000)
    rng = np.random.default_rng(seed)
    n = 3500  # three whole row groups and a part
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(n)],
                          "as_of": pd.Timestamp("2025-01-01", tz="Asia/Shanghai"),
                          "x": rng.random(n).astype("float32"),
                          "y": np.where(rng.random(n) < 0.3, np.nan, 1.0),
                          "s": pd.Series(["a", None] * (n // 2), dtype="str")})
    write.write_parquet(frame, tmp_path / "parts.parquet")
    pq.write_table(write._arrow_table(frame), tmp_path / "whole.parquet",
                   compression="zstd", row_group_size=1000)
    assert (tmp_path / "parts.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "parts.parquet").metadata.num_row_groups == 4
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "parts.parquet"), frame)


def test_write_parquet_of_an_empty_frame_keeps_its_columns(tmp_path):
    frame = pd.DataFrame({"a": pd.Series([], dtype="float32"), "b": pd.Series([], dtype="str")})
    write.write_parquet(frame, tmp_path / "e.parquet")
    assert list(pd.read_parquet(tmp_path / "e.parquet").columns) == ["a", "b"]
