"""The promotion gate: a new model becomes champion only when it beats every baseline and a
comparable champion on the same holdout rows."""

from __future__ import annotations

import logging

import pandas as pd

from repurchase.config import Config
from repurchase.errors import DataError
from repurchase.models.evaluate import metrics as score_metrics

log = logging.getLogger(__name__)


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
