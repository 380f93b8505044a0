"""What people look at without writing SQL: Markdown previews, PNG charts and the brand report.

Framework-free: the dbt assets attach these to each mart's materialization in the Dagster UI,
and ``listening-pipeline report`` (and ``make demo``) writes the same views to a folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.warehouse import Warehouse

MARTS_SCHEMA = "marts"
CHART_DAYS = 14  # days a chart shows, ending at the last day built


@dataclass(frozen=True)
class MartView:
    """How a mart is previewed: the day column and the order of its most telling rows."""

    name: str
    order_by: str
    title: str


MART_VIEWS: dict[str, MartView] = {
    view.name: view
    for view in (
        MartView("brand_daily_metrics", "day desc, mentions desc, brand", "Brand metrics per day and hashtag"),
        MartView("hashtag_daily_metrics", "day desc, videos desc, hashtag", "Tracked hashtags per day"),
        MartView("share_of_voice", "day desc, competitor_group, share_of_voice desc, brand", "Share of voice"),
        MartView("creator_leaderboard", "day desc, brand, rank_by_reach", "Creators by reach, per brand"),
        MartView("creator_profiles", "day desc, reach desc, creator", "Creators per day: profile, reach, brands"),
        MartView("hashtag_trends", "day desc, is_rising desc, videos desc, co_hashtag", "Co-occurring hashtags"),
        MartView("brand_alerts", "day desc, brand", "Alerts"),
        MartView(
            "visual_share_of_voice",
            "day desc, competitor_group, screen_share desc nulls last, brand",
            "Screen time: seconds of logos on screen, and their share",
        ),
        MartView("brand_topics", "day desc, brand, topic_kind, topic_rank", "What brands are talked about with"),
        MartView(
            "brand_region_metrics",
            "day desc, region, brand, mentions desc, language",
            "Brand metrics per region and language",
        ),
        MartView("sound_trends", "day desc, is_rising desc, videos desc, music_id", "Sounds per day, rising first"),
        MartView("effect_trends", "day desc, is_rising desc, videos desc, effect_id", "Effects per day, rising first"),
        MartView(
            "video_growth", "day desc, views_gained desc nulls last, video_id, observed_on", "Video growth per day"
        ),
        MartView(
            "audience_reaction",
            "day desc, disagree_share desc nulls last, total_comments desc, brand",
            "Audience reaction: comments, stance towards the video, purchase intent, complaints",
        ),
        MartView(
            "mention_evidence",
            "day desc, brand, hashtag, video_id, start_s nulls last, mention_id",
            "Evidence: each mention, its quote, second and box",
        ),
        MartView("campaign_performance", "day desc, campaign", "Campaigns: participation and progress per day"),
    )
}


def markdown_preview(frame: pl.DataFrame, rows: int = 10, width: int = 60) -> str:
    """A small Markdown table of the first rows, long cells cut, for the Dagster UI."""
    if frame.height == 0:
        return "_no rows_"
    head = frame.head(rows)
    header = "| " + " | ".join(head.columns) + " |"
    rule = "| " + " | ".join("---" for _ in head.columns) + " |"
    lines = [header, rule]
    for row in head.iter_rows():
        cells = []
        for value in row:
            text = _cell(value)
            text = text.replace("|", "\\|").replace("\n", " ")
            cells.append(text if len(text) <= width else text[: width - 1] + "…")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evidence_sample(mentions: pl.DataFrame, text_units: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """A few mentions as a person checks them: brand, origin, the second in the video and the quote.

    Why: the run's page in the Dagster UI shows what was counted, not only how many; negative mentions
    come first (those are the ones a brand team opens), then the earliest in each video.
    """
    quotes = text_units.select("unit_id", pl.col("text").alias("quote"))
    return (
        mentions.join(quotes, on="unit_id", how="left")
        .with_columns(
            pl.format("{}-{} s", pl.col("t_s").round(1), pl.col("end_s").round(1)).alias("seconds"),
            (pl.col("sentiment_label") == "negative").fill_null(False).alias("negative"),
        )
        .sort(["negative", "video_id", "t_s"], descending=[True, False, False], nulls_last=True)
        .select("brand", "origin", "video_id", "seconds", "quote", "sentiment_label")
        .head(limit)
    )


def video_time(start_s: float | None, end_s: float | None = None) -> str | None:
    """Where in a video, as m:ss or m:ss-m:ss; None for text without a time (comments, descriptions)."""
    if start_s is None:
        return None

    def clock(seconds: float) -> str:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"

    start = clock(start_s)
    return start if end_s is None or clock(end_s) == start else f"{start}-{clock(end_s)}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, str) and value[:1] in "[{":
        return _compact_json(value)
    return str(value)


def _compact_json(text: str) -> str:
    """A JSON cell written compactly: PostgreSQL's json functions space their output, DuckDB's do not."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text  # not JSON after all: shown as it is


def brand_trend(warehouse: Any, last_day: dt.date, days: int = CHART_DAYS) -> pl.DataFrame:
    """Mentions and net sentiment per brand and day (summed over hashtags) for the ``days`` up to ``last_day``."""
    first = last_day - dt.timedelta(days=days - 1)
    return warehouse.query(
        f"""
        select day, brand,
               cast(sum(mentions) as bigint) as mentions,
               cast(sum(negative_mentions) as bigint) as negative_mentions,
               cast(sum(positive_mentions - negative_mentions) as double precision)
                   / nullif(sum(positive_mentions + neutral_mentions + negative_mentions), 0) as net_sentiment
        from {MARTS_SCHEMA}.brand_daily_metrics
        where day >= {warehouse.param} and day <= {warehouse.param}
        group by day, brand
        order by day, brand
        """,
        [first, last_day],
        missing_ok=True,
    )


def alerts_between(warehouse: Any, first: dt.date, last: dt.date) -> pl.DataFrame:
    return warehouse.query(
        f"select day, brand, reasons, mentions, top_videos from {MARTS_SCHEMA}.brand_alerts"
        f" where day >= {warehouse.param} and day <= {warehouse.param} order by day, brand",
        [first, last],
        missing_ok=True,
    )


def brand_chart_png(trend: pl.DataFrame, alerts: pl.DataFrame | None = None) -> bytes | None:
    """Two panels, mentions and net sentiment per brand per day, alerts ringed in red; None without data."""
    if trend.is_empty():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, dpi=90)
    try:
        for brand, rows in trend.sort("day").group_by("brand", maintain_order=True):
            name = brand[0] if isinstance(brand, tuple) else brand
            days = rows.get_column("day").to_list()
            top.plot(days, rows.get_column("mentions").to_list(), marker="o", label=name)
            bottom.plot(days, rows.get_column("net_sentiment").to_list(), marker="o", label=name)
        if alerts is not None and not alerts.is_empty():
            lookup = {(r["day"], r["brand"]): r["mentions"] for r in trend.iter_rows(named=True)}
            points = [(a["day"], lookup.get((a["day"], a["brand"]))) for a in alerts.iter_rows(named=True)]
            points = [(d, m) for d, m in points if m is not None]
            if points:
                top.scatter(
                    *zip(*points), s=260, facecolors="none", edgecolors="red", linewidths=2, label="alert", zorder=5
                )
        top.set_ylabel("mentions")
        top.set_title("Brand mentions and net sentiment per day")
        top.legend(fontsize=8, ncol=3, loc="upper left")
        top.grid(alpha=0.3)
        bottom.set_ylabel("net sentiment")
        bottom.set_ylim(-1.05, 1.05)
        bottom.axhline(0, color="grey", linewidth=0.8)
        bottom.grid(alpha=0.3)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def markdown_image(png: bytes, alt: str = "chart") -> str:
    """A PNG inline in Markdown, which the Dagster UI renders in the materialization's metadata."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def mart_rows(warehouse: Any, view: MartView, first: dt.date, last: dt.date) -> pl.DataFrame:
    """The mart's rows for days ``first``..``last``, most telling first."""
    return warehouse.query(
        f"select * from {MARTS_SCHEMA}.{view.name} where day >= {warehouse.param} and day <= {warehouse.param}"
        f" order by {view.order_by}",
        [first, last],
        missing_ok=True,
    )


# Marts whose numbers count mentions: their materialization also shows a sample of the mentions behind them.
EVIDENCE_BEHIND = ("brand_daily_metrics", "share_of_voice", "brand_alerts", "creator_leaderboard")


def evidence_behind(warehouse: Any, first: dt.date, last: dt.date, limit: int = 10) -> pl.DataFrame:
    """The window's most viewed mentions (each once across hashtags), negative first, as a person checks them."""
    rows = warehouse.query(
        f"select brand, day, origin, video_id, view_count, start_s, end_s, quote, sentiment_label, mention_id"
        f" from {MARTS_SCHEMA}.mention_evidence where day >= {warehouse.param} and day <= {warehouse.param}",
        [first, last],
        missing_ok=True,
    )
    if rows.is_empty():
        return rows
    return (
        proof_first(rows)
        .with_columns(
            pl.struct("start_s", "end_s")
            .map_elements(lambda r: video_time(r["start_s"], r["end_s"]), return_dtype=pl.String)
            .alias("at"),
        )
        .select("brand", "day", "origin", "video_id", "at", "quote", "sentiment_label")
        .head(limit)
    )


def proof_first(evidence: pl.DataFrame) -> pl.DataFrame:
    """mention_evidence rows as a person judges them: each mention once (a video collected under two hashtags
    has its rows twice), negative first, then by the video's views, then in the order of the video."""
    if evidence.is_empty():  # also a mart not built yet: no columns to sort on
        return evidence
    return (
        evidence.unique(["mention_id", "day"], keep="first", maintain_order=True)
        .with_columns((pl.col("sentiment_label") != "negative").fill_null(True).alias("_later"))
        .sort(
            ["_later", "view_count", "video_id", "start_s", "mention_id"],
            descending=[False, True, False, False, False],
            nulls_last=True,
        )
        .drop("_later")
    )


def mart_metadata(warehouse: Any, mart: str, first: dt.date, last: dt.date) -> dict[str, Any]:
    """Row counts, a preview of the rebuilt days and, for brand metrics, the chart (plain values).

    The caller wraps them in Dagster metadata types; keeping this plain keeps it testable.
    """
    view = MART_VIEWS.get(mart)
    if view is None:
        return {}
    window = mart_rows(warehouse, view, first, last)
    total = warehouse.query(f"select count(*) as n from {MARTS_SCHEMA}.{mart}", missing_ok=True)
    result: dict[str, Any] = {
        "rows_in_window": window.height,
        "rows_total": int(total.item()) if total.height else 0,
        "preview": markdown_preview(window),
    }
    if mart in EVIDENCE_BEHIND:
        result["evidence"] = markdown_preview(evidence_behind(warehouse, first, last))
    if mart == "brand_daily_metrics":
        trend = brand_trend(warehouse, last)
        png = brand_chart_png(trend, alerts_between(warehouse, last - dt.timedelta(days=CHART_DAYS - 1), last))
        if png is not None:
            result["chart"] = markdown_image(png, f"brands up to {last}")
    return result


def write_report(warehouse: Any, out_dir: Path, last_day: dt.date | None = None) -> Path:
    """A Markdown report with the brand chart and the top rows of every mart; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if last_day is None:
        latest = warehouse.query(f"select max(day) as day from {MARTS_SCHEMA}.brand_daily_metrics", missing_ok=True)
        last_day = latest.item() if latest.height and latest.item() is not None else dt.date.today()
    first = last_day - dt.timedelta(days=CHART_DAYS - 1)
    lines = [f"# Brand report, {first} to {last_day}", ""]
    png = brand_chart_png(brand_trend(warehouse, last_day), alerts_between(warehouse, first, last_day))
    if png is not None:
        (out_dir / "brand_trend.png").write_bytes(png)
        lines += ["![mentions and net sentiment per brand](brand_trend.png)", ""]
    for view in MART_VIEWS.values():
        frame = mart_rows(warehouse, view, first, last_day)
        lines += [f"## {view.title} (`{MARTS_SCHEMA}.{view.name}`)", "", markdown_preview(frame, rows=15), ""]
    path = out_dir / "brand_report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


_BRAND_SUMS = [
    ("mentioning_videos", "videos"),
    ("mentions", "mentions"),
    ("speech_mentions", "speech"),
    ("caption_mentions", "caption"),
    ("logo_mentions", "logo"),
    ("description_mentions", "descr"),
    ("comment_mentions", "comment"),
    ("reach", "reach"),
]


def _rounded(expression: str, digits: int) -> str:
    """SQL for ``expression`` rounded to ``digits``, a double on both engines.

    PostgreSQL rounds to digits only as ``numeric`` (``round(double precision, int)`` does not exist there),
    and a numeric would come back as a decimal column where DuckDB gives a float."""
    return f"cast(round(cast({expression} as numeric(24, 8)), {digits}) as double precision)"


def metrics_tables(store: Warehouse) -> dict[str, pl.DataFrame]:
    """What `listening-pipeline metrics` and the demo print: brands per day, hashtags per day, alerts."""
    sums = ", ".join(f"cast(sum({column}) as bigint) as {alias}" for column, alias in _BRAND_SUMS)
    net = (
        "sum(positive_mentions - negative_mentions) * 1.0"
        " / nullif(sum(positive_mentions + neutral_mentions + negative_mentions), 0)"
    )
    brands = store.query(
        f"select day, brand, {sums}, {_rounded(net, 2)} as net_sentiment"
        " from marts.brand_daily_metrics group by day, brand order by day, mentions desc",
        missing_ok=True,
    )
    hashtags = store.query("select * from marts.hashtag_daily_metrics order by day, hashtag", missing_ok=True)
    alerts = store.query(
        f"select day, brand, reasons, mentions, {_rounded('baseline_mentions', 1)} as baseline,"
        f" {_rounded('mentions_z', 1)} as z, negative_mentions, {_rounded('negative_share', 2)} as negative_share,"
        " top_videos from marts.brand_alerts order by day, brand",
        missing_ok=True,
    )
    return {"brands": brands, "hashtags": hashtags, "alerts": alerts}
