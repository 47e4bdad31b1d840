"""Pipelines: the package functions wired in order, one step after another, with row counts and
timings printed per step. Each step is also its own CLI subcommand, so a failed step can be rerun
alone. ``repurchase retrain`` and ``repurchase score`` run these; ``pipelines/*.py`` in the
repository are the same entry points for schedulers."""

from repurchase.pipelines.retrain import retrain
from repurchase.pipelines.score import score_lists

__all__ = ["retrain", "score_lists"]
