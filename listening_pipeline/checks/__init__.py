"""Data-quality checks: Great Expectations suites derived from the table declarations, as Dagster asset checks."""
