"""Framework-free logic: sources, media, speech, captions, logos, text, mentions, alerts.

Nothing under lib/ imports Dagster; the assets in :mod:`listening_pipeline.defs` call it.
"""
