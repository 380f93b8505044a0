"""The warehouse every Python asset writes to: a DuckDB file by default, PostgreSQL by configuration.

A partition write is one transaction that deletes the partition's rows and inserts the new
ones, so a re-run never duplicates or drops rows and a killed run leaves the previous rows.
DDL comes from :mod:`listening_pipeline.warehouse.tables`; missing columns are added on the way
(that is the migration of a warehouse an older version created: its rows keep a null ``loaded_at``).
Every row written is stamped with the write's time in ``loaded_at``, which reads drop again.

Writers wait rather than fail: a DuckDB file another process holds is retried with backoff and
jitter up to a lock timeout (:class:`LockWait`, shared with the dbt asset, which runs dbt the same
way); PostgreSQL connections have a connect and a statement timeout. A failed rollback never hides
the error that caused it.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.settings import DUCKDB_LOCK_TIMEOUT_S, PG_CONNECT_TIMEOUT_S, PG_STATEMENT_TIMEOUT_S
from listening_pipeline.warehouse.ddl import create_table_sql, sql_type
from listening_pipeline.warehouse.tables import LOADED_AT, LOADED_AT_COLUMN, RAW_SCHEMA, Table
from listening_pipeline.warehouse.waits import (
    LockWait,
    Log,
    WarehouseMissingError,
    WarehouseUnavailableError,
    rollback_keeping_cause,
)


class Warehouse(ABC):
    dialect: str

    def replace_partition(
        self,
        table: Table,
        rows: pl.DataFrame,
        *,
        hashtag: str,
        day: dt.date,
        scope: Mapping[str, str] | None = None,
    ) -> int:
        """Replace the rows of (hashtag, day[, scope]) with ``rows`` in one transaction."""
        if not table.partitioned:
            raise ValueError(f"table {table.name} is not partitioned; use replace_table")
        where = {"hashtag": hashtag, "day": day, **(scope or {})}
        unknown = [c for c in where if c not in table.schema]
        if unknown:
            raise ValueError(f"table {table.name} has no columns {unknown} to scope a replace by")
        rows = table.frame(rows)
        for column, value in where.items():
            stray = rows.filter(pl.col(column) != value).height
            if stray:
                raise ValueError(f"{stray} row(s) for table {table.name} do not belong to {column}={value!r}")
        self._replace(table, _stamped(rows), where)
        return rows.height

    def replace_table(self, table: Table, rows: pl.DataFrame) -> int:
        rows = table.frame(rows)
        self._replace(table, _stamped(rows), {})
        return rows.height

    def upsert_rows(self, table: Table, rows: pl.DataFrame | list[dict]) -> int:
        """Insert ``rows``, replacing the rows that have the same key, in one transaction.

        For small ledgers written a row at a time (the alert deliveries), not for asset data:
        assets replace whole partitions.
        """
        rows = table.frame(rows)
        if rows.select(table.key).is_duplicated().any():
            raise ValueError(f"rows for table {table.name} repeat a key {table.key}")
        if rows.height:
            self._upsert(table, _stamped(rows))
        return rows.height

    def read_partition(self, table: Table, *, hashtag: str, day: dt.date) -> pl.DataFrame:
        frame = self.query(
            f'SELECT * FROM {RAW_SCHEMA}."{table.name}" WHERE hashtag = {self.param} AND day = {self.param}',
            [hashtag, day],
            missing_ok=True,
        )
        return table.frame(frame) if frame.height else table.empty()

    def count_partition(self, table: Table, *, hashtag: str, day: dt.date) -> int:
        """Rows stored for (hashtag, day); 0 when the table does not exist yet."""
        frame = self.query(
            f'SELECT count(*) AS n FROM {RAW_SCHEMA}."{table.name}" '
            f"WHERE hashtag = {self.param} AND day = {self.param}",
            [hashtag, day],
            missing_ok=True,
        )
        return int(frame["n"][0]) if frame.height else 0

    def read_table(self, table: Table) -> pl.DataFrame:
        frame = self.query(f'SELECT * FROM {RAW_SCHEMA}."{table.name}"', missing_ok=True)
        return table.frame(frame) if frame.height else table.empty()

    @abstractmethod
    def ensure_tables(self, tables: Iterable[Table]) -> None:
        """Create the raw tables that are missing (and their missing columns), so dbt can always read its sources."""

    @property
    @abstractmethod
    def param(self) -> str:
        """The placeholder of a bound parameter in this driver."""

    @abstractmethod
    def _replace(self, table: Table, rows: pl.DataFrame, where: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def _upsert(self, table: Table, rows: pl.DataFrame) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: list[Any] | None = None, *, missing_ok: bool = False) -> pl.DataFrame:
        """Rows of a query; with ``missing_ok`` a missing table reads as no rows."""


def _stamped(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with the load timestamp: one time for the whole write, so a partition's rows share it."""
    now = dt.datetime.now(dt.UTC)
    return rows.with_columns(pl.lit(now, dtype=LOADED_AT_COLUMN[0]).alias(LOADED_AT))


class DuckDBWarehouse(Warehouse):
    """One DuckDB file. DuckDB allows one writing process at a time, so connections are short
    and a busy file is retried with backoff: parallel steps of a multiprocess run take turns."""

    dialect = "duckdb"
    param = "?"

    def __init__(
        self, path: str | Path, *, lock_timeout_s: float = DUCKDB_LOCK_TIMEOUT_S, log: Log | None = None
    ) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self.log = log

    def lock_wait(self, log: Log | None = None) -> LockWait:
        """A fresh wait for this file's lock (``log``: where "waiting for the DuckDB lock" goes)."""
        return LockWait(self.path, self.lock_timeout_s, log=log or self.log)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        """A connection, waiting while another process holds the file. A read never creates the file."""
        import duckdb

        if read_only and not self.path.exists():
            raise WarehouseMissingError(
                f"the DuckDB warehouse {self.path} does not exist yet: nothing has been written to it "
                "(materialize some partitions first, e.g. `listening-pipeline backfill`)"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        wait = self.lock_wait()
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if not wait.retry(exc):
                    raise
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def _replace(self, table: Table, rows: pl.DataFrame, where: Mapping[str, Any]) -> None:
        clause = " AND ".join(f'"{c}" = ?' for c in where) or "TRUE"
        self._delete_then_insert(table, rows, clause, list(where.values()))

    def _upsert(self, table: Table, rows: pl.DataFrame) -> None:
        key = ", ".join(f'"{c}"' for c in table.key)
        self._delete_then_insert(table, rows, f"({key}) IN (SELECT {key} FROM incoming_rows)", [])

    def _delete_then_insert(self, table: Table, rows: pl.DataFrame, where_sql: str, params: list[Any]) -> None:
        """One transaction: delete what ``where_sql`` selects (it may read ``incoming_rows``), insert ``rows``."""
        columns = ", ".join(f'"{c}"' for c in table.stored_schema)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                self._ensure_table(con, table)
                con.register("incoming_rows", rows.to_arrow())
                con.execute(f'DELETE FROM {RAW_SCHEMA}."{table.name}" WHERE {where_sql}', params)
                if rows.height:
                    con.execute(
                        f'INSERT INTO {RAW_SCHEMA}."{table.name}" ({columns}) SELECT {columns} FROM incoming_rows'
                    )
                con.unregister("incoming_rows")
                con.execute("COMMIT")
            except BaseException as exc:
                rollback_keeping_cause(lambda: con.execute("ROLLBACK"), exc)
                raise

    def ensure_tables(self, tables: Iterable[Table]) -> None:
        with self.connect() as con:
            for table in tables:
                self._ensure_table(con, table)

    def _ensure_table(self, con: Any, table: Table) -> None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        con.execute(create_table_sql(table, self.dialect))
        existing = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [RAW_SCHEMA, table.name],
            ).fetchall()
        }
        for name, dtype in table.stored_schema.items():
            if name not in existing:
                con.execute(
                    f'ALTER TABLE {RAW_SCHEMA}."{table.name}" ADD COLUMN "{name}" {sql_type(dtype, self.dialect)}'
                )

    def query(self, sql: str, params: list[Any] | None = None, *, missing_ok: bool = False) -> pl.DataFrame:
        import duckdb

        if missing_ok and not self.path.exists():
            return pl.DataFrame()  # no warehouse yet reads as no rows, and stays uncreated
        with self.connect(read_only=True) as con:
            try:
                return pl.from_arrow(con.sql(sql, params=params or None).to_arrow_table())  # type: ignore[return-value]
            except duckdb.CatalogException:
                if missing_ok:
                    return pl.DataFrame()
                raise


class PostgresWarehouse(Warehouse):
    dialect = "postgres"
    param = "%s"

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout_s: int = PG_CONNECT_TIMEOUT_S,
        statement_timeout_s: int = PG_STATEMENT_TIMEOUT_S,
    ) -> None:
        self.dsn = dsn
        self.connect_timeout_s = connect_timeout_s
        self.statement_timeout_s = statement_timeout_s

    def connect_args(self) -> dict[str, Any]:
        """What every connection adds to the DSN: the timeouts, and TCP keepalives so a vanished
        server is noticed within about a minute instead of the kernel's hours."""
        from psycopg2.extensions import parse_dsn

        args: dict[str, Any] = {
            "connect_timeout": max(1, int(self.connect_timeout_s)),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        if self.statement_timeout_s > 0:
            options = parse_dsn(self.dsn).get("options", "")
            args["options"] = f"{options} -c statement_timeout={int(self.statement_timeout_s * 1000)}".strip()
        return args

    def where(self) -> str:
        """host:port/database of the DSN, never its password."""
        from psycopg2.extensions import parse_dsn

        parts = parse_dsn(self.dsn)
        return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import psycopg2

        try:
            con = psycopg2.connect(self.dsn, **self.connect_args())
        except psycopg2.OperationalError as exc:
            raise WarehouseUnavailableError(
                f"cannot connect to the PostgreSQL warehouse at {self.where()} "
                f"(connect timeout {self.connect_timeout_s}s): {str(exc).strip()}"
            ) from exc
        try:
            with con.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")
            yield con
        finally:
            con.close()

    def _replace(self, table: Table, rows: pl.DataFrame, where: Mapping[str, Any]) -> None:
        clause = " AND ".join(f'"{c}" = %s' for c in where) or "TRUE"

        def delete(cur: Any) -> None:
            cur.execute(f'DELETE FROM {RAW_SCHEMA}."{table.name}" WHERE {clause}', list(where.values()))

        self._delete_then_insert(table, rows, delete)

    def _upsert(self, table: Table, rows: pl.DataFrame) -> None:
        from psycopg2.extras import execute_values

        key = ", ".join(f'"{c}"' for c in table.key)

        def delete(cur: Any) -> None:
            sql = f'DELETE FROM {RAW_SCHEMA}."{table.name}" WHERE ({key}) IN (VALUES %s)'
            execute_values(cur, sql, rows.select(table.key).rows())

        self._delete_then_insert(table, rows, delete)

    def _delete_then_insert(self, table: Table, rows: pl.DataFrame, delete: Callable[[Any], None]) -> None:
        """One transaction: ``delete(cursor)``, then insert ``rows``."""
        from psycopg2.extras import execute_values

        columns = ", ".join(f'"{c}"' for c in table.stored_schema)
        with self.connect() as con:
            try:
                with con.cursor() as cur:
                    self._ensure_table(cur, table)
                    delete(cur)
                    if rows.height:
                        sql = f'INSERT INTO {RAW_SCHEMA}."{table.name}" ({columns}) VALUES %s'
                        execute_values(cur, sql, rows.rows(), page_size=1000)
                con.commit()
            except BaseException as exc:
                rollback_keeping_cause(con.rollback, exc)
                raise

    def ensure_tables(self, tables: Iterable[Table]) -> None:
        with self.connect() as con:
            with con.cursor() as cur:
                for table in tables:
                    self._ensure_table(cur, table)
            con.commit()

    def _ensure_table(self, cur: Any, table: Table) -> None:
        # Concurrent steps may create the same schema/table: serialise DDL with an advisory lock.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{RAW_SCHEMA}.{table.name}"])
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        cur.execute(create_table_sql(table, self.dialect))
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            [RAW_SCHEMA, table.name],
        )
        existing = {r[0] for r in cur.fetchall()}
        for name, dtype in table.stored_schema.items():
            if name not in existing:
                cur.execute(
                    f'ALTER TABLE {RAW_SCHEMA}."{table.name}" ADD COLUMN "{name}" {sql_type(dtype, self.dialect)}'
                )

    def query(self, sql: str, params: list[Any] | None = None, *, missing_ok: bool = False) -> pl.DataFrame:
        import psycopg2

        with self.connect() as con:
            with con.cursor() as cur:
                try:
                    cur.execute(sql, params or None)
                except psycopg2.errors.UndefinedTable:
                    if missing_ok:
                        return pl.DataFrame()
                    raise
                names = [d[0] for d in cur.description]
                return pl.DataFrame(cur.fetchall(), schema=names, orient="row", infer_schema_length=None)
