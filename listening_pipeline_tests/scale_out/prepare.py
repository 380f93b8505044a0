"""What a deployment does around a backfill, run in its own process with the deployment's environment.

``python -m listening_pipeline_tests.scale_out.prepare setup TAG...``: the hashtag partitions and the
brand catalog in the warehouse (the scale-out tests' backfills need both);
``python -m listening_pipeline_tests.scale_out.prepare dbt FIRST LAST``: one dbt run over those days.
A process of its own, because settings (warehouse, executor) are read from the environment when
the code location loads, and the test session's are DuckDB and multiprocess.
"""

from __future__ import annotations

import datetime as dt
import sys


def main(argv: list[str]) -> int:
    from dagster import DagsterInstance

    from listening_pipeline.definitions import defs
    from listening_pipeline.runs import add_hashtag_partitions, run_dbt_days

    command, *args = argv
    with DagsterInstance.get() as instance:
        if command == "setup":
            add_hashtag_partitions(instance, args)
            return 0 if defs().resolve_job_def("catalog_job").execute_in_process(instance=instance).success else 1
        if command == "dbt":
            first, last = (dt.date.fromisoformat(arg) for arg in args)
            return 0 if run_dbt_days(instance, first, last).success else 1
    raise SystemExit(f"unknown command {command!r}: setup TAG... | dbt FIRST LAST")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
