"""BG/NBD, the buy-till-you-die baseline the field uses today (``lifetimes``, an optional extra).

Conventions (Fader, Hardie & Lee 2005): repeat purchases are counted as distinct days;
``frequency`` = purchase days - 1, ``recency`` = days from the first to the last purchase day,
``T`` = days from the first purchase day to the as-of date, all from paid orders strictly before
the as-of date, in local calendar days. The score is P(at least one purchase in the next H days)
from the conditional model, not P(alive): in BG/NBD a customer can only drop out right after a
purchase, so P(buy in (T, T+H]) = P(alive) * (1 - ((alpha + T) / (alpha + T + H)) ** (r + x)).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from repurchase.errors import RepurchaseError
from repurchase._timeline import epoch_seconds
from repurchase.engine import Session, connect
from repurchase.engine.btyd import btyd_columns
from repurchase.schema import Tables

log = logging.getLogger(__name__)
SUMMARY = ["frequency", "recency", "T"]


def _import_lifetimes():
    # lifetimes (archived) sets a pandas option that pandas 3 deprecates, warning at import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
    return lifetimes


def lifetimes_available() -> bool:
    try:
        _import_lifetimes()
    except ImportError:
        return False
    return True


def btyd_summary(tables: Tables, spine: pd.DataFrame, engine: dict | None = None) -> pd.DataFrame:
    """``frequency``, ``recency``, ``T`` (days) per spine row, from paid orders strictly before T
    (a query: :func:`repurchase.engine.btyd.btyd_query`; ``engine``: arguments of
    :func:`repurchase.engine.connect`)."""
    s = Session(connect(**(engine or {})), tables, spine["customer_id"], epoch_seconds(spine["as_of"]), [])
    return pd.DataFrame(btyd_columns(s), index=spine.index)


class BGNBDBaseline(ClassifierMixin, BaseEstimator):
    """BG/NBD fitted on the summaries at the scoring date (data before it only), scoring
    P(at least one purchase in the next ``horizon_days``); ``churn=True`` scores 1 minus that.

    The four parameters are fitted on a seeded sample of at most ``max_fit_rows`` customers
    (``None``: all): they are population parameters, and the fit's cost grows with the rows.
    """

    def __init__(self, horizon_days: int = 30, churn: bool = False, penalizer_coef: float = 0.0,
                 max_fit_rows: int | None = 100_000, random_state: int = 0):
        self.horizon_days = horizon_days
        self.churn = churn
        self.penalizer_coef = penalizer_coef
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y=None) -> "BGNBDBaseline":
        BetaGeoFitter = _import_lifetimes().BetaGeoFitter
        s = X[SUMMARY].dropna()
        if self.max_fit_rows is not None and len(s) > self.max_fit_rows:
            s = s.sample(n=self.max_fit_rows, random_state=self.random_state)
        last_error = None
        for pen in (self.penalizer_coef, 1e-3, 1e-2, 1e-1):  # an unpenalised fit can fail to converge
            try:
                # lifetimes prints the optimiser's whole result when it does not converge
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    self.model_ = BetaGeoFitter(penalizer_coef=pen).fit(s["frequency"], s["recency"], s["T"])
                self.penalizer_used_ = pen
                break
            except Exception as exc:  # noqa: BLE001 - lifetimes raises ConvergenceError and friends
                log.info("BG/NBD fit with penalizer %s did not converge; retrying with a larger one", pen)
                last_error = exc
        else:
            raise RepurchaseError(f"BG/NBD did not converge on {len(s):,} customers: {last_error}")
        self.params_ = self.model_.params_.to_dict()
        self.classes_ = np.array([0.0, 1.0])
        return self

    def p_buy(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        """P(at least one purchase in the next ``horizon_days``) per row."""
        h = float(horizon_days or self.horizon_days)
        r, alpha = self.params_["r"], self.params_["alpha"]
        x, tx, T = (X[c].to_numpy(float) for c in SUMMARY)
        with np.errstate(all="ignore"):
            alive = np.asarray(self.model_.conditional_probability_alive(x, tx, T), dtype=float)
        alive = np.where(np.isfinite(alive), alive, np.where(x == 0, 1.0, 0.0))  # NaN for some one-time buyers
        p = alive * (1.0 - ((alpha + T) / (alpha + T + h)) ** (r + x))
        return np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.p_buy(X)
        if self.churn:
            p = 1.0 - p
        return np.column_stack([1 - p, p])
