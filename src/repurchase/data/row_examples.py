"""The offending rows of a table, as the few lines an error message shows of them.

Every refusal of the loader and the importers names its rows this way, so a message reads the
same wherever it comes from: data rows counted from 1, long values cut short.
"""

from __future__ import annotations

import pandas as pd


def examples(frame: pd.DataFrame, mask: pd.Series | None = None, n: int = 5) -> str:
    """Up to ``n`` rows of ``frame`` (where ``mask``) as compact text for an error message."""
    rows = frame if mask is None else frame.loc[mask]
    if rows.empty:
        return ""
    shown = rows.head(n)
    lines = []
    for idx, rec in zip(shown.index, shown.to_dict("records")):
        body = ", ".join(f"{k}={_short(v)}" for k, v in rec.items())
        lines.append(f"  row {_row_label(idx)}: {body}")
    return "\n".join(lines)


def _row_label(idx: object) -> str:
    # Frames loaded from files keep a 0-based index; humans count data rows from 1.
    return str(idx + 1) if isinstance(idx, (int,)) or hasattr(idx, "__index__") else str(idx)


def _short(value: object, width: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."
