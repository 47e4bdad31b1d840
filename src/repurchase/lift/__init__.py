"""Closing the loop: each exported list's lift against its random control group (``measure``), the
uplift ranking learned from past campaigns (``uplift``), and, for synthetic data only, a simulated
campaign with a known effect to check both against (``campaign``)."""

from repurchase.lift.measure import LiftResult, measure_lift, read_lists, track_lift, write_lift_report

__all__ = ["LiftResult", "measure_lift", "read_lists", "track_lift", "write_lift_report"]
