"""RSS check: the SQL Ibis compiles for rfm at 12 dates, run through DuckDB .df() instead of to_pandas().
Run: /usr/bin/time -v /work/spike_venv/bin/python bench/engine_spike/ibis_df_check.py"""
import sys, time; sys.path.insert(0, '/work/main/bench/engine_spike')
import ibis
from ibis_features import IbisEngine
from common import as_of_params
from run import monthly_dates
d = '/work/spike_data/1m'
e = IbisEngine(d, threads=1)
p = as_of_params(monthly_dates(d, 12), e.tz)
e.con.con.register('asof_df', p)
expr = e.rfm_expr(e.tables['orders'], e.con.table('asof_df'))
t0 = time.perf_counter()
df = e.con.con.execute(ibis.to_sql(expr, dialect='duckdb')).df()
print(len(df), round(time.perf_counter() - t0, 1))
