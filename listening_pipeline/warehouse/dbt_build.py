"""The dbt command that rebuilds a window of days, as the ``dbt_models`` asset runs it (and the benches).

The window reaches dbt as environment variables, not ``--vars``: dbt keys its saved parse on the
command line's vars, so a build with new vars re-parses the whole project (about 2 s here, more on a
larger project) every partition, every day. An environment variable only re-parses the files that
read it (the six marts). A person running dbt by hand may still pass ``--vars '{min_date: ...,
max_date: ...}'``, which wins over the environment (dbt/macros/partition_window.sql).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The variables dbt/macros/partition_window.sql reads when the vars are not given (the var's name in
# capitals after the project's prefix).
WINDOW_ENV = {"min_date": "LISTENING_PIPELINE_DBT_MIN_DATE", "max_date": "LISTENING_PIPELINE_DBT_MAX_DATE"}


@dataclass(frozen=True)
class DbtBuild:
    """``dbt <args>`` with ``env`` added to the environment."""

    args: list[str]
    env: dict[str, str]


def window_build(first: dt.date, end: dt.date, full_tests: bool = False) -> DbtBuild:
    """``dbt build`` of the days ``first`` (inclusive) to ``end`` (exclusive).

    A daily build leaves out dbt's unit tests: they check the SQL on fixtures, not the day's data, so CI
    runs them (every plain `dbt build`), and so does a full-tests build, which also tests every day's rows.
    """
    env = {WINDOW_ENV["min_date"]: first.isoformat(), WINDOW_ENV["max_date"]: end.isoformat()}
    if full_tests:
        return DbtBuild(["build", "--vars", '{"full_tests": true}'], env)
    return DbtBuild(["build", "--exclude-resource-type", "unit_test"], env)
