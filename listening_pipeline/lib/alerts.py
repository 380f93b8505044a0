"""Brand alerts out: each new row of ``marts.brand_alerts`` goes to a webhook once, as Slack JSON.

Framework-free; :func:`listening_pipeline.defs.alerts.sensors.brand_alert_sensor` calls
:func:`deliver_pending` every minute.

Once and only once, as far as a webhook without idempotency allows: an alert is pending while
its ``alert_id`` has no 'delivered' row in the ledger (``raw.alert_deliveries``), and that row
is written right after the webhook accepts the alert, before the next one is posted. A tick
that dies mid-batch therefore re-sends nothing that was accepted, except the one alert whose
POST succeeded when the process died before its ledger row was committed.

Failures: connection errors, 5xx and 429 are retried with exponential backoff (429 honours
``Retry-After``) and, when the attempts or the tick's time run out, leave the alert pending
for the next tick with nothing recorded. Any other answer is a refusal: not retried, recorded
in the ledger as 'failed' with the status and the start of the body, and posted again on later
ticks (a refused URL is usually fixed by configuration; a later success overwrites the row).
The webhook URL is a secret (Slack's carries its token in the path): only its host is stored
or logged, and error messages are scrubbed of it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import polars as pl
import requests

from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.settings import ALERT_WEBHOOK_ENV
from listening_pipeline.warehouse import Warehouse
from listening_pipeline.warehouse.tables import ALERT_DELIVERIES, RAW_SCHEMA

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
# Answers that say the webhook itself is gone or forbidden: the rest of the batch would be refused too.
WEBHOOK_GONE = frozenset({401, 403, 404, 410})
ERROR_SNIPPET = 500


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


@dataclass(frozen=True)
class PostOutcome:
    """How one webhook delivery ended, after its retries."""

    ok: bool
    attempts: int
    status: int | None  # HTTP status of the last answer; None when no answer came
    error: str | None = None
    refused: bool = False  # the webhook answered and said no (4xx other than 429): retrying would not help


@dataclass(frozen=True)
class Delivery:
    alert: Alert
    outcome: PostOutcome


@dataclass
class DeliveryReport:
    """What one :func:`deliver_pending` call did."""

    webhook_host: str
    pending: int = 0  # undelivered alerts within the age limit, before this call
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    too_old: int = 0  # undelivered alerts older than the age limit: never sent
    stopped: str | None = None  # why the batch stopped before the end, when it did

    @property
    def left(self) -> int:
        """Pending alerts still undelivered after this call."""
        return self.pending - len(self.delivered)


# --------------------------------------------------------------------------- reading


def pending_alerts(store: Warehouse) -> list[Alert]:
    """Alerts of ``marts.brand_alerts`` with no 'delivered' row in the ledger, oldest first.

    A missing mart (dbt has not built it yet) or ledger (nothing delivered yet) reads as empty.
    """
    columns = ", ".join(ALERT_COLUMNS)
    alerts = store.query(f"SELECT {columns} FROM {ALERTS_RELATION} ORDER BY day, brand, alert_id", missing_ok=True)
    if not alerts.height:
        return []
    done = store.query(
        f"SELECT alert_id FROM {RAW_SCHEMA}.{ALERT_DELIVERIES.name} WHERE status = 'delivered'", missing_ok=True
    )
    delivered = set(done["alert_id"].to_list()) if done.height else set()
    return [Alert.from_row(row) for row in alerts.iter_rows(named=True) if row["alert_id"] not in delivered]


# --------------------------------------------------------------------------- the message


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
            "text": f"*Mentions*\n{alert.mentions:,} (baseline {_num(alert.baseline_mentions)}, {_z(alert.mentions_z)})",
        },
        {
            "type": "mrkdwn",
            "text": f"*Negative share*\n{_pct(alert.negative_share)} (baseline {_pct(alert.baseline_negative_share)}, {_z(alert.negative_share_z)})",
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


# --------------------------------------------------------------------------- posting


def webhook_host(url: str) -> str:
    """The host (and port) of a webhook URL: all of it that may be stored or logged."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the alert webhook URL must be an http(s) URL")
    return parts.hostname + (f":{parts.port}" if parts.port else "")


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
    max_attempts: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 30.0,
    deadline: float | None = None,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PostOutcome:
    """POST ``payload`` as JSON; retry connection errors, 5xx and 429 with exponential backoff.

    ``Retry-After`` (seconds or an HTTP date) replaces the backoff of a 429 or 503. A wait
    longer than ``max_backoff_s`` or past ``deadline`` (``time.monotonic()``) ends the
    attempts: the caller tries again later. Other non-2xx answers are refusals, not retried.
    """
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    http = session or requests.Session()
    attempt = 0
    try:
        while True:
            attempt += 1
            timeout = timeout_s if deadline is None else max(0.5, min(timeout_s, deadline - time.monotonic()))
            wait: float | None = None
            try:
                response = http.post(url, data=body, headers=all_headers, timeout=timeout, allow_redirects=False)
            except requests.RequestException as exc:
                status, error = None, _scrub(f"{type(exc).__name__}: {exc}", url)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return PostOutcome(ok=True, attempts=attempt, status=status)
                error = _scrub(f"HTTP {status}: {response.text[:ERROR_SNIPPET]}", url)
                if status != 429 and status < 500:
                    return PostOutcome(ok=False, attempts=attempt, status=status, error=error, refused=True)
                wait = retry_after_s(response.headers.get("Retry-After"))
            if attempt >= max_attempts:
                return PostOutcome(
                    ok=False, attempts=attempt, status=status, error=f"{error} (gave up after {attempt} attempts)"
                )
            delay = backoff_s * 2 ** (attempt - 1) if wait is None else wait
            if delay > max_backoff_s or (deadline is not None and time.monotonic() + delay > deadline):
                return PostOutcome(
                    ok=False,
                    attempts=attempt,
                    status=status,
                    error=f"{error} (next attempt in {delay:.0f} s: left for a later tick)",
                )
            sleep(delay)
    finally:
        if session is None:
            http.close()


# --------------------------------------------------------------------------- the batch


def deliver_pending(
    store: Warehouse,
    url: str,
    *,
    timeout_s: float = 10.0,
    max_attempts: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 30.0,
    max_per_call: int = 20,
    time_budget_s: float = 40.0,
    max_age_days: int = 7,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> DeliveryReport:
    """Post the pending alerts, oldest first, recording each success in the ledger before the next POST.

    At most ``max_per_call`` alerts and ``time_budget_s`` seconds per call (a sensor tick must
    end within a minute); the rest wait for the next call. Alerts older than ``max_age_days``
    before ``today`` (UTC) are never sent, so a backfill of last year does not flood the
    channel; 0 sends any age. A webhook that stays unreachable or answers that it is gone
    stops the batch. ``on_delivery`` sees each outcome as it happens (the sensor logs them).
    """
    host = webhook_host(url)
    report = DeliveryReport(webhook_host=host)
    alerts = pending_alerts(store)
    if max_age_days > 0:
        oldest = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=max_age_days)
        report.too_old = sum(1 for a in alerts if a.day < oldest)
        alerts = [a for a in alerts if a.day >= oldest]
    report.pending = len(alerts)
    deadline = time.monotonic() + time_budget_s
    with requests.Session() as session:
        for n, alert in enumerate(alerts):
            if n >= max_per_call:
                report.stopped = f"{max_per_call} alerts per tick at most; the rest go next tick"
                break
            if time.monotonic() >= deadline:
                report.stopped = f"out of time ({time_budget_s:.0f} s per tick); the rest go next tick"
                break
            outcome = post_json(
                url,
                slack_payload(alert),
                headers={"Idempotency-Key": alert.alert_id},
                timeout_s=timeout_s,
                max_attempts=max_attempts,
                backoff_s=backoff_s,
                max_backoff_s=max_backoff_s,
                deadline=deadline,
                session=session,
                sleep=sleep,
            )
            delivery = Delivery(alert, outcome)
            if outcome.ok or outcome.refused:
                # Right away, before the next POST: a crash later in the batch re-sends nothing accepted.
                record(store, alert, outcome, host)
            (report.delivered if outcome.ok else report.failed).append(delivery)
            if on_delivery is not None:
                on_delivery(delivery)
            if not outcome.ok and not outcome.refused:
                report.stopped = f"webhook {host} unreachable or overloaded; pending alerts go next tick"
                break
            if outcome.refused and outcome.status in WEBHOOK_GONE:
                report.stopped = f"webhook {host} answered HTTP {outcome.status}: check {ALERT_WEBHOOK_ENV}"
                break
    return report


def record(store: Warehouse, alert: Alert, outcome: PostOutcome, host: str, *, at: dt.datetime | None = None) -> None:
    """Upsert the alert's ledger row: 'delivered' when the webhook accepted it, 'failed' when it refused."""
    at = at or dt.datetime.now(dt.UTC)
    store.upsert_rows(
        ALERT_DELIVERIES,
        pl.DataFrame(
            [
                {
                    "alert_id": alert.alert_id,
                    "brand": alert.brand,
                    "day": alert.day,
                    "status": "delivered" if outcome.ok else "failed",
                    "webhook_host": host,
                    "attempts": outcome.attempts,
                    "http_status": outcome.status,
                    "error": None if outcome.ok else (outcome.error or "")[:ERROR_SNIPPET],
                    "delivered_at": at if outcome.ok else None,
                    "last_attempt_at": at,
                }
            ],
            schema=ALERT_DELIVERIES.schema,
        ),
    )


# --------------------------------------------------------------------------- helpers


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


def _scrub(message: str, url: str) -> str:
    """``message`` without the URL's path and query (a Slack webhook's token lives there)."""
    parts = urlsplit(url)
    message = message.replace(url, f"{parts.scheme}://{parts.hostname}/<redacted>")
    for secret in (parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query, parts.password):
        if secret and secret != "/":
            message = message.replace(secret, "/<redacted>")
    return message
