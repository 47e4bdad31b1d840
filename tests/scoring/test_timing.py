import numpy as np

from repurchase.scoring.timing import expected_purchase_days


def test_unconditional_day_where_the_curve_passes_one_half():
    got = expected_purchase_days({7: np.array([0.2, 0.6, 0.5, 0.1]), 14: np.array([0.4, 0.7, 0.6, 0.2]),
                                  30: np.array([0.8, 0.9, 0.7, 0.3])}, conditional=False)
    # constant hazard between horizons: cumulative hazard -log(1 - P) is linear in the day.
    # row 0: 0.4 at 14 -> 0.8 at 30, half where -log(1-P) = log 2
    h14, h30 = -np.log(0.6), -np.log(0.2)
    row0 = 14 + 16 * (np.log(2) - h14) / (h30 - h14)
    assert np.allclose(got, [row0, 7 * np.log(2) / -np.log(0.4), 7.0, 30.0])


def test_crossing_horizon_models_are_made_monotone():
    # a 14-day probability below the 7-day one is raised to it: the curve is flat from 7 to 14
    got = expected_purchase_days({7: np.array([0.55]), 14: np.array([0.3]), 30: np.array([0.9])}, conditional=False)
    assert np.allclose(got, [7 * np.log(0.5) / np.log(0.45)])


def test_conditional_median_given_a_purchase_within_the_horizon():
    # one horizon, P = 0.5: 1 - 0.5 ** (d / 30) = 0.25  ->  d = 30 log(0.75) / log(0.5)
    got = expected_purchase_days({30: np.array([0.5, 1e-6, 0.99, 0.0])})
    assert np.isclose(got[0], 30 * np.log(0.75) / np.log(0.5))
    assert np.isclose(got[1], 15.0, atol=1e-3)  # rare buyers: uniform within the window
    assert got[2] < got[0] < got[1] <= 15.0  # likelier buyers buy earlier
    assert got[3] == 30.0  # no chance at all: the horizon's end
