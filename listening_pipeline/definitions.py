"""The code location: every definition under ``defs/``, resources built from settings when it loads.

Nothing happens at import: Dagster (``dagster dev``, ``dg``, the code server) calls :func:`defs`.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from listening_pipeline.defs.metadata import with_standard_metadata

    return with_standard_metadata(dg.load_from_defs_folder(path_within_project=Path(__file__).parent))
