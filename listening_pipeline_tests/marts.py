"""Every mart with the columns that identify a row: the one list the mart tests compare by, so a new mart
is compared on DuckDB and PostgreSQL, and before and after a rebuild, as soon as it is listed here."""

from __future__ import annotations

MART_KEYS: dict[str, list[str]] = {
    "hashtag_daily_metrics": ["hashtag", "day"],
    "brand_daily_metrics": ["brand", "day", "hashtag"],
    "share_of_voice": ["brand", "day"],
    "visual_share_of_voice": ["brand", "day"],
    "creator_leaderboard": ["brand", "day", "creator"],
    "hashtag_trends": ["hashtag", "day", "co_hashtag"],
    "brand_alerts": ["brand", "day"],
    "mention_evidence": ["mention_id", "hashtag", "day"],
    "video_growth": ["day", "video_id", "observed_on"],
    "sound_trends": ["music_id", "day"],
    "effect_trends": ["effect_id", "day"],
    "social_vs_first_party": ["brand", "region", "metric", "social_series", "lag_days"],
    "creator_profiles": ["day", "creator"],
    "creator_brand_switches": ["creator", "from_brand", "to_brand"],
    "campaign_performance": ["campaign", "day"],
    "audience_reaction": ["brand", "day"],
    "brand_region_metrics": ["brand", "day", "region", "language"],
    "brand_topics": ["brand", "day", "topic_kind", "topic_rank"],
}

# Marts fed by brand mentions or logo hits: empty after a collect-only run (they need the enrichment run).
BRAND_MARTS = frozenset(
    {
        "brand_daily_metrics",
        "share_of_voice",
        "visual_share_of_voice",
        "creator_leaderboard",
        "brand_alerts",
        "mention_evidence",
        "creator_brand_switches",
        "audience_reaction",
        "brand_region_metrics",
        "brand_topics",
    }
)
