"""One line per insight mart for people who read the terminal (`make demo`, `listening-pipeline metrics`).

Each module reads its marts with the warehouse's plain query API and says the most telling thing in
one sentence; a mart not built yet says so instead of failing the demo.
"""

from __future__ import annotations

from collections.abc import Callable

from listening_pipeline.lib.insights import audience, campaigns, creators, first_party, platform, regions, topics
from listening_pipeline.warehouse import Warehouse

SUMMARIES: tuple[Callable[[Warehouse], str], ...] = (
    regions.summary_line,
    topics.summary_line,
    platform.sound_line,
    platform.effect_line,
    platform.growth_line,
    creators.summary_line,
    first_party.summary_line,
    campaigns.summary_line,
    audience.summary_line,
)


def summary_lines(warehouse: Warehouse) -> list[str]:
    return [summary(warehouse) for summary in SUMMARIES]
