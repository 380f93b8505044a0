"""Re-matching after a catalog edit: brand_mentions of recent stored days, from the stored text.

brand_mentions reads the stored text_units, sentiment, logo_hits, ocr_text and transcripts, so a
re-match reruns no speech recognition, OCR or detection. Days older than the window
(LISTENING_PIPELINE_REMATCH_DAYS, default 35) keep their mentions: `listening-pipeline rematch
--since` re-matches any range on demand.
"""

import datetime as dt

from dagster import AssetSelection, AutomationCondition

from listening_pipeline.settings import Settings

CATALOG_MATCHING_ASSET = "brand_matching"  # defs/catalog/matching.py

# Only partitions that were stored before (not every hashtag x day in the window), only when the
# catalog's matching fields changed (a new data version of brand_matching, not any re-load of the
# file), and not while the partition is being written.
REMATCH_AFTER_CATALOG_CHANGE = (
    AutomationCondition.in_latest_time_window(lookback_delta=dt.timedelta(days=Settings.from_env().rematch_days))
    & ~AutomationCondition.missing()
    & AutomationCondition.any_deps_match(AutomationCondition.data_version_changed()).allow(
        AssetSelection.assets(CATALOG_MATCHING_ASSET)
    )
    & ~AutomationCondition.in_progress()
).with_label("rematch_after_catalog_change")
