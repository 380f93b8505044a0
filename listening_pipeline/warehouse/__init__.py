"""Storage: the table declarations (the single schema source) and the DuckDB/PostgreSQL writes.

The Dagster IO manager that hands asset frames to these writes lives beside them in
:mod:`listening_pipeline.warehouse.io_manager`; nothing else here imports Dagster.
"""

from listening_pipeline.warehouse.store import DuckDBWarehouse, PostgresWarehouse, Warehouse

__all__ = ["DuckDBWarehouse", "PostgresWarehouse", "Warehouse"]
