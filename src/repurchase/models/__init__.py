"""Models: LightGBM repurchase classifier, honest baselines, evaluation and backtests."""

from repurchase.models.backtest import BacktestResult, backtest, training_dates
from repurchase.models.baselines import RecencyBaseline, RFMLogistic
from repurchase.features.bgnbd import BGNBDBaseline, btyd_summary
from repurchase.models.evaluate import expected_calibration_error, metrics, paired_bootstrap_auc
from repurchase.models.lgbm import RepurchaseClassifier, check_feature_names

__all__ = ["BGNBDBaseline", "BacktestResult", "btyd_summary", "RFMLogistic", "RecencyBaseline", "RepurchaseClassifier", "backtest",
           "check_feature_names", "expected_calibration_error", "metrics", "paired_bootstrap_auc", "training_dates"]
