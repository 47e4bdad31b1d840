"""Apache Spark for the feature engine: a SparkSession set up the way the feature definitions
need it, the Ibis connection on it, and the data directory's Parquet files as Ibis tables.

PySpark is an optional extra (``pip install 'repurchase[spark]'``) and needs Java 17 or later
(``scripts/java.sh`` finds or installs one); both are looked for only when a session is asked for.

What the definitions rely on (see ``bench/engine_spike/RESULTS.md``):

- **Session timezone UTC.** The features work on epoch seconds, and Spark's ``hour()`` and its
  timestamps handed to pandas follow the session timezone. ``ibis.pyspark.connect`` sets UTC
  too; a ``conf`` asking for another zone is refused rather than silently overridden.
- **ANSI mode on** (Spark 4's default, what the spike ran exact with): a division by zero or an
  overflow raises instead of giving NULL, where DuckDB gives inf/NaN. A definition that can divide
  by zero must guard it on both engines; ANSI makes a missing guard loud on Spark.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from repurchase.errors import ConfigError, DataError, RepurchaseError

if TYPE_CHECKING:  # pragma: no cover
    import ibis
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

MIN_JAVA = 17
#: where Debian's Java packages live (looked at after JAVA_HOME and PATH)
JVM_DIR = "/usr/lib/jvm"
JAVA_SCRIPT = "scripts/java.sh"
INSTALL_HINT = "pip install 'repurchase[spark]' (in the repository: make test-slow installs it)"
#: shuffle partitions on a local master: Spark's 200 are 200 tiny tasks on 2 cores
LOCAL_SHUFFLE_PARTITIONS = 4

_LOG4J = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
# the PySpark gateway's level equal to the root's: Spark then prints no "Setting default log level"
logger.pyspark.name = org.apache.spark.api.python.PythonGatewayServer
logger.pyspark.level = {level}
"""


def require_pyspark():
    """Import PySpark, or raise a :class:`RepurchaseError` saying how to install it."""
    # PySpark 4.3 warns on import and on each pandas conversion that pandas 3 is not fully
    # supported; the engine's conversions are checked by tests/engine/test_spark.py
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark
    except ImportError as exc:
        raise RepurchaseError(f"the Spark engine needs PySpark, which is not installed: {INSTALL_HINT}") from exc
    return pyspark


def _probe(java: Path) -> tuple[int, str] | None:
    """(major version, java.home) of a java binary, or None when it does not run."""
    try:
        done = subprocess.run([str(java), "-XshowSettings:properties", "-version"], capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    props = dict(re.findall(r"^\s*(java\.specification\.version|java\.home) = (.*)$", done.stderr, re.M))
    spec = props.get("java.specification.version", "")
    if not spec:
        return None
    major = int(spec.split(".")[1] if spec.startswith("1.") else spec.split(".")[0])  # "1.8" -> 8, "17" -> 17
    return major, props.get("java.home") or str(java.resolve().parent.parent)


def java_home() -> str:
    """JAVA_HOME of a Java 17 or later, looked for as ``scripts/java.sh`` does: ``$JAVA_HOME``,
    then ``java`` on PATH, then :data:`JVM_DIR`. Nothing is installed from here (the script's job).

    Raises
    ------
    RepurchaseError
        No Java 17 or later was found; the message names the script that installs one.
    """
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    if shutil.which("java"):
        candidates.append(Path(shutil.which("java")))
    candidates += sorted(Path(JVM_DIR).glob("*/bin/java"))
    seen = []
    for java in candidates:
        found = _probe(java) if java.is_file() else None
        if found and found[0] >= MIN_JAVA:
            return found[1]
        if found:
            seen.append(f"{java} is Java {found[0]}")
    older = f" ({'; '.join(seen)})" if seen else ""
    raise RepurchaseError(f"the Spark engine needs Java {MIN_JAVA} or later, and none was found{older}: run "
                          f"{JAVA_SCRIPT} (installs Debian's openjdk-17-jre-headless as root) or set JAVA_HOME")


def _log4j_file(level: str) -> str:
    """A log4j2 config for the driver JVM: only ``level`` and above, and none of the start-up notes
    Spark prints when it falls back to its default profile."""
    path = Path(tempfile.gettempdir()) / f"repurchase-spark-log4j2-{level.lower()}.properties"
    text = _LOG4J.format(level=level.lower())
    if not path.is_file() or path.read_text() != text:
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)  # atomic: another process may be starting Spark at the same time
    return str(path)


def _settings(master: str, conf: dict | None, log_level: str) -> dict[str, str]:
    """The session's settings: ours, then ``conf`` on top (the timezone excepted)."""
    conf = {k: str(v) for k, v in (conf or {}).items()}
    tz = conf.get("spark.sql.session.timeZone", "UTC")
    if tz.upper() not in ("UTC", "ETC/UTC", "Z", "+00:00"):
        raise ConfigError(f"spark.sql.session.timeZone = {tz}: the feature engine needs UTC (it computes on epoch "
                          "seconds; the shop's timezone comes from the dataset)")
    out = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "true", "spark.ui.enabled": "false",
           "spark.driver.memory": "1g", "spark.ui.showConsoleProgress": "false"}
    if master.startswith("local"):
        out |= {"spark.sql.shuffle.partitions": str(LOCAL_SHUFFLE_PARTITIONS),
                # loopback only: nothing listens on the machine's network, and no hostname warning
                "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                # no spark-warehouse/ left in the working directory
                "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "repurchase-spark-warehouse")}
    out |= conf
    java_opts = f"-Dlog4j2.configurationFile=file:{_log4j_file(log_level)}"
    out["spark.driver.extraJavaOptions"] = " ".join(filter(None, [java_opts,
                                                                 conf.get("spark.driver.extraJavaOptions")]))
    out["spark.sql.session.timeZone"] = "UTC"
    return out


def _quiet_python(log_level: str) -> None:
    """PySpark's own Python loggers print every query error again as JSON with the Java stack
    (the raised exception already carries the message)."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        # through PySparkLogger: a plain logging.getLogger would create a Logger that PySpark's
        # structured calls (extra keyword arguments) then fail on
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL if log_level.upper() in ("ERROR", "FATAL", "OFF")
                                               else logging.WARNING)


def spark_session(master: str = "local[2]", *, app_name: str = "repurchase", conf: dict | None = None,
                  log_level: str = "ERROR") -> "SparkSession":
    """Create (or reuse) the SparkSession the feature engine runs on.

    Parameters
    ----------
    master : str
        ``local[N]``, ``spark://host:7077``, ``yarn``, ``k8s://...``: any master PySpark accepts
        in client mode (the driver is this process).
    app_name : str
        The application's name on the cluster.
    conf : dict, optional
        Extra Spark settings, e.g. ``{"spark.driver.memory": "2g", "spark.executor.memory": "4g"}``;
        they override the defaults below except the session timezone, which must be UTC.
        Defaults: ANSI mode on, UI off, 1g driver memory and, on a local master,
        :data:`LOCAL_SHUFFLE_PARTITIONS` shuffle partitions, a loopback driver and (unless
        ``PYSPARK_PYTHON`` is set) this interpreter as the Python workers. On a cluster, set
        ``PYSPARK_PYTHON`` to the executors' Python.
    log_level : str
        Spark's log level (``ERROR`` keeps the tests' stderr quiet; ``WARN`` to see warnings).

    Returns
    -------
    SparkSession
        With session timezone UTC. Settings of the JVM itself (driver memory, Java options) take
        effect only when this call starts the JVM: the first session of a process.

    Raises
    ------
    RepurchaseError
        PySpark is not installed, or no Java 17 or later is found.
    ConfigError
        ``conf`` asks for a session timezone other than UTC.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    settings = _settings(master, conf, log_level)
    home = java_home()
    if os.environ.get("JAVA_HOME") != home:
        # spark-submit starts the JVM from JAVA_HOME, else from java on PATH (maybe an older one)
        os.environ["JAVA_HOME"] = home
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # local Python workers must be this interpreter (its venv has pandas, LightGBM,
        # repurchase), not the first python3 on PATH; PySpark reads only the variable
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    running = session.sparkContext.master
    if running != master:
        log.warning("reusing the running Spark session on %s (asked for %s): call stop_spark() first to change it",
                    running, master)
    # a reused session keeps its runtime settings: the ones correctness needs are set again
    for key in ("spark.sql.session.timeZone", "spark.sql.ansi.enabled"):
        session.conf.set(key, settings[key])
    session.sparkContext.setLogLevel(log_level.upper())
    _quiet_python(log_level)
    return session


def stop_spark() -> None:
    """Stop the running SparkSession, if any (the JVM stays up until the process exits)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    # the session stop (not only its context's) also clears PySpark's and the JVM's default session
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is not None:
        session.stop()


def ibis_spark(session: "SparkSession") -> "ibis.BaseBackend":
    """The Ibis connection on a session, float literals written as doubles (:mod:`._spark_sql`).
    Compile through it (``con.compile(expr)``): ``ibis.to_sql`` fails without a live session."""
    import ibis

    from repurchase.engine._spark_sql import double_literals

    double_literals()
    return ibis.pyspark.connect(session)


def parquet_path(data_dir: str | Path, name: str) -> str:
    """``<data_dir>/<name>.parquet``, keeping a URI (``hdfs://``, ``s3a://``) intact."""
    base = str(data_dir)
    return f"{base.rstrip('/')}/{name}.parquet" if "://" in base else str(Path(base) / f"{name}.parquet")


def read_parquet_tables(con, data_dir: str | Path, names, *, prefix: str = "") -> dict[str, "ibis.Table"]:
    """Register the data directory's ``<name>.parquet`` files as Ibis tables on a Spark connection.

    Spark reads a Parquet instant (a tz-aware column, as the package writes them) as a
    ``TIMESTAMP``, which Ibis types as a naive ``timestamp``, and hands it to pandas as naive UTC
    wall time; DuckDB types the same column ``timestamp('UTC')``. Those columns are cast to
    ``timestamp('UTC')`` (a no-op in Spark's SQL), so both engines give the same schema and the
    same tz-aware values. Naive Parquet timestamps (``TIMESTAMP_NTZ``) stay naive, as in DuckDB.

    Parameters
    ----------
    con : ibis.backends.pyspark.Backend
        From :func:`ibis_spark`.
    data_dir : str or Path
        Read by every executor: local on a local master; HDFS, S3 or a shared mount on a cluster.
    names : iterable of str
        Tables to read, e.g. ``["orders", "events", "customers"]``.
    prefix : str
        Prefix of the temporary view names (two data directories in one session).

    Returns
    -------
    dict
        Table name -> Ibis table (temporary view ``prefix + name``).

    Raises
    ------
    DataError
        A local ``<name>.parquet`` does not exist (remote paths fail in Spark when read).
    """
    import ibis.expr.datatypes as dt
    from pyspark.sql.types import TimestampType

    session = con._session  # the connection's SparkSession: Ibis has no public accessor
    out = {}
    for name in names:
        path = parquet_path(data_dir, name)
        if "://" not in path and not Path(path).exists():
            raise DataError(f"{path} not found: the Spark engine reads the data directory's Parquet files")
        sdf = session.read.parquet(path)
        view = f"{prefix}{name}"
        sdf.createOrReplaceTempView(view)
        table = con.table(view)
        instants = [f.name for f in sdf.schema.fields if isinstance(f.dataType, TimestampType)]
        if instants:
            table = table.mutate(**{c: table[c].cast(dt.Timestamp(timezone="UTC", scale=6)) for c in instants})
        out[name] = table
    return out
