"""The LightGBM repurchase model: trained on a stack of as-of dates, early-stopped on a later
as-of date, then calibrated on that date."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from repurchase.errors import DataError
from repurchase.models.baselines import row_logistic

log = logging.getLogger(__name__)


def check_feature_names(expected: list[str], X: pd.DataFrame, expected_dtypes: dict[str, str] | None = None) -> None:
    """Refuse a feature frame that differs from training, naming missing, extra and retyped columns."""
    got = list(X.columns)
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    retyped = []
    if expected_dtypes:
        retyped = [f"{c} ({X[c].dtype}, trained on {expected_dtypes[c]})" for c in expected
                   if c in got and str(X[c].dtype) != expected_dtypes[c]]
    if missing or extra or retyped:
        parts = []
        if missing:
            parts.append(f"missing: {', '.join(missing)}")
        if extra:
            parts.append(f"not seen in training: {', '.join(extra)}")
        if retyped:
            parts.append(f"retyped: {', '.join(retyped)}")
        raise DataError("the feature set differs from the one the model was trained on (" + "; ".join(parts) + ").")


class RepurchaseClassifier(ClassifierMixin, BaseEstimator):
    """LightGBM binary classifier with out-of-time early stopping and calibration.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree,
    reg_lambda : LightGBM parameters.
    early_stopping_rounds : int
        Rounds without improvement of the validation log loss before stopping.
    calibration : {"auto", "isotonic", "sigmoid", "none"}
        "auto" fits both on one half of the validation rows and keeps the one with the lower
        Brier score on the other half, then refits it on all validation rows.
    random_state : int
    n_jobs : int
    init_from : str, optional
        A probability feature (e.g. ``bgnbd_p_buy_30d`` from the ``btyd`` group) whose logit is the
        starting score: the trees learn corrections to it (boosting from a BTYD model). A leading
        ``1-`` takes the complement, e.g. ``1-bgnbd_p_buy_90d`` as the start of a churn model.
    blend : bool
        Stack the trees with the simple models they must beat: a logistic regression on the
        validation date over the logits of the LightGBM score, of an RFM logistic regression fitted
        on the training rows (when the RFM inputs are features) and of each ``blend_with``
        probability. The stacker is also the calibration (``calibration`` is then unused). On real
        data where the trees alone only tie the baselines, the blend is what beats them
        (``bench/RESULTS.md``); reasons still explain the trees, the blend's main input.
    blend_with : list of str, optional
        Probability features stacked with the trees, e.g. ``["bgnbd_p_buy_30d"]`` or, for churn,
        ``["1-bgnbd_p_buy_90d"]``; a column absent from the features is skipped with a warning.
    """

    def __init__(self, n_estimators: int = 2000, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_child_samples: int = 50, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 1.0, early_stopping_rounds: int = 100, calibration: str = "auto",
                 random_state: int = 0, n_jobs: int = 2, init_from: str | None = None, blend: bool = False,
                 blend_with: list[str] | None = None):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.init_from = init_from
        self.blend = blend
        self.blend_with = blend_with

    def fit(self, X: pd.DataFrame, y, X_val: pd.DataFrame, y_val) -> "RepurchaseClassifier":
        import lightgbm as lgb

        y, y_val = np.asarray(y, float), np.asarray(y_val, float)
        for name, labels in (("training", y), ("validation", y_val)):
            if len(np.unique(labels)) < 2:
                raise DataError(f"the {name} rows have a single class ({int(labels.sum()):,} positives of {len(labels):,}); "
                                "a model needs both. Use more or other as-of dates.")
        self.feature_names_in_ = list(X.columns)
        self.feature_dtypes_ = {c: str(X[c].dtype) for c in X.columns}
        check_feature_names(self.feature_names_in_, X_val)
        self.model_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, subsample=self.subsample, subsample_freq=1,
            colsample_bytree=self.colsample_bytree, reg_lambda=self.reg_lambda,
            random_state=self.random_state, n_jobs=self.n_jobs, deterministic=True, force_row_wise=True,
            verbose=-1,
        )
        # LightGBM 4.7 takes the validation set as eval_X / eval_y (eval_set is deprecated)
        extra = {}
        if self.init_from is not None:
            if self._init_column() not in X.columns:
                raise DataError(f"init_from column '{self._init_column()}' is not a feature (add the btyd feature group)")
            extra = {"init_score": self._init(X), "eval_init_score": [self._init(X_val)]}
        self.model_.fit(X, y, eval_X=X_val, eval_y=y_val, eval_metric="binary_logloss",
                        callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)], **extra)
        self.best_iteration_ = int(self.model_.best_iteration_ or self.n_estimators)
        self.blend_inputs_, self.rfm_ = [], None
        if self.blend:
            self._fit_blend(X, y, X_val, y_val)
        else:
            self.calibration_, self.calibrator_ = self._calibrate(self._raw(X_val), y_val)
        self.classes_ = np.array([0.0, 1.0])
        return self

    def _fit_blend(self, X: pd.DataFrame, y: np.ndarray, X_val: pd.DataFrame, y_val: np.ndarray) -> None:
        from repurchase.models.baselines import RFM_INPUTS, RFMLogistic

        if all(c in X.columns for c in RFM_INPUTS):
            self.rfm_ = RFMLogistic().fit(X, y)
        for name in self.blend_with or []:
            if _column(name) in X.columns:
                self.blend_inputs_.append(name)
            else:
                log.warning("blend input '%s' is not a feature (its group is off or unavailable); blended without it", name)
        self.calibration_ = "blend"
        self.calibrator_ = LogisticRegression(C=1.0, max_iter=1000).fit(self._stack_inputs(X_val), y_val)

    def _stack_inputs(self, X: pd.DataFrame) -> np.ndarray:
        cols = [_logit(self._raw(X))]
        if self.rfm_ is not None:
            cols.append(_logit(self.rfm_.predict_proba(X)[:, 1]))
        cols += [_logit(_probability(X, name)) for name in self.blend_inputs_]
        return np.column_stack(cols)

    def blend_weights(self) -> dict[str, float]:
        """The stacker's coefficient per input (on the logit scale), empty without a blend."""
        if self.calibration_ != "blend":
            return {}
        names = ["lightgbm"] + (["rfm_logistic"] if self.rfm_ is not None else []) + list(self.blend_inputs_)
        return dict(zip(names, map(float, self.calibrator_.coef_.ravel()))) | {"intercept": float(self.calibrator_.intercept_[0])}

    def _init(self, X: pd.DataFrame) -> np.ndarray:
        return _logit(_probability(X, self.init_from))

    def _init_column(self) -> str:
        return _column(self.init_from)

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        if self.init_from is None:
            return self.model_.predict_proba(X, num_iteration=self.best_iteration_)[:, 1]
        margin = self.model_.predict(X, raw_score=True, num_iteration=self.best_iteration_) + self._init(X)
        return 1.0 / (1.0 + np.exp(-margin))

    def _calibrate(self, raw: np.ndarray, y: np.ndarray):
        def make(kind):
            if kind == "isotonic":
                return IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
            return LogisticRegression(C=1e6, max_iter=1000)

        def fit(kind, r, t):
            m = make(kind)
            return m.fit(r, t) if kind == "isotonic" else m.fit(_logit(r)[:, None], t)

        if self.calibration == "none":
            return "none", None
        kinds = ["isotonic", "sigmoid"] if self.calibration == "auto" else [self.calibration]
        if len(kinds) > 1:
            half = np.random.default_rng(self.random_state).random(len(y)) < 0.5
            scores = {}
            for kind in kinds:
                if len(np.unique(y[half])) < 2:
                    continue
                m = fit(kind, raw[half], y[half])
                scores[kind] = brier_score_loss(y[~half], _apply(kind, m, raw[~half]))
            kinds = [min(scores, key=scores.get)] if scores else ["sigmoid"]
        kind = kinds[0]
        return kind, fit(kind, raw, y)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_feature_names(self.feature_names_in_, X)
        if self.calibration_ == "blend":
            p = row_logistic(self.calibrator_, self._stack_inputs(X))
        else:
            p = _apply(self.calibration_, self.calibrator_, self._raw(X))
        return np.column_stack([1 - p, p])

    def feature_importance(self) -> pd.Series:
        """Total gain per feature, largest first."""
        gain = self.model_.booster_.feature_importance(importance_type="gain", iteration=self.best_iteration_)
        return pd.Series(gain, index=self.feature_names_in_).sort_values(ascending=False)

    def explain(self, X: pd.DataFrame) -> pd.DataFrame:
        """Why each row scores as it does: the exact TreeSHAP contribution of every feature.

        Parameters
        ----------
        X : DataFrame
            Rows with the training columns (checked as in :meth:`predict_proba`).

        Returns
        -------
        DataFrame
            One column per feature plus ``base``, indexed like ``X``, in log-odds of the trees:
            each row sums to the trees' raw margin (with ``init_from``, before the BTYD start is
            added). Positive values push toward the positive class (a purchase; for churn, churn).
            The calibration, and with ``blend`` the stacking with the baselines, act on top of
            this margin; the lists' reasons are drawn from these values.
        """
        check_feature_names(self.feature_names_in_, X)
        contrib = self.model_.booster_.predict(X, pred_contrib=True, num_iteration=self.best_iteration_)
        return pd.DataFrame(contrib, index=X.index, columns=[*self.feature_names_in_, "base"])


def _column(name: str) -> str:
    """The feature behind a probability input: ``1-bgnbd_p_buy_90d`` -> ``bgnbd_p_buy_90d``."""
    return name[2:] if name.startswith("1-") else name


def _probability(X: pd.DataFrame, name: str) -> np.ndarray:
    """A probability feature, complemented for a leading ``1-``; missing values count as 0.5."""
    p = X[_column(name)].to_numpy(float)
    if name.startswith("1-"):
        p = 1.0 - p
    return np.where(np.isfinite(p), p, 0.5)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _apply(kind: str, model, raw: np.ndarray) -> np.ndarray:
    if kind == "none" or model is None:
        return raw
    if kind == "isotonic":
        return model.predict(raw)
    return row_logistic(model, _logit(raw)[:, None])
