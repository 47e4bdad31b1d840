"""Training for production: fit at the latest holdout date, compare with the baselines and the
current champion on the same rows, track in MLflow, promote by the gate, write a bundle."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from repurchase.config import Config
from repurchase.errors import DataError, RepurchaseError
from repurchase.features import feature_columns, pin_feature_config
from repurchase.labels import data_end
from repurchase.models.backtest import Task, backtest
from repurchase.models.bundle import load_bundle, save_bundle
from repurchase.models.candidates import best_candidate, shippable_baselines
from repurchase.models.evaluate import metrics as score_metrics
from repurchase.models.lgbm import RepurchaseClassifier
from repurchase.models.report import write_backtest_report
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


def fingerprint(tables: Tables) -> dict:
    """Row counts, order date range and a hash of the orders (what the model was trained on)."""
    o = tables.orders
    h = hashlib.sha256(pd.util.hash_pandas_object(o[["order_id", "customer_id", "order_ts", "amount"]], index=False).to_numpy().tobytes())
    return {"rows": {k: len(v) for k, v in tables.as_dict().items()}, "orders_from": str(o["order_ts"].min()),
            "orders_to": str(o["order_ts"].max()), "orders_sha256": h.hexdigest(), "timezone": tables.timezone}


@dataclass
class TrainResult:
    task: str
    horizon_days: int
    holdout: str
    metrics: pd.DataFrame
    promoted: bool
    reason: str
    bundle: Path | None
    registered_name: str
    version: str | None = None
    run_id: str | None = None
    champion_auc: float | None = None
    files: dict = field(default_factory=dict)
    #: the baseline shipped as champion when LightGBM lost to it (None: LightGBM or nothing shipped)
    shipped: str | None = None


def _gate(m: pd.DataFrame, cfg: Config, champion_auc: float | None, champion_note: str = "") -> tuple[bool, str]:
    auc = m.set_index("model")["auc"]
    new = auc["lightgbm"]
    reasons = []
    # "beats" is strict: a tie (the same data and config again) keeps the current champion
    for base in [b for b in auc.index if b != "lightgbm"]:
        gain = new - auc[base]
        if not gain > cfg.models.min_auc_gain_vs_baselines:
            reasons.append(f"AUC {new:.4f} does not beat {base} ({auc[base]:.4f}) by more than {cfg.models.min_auc_gain_vs_baselines}")
    if champion_auc is not None and not new - champion_auc > cfg.models.min_auc_gain_vs_champion:
        reasons.append(f"AUC {new:.4f} does not beat the champion ({champion_auc:.4f}) by more than {cfg.models.min_auc_gain_vs_champion} on the same holdout")
    note = f" ({champion_note})" if champion_note else ""
    if reasons:
        return False, "; ".join(reasons) + note
    vs = (f", champion {champion_auc:.4f}" if champion_auc is not None
          else "" if champion_note else ", no champion yet")
    return True, f"AUC {new:.4f} beats every baseline ({', '.join(f'{b} {auc[b]:.4f}' for b in auc.index if b != 'lightgbm')}{vs}){note}"


def feature_set_difference(ours: list[str], theirs: list[str], our_name: str, their_name: str, examples: int = 5) -> str:
    """What two feature sets do not share, with a few column names each ("" when equal as sets)."""
    def few(cols: list[str]) -> str:
        more = f" and {len(cols) - examples} more" if len(cols) > examples else ""
        return ", ".join(cols[:examples]) + more

    only_ours, only_theirs = [c for c in ours if c not in theirs], [c for c in theirs if c not in ours]
    parts = ([f"{len(only_ours)} only in {our_name} ({few(only_ours)})"] if only_ours else []) + \
            ([f"{len(only_theirs)} only in {their_name} ({few(only_theirs)})"] if only_theirs else [])
    return "; ".join(parts)


def _champion_auc(champion, label: str, holdout: pd.DataFrame, y) -> tuple[float | None, str]:
    """The current champion's AUC on the same rows, or (None, why) when it was trained on another
    feature set: another shop's data or another schema is no yardstick, so it never blocks."""
    trained_on = list(getattr(champion, "feature_names_in_", holdout.columns))
    if set(trained_on) != set(holdout.columns):
        diff = feature_set_difference(trained_on, list(holdout.columns), "the champion", "this model")
        note = (f"the current champion {label} was trained on a different feature set ({diff}): not comparable, "
                "judged against the baselines only")
        log.warning("%s", note)
        return None, note
    try:
        p = champion.predict_proba(holdout[trained_on])[:, 1]
    except DataError as exc:
        note = f"the current champion {label} cannot score this feature set ({exc}): judged against the baselines only"
        log.warning("%s", note)
        return None, note
    return score_metrics(y, p)["auc"], ""


def train(
    tables: Tables,
    task: Task,
    horizon_days: int,
    config: Config,
    *,
    holdout: AsOf | None = None,
    models_dir: str | Path = "models",
    track: bool = True,
    report_dir: str | Path | None = None,
    train_freq: str = "monthly",
    slot_days: int | None = None,
) -> TrainResult:
    """Train one task at ``holdout`` (default: the latest complete date) and promote by the gate.

    ``slot_days``: the configured horizon that names the model (default ``horizon_days``); a
    short history trains the same slot at a shorter horizon (:func:`plan_training`).
    """
    slot = slot_days or horizon_days
    hold = as_of_timestamp(holdout, tables.timezone) if holdout is not None else latest_holdout(tables, horizon_days)
    # the categories / event types with their own columns, fixed as at the holdout: scoring reuses them
    pinned = pin_feature_config(tables, hold, config.features)
    result = backtest(tables, task, horizon_days, [hold], n_train=config.models.train_dates, train_freq=train_freq,
                      active_days=config.models.active_days, feature_config=pinned, keep_holdout=True,
                      min_positives=config.models.min_positives, min_negatives=config.models.min_negatives,
                      model=model_for(task, horizon_days, config))
    key = hold.date().isoformat()
    model, rows = result.models[key], result.holdout[key]
    X_hold, y_hold = rows[feature_columns(rows)], result.scores[key]["y"].to_numpy()
    name = registered_name(task, slot, config)
    bundle_dir = Path(models_dir) / bundle_name(task, slot)
    report_dir = report_dir or Path(models_dir) / "reports" / f"{task}_{horizon_days}d_{key}"
    files = write_backtest_report(result, report_dir, title=f"Training {task}, {horizon_days}-day horizon, holdout {key}")
    from repurchase.models.drift import reference

    manifest = {"task": task, "horizon_days": horizon_days, "slot_days": slot, "train_freq": train_freq,
                "holdout": key, **result.dates[key],
                "features": list(X_hold.columns), "dtypes": {c: str(t) for c, t in X_hold.dtypes.items()},
                "metrics": result.metrics.set_index("model")[["auc", "pr_auc", "brier", "ece", "lift_top_decile"]].to_dict("index"),
                "calibration": model.calibration_, "blend": model.blend_weights(), "trees": model.best_iteration_, "data": fingerprint(tables),
                "active_days": config.models.active_days, "features_config": pinned.model_dump(mode="json"),
                # the holdout's distributions: scoring compares today's population with them (drift)
                "reference": reference(X_hold, result.scores[key]["lightgbm"].to_numpy())}

    lgb_auc = float(result.metrics.set_index("model").loc["lightgbm", "auc"])
    ship = shippable_baselines(result.baselines.get(key, {}), X_hold, y_hold, task, horizon_days)

    def shipped_manifest(scorer: str) -> dict:
        _, auc, p = ship[scorer]
        return {**manifest, "scorer": scorer, "calibration": "none", "blend": None, "trees": 0,
                "reference": reference(X_hold, p), "lightgbm_auc": lgb_auc, "scorer_auc": auc}

    tracked, shipped = None, None
    if track:
        from repurchase import tracking

        prior = tracking.champion_version(name)
        champ_auc, champ_note = None, ""
        if prior is not None:
            champ_auc, champ_note = _champion_auc(tracking.load_version(name, prior), f"{name} v{prior}", X_hold, y_hold)
        lgb = result.metrics.set_index("model").loc["lightgbm"]
        common = dict(experiment=config.models.experiment, registered_name=name, X_example=X_hold,
                      tags={"task": task, "data_orders_sha256": manifest["data"]["orders_sha256"]},
                      artifacts={"report": files["report"].parent},
                      config={"features": manifest["features_config"], "models": config.models.model_dump(),
                              "data_fingerprint": manifest["data"], "feature_names": manifest["features"]})
        run_params = {"task": task, "horizon_days": horizon_days, "holdout": key,
                      "train_dates": ",".join(result.dates[key]["train"]),
                      "validation_date": result.dates[key]["validation"], "n_features": X_hold.shape[1]}
        tracked = tracking.log_training(
            run_name=f"{task}-{horizon_days}d-{key}", model=model, params={**model.get_params(), **run_params},
            metrics={**{f"holdout_{k}": float(v) for k, v in lgb.items() if isinstance(v, (int, float))},
                     **{f"baseline_{r.model}_auc": r.auc for r in result.metrics.itertuples() if r.model != "lightgbm"},
                     "best_iteration": model.best_iteration_},
            manifest=manifest, **common)
        promoted, reason = _gate(result.metrics, config, champ_auc, champ_note)
        if not promoted:
            shipped = best_candidate(lgb_auc, ship, champ_auc, config.models.min_auc_gain_vs_champion)
        if promoted:
            tracking.set_champion(name, tracked.version, reason)
        else:
            tracking.note_challenger(name, tracked.version, reason)
        manifest.update({"mlflow_run_id": tracked.run_id, "registered_model": name, "version": tracked.version})
        if shipped:
            scorer, auc = ship[shipped][0], ship[shipped][1]
            m2 = shipped_manifest(shipped)
            base_run = tracking.log_training(
                run_name=f"{task}-{horizon_days}d-{key}-{shipped}", model=scorer,
                params={**scorer.get_params(), **run_params, "scorer": shipped},
                metrics={"holdout_auc": auc, "lightgbm_auc": lgb_auc}, manifest=m2, **common)
            ship_reason = _ship_reason(shipped, auc, lgb_auc, champ_auc)
            tracking.set_champion(name, base_run.version, ship_reason)
            m2.update({"mlflow_run_id": base_run.run_id, "registered_model": name, "version": base_run.version,
                       "promotion": ship_reason})
            save_bundle(scorer, m2, bundle_dir)
    else:
        champ_auc, champ_note = None, ""
        if (bundle_dir / "manifest.json").is_file():
            try:
                champ, _ = load_bundle(bundle_dir)
                champ_auc, champ_note = _champion_auc(champ, f"bundle {bundle_dir}", X_hold, y_hold)
            except RepurchaseError as exc:
                log.warning("ignoring the local champion bundle: %s", exc)
        promoted, reason = _gate(result.metrics, config, champ_auc, champ_note)
        if not promoted:
            shipped = best_candidate(lgb_auc, ship, champ_auc, config.models.min_auc_gain_vs_champion)
            if shipped:
                ship_reason = _ship_reason(shipped, ship[shipped][1], lgb_auc, champ_auc)
                save_bundle(ship[shipped][0], {**shipped_manifest(shipped), "promotion": ship_reason}, bundle_dir)
    manifest["promotion"] = reason
    target = bundle_dir if promoted else bundle_dir.with_name(bundle_dir.name + ".challenger")
    save_bundle(model, manifest, target)
    if shipped:
        reason = f"{reason}. {_ship_reason(shipped, ship[shipped][1], lgb_auc, champ_auc)}"
    return TrainResult(task, horizon_days, key, result.metrics, promoted, reason, target, name,
                       tracked.version if tracked else None, tracked.run_id if tracked else None, champ_auc, files,
                       shipped)


def _ship_reason(scorer: str, auc: float, lgb_auc: float, champion_auc: float | None) -> str:
    vs = f", above the champion's {champion_auc:.4f}" if champion_auc is not None else ""
    return (f"shipped the best candidate instead: {scorer} (holdout AUC {auc:.4f} against LightGBM's {lgb_auc:.4f}{vs}) "
            f"is the champion and scores the lists")


def describe(r: TrainResult) -> str:
    status = ("promoted to champion" if r.promoted else
              f"kept as challenger, {r.shipped} shipped as champion" if r.shipped else "kept as challenger")
    where = f"{r.registered_name} v{r.version}" if r.version else "local bundle only"
    return f"{r.task} ({r.horizon_days} d, holdout {r.holdout}): {where}, {status}: {r.reason}. Bundle: {r.bundle}"


__all__ = ["REGISTERED_SUFFIX", "TrainJob", "TrainResult", "plan_training", "training_jobs", "bundle_name", "blend_with",
           "describe", "feature_set_difference", "fingerprint", "latest_holdout", "main_horizon", "model_for",
           "registered_name", "train"]
