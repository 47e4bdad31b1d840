"""One feature run on a query engine: the tables registered, the as-of dates and the spine.

A :class:`Session` is built once per :func:`repurchase.features.build_features` call. A feature
group hands :meth:`Session.run` a function that writes its definitions as Ibis expressions over
the session's tables (only the columns it reads), the as-of table and the spine; the session
runs them and :meth:`Session.columns` returns numpy columns in spine order: only the feature
matrix leaves the engine.

On DuckDB the compiled statements are kept per shape (:mod:`repurchase.engine._plans`): a
group is built and compiled once per process and shape, then only executed. Other backends
(Spark) run the expressions directly, with every value as itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from repurchase.engine._codes import CustomerCodes
from repurchase.engine._keys import round_half_even
from repurchase.engine._plans import PLANS, Params, Plan
from repurchase.engine._time import asof_frame, microseconds, secs, to_wall, utc_offsets
from repurchase.engine.tables import QueryTables
from repurchase.schema import VALID_ORDER_STATUS, Tables

#: every window start a feature group may ask for whatever the configured windows (60: the
#: previous 30 days of a trend; 90: the most active hour of engagement)
EXTRA_WINDOWS = (60, 90)


@dataclass
class Session(CustomerCodes):
    """The engine side of one feature run.

    Parameters
    ----------
    con : ibis backend
        A connected backend (see :func:`repurchase.engine.connect`).
    tables : Tables or QueryTables
        The validated tables: pandas frames (registered as Arrow), or tables left in their
        Parquet files (read by DuckDB through views: nothing is loaded).
    spine_ids : Series
        ``customer_id`` of each spine row.
    spine_t : ndarray of int64
        Each spine row's T in epoch seconds.
    windows : list of int
        Window lengths in days the groups use (their starts go in the as-of table).
    """

    con: object
    tables: Tables | QueryTables
    spine_ids: pd.Series
    spine_t: np.ndarray
    windows: list[int]
    _arrow: dict = field(default_factory=dict, repr=False)
    _params: Params | None = field(default=None, repr=False)
    _plan: Plan = field(default_factory=Plan, repr=False)
    _shared: set = field(default_factory=set, repr=False)  # shared stages built on this connection

    @property
    def tz(self) -> str:
        return self.tables.timezone

    @property
    def n(self) -> int:
        return len(self.spine_t)

    @property
    def planned(self) -> bool:
        """Statements compiled once per shape and kept (DuckDB), or expressions run directly."""
        return self.con.name == "duckdb"

    @cached_property
    def asof_df(self) -> pd.DataFrame:
        return asof_frame(self.spine_t, self.tz, [*self.windows, *EXTRA_WINDOWS])

    @property
    def n_dates(self) -> int:
        return len(self.asof_df)

    # -- what a definition reads -----------------------------------------------------------

    def bounds(self, column: str) -> list[int]:
        """``asof_df[column]`` per date (ascending), as literals of the run."""
        base = list(self.asof_df.columns).index(column) * self.n_dates
        return [self._params.int_at(base + k) for k in range(self.n_dates)]

    @property
    def asof(self) -> ibis.Table:
        return self._table("asof", pa.Table.from_pandas(self.asof_df, preserve_index=False))

    @property
    def spine(self) -> ibis.Table:
        """``customer_id`` (on DuckDB the run's integer code, as in every table a group reads),
        ``as_of_key``, ``t_s``, ``t_wall`` and ``_row`` (the spine position)."""
        s = self._coded("spine") if self.planned else self._table("spine", self._spine_arrow)
        a = self.asof.select("as_of_key", "t_s", "t_wall")
        return s.join(a, "as_of_key").select("customer_id", "as_of_key", "t_s", "t_wall", "_row")

    @cached_property
    def _spine_arrow(self) -> pa.Table:
        key = np.searchsorted(self.asof_df["t_s"].to_numpy(), self.spine_t)
        return pa.table({"customer_id": pa.array(self.spine_ids.astype("str").to_numpy(dtype=object), pa.string()),
                         "as_of_key": pa.array(key, pa.int64()), "_row": pa.array(np.arange(self.n), pa.int64())})

    def table(self, name: str, columns: list[str]) -> ibis.Table | None:
        """Table ``name`` with the wanted ``columns`` that it has (None when the table is absent)."""
        frame = getattr(self.tables, name)
        if frame is None:
            return None
        key = "__".join([name, *(c for c in columns if c in frame.columns)])
        t = self._view(key) if self.in_files else self._table(key, self._arrow_of(key))
        return self._coded(key) if self.planned and "customer_id" in t.columns else t

    @property
    def in_files(self) -> bool:
        """The tables are read from their files by views (:class:`QueryTables`)."""
        return isinstance(self.tables, QueryTables)

    def _view(self, key: str) -> ibis.Table:
        """Table key ``name__col__col`` as a view over its file on this connection (its schema
        is the view's: typed by the loader's expressions)."""
        if not self.planned:
            raise ValueError("tables left in their files are read by DuckDB only; load them (load_tables) for Spark")
        self._plan.tables.add(key)
        return ibis.table(self._view_schema(key), name=f"_rp_{key}")

    def _view_schema(self, key: str) -> ibis.Schema:
        """Create the view of table key ``key`` on this connection once; its schema."""
        if ("view", key) not in self._arrow:
            name, (table, *cols) = f"_rp_{key}", key.split("__")
            self.con.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {getattr(self.tables, table).select(cols)}')
            self._arrow[("view", key)] = self.con.table(name).schema()
        return self._arrow[("view", key)]

    def _arrow_of(self, key: str) -> pa.Table:
        """The Arrow form of a table key ``name__col__col`` (converted once per session)."""
        if key not in self._arrow:
            name, *cols = key.split("__")
            self._arrow[key] = pa.table({c: self._column(name, c) for c in cols})
        return self._arrow[key]

    def _column(self, name: str, col: str) -> pa.ChunkedArray:
        """One column of a table in Arrow, converted once per session whichever keys read it (a
        timestamp column is a copy: 12M orders, 96 MB each time)."""
        if ("column", name, col) not in self._arrow:
            frame = getattr(self.tables, name)
            with warnings.catch_warnings():  # pyarrow reads zoned columns through Series.values (pandas 3.1)
                warnings.filterwarnings("ignore", message="Series.values returning")
                table = microseconds(pa.Table.from_pandas(frame[[col]], preserve_index=False))
            self._arrow[("column", name, col)] = table.column(0)
        return self._arrow[("column", name, col)]

    def _table(self, key: str, data: pa.Table) -> ibis.Table:
        if not self.planned:
            if ("memtable", key) not in self._arrow:
                self._arrow[("memtable", key)] = ibis.memtable(data)
            return self._arrow[("memtable", key)]
        self._plan.tables.add(key)
        return ibis.table(ibis.Schema.from_pyarrow(data.schema), name=f"_rp_{key}")

    @cached_property
    def steps(self) -> tuple:
        """The zone's UTC-offset steps over the data's time range (see :func:`utc_offsets`)."""
        lo = [int(self.spine_t.min()) if self.n else 0]
        for name, col in (("orders", "order_ts"), ("events", "event_ts"), ("customers", "registered_ts"),
                          ("customers", "joined_group_ts")):
            first = self._first_second(name, col)
            if first is not None:
                lo.append(first)
        hi = int(self.spine_t.max()) if self.n else 0
        return utc_offsets(self.tz, min(lo), hi)

    def _first_second(self, name: str, col: str) -> int | None:
        """The earliest epoch second of timestamp column ``col`` of table ``name`` (None when
        absent or empty): a query over the file for tables in files."""
        frame = getattr(self.tables, name)
        if frame is None or col not in frame.columns:
            return None
        if self.in_files:
            lo = self.con.con.sql(f'SELECT min(floor(epoch("{col}"))) FROM ({frame.select([col])})').fetchall()[0][0]
            return None if lo is None else int(lo)
        return int(frame[col].min().timestamp()) if frame[col].notna().any() else None

    def wall(self, s: ibis.Value) -> ibis.Value:
        """Epoch seconds -> business wall-clock seconds."""
        base = len(self.asof_df.columns) * self.n_dates
        steps = tuple((None if i == 0 else self._params.int_at(base + 2 * i), self._params.int_at(base + 2 * i + 1))
                      for i in range(len(self.steps)))
        return to_wall(s, steps)

    def paid_orders(self, *, with_order_id: bool = False) -> ibis.Table:
        """Paid orders (status ``paid`` or missing): ``customer_id``, ``ts_s``, ``cents`` (and
        ``order_id`` first, with ``with_order_id``)."""
        keep_id = with_order_id or self.planned  # on DuckDB one table computed once serves both
        ids = ["order_id"] if keep_id else []
        o = self.table("orders", [*ids, "customer_id", "order_ts", "amount", "status"])
        if "status" in o.columns:
            o = o.filter(o.status.isnull() | (o.status == VALID_ORDER_STATUS))
        o = o.select(*ids, "customer_id", ts_s=secs(o.order_ts), cents=round_half_even(o.amount * 100))
        if self.planned:
            o = self.cache(o, shared="paid_orders")
            if not with_order_id:
                o = o.select("customer_id", "ts_s", "cents")
        return o

    def cache(self, expr: ibis.Table, *, shared: str | None = None) -> ibis.Table:
        """``expr`` computed once into a temporary table: DuckDB otherwise re-evaluates a
        sub-expression for every reference to it; on Spark a checkpoint also cuts the plan.

        With a name ``shared``, the table is computed once per session and reused by every later
        run that asks for it (another group or query of the same feature run); only for an
        expression that reads no value of the run (no bounds, wall clock or run arguments)."""
        if self.planned:
            name = f"_rp_shared_{shared}" if shared else f"_rp_stage_{len(self._plan.stages)}"
            self._plan.stages.append((name, ibis.to_sql(expr, dialect="duckdb")))
            return ibis.table(expr.schema(), name=name)
        if shared and ("shared", shared) in self._arrow:
            return self._arrow[("shared", shared)]
        from repurchase.engine.spark_scoring import checkpoint

        table = checkpoint(self.con, expr)
        if shared:
            self._arrow[("shared", shared)] = table
        return table

    # -- running ---------------------------------------------------------------------------

    def run(self, key: tuple, build: Callable[[list, list], ibis.Table], *, strings: list[str] = (),
            ints: list[int] = ()) -> pa.Table:
        """Run the expression ``build(strings, ints)`` returns. ``build`` reads every value that
        varies between runs through :meth:`bounds`, :meth:`wall` and its two arguments, which
        are this run's ``strings`` and ``ints`` (as sentinels while a plan is built)."""
        values = [int(v) for c in self.asof_df.columns for v in self.asof_df[c]]
        values += [int(v or 0) for step in self.steps for v in step] + [int(v) for v in ints]
        self._params = Params(values, [str(v) for v in strings], live=not self.planned)
        n_fixed = len(values) - len(ints)
        args = ([self._params.str_at(i) for i in range(len(strings))],
                [self._params.int_at(n_fixed + i) for i in range(len(ints))])
        if not self.planned:
            return self.con.to_pyarrow(build(*args))
        shape = (key, tuple(self.asof_df.columns), self.n_dates, len(self.steps), len(strings), len(ints),
                 self.tables_shape)
        plan = PLANS.get(shape)
        if plan is None:
            self._plan = Plan()
            self._plan.final = ibis.to_sql(build(*args), dialect="duckdb")
            plan = PLANS[shape] = self._plan
        return self._execute(plan)

    def _execute(self, plan: Plan) -> pa.Table:
        con = self.con.con  # the DuckDB connection under Ibis
        for key in sorted(plan.tables):
            if self.in_files and key not in ("asof", "spine"):
                self._view_schema(key)  # a plan compiled by another session: its views on this connection
                continue
            data = {"asof": lambda: pa.Table.from_pandas(self.asof_df, preserve_index=False),
                    "spine": lambda: self._spine_arrow}.get(key, lambda: self._arrow_of(key))()
            con.register(f"_rp_{key}", data)
        for key in sorted(plan.coded):
            self._coded_schema(key)  # a plan compiled by another session: its coded tables here
        for name, sql in plan.stages:
            if name.startswith("_rp_shared_"):
                if name in self._shared:
                    continue
                self._shared.add(name)
            con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {self._params.fill(sql)}')
        result = con.sql(self._params.fill(plan.final))
        out = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
        for name, _ in plan.stages:  # a run's own stages are done with: hand their memory back
            if not name.startswith("_rp_shared_"):
                con.execute(f'DROP TABLE IF EXISTS "{name}"')
        return out

    def columns(self, key: tuple, build: Callable, names: list[str] | None, **params) -> dict[str, np.ndarray]:
        """:meth:`run` for an expression with one row per spine row (and ``_row``): ``names``
        (None: every column but ``_row``, in order) as float64 arrays in spine order (missing -> NaN)."""
        table = self.run(key, lambda *a: build(*a) if names is None else build(*a).select("_row", *names), **params)
        names = [c for c in table.column_names if c != "_row"] if names is None else names
        if table.num_rows != self.n:  # a join that dropped or repeated spine rows is a bug
            raise AssertionError(f"engine returned {table.num_rows} rows for a spine of {self.n}")
        order = np.argsort(table.column("_row").to_numpy(), kind="stable")
        return {c: table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)[order] for c in names}

    @cached_property
    def tables_shape(self) -> tuple:
        """Names and dtypes of every table's columns: a plan is only reused on the same schema."""
        if self.in_files:
            return ("files", *((name, tuple(frame.exprs.items())) for name, frame in sorted(self.tables.as_dict().items())))
        return tuple((name, tuple((c, str(t)) for c, t in frame.dtypes.items()))
                     for name, frame in sorted(self.tables.as_dict().items()))

