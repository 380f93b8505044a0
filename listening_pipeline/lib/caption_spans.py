"""Caption spans: the same on-screen text read on consecutive kept frames, merged into one span, and its rows.

A caption on screen for several seconds usually appears on several kept frames (the
video moves under it); readings of the same text at an overlapping place on consecutive
frames are merged into one :class:`CaptionSpan` with the earliest first-seen time, the
latest last-seen time and the best confidence. Readings that are whole words of another
at the same place (EasyOCR split "Try the new Fizzly" into "Try" + "the new Fizzly" on one
frame of a panning test clip) join that span; its text is the fullest reading.

Nothing here reads pixels or imports EasyOCR: :class:`.captions.TextReader` reads, this merges.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from listening_pipeline.lib.boxes import Box, overlap_of_smaller
from listening_pipeline.lib.media.frames import KeptFrame
from listening_pipeline.lib.text.folding import comparison_key


@dataclass(frozen=True)
class Reading:
    """One line of text EasyOCR found on one frame."""

    text: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class CaptionSpan:
    text: str
    confidence: float  # best over the merged readings
    first_seen_s: float
    last_seen_s: float
    box: Box  # where the reading shown in ``text`` was
    frames: int = 1  # kept frames the text was read on


@dataclass(frozen=True)
class MergeRules:
    """When two readings on nearby frames are the same caption, and which readings are junk."""

    min_confidence: float = 0.3
    min_alnum_chars: int = 2
    text_similarity: float = 0.8  # difflib ratio of the normalised texts
    box_overlap: float = 0.5  # intersection over the smaller box
    # Kept frames a caption may be missed on and still continue as one span. 0: consecutive
    # frames only, so a caption shown, replaced and shown again is two spans, not one over the gap.
    max_gap_frames: int = 0


def merged_spans(
    frames: Sequence[KeptFrame], readings: Sequence[Sequence[Reading]], rules: MergeRules
) -> list[CaptionSpan]:
    """Caption spans of one video from each kept frame's readings (junk already dropped), by first appearance."""
    spans: list[_OpenSpan] = []
    for index, (frame, found) in enumerate(zip(frames, readings)):
        for reading in found:
            _merge(spans, reading, index, frame, rules)
    return [span.closed() for span in sorted(spans, key=lambda s: (s.first_seen_s, s.box[1], s.box[0]))]


@dataclass
class _OpenSpan:
    text: str
    confidence: float
    first_seen_s: float
    last_seen_s: float
    box: Box
    key: str
    last_index: int
    reading_confidence: float  # confidence of the reading whose text and box are shown
    frames: int = 1

    def closed(self) -> CaptionSpan:
        return CaptionSpan(self.text, self.confidence, self.first_seen_s, self.last_seen_s, self.box, self.frames)


def _merge(spans: list[_OpenSpan], reading: Reading, index: int, frame: KeptFrame, rules: MergeRules) -> None:
    key = comparison_key(reading.text)
    match = _best_match(spans, key, reading.box, index, rules)
    if match is None:
        spans.append(
            _OpenSpan(
                text=reading.text,
                confidence=reading.confidence,
                first_seen_s=frame.t_s,
                last_seen_s=frame.t_until_s,
                box=reading.box,
                key=key,
                last_index=index,
                reading_confidence=reading.confidence,
            )
        )
        return
    match.first_seen_s = min(match.first_seen_s, frame.t_s)
    match.last_seen_s = max(match.last_seen_s, frame.t_until_s)
    if match.last_index != index:
        match.frames += 1
    match.last_index = index
    # The text shown is the fullest reading: a frame where EasyOCR split "Try the new Fizzly"
    # into "Try" + "the new Fizzly" may read the part more confidently than the whole.
    if (alnum_chars(reading.text), reading.confidence) > (alnum_chars(match.text), match.reading_confidence):
        match.text, match.reading_confidence, match.box, match.key = reading.text, reading.confidence, reading.box, key
    match.confidence = max(match.confidence, reading.confidence)


def alnum_chars(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _best_match(spans: list[_OpenSpan], key: str, box: Box, index: int, rules: MergeRules) -> _OpenSpan | None:
    """The open span this reading continues: seen on this or the previous frame, at the same
    place, with similar text or with text that is a part of it (EasyOCR sometimes splits a line)."""
    best: _OpenSpan | None = None
    best_score = 0.0
    for span in spans:
        if index - span.last_index > rules.max_gap_frames + 1:
            continue
        if overlap_of_smaller(span.box, box) < rules.box_overlap:
            continue
        score = _text_match(span.key, key)
        if score >= rules.text_similarity and score > best_score:
            best, best_score = span, score
    return best


def _text_match(a: str, b: str) -> float:
    """1 for equal texts or whole words of one inside the other, else difflib's similarity ratio."""
    if a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} ":
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def caption_rows(spans: Sequence[CaptionSpan], model: str, **key: Any) -> list[dict[str, Any]]:
    """OCR_TEXT rows of one video; ``key`` holds hashtag, day and video_id."""
    rows = []
    for number, span in enumerate(spans):
        x0, y0, x1, y1 = span.box
        rows.append(
            {
                **key,
                "span_no": number,
                "text": span.text,
                "confidence": span.confidence,
                "first_seen_s": span.first_seen_s,
                "last_seen_s": span.last_seen_s,
                "box_x0": x0,
                "box_y0": y0,
                "box_x1": x1,
                "box_y1": y1,
                "model": model,
            }
        )
    return rows
