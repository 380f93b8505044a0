"""A brand alert as read from ``marts.brand_alerts``, and the message that carries it with its proof.

Two payloads: Slack's incoming-webhook JSON (the default; the quotes behind the alert as blocks) and a
plain JSON object for other receivers (the alert's fields and its evidence as a list).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from listening_pipeline.lib.reports import video_time

ALERTS_RELATION = "marts.brand_alerts"
# The mart's column contract (dbt/models/marts/brand_alerts.sql).
ALERT_COLUMNS = (
    "alert_id",
    "day",
    "brand",
    "competitor_group",
    "reasons",
    "mentions",
    "baseline_mentions",
    "mentions_z",
    "negative_mentions",
    "negative_share",
    "baseline_negative_share",
    "negative_share_z",
    "baseline_days",
    "top_videos",
    "top_evidence",
)
VIDEO_URL = "https://www.tiktok.com/@/video/{video_id}"
PAYLOAD_FORMATS = ("slack", "json")
PayloadFormat = Literal["slack", "json"]


@dataclass(frozen=True)
class Evidence:
    """One mention behind an alert (an object of the mart's ``top_evidence``)."""

    mention_id: str
    video_id: str
    video_url: str | None
    creator: str | None
    view_count: int | None
    origin: str
    quote: str | None
    start_s: float | None
    end_s: float | None
    sentiment_label: str | None
    thumbnail_uri: str | None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Evidence:
        return cls(
            mention_id=str(item.get("mention_id") or ""),
            video_id=str(item.get("video_id") or ""),
            video_url=item.get("video_url"),
            creator=item.get("creator"),
            view_count=None if item.get("view_count") is None else int(item["view_count"]),
            origin=str(item.get("origin") or ""),
            quote=item.get("quote"),
            start_s=_float(item.get("start_s")),
            end_s=_float(item.get("end_s")),
            sentiment_label=item.get("sentiment_label"),
            thumbnail_uri=item.get("thumbnail_uri"),
        )

    @property
    def when(self) -> str | None:
        """Where in the video, as m:ss or m:ss-m:ss; None for text without a time (comments, descriptions)."""
        return video_time(self.start_s, self.end_s)


@dataclass(frozen=True)
class Alert:
    """One row of ``marts.brand_alerts``."""

    alert_id: str
    day: dt.date
    brand: str
    competitor_group: str | None
    reasons: tuple[str, ...]
    mentions: int
    baseline_mentions: float | None
    mentions_z: float | None
    negative_mentions: int
    negative_share: float | None
    baseline_negative_share: float | None
    negative_share_z: float | None
    baseline_days: int | None
    top_videos: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alert:
        return cls(
            alert_id=str(row["alert_id"]),
            day=row["day"],
            brand=str(row["brand"]),
            competitor_group=row.get("competitor_group"),
            reasons=_split(row.get("reasons")),
            mentions=int(row.get("mentions") or 0),
            baseline_mentions=_float(row.get("baseline_mentions")),
            mentions_z=_float(row.get("mentions_z")),
            negative_mentions=int(row.get("negative_mentions") or 0),
            negative_share=_float(row.get("negative_share")),
            baseline_negative_share=_float(row.get("baseline_negative_share")),
            negative_share_z=_float(row.get("negative_share_z")),
            baseline_days=None if row.get("baseline_days") is None else int(row["baseline_days"]),
            top_videos=_split(row.get("top_videos"))[:5],
            evidence=_evidence(row.get("top_evidence")),
        )


def alert_payload(alert: Alert, payload_format: PayloadFormat = "slack") -> dict[str, Any]:
    """The JSON posted for ``alert``: Slack blocks, or the alert and its evidence as plain JSON."""
    if payload_format == "json":
        return json_payload(alert)
    return slack_payload(alert)


def json_payload(alert: Alert) -> dict[str, Any]:
    """The alert's fields and its evidence (quote, time in the video, link, thumbnail) as plain JSON."""
    fields = asdict(alert)
    fields["day"] = alert.day.isoformat()
    fields["reasons"] = list(alert.reasons)
    fields["top_videos"] = list(alert.top_videos)
    fields["evidence"] = [{**asdict(e), "when": e.when} for e in alert.evidence]
    return {"alert": fields}


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack incoming-webhook JSON: a plain ``text`` (notifications, non-Slack receivers) and ``blocks``."""
    reasons = [_REASON_WORDS.get(r, r) for r in alert.reasons] or ["unusual activity"]
    mentions_line = (
        f"{alert.mentions:,} mentions vs a baseline of {_num(alert.baseline_mentions)}/day ({_z(alert.mentions_z)})"
    )
    negative_line = (
        f"{_pct(alert.negative_share)} negative ({alert.negative_mentions:,} mentions) vs a baseline of"
        f" {_pct(alert.baseline_negative_share)} ({_z(alert.negative_share_z)})"
    )
    day = alert.day.isoformat()
    text = f"Brand alert: {_esc(alert.brand)} on {day}: {' and '.join(reasons)}. {mentions_line}; {negative_line}."
    baseline = f"baseline of {alert.baseline_days} day(s)" if alert.baseline_days is not None else "baseline"
    fields = [
        {"type": "mrkdwn", "text": f"*Brand*\n{_esc(alert.brand)}"},
        {"type": "mrkdwn", "text": f"*Day*\n{day}"},
        {"type": "mrkdwn", "text": f"*Why*\n{_esc(', '.join(reasons))}"},
        {"type": "mrkdwn", "text": f"*Competitor group*\n{_esc(alert.competitor_group or '-')}"},
        {
            "type": "mrkdwn",
            "text": (
                f"*Mentions*\n{alert.mentions:,} (baseline {_num(alert.baseline_mentions)}, {_z(alert.mentions_z)})"
            ),
        },
        {
            "type": "mrkdwn",
            "text": (
                f"*Negative share*\n{_pct(alert.negative_share)} "
                f"(baseline {_pct(alert.baseline_negative_share)}, {_z(alert.negative_share_z)})"
            ),
        },
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Brand alert: {alert.brand} on {day}"[:150]}},
        {"type": "section", "fields": fields},
    ]
    if alert.evidence:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Evidence* (the mentions behind it)"}})
        blocks.extend(
            {"type": "section", "text": {"type": "mrkdwn", "text": _evidence_line(e)}} for e in alert.evidence
        )
    elif alert.top_videos:
        links = "\n".join(f"<{VIDEO_URL.format(video_id=v)}|video {_esc(v)}>" for v in alert.top_videos)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Top videos*\n{links}"}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"{baseline} · alert {alert.alert_id} · listening_pipeline"}],
        }
    )
    return {"text": text, "blocks": blocks}


_REASON_WORDS = {"mentions": "mentions spiked", "negative_share": "negative share rose"}


def _evidence_line(evidence: Evidence) -> str:
    """One mention as Slack mrkdwn: the quote, who and where, and the frame it was seen in."""
    quote = f"> “{_esc(' '.join(evidence.quote.split()))}”\n" if evidence.quote else ""
    where = evidence.origin + (f" at {evidence.when}" if evidence.when else "")
    views = f", {evidence.view_count:,} views" if evidence.view_count is not None else ""
    by = f" by @{_esc(evidence.creator)}" if evidence.creator else ""
    link = f"<{evidence.video_url}|video {_esc(evidence.video_id)}>" if evidence.video_url else _esc(evidence.video_id)
    sentiment = f" · {evidence.sentiment_label}" if evidence.sentiment_label else ""
    frame = f"\nframe: `{_esc(evidence.thumbnail_uri)}`" if evidence.thumbnail_uri else ""
    return f"{quote}{_esc(where)} in {link}{by}{views}{sentiment}{frame}"[:2900]


def _evidence(value: Any) -> tuple[Evidence, ...]:
    """The mart's ``top_evidence`` JSON; text that is not a JSON list (an older mart: null) is no evidence."""
    if not value:
        return ()
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(Evidence.from_json(item) for item in items[:5] if isinstance(item, Mapping))


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _z(value: float | None) -> str:
    return "z n/a" if value is None else f"z = {value:+.1f}"


def _esc(text: str) -> str:
    """Slack mrkdwn control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
