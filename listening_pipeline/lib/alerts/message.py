"""A brand alert as read from ``marts.brand_alerts``, and the Slack-compatible message that carries it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
)
VIDEO_URL = "https://www.tiktok.com/@/video/{video_id}"


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
        )


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
    if alert.top_videos:
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
