"""Stage timings of the multi-date rfm shapes (scratch profiling for RESULTS.md). The "pieces" and
"mdfull" stages were run against intermediate versions of ibis_multidate.py (row-wise quintiles,
no caching); "mdfull" no longer isolates the scores in the final code."""
import sys, time
import ibis
from common import as_of_params
from ibis_multidate import IbisMultiDate
from run import monthly_dates

data, what = sys.argv[1], sys.argv[2:]
e = IbisMultiDate(data, threads=1)
params = as_of_params(monthly_dates(data, 12), e.tz)
con = e.con

def timed(name, expr):
    t0 = time.perf_counter()
    sql = ibis.to_sql(expr)
    con.con.execute(f"CREATE OR REPLACE TEMP TABLE _x AS {sql}").fetchall()
    n = con.con.execute("select count(*) from _x").fetchall()[0][0]
    print(f"{name}: {time.perf_counter() - t0:.1f} s, {n} rows", flush=True)

o = e.paid(e.tables["orders"])
if "scan" in what:
    timed("scan paid orders", o)
if "wide" in what:
    full = e.rfm_pivot_expr(e.tables["orders"], params)
    # the wide per-customer aggregate alone: rebuild it the way rfm_pivot_expr does
    import ibis_multidate as m
    oo = o.filter(o.ts_s < int(params["t_s"].max()))
    aggs = {}
    for k, row in params.iterrows():
        before = oo.ts_s < int(row["t_s"])
        aggs[f"n_{k}"] = oo.ts_s.count(where=before)
    timed("group by customer, 12 filtered counts", oo.group_by("customer_id").aggregate(**aggs))
    timed("group by customer, 1 count", oo.group_by("customer_id").aggregate(n=oo.count()))
if "full" in what:
    timed("pivot full", e.rfm_pivot_expr(e.tables["orders"], params))
if "old" in what:
    timed("old join full", e.rfm_expr(e.tables["orders"], ibis.memtable(params)))
if "pieces" in what:
    import ibis_multidate as m
    src = open(m.__file__).read()
    # re-run rfm_pivot_expr's steps, stopping at each stage
    oo = o.filter(o.ts_s < int(params["t_s"].max()))
    from common import ORDER_WINDOWS
    aggs = {"first_s": oo.ts_s.min()}
    for k, row in params.iterrows():
        before = oo.ts_s < int(row["t_s"])
        aggs.update({f"n_{k}": oo.ts_s.count(where=before), f"c_{k}": oo.cents.sum(where=before),
                     f"last_{k}": oo.ts_s.max(where=before), f"maxc_{k}": oo.cents.max(where=before)})
        for w in ORDER_WINDOWS:
            inside = before & (oo.ts_s >= int(row[f"s{w}"]))
            aggs[f"n{w}_{k}"] = oo.ts_s.count(where=inside)
            aggs[f"c{w}_{k}"] = oo.cents.sum(where=inside)
    wide = oo.group_by("customer_id").aggregate(**aggs)
    timed("wide aggregate (145 filtered aggregates)", wide)
    con.con.execute("CREATE OR REPLACE TEMP TABLE _wide AS SELECT * FROM _x").fetchall()
    w2 = con.table("_wide")
    names = ["n", "c", "last", "maxc", *(f"{p}{w}" for w in ORDER_WINDOWS for p in ("n", "c"))]
    arr = ibis.array([ibis.struct({"as_of_key": ibis.literal(int(k), "int64"), "t_wall": ibis.literal(int(row["t_wall"]), "int64"),
                                   **{mm: w2[f"{mm}_{k}"] for mm in names}}) for k, row in params.iterrows()])
    c = w2.select("customer_id", "first_s", s=arr).unnest("s").unpack("s")
    timed("unnest from materialised wide", c.filter(c.n > 0))
if "deltas" in what:
    from common import ORDER_WINDOWS
    from ibis_multidate import key_of
    n = len(params)
    con.con.register("_asofdf", params); con.con.execute("create or replace temp table _asof as select * from _asofdf").fetchall(); asof = con.table("_asof")
    oo = o.mutate(entry=key_of(o.ts_s, params["t_s"]), **{f"exit{w}": key_of(o.ts_s, params[f"s{w}"]) for w in ORDER_WINDOWS})
    timed("orders + 5 keys", oo)
    con.con.execute("CREATE OR REPLACE TEMP TABLE _o AS SELECT * FROM _x").fetchall()
    ot = con.table("_o")
    fe = ot.filter(ot.entry < n)
    ent = fe.group_by("customer_id", as_of_key=fe.entry).aggregate(
        n_in=fe.count(), c_in=fe.cents.sum(), last_s=fe.ts_s.max(), first_s=fe.ts_s.min(), max_c=fe.cents.max())
    timed("entry aggregate", ent)
    con.con.execute("CREATE OR REPLACE TEMP TABLE _ent AS SELECT * FROM _x").fetchall()
    fx = ot.filter(ot.exit30 < n)
    ex = fx.group_by("customer_id", as_of_key=fx.exit30).aggregate(n_out=fx.count(), c_out=fx.cents.sum())
    timed("one exit aggregate (30)", ex)
    et = con.table("_ent")
    firsts = et.group_by("customer_id").aggregate(f=et.as_of_key.min())
    grid = firsts.join(asof, firsts.f <= asof.as_of_key).select("customer_id", "as_of_key", "t_wall")
    timed("grid", grid)
    con.con.execute("CREATE OR REPLACE TEMP TABLE _grid AS SELECT * FROM _x").fetchall()
    gt = con.table("_grid")
    g = gt.left_join(et, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right")
    timed("grid left join entries", g)
    con.con.execute("CREATE OR REPLACE TEMP TABLE _g AS SELECT * FROM _x").fetchall()
    g = con.table("_g")
    win = dict(group_by="customer_id", order_by="as_of_key")
    timed("5 cumulative windows", g.select("customer_id", "as_of_key", a=g.n_in.fill_null(0).cumsum(**win), b=g.c_in.fill_null(0).cumsum(**win),
                                           c=g.last_s.cummax(**win), d=g.max_c.cummax(**win), e=g.first_s.cummin(**win)))
if "mdfull" in what:
    con.con.register("_asofdf", params); con.con.execute("create or replace temp table _asof as select * from _asofdf").fetchall(); asof = con.table("_asof")
    import ibis_features
    q = ibis_features.quintile
    ibis_multidate_mod = __import__("ibis_multidate")
    ibis_multidate_mod.quintile = lambda t, v, descending=False: ibis.literal(1.0)
    timed("md without quintiles", e.rfm_md_expr(e.tables["orders"], asof, params))
    ibis_multidate_mod.quintile = q
    timed("md full", e.rfm_md_expr(e.tables["orders"], asof, params))
    t0 = time.perf_counter(); con.con.execute("select * from _x").df(); print(f"_x to pandas: {time.perf_counter()-t0:.1f} s")
