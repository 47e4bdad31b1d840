"""P(a category is in the customer's purchases in the next H days | they buy), learned per shop.

The fixed rule ("a bought category is proposed only once it is due") is right for an olive-oil
bottle and wrong for milk: grocery and wholesale customers re-buy their regular categories long
before a cycle computed from a few orders has run. So the need list learns, at every scoring date
T, how a category's own share, recency, cycle, transitions and popularity turn into a purchase:

- the training rows are the (customer, category) pairs of the customers who bought in
  [T - H, T), with their state as of T - H (:func:`repurchase.scoring.categories.pair_state`, data
  strictly before T - H), labelled 1 when the category was in those purchases; likewise for the
  :data:`WINDOWS` - 1 horizons before that;
- the model (a small LightGBM) then scores every listed customer's pairs as of T.

Everything read is before T: the labels end where the scoring date starts. With too few buyers the
need list keeps the rule (:func:`repurchase.scoring.categories.due_categories`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa

from repurchase.schema import Tables
from repurchase.scoring.paid_lines import PaidLines, customer_order
from repurchase.spine import AsOf, AsOfContext

#: pair features, in column order
PAIR_FEATURES = ["own_share", "log_orders_with_category", "from_last", "p_next", "in_last_order",
                 "days_since_category", "category_due_ratio", "category_cycle_days", "log_orders",
                 "days_since_last_order", "category_popularity", "is_upgrade", "is_related", "recent_share"]
#: fewer buyers, or positive pairs, than this in the last window: keep the rule; fewer negative
#: pairs (every buyer bought every category, e.g. a one-category shop): the observed share
MIN_BUYERS = 50
MIN_PAIRS_EACH = 50
#: training windows: the last this many horizons before T
WINDOWS = 3
#: customers per training window (a seeded sample above it)
MAX_WINDOW_CUSTOMERS = 20_000
#: customers predicted per batch (customers x categories x features floats at once)
BATCH = 20_000


def pair_features(pairs) -> np.ndarray:
    """``(n * K, len(PAIR_FEATURES))`` float32 matrix of a :class:`~repurchase.scoring.categories.Pairs`."""
    n, K = pairs.cnt.shape
    with np.errstate(invalid="ignore"):
        since_any = np.where(pairs.n_orders > 0, np.nanmin(np.where(np.isnan(pairs.since), np.inf, pairs.since), axis=1), np.nan)
    due = np.where(np.isfinite(pairs.due), pairs.due, np.nan)
    cols = [pairs.own, np.log1p(pairs.cnt), pairs.from_last, pairs.p_next, pairs.in_last, pairs.since, due,
            pairs.cycle, np.broadcast_to(np.log1p(pairs.n_orders)[:, None], (n, K)),
            np.broadcast_to(since_any[:, None], (n, K)), np.broadcast_to(pairs.popularity[None, :], (n, K)),
            pairs.upgrade, pairs.related, pairs.recent]
    return np.stack([np.asarray(c, np.float32).reshape(-1) for c in cols], axis=1)


class CategoryModel:
    """P(category in the window's purchases | a purchase), a LightGBM on :data:`PAIR_FEATURES`.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves : the booster's.
    max_pairs : training pairs kept (whole customers are sampled, seeded).
    random_state : the seed.
    """

    def __init__(self, n_estimators: int = 120, learning_rate: float = 0.05, num_leaves: int = 15,
                 max_pairs: int = 600_000, random_state: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_pairs = max_pairs
        self.random_state = random_state

    def fit(self, windows: list) -> CategoryModel:
        """``windows``: ``(pairs, bought)`` per training window, ``bought`` an ``(n, K)`` bool array
        (the category was in the customer's purchases in the window)."""
        import lightgbm as lgb

        rng = np.random.default_rng(self.random_state)
        self.categories_ = list(dict.fromkeys(c for pairs, _ in windows for c in pairs.cats))
        Xs, ys = [], []
        for pairs, bought in windows:
            n, K = bought.shape
            keep = np.arange(n)
            if n * K > self.max_pairs // len(windows):
                keep = np.sort(rng.choice(n, max(1, self.max_pairs // len(windows) // K), replace=False))
            rows = (keep[:, None] * K + np.arange(K)[None, :]).ravel()
            Xs.append(self._with_category(pairs)[rows])
            ys.append(bought.reshape(-1)[rows].astype(int))
        X, y = np.concatenate(Xs), np.concatenate(ys)
        self.n_pairs_ = len(y)
        if min(y.sum(), len(y) - y.sum()) < MIN_PAIRS_EACH:  # e.g. a one-category shop: every buyer bought it
            self.model_, self.constant_ = None, float(y.mean())
            return self
        self.model_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=50, subsample=0.8, subsample_freq=1, colsample_bytree=0.9,
            random_state=self.random_state, n_jobs=2, deterministic=True, force_row_wise=True, verbose=-1)
        self.model_.fit(X, y, categorical_feature=[X.shape[1] - 1])
        return self

    def predict_proba(self, pairs) -> np.ndarray:
        """``(n, K)`` P(category | a purchase) for the pairs' customers."""
        n, K = pairs.cnt.shape
        if self.model_ is None:
            return np.full((n, K), self.constant_)
        out = np.zeros((n, K))
        for a in range(0, n, BATCH):  # the pair matrix of one batch of customers at a time
            b = min(n, a + BATCH)
            out[a:b] = self.model_.predict_proba(self._with_category(_customers(pairs, slice(a, b))))[:, 1].reshape(b - a, K)
        return out

    def _with_category(self, pairs) -> np.ndarray:
        """The pair features and, last, the category as a code of the training categories (-1: new)."""
        n, K = pairs.cnt.shape
        code = pd.Index(self.categories_, dtype=object).get_indexer(pd.Index(pairs.cats, dtype=object)).astype(np.float32)
        code[code < 0] = np.nan
        return np.concatenate([pair_features(pairs), np.tile(code, n)[:, None]], axis=1)


def _customers(pairs, rows: slice):
    """The :class:`~repurchase.scoring.categories.Pairs` of a slice of its customers (views)."""
    shared = ("cats", "popularity")  # per category, not per customer
    return dataclasses.replace(pairs, **{f.name: getattr(pairs, f.name)[rows] for f in dataclasses.fields(pairs)
                                         if f.name not in shared})


def _window(tables: Tables, paid: PaidLines, start: AsOfContext, end: AsOfContext):
    """(pairs as of ``start``, bought in [start, end)) for the customers who bought in the window
    and had bought before it; None when too few. Integer customer codes, not id strings: a
    1M-customer window would otherwise hash millions of ids."""
    from repurchase.scoring.categories import codes_state

    in_w = (paid.ts[paid.order] >= start.seconds) & (paid.ts[paid.order] < end.seconds)
    w_cust, w_cat = paid.cust[paid.order[in_w]], paid.cat[in_w]
    before = np.zeros(len(paid.customers), bool)
    before[paid.cust[(paid.ts < start.seconds) & (paid.cust >= 0)]] = True
    buyers = np.unique(w_cust[w_cust >= 0])
    codes = _sorted_ids(paid, buyers[before[buyers]])
    if len(codes) < MIN_BUYERS:
        return None
    if len(codes) > MAX_WINDOW_CUSTOMERS:  # a seeded sample: the state of 1M customers is not needed to learn 15 weights
        # the sample's positions depend only on the count: as the sample of the sorted id strings
        picked = pd.Series(np.arange(len(codes))).sample(MAX_WINDOW_CUSTOMERS, random_state=0).to_numpy()
        codes = _sorted_ids(paid, codes[picked])
    pairs = codes_state(tables, paid, codes, start)
    if pairs is None:
        return None
    # each window line's customer row and its category's pair column (-1: not a pair)
    row = paid.positions(codes)[w_cust]
    row[w_cust < 0] = -1
    col = pd.Index(pairs.cats, dtype=object).get_indexer(pd.Index(paid.names))[w_cat]
    ok = (row >= 0) & (col >= 0)
    bought = np.zeros(pairs.cnt.shape, bool)
    bought[row[ok], col[ok]] = True
    if bought.sum() < MIN_PAIRS_EACH:
        return None
    return pairs, bought


def _sorted_ids(paid: PaidLines, codes: np.ndarray) -> np.ndarray:
    """``codes`` in the order of their id strings."""
    return codes[customer_order(paid.customers.take(pa.array(codes)))]


def fit_category_model(tables: Tables, as_of: AsOf | AsOfContext, horizon_days: int, *, windows: int = WINDOWS,
                       random_state: int = 0, paid: PaidLines | None = None) -> CategoryModel | None:
    """A :class:`CategoryModel` fitted on the last ``windows`` horizons before ``as_of`` (the
    buyers of [as_of - H, as_of) as of as_of - H, then of the horizon before); None when the last
    one has too few buyers (or positive / negative pairs). ``paid``: the tables'
    :class:`~repurchase.scoring.paid_lines.PaidLines`, when the caller has it."""
    paid = PaidLines.of(tables) if paid is None else paid
    if paid is None:
        return None
    got, end = [], AsOfContext.of(as_of, tables.timezone)
    for _ in range(windows):
        start = end.earlier(int(horizon_days))
        w = _window(tables, paid, start, end)
        if w is None:
            break
        got.append(w)
        end = start
    return CategoryModel(random_state=random_state).fit(got) if got else None
