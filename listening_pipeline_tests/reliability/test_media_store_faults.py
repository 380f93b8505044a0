"""Disk full on the media store: an ENOSPC while storing media (collecting) or decoded audio and frames
(decoding) is retried, then fails the run with a message naming the video and the store; nothing partial
stays in the store, no permanent media_error or quarantine row is written, and a re-run after the fault
lands every row exactly once. Also: the store dedupes by content, and the media downloader is bounded.
"""

from __future__ import annotations

import errno
import http.server
import threading
import time
from pathlib import Path

import pytest
from dagster import RetryPolicy

from listening_pipeline.lib.media.store import MediaStore, MediaStoreError
from listening_pipeline.lib.sources.base import MediaUnavailable
from listening_pipeline.lib.sources.research_api.media import UrlTemplateDownloader
from listening_pipeline_tests.reliability.media_partition import (
    good_clips,
    materialize_media,
    media_quarantine,
    rows,
    write_export,
)


@pytest.fixture
def disk_full(monkeypatch):
    """Every copy into a local media store writes half its bytes, then fails with ENOSPC, until cleared."""
    from fsspec.implementations.local import LocalFileSystem

    original = LocalFileSystem.put_file
    state = {"full": True, "attempts": 0}

    def put_file(self, lpath, rpath, *args, **kwargs):
        if not state["full"]:
            return original(self, lpath, rpath, *args, **kwargs)
        state["attempts"] += 1
        data = Path(lpath).read_bytes()
        Path(rpath).write_bytes(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", rpath)

    monkeypatch.setattr(LocalFileSystem, "put_file", put_file)
    monkeypatch.setattr(MediaStore, "RETRY_DELAYS_S", (0.01, 0.01))
    # The steps' RetryPolicy still retries each failed step 3 times, only without its 5-35 s waits.
    monkeypatch.setattr(RetryPolicy, "calculate_delay", lambda self, attempt_num: 0.01)
    return state


def _partial_files(store: Path) -> list[Path]:
    return [path for path in store.rglob("*") if ".partial-" in path.name]


@pytest.mark.parametrize("stage", ["collect", "decode"])
def test_disk_full_on_the_media_store_fails_the_run_clearly_and_a_rerun_lands_every_row_once(
    stage, tmp_path, instance, warehouse_resource, warehouse, disk_full
):
    hashtag = f"diskfull{stage}"
    ids = write_export(tmp_path / "export", hashtag, good_clips(tmp_path / "clips", 5))
    store = tmp_path / "store"

    def run(**kwargs):
        return materialize_media(
            instance, warehouse_resource, source_root=tmp_path / "export", media_root=store, hashtag=hashtag, **kwargs
        )

    if stage == "decode":
        disk_full["full"] = False
        assert run(only="videos").success  # media stored, then the disk fills up before decoding writes anything
        disk_full["full"] = True
    failed = run(only="decoded_media" if stage == "decode" else None)

    assert not failed.success
    message = failed_step_message(failed)
    assert "ENOSPC" in message and f"media store {store}" in message and f"video {ids[0]}" in message
    assert disk_full["attempts"] >= 3  # retried by the store (3 attempts), perhaps again by a step RetryPolicy
    assert _partial_files(store) == []
    if stage == "collect":
        assert rows(warehouse, "videos", hashtag) == []  # no media_error rows for a store fault
    assert media_quarantine(warehouse, hashtag) == []

    disk_full["full"] = False
    assert run().success
    assert run().success  # and once more: still every row once

    videos = rows(warehouse, "videos", hashtag, "video_id, media_uri, media_error")
    assert sorted(v["video_id"] for v in videos) == sorted(ids)
    assert all(v["media_uri"] and v["media_error"] is None for v in videos)
    assert sorted(m["video_id"] for m in rows(warehouse, "media", hashtag, "video_id")) == sorted(ids)
    assert media_quarantine(warehouse, hashtag) == []
    assert _partial_files(store) == []


def failed_step_message(result) -> str:
    return "\n".join(event.step_failure_data.error.to_string() for event in result.all_events if event.is_step_failure)


def test_media_store_gives_up_on_a_persistent_fault_and_keeps_nothing_partial(tmp_path, disk_full):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00media" * 1000)
    store = MediaStore(str(tmp_path / "store"))

    with pytest.raises(MediaStoreError, match=r"writing videos/1\.mp4 failed 3 times: ENOSPC"):
        store.put(clip, "videos/1.mp4")

    assert list((tmp_path / "store").rglob("*.*")) == []


def test_media_store_dedup_compares_content_not_size(tmp_path):
    store = MediaStore(str(tmp_path / "store"))
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    first.write_bytes(b"A" * 100)
    second.write_bytes(b"B" * 100)  # same size, other content

    uri = store.put(first, "videos/1.mp4")
    stored = tmp_path / "store" / "videos" / "1.mp4"
    mtime = stored.stat().st_mtime_ns
    assert store.put(first, "videos/1.mp4") == uri and stored.stat().st_mtime_ns == mtime  # same content: kept
    store.put(second, "videos/1.mp4")
    assert stored.read_bytes() == b"B" * 100


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        if self.path.startswith("/big"):
            self.send_header("Content-Length", str(10_000_000))
            self.end_headers()
            self.wfile.write(b"x" * 10_000)
            return
        self.send_header("Content-Length", "1000")  # promised, then trickled
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_media_download_has_a_size_cap_and_a_deadline_and_leaves_nothing_partial(tmp_path, slow_server):
    capped = UrlTemplateDownloader(slow_server + "/big/{video_id}.mp4", max_bytes=1_000_000)
    with pytest.raises(MediaUnavailable, match="over the 1,000,000 byte download cap"):
        capped.fetch({"video_id": "1"}, tmp_path / "dl" / "1.mp4")

    slow = UrlTemplateDownloader(slow_server + "/slow/{video_id}.mp4", timeout_s=5, deadline_s=1)
    started = time.monotonic()
    with pytest.raises(MediaUnavailable, match="ran past the 1 s download deadline"):
        slow.fetch({"video_id": "2"}, tmp_path / "dl" / "2.mp4")
    assert time.monotonic() - started < 5  # every read was quick: only the deadline stops a trickle
    assert list((tmp_path / "dl").iterdir()) == []
