"""`listening-pipeline report`: the brand report, and the evidence pages of a brand's day or of each alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from listening_pipeline.lib import evidence_report as er
from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.lib.reports import CHART_DAYS, write_report


def brand_day_page(store: Any, media: MediaStore, brand: str, day: dt.date | None, out: Path) -> str | None:
    """One brand's evidence page for ``day`` (None: its latest day); the line that says where it is, None when
    the brand has no day with mentions."""
    day = day or er.latest_day(store, brand)
    if day is None:
        return None
    report = er.write_evidence_report(store, media, brand, day, out)
    return f"evidence report for {brand} on {day} ({report.mentions} mentions): {report.path}"


def report_and_alert_pages(store: Any, media: MediaStore, out: Path) -> Iterator[str]:
    """The brand report, then the evidence page of every alert in its days (what `make demo` ends with)."""
    yield f"brand report: {write_report(store, out)}"
    latest = er.latest_alert(store)
    if latest is None:
        return
    first = latest[1] - dt.timedelta(days=CHART_DAYS - 1)
    for brand, day in er.alerting_brands(store, first, latest[1]):
        report = er.write_evidence_report(store, media, brand, day, out)
        yield f"evidence report for the {brand} alert on {day}: {report.path}"
