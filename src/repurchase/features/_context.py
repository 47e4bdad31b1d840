"""What every feature group shares for one run: the tables, the spine as arrays, the config and
the query engine's session (every group's columns are queries: :mod:`repurchase.engine`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repurchase.config import FeatureConfig
from repurchase.engine import Session
from repurchase.engine.tables import QueryTables
from repurchase.schema import Tables


@dataclass
class FeatureContext:
    """The spine of one feature run (``q_t``: each spine row's T in epoch seconds) and the tables."""

    tables: Tables | QueryTables
    q_t: np.ndarray
    config: FeatureConfig
    #: the query engine's side of this run (set by build_features)
    session: "Session | None" = None

    @property
    def n(self) -> int:
        return len(self.q_t)

    @property
    def t_max(self) -> int:
        """The latest as-of date (epoch seconds): data-driven choices look only before it."""
        return int(self.q_t.max()) if len(self.q_t) else 0
