"""Brand alerts reach the team's webhook once each, as Slack JSON, through the brand_alert_sensor.

A real local HTTP server stands in for the Slack incoming webhook; the warehouse is a DuckDB
file (one story also on PostgreSQL) where ``marts.brand_alerts`` is created with the mart's
column contract, as dbt would leave it.
"""

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest
from dagster import SensorResult, SkipReason, build_sensor_context

from listening_pipeline.defs.alerts.sensors import brand_alert_sensor
from listening_pipeline.defs.resources import AlertWebhookResource
from listening_pipeline.lib.alerts import Alert, deliver_pending, slack_payload
from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import ALERT_DELIVERIES

TODAY = dt.datetime.now(dt.UTC).date()
SECRET_PATH = "/services/T0000/B0000/s3cr3tT0ken"

COLUMNS = {
    "alert_id": "TEXT",
    "day": "DATE",
    "brand": "TEXT",
    "competitor_group": "TEXT",
    "reasons": "TEXT",
    "mentions": "BIGINT",
    "baseline_mentions": "DOUBLE",
    "mentions_z": "DOUBLE",
    "negative_mentions": "BIGINT",
    "negative_share": "DOUBLE",
    "baseline_negative_share": "DOUBLE",
    "negative_share_z": "DOUBLE",
    "baseline_days": "INTEGER",
    "top_videos": "TEXT",
    "top_evidence": "TEXT",
}
EVIDENCE = [
    {
        "mention_id": "m1",
        "video_id": "7234567890123456789",
        "video_url": "https://www.tiktok.com/@runner/video/7234567890123456789",
        "creator": "runner",
        "view_count": 120000,
        "origin": "caption",
        "quote": "NIKE SOLE FELL OFF <again>",
        "start_s": 12.4,
        "end_s": 15.0,
        "sentiment_label": "negative",
        "thumbnail_uri": "/data/media/evidence/ab/ab12.jpg",
    },
    {
        "mention_id": "m2",
        "video_id": "7234567890123456790",
        "video_url": "https://www.tiktok.com/@fan/video/7234567890123456790",
        "creator": "fan",
        "view_count": 900,
        "origin": "comment",
        "quote": "my nike shoes broke after a week",
        "start_s": None,
        "end_s": None,
        "sentiment_label": "negative",
        "thumbnail_uri": None,
    },
]


# --------------------------------------------------------------------------- a webhook over real HTTP


class Webhook:
    """Records every POST; answers from a script of (status, headers, body), then 200 'ok'."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[dict] = []
        self.script: list[tuple[int, dict, str]] = []
        # Called after a POST is recorded and before it is answered: a slow or vanishing webhook.
        self.hold: Callable[[int], None] | None = None
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._lock:
                    status, headers, text = hook.script.pop(0) if hook.script else (200, {}, "ok")
                    hook.posts.append(
                        {"path": self.path, "headers": dict(self.headers), "json": json.loads(body), "answered": status}
                    )
                    number = len(hook.posts)
                if hook.hold is not None:
                    hook.hold(number)
                payload = text.encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timed out, or its process was killed)

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SECRET_PATH}"

    def answer(self, status: int, body: str = "", headers: dict | None = None, times: int = 1) -> None:
        self.script.extend([(status, headers or {}, body)] * times)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


# --------------------------------------------------------------------------- the mart, as dbt leaves it


def alert_row(brand: str, day: dt.date, **fields) -> dict:
    row = {
        "alert_id": hashlib.md5(f"{brand}|{day.isoformat()}".encode()).hexdigest(),
        "day": day,
        "brand": brand,
        "competitor_group": "sportswear",
        "reasons": "mentions,negative_share",
        "mentions": 42,
        "baseline_mentions": 10.5,
        "mentions_z": 4.2,
        "negative_mentions": 15,
        "negative_share": 0.357,
        "baseline_negative_share": 0.12,
        "negative_share_z": 3.1,
        "baseline_days": 14,
        "top_videos": "7234567890123456789,7234567890123456790",
        "top_evidence": json.dumps(EVIDENCE),
    }
    row.update(fields)
    return row


class DuckMart:
    def __init__(self, path):
        self.path = path
        self.store = DuckDBWarehouse(path)
        self.resource = WarehouseResource(kind="duckdb", duckdb_path=str(path))

    def create(self):
        with duckdb.connect(str(self.path)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(f"CREATE TABLE marts.brand_alerts ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")

    def add(self, *rows):
        with duckdb.connect(str(self.path)) as con:
            for row in rows:
                con.execute(
                    f"INSERT INTO marts.brand_alerts VALUES ({', '.join('?' for _ in COLUMNS)})",
                    [row[c] for c in COLUMNS],
                )


class PostgresMart:
    def __init__(self, dsn):
        from psycopg2.extensions import parse_dsn

        self.dsn = dsn
        self.store = PostgresWarehouse(dsn)
        p = parse_dsn(dsn)
        self.resource = WarehouseResource(
            kind="postgres", pg_host=p["host"], pg_port=int(p["port"]), pg_user=p["user"], pg_database=p["dbname"]
        )

    def _run(self, sql, rows=()):
        import psycopg2

        with psycopg2.connect(self.dsn) as con, con.cursor() as cur:
            if rows:
                cur.executemany(sql, rows)
            else:
                cur.execute(sql)
        con.close()

    def create(self):
        types = ", ".join(f"{c} {t.replace('DOUBLE', 'DOUBLE PRECISION')}" for c, t in COLUMNS.items())
        self._run("CREATE SCHEMA IF NOT EXISTS marts")
        self._run(f"CREATE TABLE marts.brand_alerts ({types})")

    def add(self, *rows):
        self._run(
            f"INSERT INTO marts.brand_alerts VALUES ({', '.join('%s' for _ in COLUMNS)})",
            [[r[c] for c in COLUMNS] for r in rows],
        )


@pytest.fixture
def mart(tmp_path):
    m = DuckMart(tmp_path / "warehouse.duckdb")
    m.create()
    return m


def tick(mart, url: str, **config):
    """One evaluation of the sensor, as the daemon would run it."""
    config = {"backoff_s": 0.001, **config}
    context = build_sensor_context(
        resources={"alert_webhook": AlertWebhookResource(url=url, **config), "warehouse": mart.resource}
    )
    result = brand_alert_sensor(context)
    # The sensor starts no runs; its message is the tick's summary, and a changed ledger is a materialization.
    if isinstance(result, SensorResult):
        assert not result.run_requests
        assert [event.asset_key.path for event in result.asset_events or []] == [["alert_deliveries"]]
        result = result.skip_reason
    assert isinstance(result, SkipReason)
    return result.skip_message


def ledger(mart) -> list[dict]:
    return mart.store.read_table(ALERT_DELIVERIES).sort("day", "brand").to_dicts()


# --------------------------------------------------------------------------- the stories


def test_each_new_alert_is_posted_once_as_slack_json(mart, webhook, capfd):
    nike, adidas = (
        alert_row("Nike", TODAY - dt.timedelta(days=2)),
        alert_row("Adidas", TODAY - dt.timedelta(days=1), reasons="mentions"),
    )
    mart.add(nike, adidas)

    summary = tick(mart, webhook.url)
    logged = capfd.readouterr().err
    assert "2 brand alert(s) delivered" in summary
    assert len(webhook.posts) == 2
    first = webhook.posts[0]
    assert first["path"] == SECRET_PATH and first["headers"]["Content-Type"].startswith("application/json")
    message = first["json"]
    assert set(message) == {"text", "blocks"}
    assert "Nike" in message["text"] and nike["day"].isoformat() in message["text"]
    assert "42 mentions" in message["text"] and "36% negative" in message["text"]
    assert message["blocks"][0]["type"] == "header"
    # The proof travels with it: each quote, where in the video, the link and the frame.
    evidence = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b][1:]
    assert len(evidence) == 2
    assert "NIKE SOLE FELL OFF &lt;again&gt;" in evidence[0] and "caption at 0:12-0:15" in evidence[0]
    assert "<https://www.tiktok.com/@runner/video/7234567890123456789|video 7234567890123456789>" in evidence[0]
    assert "120,000 views" in evidence[0] and "frame: `/data/media/evidence/ab/ab12.jpg`" in evidence[0]
    assert "my nike shoes broke after a week" in evidence[1] and " at " not in evidence[1]
    assert "frame:" not in evidence[1]
    assert "Adidas" in webhook.posts[1]["json"]["text"]

    rows = ledger(mart)
    assert [(r["brand"], r["status"], r["attempts"], r["http_status"]) for r in rows] == [
        ("Nike", "delivered", 1, 200),
        ("Adidas", "delivered", 1, 200),
    ]
    assert {r["webhook_host"] for r in rows} == {f"127.0.0.1:{webhook.port}"}
    assert all(r["delivered_at"] is not None for r in rows)
    assert len([line for line in logged.splitlines() if "INFO" in line and "delivered to 127.0.0.1" in line]) == 2
    assert "s3cr3tT0ken" not in logged + json.dumps(rows, default=str) + summary

    # The next tick sends nothing again...
    assert tick(mart, webhook.url).startswith("no new brand alerts")
    assert len(webhook.posts) == 2
    # ...and a new alert row is the only one sent.
    puma = alert_row("Puma", TODAY - dt.timedelta(days=1), reasons="negative_share", top_videos=None)
    mart.add(puma)
    tick(mart, webhook.url)
    assert [p["json"]["text"].split(":")[1].split(" on")[0].strip() for p in webhook.posts[2:]] == ["Puma"]
    assert len(ledger(mart)) == 3


def test_server_errors_are_retried_until_the_alert_is_delivered_once(mart, webhook):
    mart.add(alert_row("Nike", TODAY))
    webhook.answer(500, "oops", times=2)
    tick(mart, webhook.url)
    assert [p["answered"] for p in webhook.posts] == [500, 500, 200]
    assert len({p["json"]["text"] for p in webhook.posts}) == 1
    [row] = ledger(mart)
    assert (row["status"], row["attempts"]) == ("delivered", 3)
    tick(mart, webhook.url)
    assert len(webhook.posts) == 3


def test_rate_limit_is_retried_after_the_wait_the_webhook_asks_for(mart, webhook):
    mart.add(alert_row("Nike", TODAY))
    webhook.answer(429, "rate_limited", headers={"Retry-After": "0"})
    started = time.monotonic()
    # A backoff of 20 s would fail the test: Retry-After: 0 replaces it.
    tick(mart, webhook.url, backoff_s=20.0)
    assert time.monotonic() - started < 5
    assert [p["answered"] for p in webhook.posts] == [429, 200]
    assert ledger(mart)[0]["attempts"] == 2


def test_a_webhook_that_is_down_gets_the_alert_on_a_later_tick(mart, capfd):
    hook = Webhook()
    port, url = hook.port, hook.url
    hook.stop()  # nothing listens on the port now
    mart.add(alert_row("Nike", TODAY))
    summary = tick(mart, url, max_attempts=3)
    logged = capfd.readouterr().err
    assert "0 brand alert(s) delivered" in summary and "1 failed" in summary and "1 pending" in summary
    # Never reached the webhook: the claim is settled as 'failed' (not in doubt), pending for the next tick.
    [row] = ledger(mart)
    assert (row["status"], row["http_status"], row["attempts"]) == ("failed", None, 3)
    assert "ConnectionError" in row["error"]
    warnings = [line for line in logged.splitlines() if "WARNING" in line]
    assert any("not delivered" in w and "3 attempt(s)" in w and "ConnectionError" in w for w in warnings)
    assert "s3cr3tT0ken" not in logged

    hook = Webhook(port)  # back up
    try:
        tick(mart, url)
        assert len(hook.posts) == 1
        assert ledger(mart)[0]["status"] == "delivered"
    finally:
        hook.stop()


def test_a_refused_alert_is_not_retried_nor_recorded_as_delivered(mart, webhook, capfd):
    mart.add(alert_row("Nike", TODAY))
    webhook.answer(400, "invalid_payload")
    summary = tick(mart, webhook.url)
    assert len(webhook.posts) == 1
    assert "1 failed" in summary
    assert any(
        "WARNING" in line and "refused" in line and "invalid_payload" in line
        for line in capfd.readouterr().err.splitlines()
    )
    [row] = ledger(mart)
    assert (row["status"], row["http_status"], row["delivered_at"]) == ("failed", 400, None)
    assert "invalid_payload" in row["error"]
    # Still pending: once the webhook takes it (payload or URL fixed), it is delivered and the row says so.
    tick(mart, webhook.url)
    assert len(webhook.posts) == 2
    [row] = ledger(mart)
    assert (row["status"], row["http_status"], row["error"]) == ("delivered", 200, None)


def test_a_crash_mid_batch_resends_nothing_that_was_delivered(mart, webhook):
    mart.add(*(alert_row(brand, TODAY) for brand in ("A", "B", "C")))

    def crash_after_the_first(delivery):
        raise KeyboardInterrupt("the process dies")

    with pytest.raises(KeyboardInterrupt):
        deliver_pending(mart.store, webhook.url, on_delivery=crash_after_the_first)
    assert [r["brand"] for r in ledger(mart)] == ["A"]
    report = deliver_pending(mart.store, webhook.url)
    assert [d.alert.brand for d in report.delivered] == ["B", "C"]
    assert [p["json"]["text"].split()[2] for p in webhook.posts] == ["A", "B", "C"]


def test_without_a_webhook_url_the_sensor_says_how_to_set_one(mart):
    mart.add(alert_row("Nike", TODAY))
    summary = tick(mart, "")
    assert "LISTENING_PIPELINE_ALERT_WEBHOOK_URL" in summary
    assert ledger(mart) == []


def test_before_dbt_built_the_mart_there_is_nothing_to_send(tmp_path, webhook):
    empty = DuckMart(tmp_path / "empty.duckdb")
    assert tick(empty, webhook.url).startswith("no new brand alerts")
    assert webhook.posts == []


def test_old_alerts_are_not_sent_and_a_tick_is_bounded(mart, webhook):
    mart.add(alert_row("Old", TODAY - dt.timedelta(days=30)), *(alert_row(f"B{n}", TODAY) for n in range(3)))
    summary = tick(mart, webhook.url, max_per_tick=2, max_age_days=7)
    assert (
        "2 brand alert(s) delivered" in summary and "1 pending" in summary and "1 undelivered alert(s) older" in summary
    )
    tick(mart, webhook.url, max_per_tick=2, max_age_days=7)
    assert sorted(p["json"]["text"].split()[2] for p in webhook.posts) == ["B0", "B1", "B2"]


def test_postgres_ledger_delivers_once(postgres_db, webhook):
    mart = PostgresMart(postgres_db)
    mart.create()
    mart.add(alert_row("Nike", TODAY - dt.timedelta(days=1)), alert_row("Adidas", TODAY))
    webhook.answer(503, "busy")
    tick(mart, webhook.url)
    assert [p["answered"] for p in webhook.posts] == [503, 200, 200]
    assert tick(mart, webhook.url).startswith("no new brand alerts")
    mart.add(alert_row("Puma", TODAY))
    tick(mart, webhook.url)
    assert len(webhook.posts) == 4
    rows = ledger(mart)
    assert sorted((r["brand"], r["status"], r["attempts"]) for r in rows) == [
        ("Adidas", "delivered", 1),
        ("Nike", "delivered", 2),
        ("Puma", "delivered", 1),
    ]


# --------------------------------------------------------------------------- the pieces


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_s("0") == 0 and retry_after_s("12") == 12
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert 25 <= retry_after_s(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 31
    assert retry_after_s(None) is None and retry_after_s("soon") is None


def test_payload_escapes_slack_markup_and_survives_missing_numbers():
    alert = Alert.from_row(
        alert_row(
            "H&M <Group>",
            TODAY,
            baseline_mentions=None,
            mentions_z=None,
            negative_share=None,
            top_videos="",
            reasons="mentions",
        )
    )
    payload = slack_payload(alert)
    assert "H&amp;M &lt;Group&gt;" in payload["text"]
    assert "n/a" in json.dumps(payload)
    assert all(b["type"] != "section" or "Top videos" not in json.dumps(b) for b in payload["blocks"])


def test_the_json_payload_carries_the_alert_and_its_evidence(mart, webhook):
    mart.add(alert_row("Nike", TODAY - dt.timedelta(days=1)))
    tick(mart, webhook.url, payload_format="json")
    [post] = webhook.posts
    alert = post["json"]["alert"]
    assert alert["brand"] == "Nike" and alert["reasons"] == ["mentions", "negative_share"]
    assert [e["quote"] for e in alert["evidence"]] == [e["quote"] for e in EVIDENCE]
    first = alert["evidence"][0]
    assert first["when"] == "0:12-0:15" and first["thumbnail_uri"] == EVIDENCE[0]["thumbnail_uri"]
    assert alert["evidence"][1]["when"] is None


def test_a_mart_built_before_evidence_still_alerts_with_its_top_videos(tmp_path, webhook):
    """An existing warehouse: marts.brand_alerts has no top_evidence until dbt appends the column."""
    old = DuckMart(tmp_path / "old.duckdb")
    with duckdb.connect(str(old.path)) as con:
        con.execute("CREATE SCHEMA marts")
        columns = {c: t for c, t in COLUMNS.items() if c != "top_evidence"}
        con.execute(f"CREATE TABLE marts.brand_alerts ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        row = alert_row("Nike", TODAY - dt.timedelta(days=1))
        con.execute(
            f"INSERT INTO marts.brand_alerts VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns]
        )
    tick(old, webhook.url)
    [post] = webhook.posts
    assert "https://www.tiktok.com/@/video/7234567890123456789" in json.dumps(post["json"])
    assert Alert.from_row({**row, "top_evidence": "not json"}).evidence == ()
