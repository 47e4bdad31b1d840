import numpy as np

from repurchase.scoring.timing import expected_purchase_days


def test_interpolates_where_the_curve_passes_one_half():
    got = expected_purchase_days({7: np.array([0.2, 0.6, 0.5, 0.1]), 14: np.array([0.4, 0.7, 0.6, 0.2]),
                                  30: np.array([0.8, 0.9, 0.7, 0.3])})
    # 0.2 at 7 -> 0.4 at 14 -> 0.8 at 30: half at 14 + 16 * 0.1 / 0.4 = 18; 0.6 at 7: 7 * 0.5 / 0.6
    assert np.allclose(got, [18.0, 7 * 0.5 / 0.6, 7.0, 30.0])


def test_crossing_horizon_models_are_made_monotone():
    # a 14-day probability below the 7-day one is raised to it: the curve is flat from 7 to 14
    got = expected_purchase_days({7: np.array([0.55]), 14: np.array([0.3]), 30: np.array([0.9])})
    assert np.allclose(got, [7 * 0.5 / 0.55])


def test_single_horizon_is_linear_from_zero():
    assert np.allclose(expected_purchase_days({30: np.array([1.0, 0.5, 0.25])}), [15.0, 30.0, 30.0])
