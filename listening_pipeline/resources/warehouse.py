"""The warehouse as Dagster sees it: a resource and the IO manager every Python asset uses."""

import polars as pl
from dagster import (
    ConfigurableIOManager,
    ConfigurableResource,
    InputContext,
    MetadataValue,
    OutputContext,
    ResourceDependency,
)

from listening_pipeline.reports import markdown_preview
from listening_pipeline.tables import RAW_SCHEMA, Table
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse


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

    def get(self) -> Warehouse:
        if self.kind == "duckdb":
            return DuckDBWarehouse(self.duckdb_path)
        if self.kind == "postgres":
            return PostgresWarehouse(self.dsn())
        raise ValueError(f"unknown warehouse kind {self.kind!r}")

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
        store = self.warehouse.get()
        if context.has_asset_partitions:
            hashtag, day = split_partition_key(context.asset_partition_key)
            count = store.replace_partition(table, obj, hashtag=hashtag, day=day)
        else:
            count = store.replace_table(table, obj)
        context.add_output_metadata(
            {
                "dagster/row_count": count,
                "warehouse_table": f"{RAW_SCHEMA}.{table.name}",
                "preview": MetadataValue.md(markdown_preview(obj)),
            }
        )

    def load_input(self, context: InputContext) -> pl.DataFrame:
        from listening_pipeline.partitions import split_partition_key

        table = _table_for(context.asset_key.path[-1])
        store = self.warehouse.get()
        if context.has_asset_partitions:
            hashtag, day = split_partition_key(context.asset_partition_key)
            return store.read_partition(table, hashtag=hashtag, day=day)
        return store.read_table(table)


def _table_for(asset_name: str) -> Table:
    from listening_pipeline.tables import ALL_TABLES

    try:
        return ALL_TABLES[asset_name]
    except KeyError:
        raise KeyError(f"asset {asset_name!r} has no table declared in listening_pipeline.tables") from None
