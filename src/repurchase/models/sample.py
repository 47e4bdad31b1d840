"""The training row budget: when the training spine (customer x as-of rows over the training and
validation dates) is larger than ``models.max_training_rows``, whole customers are sampled before
any feature is built, so the features, labels and model see only the sample.

Customers, not rows: a sampled customer keeps every training date and the validation date, so no
customer's history is split between the rows the trees learn from and the rows they stop and
calibrate on. The holdout (test) date is never sampled: the holdout metrics, the baselines, the
comparison with the current champion and the drift reference are all computed on every customer
at the holdout date, the same rows as without a budget, so AUCs stay comparable across runs with
any budget or none (its cost is one date of features, what a scoring run builds anyway).

The sample is deterministic: customers are ranked by a hash of their id keyed by the seed and
taken in that order while their rows fit the budget. Same inputs and seed, same sample; a customer
who joins the data later does not reshuffle the others (their hashes do not change).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TrainingSample:
    """What the row budget did to one training spine.

    Attributes
    ----------
    spine_rows, customers : int
        Training and validation rows of the full spine, and the customers on them.
    budget : int or None
        ``models.max_training_rows`` (None: no limit).
    rows, sampled_customers : int
        Rows and customers kept (equal to the full spine's when not sampled).
    seed : int
        The sampling seed (``models.training_sample_seed``).
    """

    spine_rows: int
    customers: int
    budget: int | None
    rows: int
    sampled_customers: int
    seed: int

    @property
    def sampled(self) -> bool:
        return self.rows < self.spine_rows

    def describe(self) -> str:
        """One line for the output, e.g. ``training spine 9,819,061 rows > budget 2,000,000:
        sampled 203,512 of 1,000,000 customers (seed 42)``; "" when nothing was sampled."""
        if not self.sampled:
            return ""
        return (f"training spine {self.spine_rows:,} rows > budget {self.budget:,}: sampled "
                f"{self.sampled_customers:,} of {self.customers:,} customers ({self.rows:,} rows, seed {self.seed})")

    def as_dict(self) -> dict:
        return {**asdict(self), "sampled": self.sampled}


def customer_ranks(ids: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random key per customer id (uint64): the sampling order."""
    key = hashlib.sha256(f"repurchase-sample-{seed}".encode()).hexdigest()[:16]
    return pd.util.hash_array(np.asarray(ids, dtype=object), hash_key=key, categorize=False)


def sample_training_spine(spine: pd.DataFrame, holdout: pd.Timestamp, budget: int | None,
                          seed: int) -> tuple[pd.DataFrame, TrainingSample]:
    """The spine with whole customers sampled when its training rows exceed ``budget``.

    Parameters
    ----------
    spine : DataFrame
        ``customer_id``, ``as_of`` over the training dates, the validation date and ``holdout``.
    holdout : Timestamp
        The holdout date: its rows are always kept.
    budget : int or None
        The most training and validation rows to keep; None: keep every row.
    seed : int
        Keys the hash that orders the customers.

    Returns
    -------
    (DataFrame, TrainingSample)
        The kept rows in their original order (the input itself when nothing is sampled), and
        what was done.
    """
    train = (spine["as_of"] != holdout).to_numpy()
    codes, uniques = pd.factorize(spine["customer_id"].to_numpy()[train])
    counts = np.bincount(codes, minlength=len(uniques))
    n_rows = int(train.sum())
    if budget is None or n_rows <= budget:
        return spine, TrainingSample(n_rows, len(uniques), budget, n_rows, len(uniques), seed)
    order = np.argsort(customer_ranks(uniques, seed), kind="stable")
    n_keep = int(np.searchsorted(np.cumsum(counts[order]), budget, side="right"))
    chosen = np.zeros(len(uniques), dtype=bool)
    chosen[order[:n_keep]] = True
    keep = ~train
    keep[train] = chosen[codes]
    sample = TrainingSample(n_rows, len(uniques), budget, int(counts[order[:n_keep]].sum()), n_keep, seed)
    return spine.loc[keep].reset_index(drop=True), sample


__all__ = ["TrainingSample", "customer_ranks", "sample_training_spine"]
