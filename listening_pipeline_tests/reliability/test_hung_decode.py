"""Hung decode ended by the time limit: a decode that never returns is killed at ``max_decode_s``,
its video gets one quarantine row, the other four videos land and the run succeeds.

The hang is injected: the decode step's worker is given a decode function (importable, so the
child process can load it) that sleeps for ever on one file, as a codec stuck on a hostile
stream or a read from a dead network mount would.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from listening_pipeline.lib.media import worker as worker_module
from listening_pipeline.lib.media.decode import DecodedVideo, DecodeLimits, MediaError, decode_video
from listening_pipeline_tests.reliability.media_partition import (
    good_clips,
    materialize_media,
    media_quarantine,
    rows,
    write_export,
)

HANGS_ON = "hangs.mp4"


def decode_that_hangs(path: str | Path, *, limits: DecodeLimits) -> DecodedVideo:
    if Path(path).name.endswith(HANGS_ON) or "hangs" in Path(path).read_bytes()[-64:].decode("latin-1"):
        while True:
            time.sleep(3600)
    return decode_video(path, limits=limits)


@pytest.fixture
def hanging_decoder(monkeypatch):
    """Every DecodeWorker decodes with decode_that_hangs (a child process imports it by name)."""
    original = worker_module.DecodeWorker.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.decode_fn = decode_that_hangs

    monkeypatch.setattr(worker_module.DecodeWorker, "__init__", init)


def test_hung_decode_is_ended_by_the_time_limit_and_quarantined(
    tmp_path, instance, warehouse_resource, warehouse, hanging_decoder
):
    hashtag = "hungdecode"
    clips = good_clips(tmp_path / "clips", 5)
    # The store renames media by video id: mark the hanging one by its content instead of its name.
    clips[2].write_bytes(clips[2].read_bytes() + b"hangs")
    ids = write_export(tmp_path / "export", hashtag, clips)

    started = time.monotonic()
    result = materialize_media(
        instance,
        warehouse_resource,
        source_root=tmp_path / "export",
        media_root=tmp_path / "store",
        hashtag=hashtag,
        decode_config={"max_decode_s": 3},
    )
    elapsed = time.monotonic() - started

    assert result.success
    assert elapsed < 60  # the hang was ended, not waited out
    landed = sorted(row["video_id"] for row in rows(warehouse, "media", hashtag, "video_id"))
    assert landed == sorted(set(ids) - {ids[2]})
    [problem] = media_quarantine(warehouse, hashtag)
    assert ids[2] in problem["item"] and "longer than the 3 s limit" in problem["reason"]
    metadata = result.asset_materializations_for_node("decoded_media")[0].metadata
    assert metadata["decoder_processes"].value == 2  # one killed at the limit, one fresh for the rest


def test_hung_decode_the_killed_process_is_gone(tmp_path, hanging_decoder):
    clip = good_clips(tmp_path, 1)[0]
    hung = tmp_path / HANGS_ON
    hung.write_bytes(clip.read_bytes())

    with worker_module.DecodeWorker(DecodeLimits(), timeout_s=1) as worker:
        worker.decode(clip, tmp_path)  # the child starts and works
        process = worker._process
        assert process is not None
        with pytest.raises(MediaError, match="longer than the 1 s limit"):
            worker.decode(hung, tmp_path)
        assert process.poll() is not None  # killed, not abandoned
        assert worker.decode(clip, tmp_path).frames  # and the next video gets a fresh child
