"""Closing the loop: each exported list's lift against its random control group."""

from repurchase.lift.measure import LiftResult, measure_lift, read_lists, track_lift, write_lift_report

__all__ = ["LiftResult", "measure_lift", "read_lists", "track_lift", "write_lift_report"]
