"""The evidence report: one brand's day on one self-contained HTML page, every number with its proof.

Why it exists: an alert or a dip in sentiment is judged by looking at what people said and showed.
The page holds the day's metrics, the alert if there was one, and the mentions behind them as a
contact sheet: the frame with the logo or caption boxed, the quote with its time in the video, the
sentiment in colour, the link to the video. Thumbnails are inlined (data URIs), so the file can be
mailed or attached to a ticket and still shows everything. Framework-free: ``listening-pipeline
report --brand X --day D`` and the ``evidence_reports`` asset write it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.lib.reports import proof_first, video_time

MARTS = "marts"
MAX_MENTIONS = 200  # contact-sheet cards per page; the page says when there were more
_SENTIMENT_COLOURS = {"negative": "#d93025", "positive": "#188038", "neutral": "#5f6368"}
_METRIC_COLUMNS = (
    ("mentions", "mentions"),
    ("mentioning_videos", "videos"),
    ("reach", "reach"),
    ("positive_mentions", "positive"),
    ("neutral_mentions", "neutral"),
    ("negative_mentions", "negative"),
)


@dataclass(frozen=True)
class EvidenceReport:
    """A written report: where it is, and what it holds (for the CLI's line and the asset's metadata)."""

    path: Path
    brand: str
    day: dt.date
    mentions: int
    thumbnails: int
    alert: bool
    quotes: tuple[str, ...]


def report_path(out_dir: Path, brand: str, day: dt.date) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", brand.lower()).strip("-") or "brand"
    return out_dir / f"evidence_{slug}_{day.isoformat()}.html"


def write_evidence_report(
    warehouse: Any, store: MediaStore | None, brand: str, day: dt.date, out_dir: Path
) -> EvidenceReport:
    """Write the brand's page for ``day`` under ``out_dir``; thumbnails read from ``store`` (None: none shown)."""
    metrics = _query(warehouse, "brand_daily_metrics", brand, day, order="hashtag")
    alerts = _query(warehouse, "brand_alerts", brand, day, order="alert_id")
    screen = _query(warehouse, "visual_share_of_voice", brand, day, order="brand")
    evidence = proof_first(_query(warehouse, "mention_evidence", brand, day, order="mention_id, hashtag"))
    cards, images = [], 0
    for row in evidence.head(MAX_MENTIONS).iter_rows(named=True):
        image = _inline_image(store, row.get("thumbnail_uri"))
        images += image is not None
        cards.append(_card(row, image))
    alert = alerts.row(0, named=True) if alerts.height else None
    page = _page(brand, day, metrics, alert, screen, cards, evidence.height)
    path = report_path(out_dir, brand, day)
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    quotes = tuple(q for q in evidence.head(MAX_MENTIONS)["quote"].to_list() if q) if evidence.height else ()
    return EvidenceReport(path, brand, day, evidence.height, images, alert is not None, quotes)


def alerting_brands(warehouse: Any, first: dt.date, last: dt.date) -> list[tuple[str, dt.date]]:
    """(brand, day) of every alert from ``first`` to ``last``: the pages a run writes by itself."""
    rows = warehouse.query(
        f"select brand, day from {MARTS}.brand_alerts where day >= {warehouse.param} and day <= {warehouse.param}"
        " order by day, brand",
        [first, last],
        missing_ok=True,
    )
    return [(r["brand"], r["day"]) for r in rows.iter_rows(named=True)] if rows.height else []


def latest_day(warehouse: Any, brand: str) -> dt.date | None:
    """The brand's latest day with mentions; None when it has none."""
    rows = warehouse.query(
        f"select max(day) as day from {MARTS}.brand_daily_metrics where brand = {warehouse.param}",
        [brand],
        missing_ok=True,
    )
    return rows["day"][0] if rows.height and rows["day"][0] is not None else None


def latest_alert(warehouse: Any) -> tuple[str, dt.date] | None:
    rows = warehouse.query(f"select brand, day from {MARTS}.brand_alerts order by day desc, brand", missing_ok=True)
    return (rows["brand"][0], rows["day"][0]) if rows.height else None


def _query(warehouse: Any, mart: str, brand: str, day: dt.date, order: str) -> pl.DataFrame:
    p = warehouse.param
    return warehouse.query(
        f"select * from {MARTS}.{mart} where brand = {p} and day = {p} order by {order}", [brand, day], missing_ok=True
    )


def _inline_image(store: MediaStore | None, uri: str | None) -> str | None:
    """The thumbnail as a data URI; None when there is none or it is gone from the store."""
    if store is None or not uri:
        return None
    try:
        with store.local_path(uri) as path:
            data = path.read_bytes()
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _card(row: dict[str, Any], image: str | None) -> str:
    e = html.escape
    label = row.get("sentiment_label") or "unscored"
    colour = _SENTIMENT_COLOURS.get(label, "#9aa0a6")
    when = video_time(row.get("start_s"), row.get("end_s"))
    where = e(str(row.get("origin") or "")) + (f" at {when}" if when else "")
    picture = f'<img src="{image}" alt="{e(row.get("origin") or "")} frame">' if image else ""
    quote = f"<blockquote>{e(row['quote'])}</blockquote>" if row.get("quote") else ""
    views = f"{row['view_count']:,} views" if row.get("view_count") is not None else ""
    link = row.get("video_url") or ""
    creator = f"@{e(row['creator'])}" if row.get("creator") else ""
    return (
        f'<div class="card" style="border-left-color:{colour}">{picture}{quote}'
        f'<p class="where"><span class="label" style="background:{colour}">{e(label)}</span> {where}</p>'
        f'<p class="who"><a href="{e(link)}">video {e(str(row.get("video_id") or ""))}</a> {creator} {views}</p>'
        "</div>"
    )


def _metrics_table(metrics: pl.DataFrame) -> str:
    if metrics.is_empty():
        return "<p>No mentions of this brand that day.</p>"
    e = html.escape
    columns = [(c, title) for c, title in _METRIC_COLUMNS if c in metrics.columns]
    head = "".join(f"<th>{title}</th>" for _, title in columns)
    rows = []
    for row in metrics.iter_rows(named=True):
        cells = "".join(f"<td>{e(_number(row[c]))}</td>" for c, _ in columns)
        rows.append(f"<tr><td>#{e(str(row['hashtag']))}</td>{cells}</tr>")
    return f"<table><tr><th>hashtag</th>{head}</tr>{''.join(rows)}</table>"


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _alert_box(alert: dict[str, Any] | None) -> str:
    if alert is None:
        return '<p class="quiet">No alert for this brand that day.</p>'
    e = html.escape
    parts = [f"{alert['mentions']:,} mentions"]
    if alert.get("baseline_mentions") is not None:
        parts.append(f"baseline {alert['baseline_mentions']:.1f}/day")
    if alert.get("negative_share") is not None:
        parts.append(f"{alert['negative_share']:.0%} negative")
    if alert.get("baseline_negative_share") is not None:
        parts.append(f"baseline {alert['baseline_negative_share']:.0%}")
    reasons = (alert.get("reasons") or "").replace(",", ", ")
    return f'<div class="alert"><strong>Alert</strong> ({e(reasons)}): {e("; ".join(parts))}</div>'


def _screen_line(screen: pl.DataFrame) -> str:
    if screen.is_empty():
        return ""
    row = screen.row(0, named=True)
    share = "" if row.get("screen_share") is None else f", {row['screen_share']:.0%} of its group's screen time"
    return f"<p>Logo on screen {row['screen_seconds']:.1f} s in {row['videos_with_logo']} video(s){share}.</p>"


def _page(
    brand: str,
    day: dt.date,
    metrics: pl.DataFrame,
    alert: dict[str, Any] | None,
    screen: pl.DataFrame,
    cards: list[str],
    total: int,
) -> str:
    e = html.escape
    title = f"{brand} on {day.isoformat()}: evidence"
    more = f"<p>Showing {len(cards)} of {total} mentions.</p>" if total > len(cards) else ""
    sheet = "".join(cards) or "<p>No mentions to show.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #202124; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #dadce0; padding: 4px 10px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.alert {{ background: #fce8e6; border: 1px solid #d93025; padding: 0.8em; margin: 1em 0; }}
.quiet {{ color: #5f6368; }}
.sheet {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.card {{ width: 240px; border: 1px solid #dadce0; border-left: 6px solid; padding: 8px; }}
.card img {{ max-width: 100%; display: block; margin-bottom: 6px; }}
.card blockquote {{ margin: 0 0 6px 0; font-style: italic; overflow-wrap: anywhere; }}
.card p {{ margin: 2px 0; font-size: 0.85em; }}
.label {{ color: white; padding: 0 5px; border-radius: 3px; }}
</style></head>
<body>
<h1>{e(brand)}, {day.isoformat()}</h1>
{_alert_box(alert)}
<h2>Metrics (marts.brand_daily_metrics)</h2>
{_metrics_table(metrics)}
{_screen_line(screen)}
<h2>Evidence (marts.mention_evidence)</h2>
{more}
<div class="sheet">{sheet}</div>
</body></html>
"""
