"""Probe (issue 13): level the Online Retail II churn model at T on a partially observed window.

At D = T - LAG days, P(churn in 90 d) is estimated as the observed share of active customers with
no purchase in [D, T) times q, the share of those who then stayed silent for the rest of 90 days at
the validation date V (complete there); the logit shift that makes the model's mean at D equal it
is applied at T. Run: .venv/bin/python bench/ece_partial_window.py DATA_DIR [LAG]
"""
import sys, numpy as np, pandas as pd
from repurchase.config import load_config
from repurchase.data.io import load_tables
from repurchase.models.backtest import backtest
from repurchase.models.plan import model_for
from repurchase.models.evaluate import expected_calibration_error, fast_auc
from repurchase.features import build_features, feature_columns, pin_feature_config
from repurchase.spine import as_of_timestamp
from repurchase.schema import paid_mask

cfg = load_config()
tables, _ = load_tables(sys.argv[1], cfg.data)
H, A, LAG = 90, 180, int(sys.argv[2]) if len(sys.argv) > 2 else 45
o = tables.orders.loc[paid_mask(tables.orders)]

def logit(p): p = np.clip(p, 1e-6, 1 - 1e-6); return np.log(p / (1 - p))
def shift_to(p, rate):
    lo, hi = -5.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        m = (1 / (1 + np.exp(-(logit(p) + mid)))).mean()
        lo, hi = (mid, hi) if m < rate else (lo, mid)
    return (lo + hi) / 2

def no_purchase(ids, start, days):
    s = as_of_timestamp(start, tables.timezone); e = s + pd.Timedelta(days=days)
    bought = set(o.loc[(o["order_ts"] >= s) & (o["order_ts"] < e), "customer_id"])
    return ~ids.isin(bought).to_numpy()

for T in ["2011-03-01", "2011-05-01", "2011-07-01"]:
    fc = pin_feature_config(tables, as_of_timestamp(T, tables.timezone), cfg.features)
    r = backtest(tables, "churn", H, [T], n_train=12, active_days=A, feature_config=fc,
                 model=model_for("churn", H, cfg), keep_holdout=True)
    key = pd.Timestamp(T).date().isoformat()
    model, sc = r.models[key], r.scores[key]
    y, p = sc["y"].to_numpy(), sc["lightgbm"].to_numpy()
    V = r.dates[key]["validation"]
    D = (pd.Timestamp(T) - pd.Timedelta(days=LAG)).date().isoformat()
    fD = build_features(tables, [D], config=fc)
    # active at D: a paid order in [D - A, D)
    act = ~no_purchase(fD["customer_id"], (pd.Timestamp(D) - pd.Timedelta(days=A)).date().isoformat(), A)
    XD = fD.loc[act, feature_columns(r.holdout[key])]
    pD = model.predict_proba(XD)[:, 1]
    ids = fD.loc[act, "customer_id"]
    n_lag = no_purchase(ids, D, LAG).mean()  # observed: no purchase in [D, T)
    fV = build_features(tables, [V], config=fc)
    actV = ~no_purchase(fV["customer_id"], (pd.Timestamp(V) - pd.Timedelta(days=A)).date().isoformat(), A)
    idsV = fV.loc[actV, "customer_id"]
    first = no_purchase(idsV, V, LAG)
    rest = no_purchase(idsV, (pd.Timestamp(V) + pd.Timedelta(days=LAG)).date().isoformat(), H - LAG)
    q = (first & rest).sum() / max(first.sum(), 1)
    target = n_lag * q
    delta = shift_to(pD, target)
    p_adj = 1 / (1 + np.exp(-(logit(p) + delta)))
    oracle = shift_to(p, y.mean())
    print(f"T {T} V {V} D {D}: rate at T {y.mean():.3f}, mean p {p.mean():.3f}; at D mean p {pD.mean():.3f}, "
          f"estimated rate {target:.3f} (no purchase in {LAG} d {n_lag:.3f} x q {q:.3f}); shift {delta:+.3f} "
          f"(oracle {oracle:+.3f}); ECE {expected_calibration_error(y, p):.3f} -> {expected_calibration_error(y, p_adj):.3f}; "
          f"AUC {fast_auc(y, p):.4f}", flush=True)
