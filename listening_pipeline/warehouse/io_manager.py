"""The warehouse as Dagster sees it: a resource and the IO manager every Python asset uses."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import polars as pl
from dagster import (
    ConfigurableIOManager,
    ConfigurableResource,
    DagsterInvariantViolationError,
    InputContext,
    MetadataValue,
    OutputContext,
    ResourceDependency,
)
from pydantic import Field

from listening_pipeline.lib.reports import markdown_preview
from listening_pipeline.settings import (
    DUCKDB_LOCK_TIMEOUT_S,
    PG_CONNECT_TIMEOUT_S,
    PG_STATEMENT_TIMEOUT_S,
    environment_kept,
)
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from listening_pipeline.warehouse.tables import RAW_SCHEMA, Table
from listening_pipeline.warehouse.waits import Log


class WarehouseResource(ConfigurableResource):
    """Where the raw tables live: ``kind`` 'duckdb' (one file) or 'postgres' (a server).

    The PostgreSQL fields are those dbt's ``postgres`` target reads; set the password with
    ``EnvVar`` so it never shows in run configuration.
    """

    kind: str = "duckdb"
    duckdb_path: str = "var/warehouse.duckdb"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "listening"
    pg_password: str = ""
    pg_database: str = "listening"
    duckdb_lock_timeout_s: float = Field(
        default=DUCKDB_LOCK_TIMEOUT_S,
        description="Seconds a DuckDB writer (asset write or dbt build) waits for the file another process holds.",
    )
    pg_connect_timeout_s: int = Field(default=PG_CONNECT_TIMEOUT_S, description="PostgreSQL connect timeout, seconds.")
    pg_statement_timeout_s: int = Field(
        default=PG_STATEMENT_TIMEOUT_S, description="Longest statement of a PostgreSQL warehouse write, s (0: none)."
    )

    def get(self, log: Log | None = None) -> Warehouse:
        """The warehouse; ``log`` receives "waiting for the DuckDB lock held by ..." while a writer waits."""
        if self.kind == "duckdb":
            return DuckDBWarehouse(self.duckdb_path, lock_timeout_s=self.duckdb_lock_timeout_s, log=log)
        if self.kind == "postgres":
            return PostgresWarehouse(
                self.dsn(),
                connect_timeout_s=self.pg_connect_timeout_s,
                statement_timeout_s=self.pg_statement_timeout_s,
            )
        raise ValueError(f"unknown warehouse kind {self.kind!r}")

    def dbt_profile_env(self) -> dict[str, str]:
        """The variables dbt/profiles.yml reads, so a dbt run sees exactly this warehouse."""
        env = {
            "LISTENING_PIPELINE_DBT_TARGET": self.kind,
            "LISTENING_PIPELINE_DUCKDB_PATH": str(self.duckdb_path),
            "LISTENING_PIPELINE_PG_HOST": self.pg_host,
            "LISTENING_PIPELINE_PG_PORT": str(self.pg_port),
            "LISTENING_PIPELINE_PG_USER": self.pg_user,
            "LISTENING_PIPELINE_PG_DATABASE": self.pg_database,
        }
        if self.pg_password:
            env["LISTENING_PIPELINE_PG_PASSWORD"] = self.pg_password
        return env

    @contextmanager
    def dbt_environment(self, extra: Mapping[str, str] | None = None) -> Iterator[None]:
        """For the length of a dbt invocation (which copies the process environment when it starts): this
        warehouse, and ``extra`` (the build's window)."""
        wanted = {**self.dbt_profile_env(), **(extra or {})}
        with environment_kept(wanted):
            os.environ.update(wanted)
            yield

    def dsn(self) -> str:
        from psycopg2.extensions import make_dsn

        return make_dsn(
            host=self.pg_host,
            port=self.pg_port,
            user=self.pg_user,
            password=self.pg_password or None,
            dbname=self.pg_database,
        )


class WarehouseIOManager(ConfigurableIOManager):
    """Stores each asset's polars frame as its raw table, replacing exactly the partition's rows."""

    warehouse: ResourceDependency[WarehouseResource]

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        from listening_pipeline.partitions import split_partition_key

        table = _table_for(context.asset_key.path[-1])
        store = self.warehouse.get(log=_warning_log(context))
        # Dagster's standard keys: dagster/row_count is the whole table's rows, and a partitioned write
        # also reports the rows it wrote as dagster/partition_row_count.
        counts: dict[str, int] = {}
        if context.has_asset_partitions:
            hashtag, day = split_partition_key(context.asset_partition_key)
            counts["dagster/partition_row_count"] = store.replace_partition(table, obj, hashtag=hashtag, day=day)
            total = store.query(f'SELECT count(*) AS n FROM {RAW_SCHEMA}."{table.name}"')
            counts["dagster/row_count"] = int(total["n"][0])
        else:
            counts["dagster/row_count"] = store.replace_table(table, obj)
        context.add_output_metadata(
            {
                **counts,
                "dagster/table_name": f"{RAW_SCHEMA}.{table.name}",
                "preview": MetadataValue.md(markdown_preview(obj)),
            }
        )

    def load_input(self, context: InputContext) -> pl.DataFrame:
        from listening_pipeline.partitions import split_partition_key

        table = _table_for(context.asset_key.path[-1])
        store = self.warehouse.get(log=_warning_log(context))
        if context.has_asset_partitions:
            hashtag, day = split_partition_key(context.asset_partition_key)
            return store.read_partition(table, hashtag=hashtag, day=day)
        return store.read_table(table)


def _warning_log(context: InputContext | OutputContext) -> Log | None:
    """The run's log for lock waits, when the context has one (contexts built in tests may not)."""
    try:
        return context.log.warning
    except DagsterInvariantViolationError:
        return None


def _table_for(asset_name: str) -> Table:
    from listening_pipeline.warehouse.tables import ALL_TABLES

    try:
        return ALL_TABLES[asset_name]
    except KeyError:
        raise KeyError(f"asset {asset_name!r} has no table declared in listening_pipeline.warehouse.tables") from None
