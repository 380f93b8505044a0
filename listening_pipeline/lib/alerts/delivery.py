"""Brand alerts out: each new row of ``marts.brand_alerts`` goes to a webhook once, as Slack JSON.

Framework-free; :func:`listening_pipeline.defs.alerts.sensors.brand_alert_sensor` calls
:func:`deliver_pending` every minute.

Exactly once, or visibly in doubt (the ledger's states: :mod:`.ledger`):

1. A tick takes the ledger lock; a tick that finds it taken does nothing (overlapping ticks are
   serialised, not raced). Under the lock, claims left ``sending`` by a tick that died become
   ``unknown``.
2. Per alert, oldest first: the ``sending`` claim is written, then the POST (with the alert's id
   as ``Idempotency-Key``), then the answer's row: ``delivered`` (2xx), ``failed`` (refused, or not
   sent at all: posted again next tick) or ``unknown`` (the request may have reached the webhook
   but no answer came: a read timeout, a connection dropped after sending).
3. A ledger write is retried; when it keeps failing the tick fails loudly and stops. A POST is
   never made without its claim committed first, so whatever dies when, no alert is posted twice
   automatically, and one whose fate is unknown is reported on every tick until an operator
   settles it (:func:`listening_pipeline.lib.alerts.ledger.settle_in_doubt`).

Failures: connection failures before the request was sent, 5xx and 429 are retried with
exponential backoff (429 honours ``Retry-After``) and, when the attempts or the tick's time run
out, leave the alert ``failed`` for the next tick. Any other answer is a refusal: not retried,
recorded as ``failed`` with the status and the start of the body, and posted again on later ticks
(a refused URL is usually fixed by configuration; a later success overwrites the row). The
webhook URL is a secret (Slack's carries its token in the path): only its host is stored or
logged, and error messages are scrubbed of it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from listening_pipeline.lib.alerts import ledger
from listening_pipeline.lib.alerts.ledger import ERROR_SNIPPET, LEDGER, NOT_PENDING, LedgerWriteError
from listening_pipeline.lib.alerts.message import ALERTS_RELATION, Alert, PayloadFormat, alert_payload
from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.settings import ALERT_WEBHOOK_ENV
from listening_pipeline.warehouse import Warehouse

# Answers that say the webhook itself is gone or forbidden: the rest of the batch would be refused too.
WEBHOOK_GONE = frozenset({401, 403, 404, 410})


@dataclass(frozen=True)
class PostOutcome:
    """How one webhook delivery ended, after its retries."""

    ok: bool
    attempts: int
    status: int | None  # HTTP status of the last answer; None when no answer came
    error: str | None = None
    refused: bool = False  # the webhook answered and said no (4xx other than 429): retrying would not help
    uncertain: bool = False  # the request may have reached the webhook, but no answer came: never re-posted


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
    failed: list[Delivery] = field(default_factory=list)  # refused or not sent: pending again
    uncertain: list[Delivery] = field(default_factory=list)  # posted, answer lost: now 'unknown'
    orphans: list[str] = field(default_factory=list)  # claims of dead ticks this call marked 'unknown'
    in_doubt: int = 0  # 'unknown' rows in the ledger after this call: an operator must settle them
    too_old: int = 0  # undelivered alerts older than the age limit: never sent
    busy: bool = False  # another tick held the ledger lock: this call did nothing
    stopped: str | None = None  # why the batch stopped before the end, when it did

    @property
    def left(self) -> int:
        """Pending alerts still undelivered (and not in doubt) after this call."""
        return self.pending - len(self.delivered) - len(self.uncertain)

    @property
    def changed(self) -> bool:
        """Whether this call wrote the ledger."""
        return bool(self.delivered or self.failed or self.uncertain or self.orphans)


def pending_alerts(store: Warehouse) -> list[Alert]:
    """Alerts of ``marts.brand_alerts`` with no ledger row, or a 'failed' one, oldest first.

    A missing mart (dbt has not built it yet) or ledger (nothing delivered yet) reads as empty; a mart
    built before a column was added (``top_evidence``) reads with it empty until dbt appends it.
    """
    alerts = store.query(f"SELECT * FROM {ALERTS_RELATION} ORDER BY day, brand, alert_id", missing_ok=True)
    if not alerts.height:
        return []
    states = ", ".join(f"'{s}'" for s in NOT_PENDING)
    done = store.query(f"SELECT alert_id FROM {LEDGER} WHERE status IN ({states})", missing_ok=True)
    settled = set(done["alert_id"].to_list()) if done.height else set()
    return [Alert.from_row(row) for row in alerts.iter_rows(named=True) if row["alert_id"] not in settled]


def webhook_host(url: str) -> str:
    """The host (and port) of a webhook URL: all of it that may be stored or logged."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the alert webhook URL must be an http(s) URL")
    return parts.hostname + (f":{parts.port}" if parts.port else "")


def may_have_arrived(exc: requests.RequestException) -> bool:
    """Whether the request behind ``exc`` may have reached the server (so a re-post could duplicate it).

    Only a connection that was never made is certain: refused, unresolvable, timed out connecting.
    A read timeout, or a connection dropped after the request was written, may have been accepted.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return False
    return not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema)


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
    """POST ``payload`` as JSON; retry 5xx, 429 and connections never made, with exponential backoff.

    ``Retry-After`` (seconds or an HTTP date) replaces the backoff of a 429 or 503. A wait
    longer than ``max_backoff_s`` or past ``deadline`` (``time.monotonic()``) ends the
    attempts: the caller tries again later. Other non-2xx answers are refusals, not retried.
    A request that may have reached the webhook without an answer (:func:`may_have_arrived`)
    is not retried either: the outcome is ``uncertain``.
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
                if may_have_arrived(exc):
                    return PostOutcome(
                        ok=False,
                        attempts=attempt,
                        status=None,
                        error=f"{error} (sent, no answer: not posted again)",
                        uncertain=True,
                    )
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
    payload_format: PayloadFormat = "slack",
) -> DeliveryReport:
    """Post the pending alerts, oldest first: claim, POST, record the answer, one alert at a time.

    At most ``max_per_call`` alerts and ``time_budget_s`` seconds per call (a sensor tick must
    end within a minute); the rest wait for the next call. Alerts older than ``max_age_days``
    before ``today`` (UTC) are never sent, so a backfill of last year does not flood the
    channel; 0 sends any age. A webhook that stays unreachable or answers that it is gone
    stops the batch. ``on_delivery`` sees each outcome as it happens (the sensor logs them).
    ``payload_format``: Slack blocks, or plain JSON (:func:`.message.alert_payload`).
    Raises :class:`LedgerWriteError` when the ledger cannot be written (the claim is then left
    for the next tick to mark ``unknown``; nothing is posted without its claim).
    """
    host = webhook_host(url)
    report = DeliveryReport(webhook_host=host)
    with ledger.ledger_lock(store) as held:
        if not held:
            report.busy = True
            report.stopped = "another tick is delivering alerts; this one left them to it"
            return report
        report.orphans = ledger.settle_orphans(store)
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
                # The claim is committed before the POST: a tick dying from here on leaves a trace.
                ledger.write(store, alert, ledger.SENDING, host, error="posting", sleep=sleep)
                outcome = post_json(
                    url,
                    alert_payload(alert, payload_format),
                    headers={"Idempotency-Key": alert.alert_id},
                    timeout_s=timeout_s,
                    max_attempts=max_attempts,
                    backoff_s=backoff_s,
                    max_backoff_s=max_backoff_s,
                    deadline=deadline,
                    session=session,
                    sleep=sleep,
                )
                _answered(store, report, Delivery(alert, outcome), host, sleep, on_delivery)
                if not (outcome.ok or outcome.refused or outcome.uncertain):
                    report.stopped = f"webhook {host} unreachable or overloaded; pending alerts go next tick"
                    break
                if outcome.refused and outcome.status in WEBHOOK_GONE:
                    report.stopped = f"webhook {host} answered HTTP {outcome.status}: check {ALERT_WEBHOOK_ENV}"
                    break
        report.in_doubt = len(ledger.in_doubt(store))
    return report


def _answered(
    store: Warehouse,
    report: DeliveryReport,
    delivery: Delivery,
    host: str,
    sleep: Callable[[float], None],
    on_delivery: Callable[[Delivery], None] | None,
) -> None:
    """Record the answer's row (before the next POST), then tell the report and ``on_delivery``, even if it failed."""
    outcome = delivery.outcome
    try:
        record(store, delivery.alert, outcome, host, sleep=sleep)
    finally:
        (report.delivered if outcome.ok else report.uncertain if outcome.uncertain else report.failed).append(delivery)
        if on_delivery is not None:
            on_delivery(delivery)


def record(
    store: Warehouse,
    alert: Alert,
    outcome: PostOutcome,
    host: str,
    *,
    at: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Upsert the alert's ledger row from the POST's outcome: 'delivered', 'unknown' or 'failed'."""
    status = ledger.DELIVERED if outcome.ok else ledger.UNKNOWN if outcome.uncertain else ledger.FAILED
    try:
        ledger.write(
            store,
            alert,
            status,
            host,
            attempts=outcome.attempts,
            http_status=outcome.status,
            error=None if outcome.ok else (outcome.error or ""),
            at=at,
            sleep=sleep,
        )
    except LedgerWriteError as exc:
        answer = "accepted" if outcome.ok else "did not answer" if outcome.uncertain else "did not accept"
        raise LedgerWriteError(
            f"the webhook {answer} alert {alert.alert_id}, but {exc}; its claim stays 'sending', "
            "the next tick marks it 'unknown' and does not post it again"
        ) from exc.__cause__


def _scrub(message: str, url: str) -> str:
    """``message`` without the URL's path and query (a Slack webhook's token lives there)."""
    parts = urlsplit(url)
    message = message.replace(url, f"{parts.scheme}://{parts.hostname}/<redacted>")
    for secret in (parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query, parts.password):
        if secret and secret != "/":
            message = message.replace(secret, "/<redacted>")
    return message
