"""Re-collecting a day that is already stored: replace it, unless the source suddenly returns far less.

The daily run re-collects the last days, and a source can answer a re-collection with a fraction of
what it returned before (an API outage that answers 200 with an empty page, an export cut short).
Replacing the day would silently delete the rest, so such a re-collection is refused unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MIN_SHARE = 0.5


@dataclass(frozen=True)
class ShrinkingRecollection:
    """Why a re-collection was refused: what is stored, what came back, the share allowed."""

    stored: int
    collected: int
    min_share: float

    def message(self, what: str) -> str:
        share = self.collected / self.stored if self.stored else 1.0
        return (
            f"re-collecting {what} returned {self.collected} video(s) where {self.stored} are stored "
            f"({share:.0%}, below the {self.min_share:.0%} that LISTENING_PIPELINE_RECOLLECT_MIN_SHARE allows): "
            "the stored day was kept. If the source really dropped them, run again with the run config "
            "`ops: {videos: {config: {allow_shrink: true}}}`."
        )


def shrinking_recollection(stored: int, collected: int, min_share: float) -> ShrinkingRecollection | None:
    """A refusal when ``collected`` is below ``min_share`` of the ``stored`` rows, else None."""
    if stored <= 0 or min_share <= 0 or collected >= stored * min_share:
        return None
    return ShrinkingRecollection(stored=stored, collected=collected, min_share=min_share)
