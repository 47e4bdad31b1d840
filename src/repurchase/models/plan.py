"""What a retrain produces and when: the models of a config (task, horizon), their registry and
bundle names, and the training / validation dates that fit the data's own range (weekly dates and
shorter horizons for a short history)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from repurchase.config import Config
from repurchase.errors import DataError
from repurchase.labels import data_end
from repurchase.models.backtest import Task, training_dates
from repurchase.models.lgbm import RepurchaseClassifier
from repurchase.schema import Tables
from repurchase.spine import AsOf, as_of_timestamp, shift_days

log = logging.getLogger(__name__)

#: registered model names are ``<models.name_prefix>-<suffix>``: one registry per shop
REGISTERED_SUFFIX = {"next_purchase": "next-purchase", "churn": "churn"}


def main_horizon(task: Task, config: Config) -> int:
    return config.models.next_purchase_horizon_days if task == "next_purchase" else config.models.churn_horizon_days


def registered_name(task: Task, horizon_days: int, config: Config) -> str:
    """``<prefix>-next-purchase`` at the configured horizon, ``...-7d`` for a timing horizon; the
    prefix is ``models.name_prefix`` (the profile's name by default), so shops never share names."""
    base = f"{config.models.name_prefix}-{REGISTERED_SUFFIX[task]}"
    return base if horizon_days == main_horizon(task, config) else f"{base}-{horizon_days}d"


def bundle_name(task: Task, horizon_days: int) -> str:
    return f"{task}_{horizon_days}d"


def init_from(task: Task, config: Config) -> str | None:
    """The feature whose logit starts the model (``models.init_from``, churn's own override)."""
    if task == "churn" and config.models.init_from_churn is not None:
        return config.models.init_from_churn
    return config.models.init_from


def blend_with(task: Task, horizon_days: int, config: Config) -> list[str]:
    """The probabilities stacked with the trees: ``models.blend_with``, else BG/NBD's P(buy) at the
    configured BG/NBD horizon nearest the model's (complemented for churn)."""
    if config.models.blend_with is not None:
        return list(config.models.blend_with)
    if "btyd" not in config.features.groups or not config.features.btyd_horizons_days:
        return []
    h = min(sorted(config.features.btyd_horizons_days), key=lambda d: abs(d - horizon_days))
    return [("1-" if task == "churn" else "") + f"bgnbd_p_buy_{h}d"]


def model_for(task: Task, horizon_days: int, config: Config) -> RepurchaseClassifier:
    """The configured, unfitted model of one task and horizon."""
    return RepurchaseClassifier(init_from=init_from(task, config), blend=config.models.blend,
                                blend_with=blend_with(task, horizon_days, config) if config.models.blend else None)


def training_jobs(config: Config) -> list[tuple[Task, int]]:
    """(task, horizon) of every model a retrain produces: the need model, its timing horizons, churn."""
    need = main_horizon("next_purchase", config)
    return ([("next_purchase", need)] + [("next_purchase", h) for h in config.models.timing_horizons_days if h != need]
            + [("churn", main_horizon("churn", config))])


#: the shortest horizon a shortened need or churn model may get, in days
MIN_HORIZON_DAYS = 7
#: training as-of dates a model needs at the least
MIN_TRAIN_DATES = 2
#: fewer monthly training dates than this (when more were asked for): weekly ones instead
MIN_MONTHLY_DATES = 6


@dataclass
class TrainJob:
    """One model of a retrain and the dates it uses (all derived from the data's own range).

    ``slot_days`` is the configured horizon that names the model (registry, bundle); a short
    history may train it at a shorter ``horizon_days``, with ``note`` saying so.
    """

    task: str
    horizon_days: int
    holdout: pd.Timestamp
    validation: pd.Timestamp
    train_dates: list[pd.Timestamp]
    freq: str = "monthly"
    slot_days: int | None = None
    note: str = ""
    #: why the model is not trained at all (a timing horizon the data cannot support), else ""
    dropped: str = ""

    def describe(self) -> str:
        d = self.train_dates
        if self.dropped:
            return f"{self.task} {self.horizon_days} d: not trained: {self.dropped}"
        return (f"{self.task} {self.horizon_days} d: {len(d)} training dates ({self.freq}) {d[0].date()} .. {d[-1].date()}, "
                f"validation {self.validation.date()}, holdout {self.holdout.date()}" + (f" ({self.note})" if self.note else ""))


def _fit_dates(tables: Tables, first: pd.Timestamp, h: int, n_train: int, holdout: AsOf | None):
    """(holdout, validation, training dates, freq) for horizon ``h``: monthly dates when
    :data:`MIN_MONTHLY_DATES` of them fit after the first order, else whichever gives more dates,
    at least :data:`MIN_TRAIN_DATES`, else None."""
    from repurchase.models.backtest import training_dates

    hold = as_of_timestamp(holdout, tables.timezone) if holdout is not None else latest_holdout(tables, h)
    fits = {}
    for freq in ("monthly", "weekly"):
        train_d, val = training_dates(hold, h, n_train, freq)
        fits[freq] = (hold, val, [d for d in train_d if d > first], freq)
    # monthly dates while the history gives enough of them (or all that were asked for)
    if len(fits["monthly"][2]) >= min(n_train, MIN_MONTHLY_DATES):
        return fits["monthly"]
    best = max(fits.values(), key=lambda f: len(f[2]))
    return best if len(best[2]) >= MIN_TRAIN_DATES else None


def plan_training(tables: Tables, config: Config, holdout: AsOf | None = None) -> list[TrainJob]:
    """The dates of every model of a retrain, fitted to the history the data has.

    Monthly training dates when they fit, else weekly ones. A need or churn horizon the data
    cannot support is shortened to the longest that fits (down to :data:`MIN_HORIZON_DAYS`), a
    timing horizon that does not fit (or is no shorter than the need model's) is dropped; each
    such change is a ``note`` on the job or in the plan. Only data too short for even the shortest
    horizon is refused, with how much history it needs.
    """
    first = tables.paid_orders(["order_ts"])["order_ts"].min()
    end = data_end(tables)
    span = (end - first).days
    n_train = config.models.train_dates
    jobs, need_days = [], None
    for task, slot in training_jobs(config):
        timing = task == "next_purchase" and slot != main_horizon("next_purchase", config)
        fit = _fit_dates(tables, first, slot, n_train, holdout)
        h, note = slot, ""
        if timing and (fit is None or (need_days is not None and slot >= need_days)):
            why = (f"{span} days of history cannot support its labels" if fit is None
                   else f"it is no shorter than the need model's shortened {need_days} days")
            log.warning("the %d-day timing model is dropped: %s", slot, why)
            jobs.append(TrainJob(task, slot, end, end, [], slot_days=slot, dropped=why))
            continue
        if fit is None and holdout is None:
            for h in range(slot - 1, MIN_HORIZON_DAYS - 1, -1):
                fit = _fit_dates(tables, first, h, n_train, None)
                if fit is not None:
                    note = f"shortened from {slot} d: {span} days of history cannot support {slot}-day labels"
                    break
        if fit is None:
            h_min = MIN_HORIZON_DAYS
            need = 3 * h_min + 7 * (MIN_TRAIN_DATES - 1) + 8
            raise DataError(
                f"the data covers {first.date()} .. {end.date()} ({span} days), too little to train {task} even at a "
                f"{h_min}-day horizon: a holdout needs its labels, the validation date its own, and at least "
                f"{MIN_TRAIN_DATES} weekly training dates after the first order must have their label windows closed "
                f"before the validation date: about {need} days of history or more (a {slot}-day horizon with monthly "
                f"dates needs about {3 * slot + 62}). Use more history.")
        hold, val, usable, freq = fit
        if task == "next_purchase" and not timing:
            need_days = h
        if note:
            log.warning("%s %s", task, note)
        jobs.append(TrainJob(task, h, hold, val, usable, freq, slot, note))
    return jobs


def latest_holdout(tables: Tables, horizon_days: int) -> pd.Timestamp:
    """The latest as-of date whose label window closes before the data ends."""
    end = data_end(tables)
    day = end.tz_localize(None).normalize().tz_localize(end.tz)
    holdout = shift_days(day, -horizon_days)
    while shift_days(holdout, horizon_days) > end:
        holdout = shift_days(holdout, -1)
    return holdout
