"""Thin Dagster assets, one module per stage; dbt assets in dbt.py."""
