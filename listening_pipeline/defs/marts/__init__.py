"""Marts: the dbt project as day-partitioned assets."""
