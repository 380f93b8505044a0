"""Alerts exactly once: no brand alert is posted twice, and none is silently lost, whatever fails when.

The three failure timings of issue 11, each against a real local webhook (it counts POSTs) and
the real ledger (``raw.alert_deliveries``): the ledger write failing after the webhook answered
2xx, two sensor ticks overlapping (threads and processes on one DuckDB file, threads on
PostgreSQL), a read timeout after the webhook accepted the POST; and a tick killed between
its POST and the answer's row. An alert whose fate cannot be known ends 'unknown': reported by
every tick, never re-posted until an operator settles it.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from listening_pipeline.lib.alerts import LedgerWriteError, deliver_pending, settle_in_doubt
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline_tests.test_alerts import TODAY, DuckMart, PostgresMart, Webhook, alert_row, ledger, tick

BRANDS = ("Alpha", "Beta", "Gamma")


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
def mart(tmp_path):
    m = DuckMart(tmp_path / "warehouse.duckdb")
    m.create()
    m.add(*(alert_row(brand, TODAY) for brand in BRANDS))
    return m


def posts_per_alert(webhook) -> dict[str, int]:
    return dict(collections.Counter(p["headers"]["Idempotency-Key"] for p in webhook.posts))


def statuses(mart) -> dict[str, str]:
    return {r["brand"]: r["status"] for r in ledger(mart)}


def no_wait(_seconds: float) -> None:
    return None


# --------------------------------------------------------------------------- 1. the ledger write fails after a 2xx


def test_ledger_write_failing_after_a_2xx_does_not_repost(mart, webhook, monkeypatch):
    real_upsert = mart.store.upsert_rows

    def warehouse_down_for_confirmations(table, rows):
        if "delivered" in rows["status"].to_list():
            raise OSError("disk full")
        return real_upsert(table, rows)

    monkeypatch.setattr(mart.store, "upsert_rows", warehouse_down_for_confirmations)
    with pytest.raises(LedgerWriteError, match="accepted alert .*'sending'"):
        deliver_pending(mart.store, webhook.url, sleep=no_wait)
    # Alpha was posted and accepted; its claim is all the ledger has. Nothing else was posted.
    assert [p["answered"] for p in webhook.posts] == [200]
    assert statuses(mart) == {"Alpha": "sending"}

    monkeypatch.setattr(mart.store, "upsert_rows", real_upsert)  # the warehouse is back
    summary = tick(mart, webhook.url)
    # Alpha is not posted again: it is in doubt, and the tick says so; the others go out once.
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == {"Alpha": "unknown", "Beta": "delivered", "Gamma": "delivered"}
    assert "1 alert(s) in doubt" in summary
    assert "1 alert(s) in doubt" in tick(mart, webhook.url)  # every tick, until settled
    assert len(webhook.posts) == 3

    # The operator saw it in the channel: settled as delivered, no longer reported, never re-posted.
    settle_in_doubt(mart.store, alert_row("Alpha", TODAY)["alert_id"], delivered=True)
    assert tick(mart, webhook.url) == "no new brand alerts"
    assert statuses(mart)["Alpha"] == "delivered" and len(webhook.posts) == 3


def test_a_ledger_write_that_fails_once_is_retried_and_the_alert_is_delivered(mart, webhook, monkeypatch):
    real_upsert = mart.store.upsert_rows
    failures = []

    def fails_once(table, rows):
        if "delivered" in rows["status"].to_list() and not failures:
            failures.append(1)
            raise OSError("database is locked")
        return real_upsert(table, rows)

    monkeypatch.setattr(mart.store, "upsert_rows", fails_once)
    report = deliver_pending(mart.store, webhook.url, sleep=no_wait)
    assert len(report.delivered) == 3 and failures == [1]
    assert len(webhook.posts) == 3
    assert set(statuses(mart).values()) == {"delivered"}


def test_an_operator_can_ask_for_an_alert_in_doubt_to_be_posted_again(mart, webhook):
    webhook.hold = lambda n: time.sleep(1.0) if n == 1 else None
    deliver_pending(mart.store, webhook.url, timeout_s=0.3)
    assert statuses(mart)["Alpha"] == "unknown"
    settle_in_doubt(mart.store, alert_row("Alpha", TODAY)["alert_id"], delivered=False)
    deliver_pending(mart.store, webhook.url)
    assert statuses(mart) == dict.fromkeys(BRANDS, "delivered")
    assert list(posts_per_alert(webhook).values()) == [2, 1, 1]  # the one repost was the operator's call


# --------------------------------------------------------------------------- 2. overlapping ticks


def _overlapping(store_for, url: str, webhook) -> list:
    """Two deliveries started at the same moment, each with its own warehouse handle, in threads."""
    webhook.hold = lambda n: time.sleep(0.2)  # a slow webhook: the first tick is still posting
    barrier = threading.Barrier(2)
    reports: list = []

    def one_tick():
        store = store_for()
        barrier.wait()
        reports.append(deliver_pending(store, url))

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return reports


def test_overlapping_ticks_in_threads_post_each_alert_once_on_duckdb(mart, webhook):
    reports = _overlapping(lambda: DuckDBWarehouse(mart.path), webhook.url, webhook)
    assert sorted(r.busy for r in reports) == [False, True]
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == dict.fromkeys(BRANDS, "delivered")


def test_overlapping_ticks_on_postgres_post_each_alert_once(postgres_db, webhook):
    from listening_pipeline.warehouse import PostgresWarehouse

    mart = PostgresMart(postgres_db)
    mart.create()
    mart.add(*(alert_row(brand, TODAY) for brand in BRANDS))
    reports = _overlapping(lambda: PostgresWarehouse(postgres_db), webhook.url, webhook)
    assert sorted(r.busy for r in reports) == [False, True]
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == dict.fromkeys(BRANDS, "delivered")


TICK_PROCESS = """
import json, sys, time
from pathlib import Path
from listening_pipeline.lib.alerts import deliver_pending
from listening_pipeline.warehouse import DuckDBWarehouse

path, url, ready, n = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
(ready / n).touch()
while len(list(ready.iterdir())) < int(sys.argv[5]):
    time.sleep(0.01)
report = deliver_pending(DuckDBWarehouse(path), url)
print(json.dumps({"busy": report.busy, "delivered": len(report.delivered)}))
"""


def _tick_process(mart, url: str, ready: Path, n: int, of: int) -> subprocess.Popen:
    args = [sys.executable, "-c", TICK_PROCESS, str(mart.path), url, str(ready), str(n), str(of)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_overlapping_ticks_in_two_processes_post_each_alert_once(mart, webhook, tmp_path):
    webhook.hold = lambda n: time.sleep(0.3)
    ready = tmp_path / "ready"
    ready.mkdir()
    procs = [_tick_process(mart, webhook.url, ready, n, 2) for n in range(2)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted((o["busy"], o["delivered"]) for o in outs) == [(False, 3), (True, 0)]
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == dict.fromkeys(BRANDS, "delivered")


# --------------------------------------------------------------------------- 3. an answer that never comes


def test_read_timeout_after_the_webhook_accepted_is_not_reposted(mart, webhook, capfd):
    # The webhook takes Alpha's POST and answers only after the client gave up waiting.
    webhook.hold = lambda n: time.sleep(1.0) if n == 1 else None
    summary = tick(mart, webhook.url, timeout_s=0.3)
    assert "2 brand alert(s) delivered" in summary and "1 unanswered" in summary
    assert "1 alert(s) in doubt" in summary
    [row] = [r for r in ledger(mart) if r["brand"] == "Alpha"]
    assert (row["status"], row["attempts"]) == ("unknown", 1) and "ReadTimeout" in row["error"]
    logged = capfd.readouterr().err
    assert any("ERROR" in line and "no answer came" in line for line in logged.splitlines())

    for _ in range(2):  # later ticks report it, and post nothing
        assert "1 alert(s) in doubt" in tick(mart, webhook.url)
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == {"Alpha": "unknown", "Beta": "delivered", "Gamma": "delivered"}


# --------------------------------------------------------------------------- a tick killed mid-POST


def test_a_tick_killed_between_its_post_and_the_answer_is_not_reposted(mart, webhook, tmp_path):
    received, killed = threading.Event(), threading.Event()

    def die_while_answering(n: int) -> None:
        if n == 1:
            received.set()
            killed.wait(30)

    webhook.hold = die_while_answering
    ready = tmp_path / "ready"
    ready.mkdir()
    proc = _tick_process(mart, webhook.url, ready, 0, 1)
    assert received.wait(60), proc.stderr.read() if proc.poll() is not None else "no POST"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    killed.set()
    assert statuses(mart) == {"Alpha": "sending"}  # the claim survived its tick

    report = deliver_pending(mart.store, webhook.url)
    assert report.orphans == [alert_row("Alpha", TODAY)["alert_id"]] and report.in_doubt == 1
    assert [d.alert.brand for d in report.delivered] == ["Beta", "Gamma"]
    assert posts_per_alert(webhook) == {alert_row(b, TODAY)["alert_id"]: 1 for b in BRANDS}
    assert statuses(mart) == {"Alpha": "unknown", "Beta": "delivered", "Gamma": "delivered"}


def test_connection_refused_is_retried_because_nothing_was_sent(mart):
    hook = Webhook()
    url = hook.url
    hook.stop()
    report = deliver_pending(mart.store, url, max_attempts=2, backoff_s=0.001, max_per_call=1)
    assert report.failed[0].outcome.attempts == 2 and not report.uncertain
    assert statuses(mart) == {"Alpha": "failed"}  # pending: the next tick posts it
