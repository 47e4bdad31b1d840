"""Labels on the spine: they look only at [T, T + horizon), never before T except to decide who
is "active" for churn ([T - A, T), which is known at T). Windows are local calendar days.

One module per task (``next_purchase``, ``churn``); ``_window`` holds what they share.
"""

from repurchase.labels._window import data_end
from repurchase.labels.churn import churn_labels
from repurchase.labels.next_purchase import next_purchase_labels

__all__ = ["churn_labels", "data_end", "next_purchase_labels"]
