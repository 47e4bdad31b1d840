import numpy as np
import pandas as pd
import pytest

from repurchase.models.drift import drift_table, psi, reference


def test_psi_by_hand():
    # (0.9 - 0.5) ln(0.9 / 0.5) + (0.1 - 0.5) ln(0.1 / 0.5)
    assert psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4 * np.log(1.8) + 0.4 * np.log(5))
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0


def test_same_population_is_stable_and_a_shift_is_flagged(seed):
    rng = np.random.default_rng(seed)
    then = pd.DataFrame({"recency": rng.exponential(30, 5000), "gap": np.where(rng.random(5000) < 0.2, np.nan, rng.normal(20, 5, 5000))})
    ref = reference(then, rng.random(5000))
    same = pd.DataFrame({"recency": rng.exponential(30, 5000), "gap": np.where(rng.random(5000) < 0.2, np.nan, rng.normal(20, 5, 5000))})
    d = drift_table(ref, same, rng.random(5000)).set_index("column")["psi"]
    assert (d < 0.02).all()
    shifted = same.assign(recency=same["recency"] * 2, gap=np.nan)  # lapsing customers, a column gone empty
    d = drift_table(ref, shifted, rng.random(5000)).set_index("column")
    assert d.loc["recency", "psi"] > 0.25 and d.loc["gap", "psi"] > 1 and d.loc["gap", "missing_now"] == 1.0
    assert d.index[0] == "gap"  # largest first
