"""Dagster resources: the warehouse (DuckDB | PostgreSQL), media store, video source, catalog."""
