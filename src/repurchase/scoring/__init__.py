"""Scoring: the need list and the recall list from the champion models at one as-of date."""

from repurchase.scoring.models import ScoringModel, ScoringModels, load_models
from repurchase.scoring.score import ScoreResult, score

__all__ = ["ScoreResult", "ScoringModel", "ScoringModels", "load_models", "score"]
