"""The catalog's campaigns in ``ground_truth.json``: which planned videos take part, day by day.

Why: ``marts.campaign_performance`` counts a campaign's videos from the warehouse; the sample's
catalog declares one campaign (on the history's hashtag, across the wave day and into the main
days, with a target), and its right answer is what the plan put under that hashtag on those days.
Nothing is drawn here: the campaign is the catalog's, the videos are the plan's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from listening_pipeline.catalog import Catalog
from listening_pipeline.lib.sample_data.video_plan import VideoPlan


def campaign_truth(videos: list[VideoPlan], catalog: Catalog) -> list[dict[str, Any]]:
    """Per campaign: its declaration and, per day from start to end that has any, the ids of the planned
    videos created that day that carry its hashtag (collected under whichever tracked hashtag)."""
    out = []
    for campaign in catalog.campaigns:
        days: dict[str, list[str]] = {}
        for video in videos:
            if campaign.start <= video.day <= campaign.end and campaign.hashtag in _tags(video):
                days.setdefault(video.day.isoformat(), []).append(str(video.video_id))
        out.append(
            {
                "name": campaign.name,
                "brand": campaign.brand,
                "hashtag": campaign.hashtag,
                "start_day": campaign.start.isoformat(),
                "end_day": campaign.end.isoformat(),
                "target": None
                if campaign.target_metric is None
                else {"metric": campaign.target_metric, "value": campaign.target_value},
                "days": dict(sorted(days.items(), key=lambda item: dt.date.fromisoformat(item[0]))),
            }
        )
    return out


def _tags(video: VideoPlan) -> set[str]:
    return {video.hashtag, *video.hashtag_names}
