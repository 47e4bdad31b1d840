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


def test_a_feature_that_grows_with_time_is_judged_against_the_previous_run_only(seed):
    """A shop whose data began two years ago: tenure runs up to 365 days at training, up to 700
    last month and 730 today. Against training that is the calendar, not news; against last
    month's run a jump would be."""
    rng = np.random.default_rng(seed)
    n, gap = 5000, rng.normal(20, 5, 5000)
    train = reference(pd.DataFrame({"days_since_first_order": rng.uniform(0, 365, n), "gap": gap}), rng.random(n))
    last_month = reference(pd.DataFrame({"days_since_first_order": rng.uniform(0, 700, n), "gap": gap}), rng.random(n))
    now = pd.DataFrame({"days_since_first_order": rng.uniform(0, 730, n), "gap": gap * 2})
    d = drift_table(train, now, rng.random(n)).set_index("column")
    assert d.loc["days_since_first_order", "psi"] > 0.25 and np.isnan(d.loc["days_since_first_order", "judged_psi"])
    assert d.loc["gap", "judged_psi"] == d.loc["gap", "psi"] > 0.25 and not d.loc["gap", "grows_with_time"]
    d = drift_table(train, now, rng.random(n), previous=last_month).set_index("column")
    assert d.loc["days_since_first_order", "judged_psi"] == d.loc["days_since_first_order", "psi_previous"] < 0.05
    assert d.index[0] == "gap"  # ordered by what is judged
    jump = now.assign(days_since_first_order=rng.uniform(0, 2000, n))
    d = drift_table(train, jump, rng.random(n), previous=last_month).set_index("column")
    assert d.loc["days_since_first_order", "judged_psi"] > 0.25


def test_ages_are_rebased_by_the_days_since_the_reference(seed):
    """The same customers a month later: every tenure is 31 days longer. Re-based, nothing moved;
    only newcomers (a changed cohort mix) would show."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 400, 5000)
    then = reference(pd.DataFrame({"days_since_first_order": tenure, "orders_count": tenure // 30}), rng.random(5000),
                     as_of="2025-01-01")
    assert then["_as_of"] == "2025-01-01"
    later = pd.DataFrame({"days_since_first_order": tenure + 31, "orders_count": tenure // 30})
    d = drift_table(then, later, rng.random(5000), previous=then, as_of="2025-02-01").set_index("column")
    assert d.loc["days_since_first_order", "psi_previous"] < 1e-9 and d.loc["days_since_first_order", "psi"] < 1e-9
    assert "_as_of" not in d.index
    newcomers = later.assign(days_since_first_order=np.r_[tenure[:4000] + 31, rng.uniform(0, 31, 1000)])
    d = drift_table(then, newcomers, rng.random(5000), previous=then, as_of="2025-02-01").set_index("column")
    assert d.loc["days_since_first_order", "judged_psi"] > 0.2  # a fifth of the customers are new
