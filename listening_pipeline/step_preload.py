"""What a step process needs before it starts, loaded once in the multiprocess executor's forkserver.

``docker/multiprocess/run_config.yaml`` names this module in ``preload_modules``: the forkserver imports
it once per run, and every step process forks from it with the definitions' modules (the dbt manifest
included), Great Expectations and torch already imported. Without it each of a partition's nine steps
paid about 2 s for the definitions and 3.5 s for the two libraries before any work (bench/RESULTS.md).
Importing this module builds the definitions once and keeps nothing: the step still builds its own,
from its own environment, in a fraction of the time. What it loaded is then frozen out of the garbage
collector's sight (as :func:`listening_pipeline.runs.run_partitions` does): a step's full collections no
longer walk it, and they no longer touch, and so copy, the pages the steps share with the forkserver.
"""

import gc

import great_expectations  # noqa: F401  (the checks' suites: 2.3 s to import)
import torch  # noqa: F401  (every model step: 1.2 s to import)

from listening_pipeline.definitions import defs

defs()
gc.freeze()
