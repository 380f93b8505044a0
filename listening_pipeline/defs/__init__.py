"""The Dagster definitions, one folder per stage of a video's path, loaded by ``load_from_defs_folder``.

collect -> media -> speech | captions | logos -> text -> mentions -> marts -> alerts;
catalog holds the brands table and its sensor. Shared pieces: resources.py, stage.py, checks.py,
execution.py. Logic lives in :mod:`listening_pipeline.lib`; these modules only wire it.
"""
