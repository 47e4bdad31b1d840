"""Does a customer's own hour predict when they next buy? best_contact_hour against the shop's peak.

For each as-of date: customers with a paid order before T; among those who buy in [T, T + 30 d),
the share whose first order hour equals (or is within 1 h of) the predicted hour, for the package's
best_contact_hour, the population peak for everyone, and the own histogram shrunk toward the
population (own counts + a x population shares).

Run: .venv/bin/python bench/contact_hours.py DATA_DIR AS_OF [AS_OF ...]
"""
import numpy as np, pandas as pd, sys
from repurchase.data.io import load_tables
from repurchase._arrow import index_in
from repurchase._timeline import epoch_seconds
from repurchase.schema import paid_mask
from repurchase.spine import AsOfContext
from repurchase.scoring.contact_time import best_contact_hour
tables, _ = load_tables(sys.argv[1])
o = tables.orders
for as_of in sys.argv[2:]:
    ctx = AsOfContext.of(as_of, tables.timezone); t = ctx.seconds
    sec = epoch_seconds(o["order_ts"]); paid = paid_mask(o)
    ids = pd.Series(o.loc[paid & (sec < t), "customer_id"].unique())
    win = o.loc[paid & (sec >= t) & (sec < t + 30 * 86400)].sort_values("order_ts")
    first = win.groupby("customer_id")["order_ts"].first().dt.hour
    q = index_in(o["customer_id"], ids); sel = paid & (sec < t) & (q >= 0)
    mine = np.bincount(q[sel] * 24 + o["order_ts"].dt.hour.to_numpy()[sel], minlength=len(ids) * 24).reshape(-1, 24).astype(float)
    pop = mine.sum(axis=0) / mine.sum()
    buyers = ids.isin(first.index).to_numpy()
    truth = first.reindex(ids[buyers]).to_numpy()
    def score(hour):
        d = np.abs(hour[buyers] - truth); d = np.minimum(d, 24 - d)
        return f"exact {np.mean(d == 0):.3f}, within 1 h {np.mean(d <= 1):.3f}"
    cur = best_contact_hour(tables, ids, ctx)
    print(as_of, len(ids), "customers,", buyers.sum(), "buyers in 30 d")
    print("  current (own >= 3 touches, else store/population):", score(cur["best_contact_hour"].to_numpy()),
          "| population share", round((cur.contact_hour_source == "population").mean(), 3))
    print("  population peak for all:", score(np.full(len(ids), pop.argmax())))
    for a in (0.5, 1, 2, 4):
        print(f"  own + {a} x population shares:", score((mine + a * pop).argmax(axis=1)))
