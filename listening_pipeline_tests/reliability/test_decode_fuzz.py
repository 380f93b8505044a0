"""Decode fuzz: a partition of five videos with one hostile file decodes the other four, and the hostile one
is accounted for: one ``raw.quarantine`` row (stage 'media') naming the video and its media path, or,
when the file is odd but usable (no audio, no video, 0.2 s, a Unicode name), a ``raw.media`` row.

The hostile files are made here: truncated and random bytes, a pixel bomb declaring 16000x16000
(a 60-byte Y4M header, and a 250 KB PNG that inflates to 256 MB), a track with no decoder (the
``AttributeError`` crasher), missing tracks, a 0.2 s clip, Unicode and NUL in file names.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from listening_pipeline.lib.media.artifacts import decode_partition
from listening_pipeline.lib.media.decode import DecodeLimits
from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.lib.media.worker import DecodeWorker
from listening_pipeline_tests.reliability.media_partition import (
    DAY,
    good_clips,
    materialize_media,
    media_quarantine,
    rows,
    write_export,
)
from listening_pipeline_tests.test_media_decode import write_clip

# ---------------------------------------------------------------------------------------------
# Hostile files
# ---------------------------------------------------------------------------------------------


def truncated(folder: Path) -> Path:
    whole = write_clip(folder / "whole.mp4", seconds=2, size=(96, 160))
    cut = folder / "truncated.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return cut


def random_bytes(folder: Path) -> Path:
    path = folder / "random.mp4"
    path.write_bytes(np.random.default_rng(7).bytes(64_000))
    return path


def pixel_bomb_y4m(folder: Path) -> Path:
    """A raw-video stream whose header declares 16000x16000: refused before a frame is read."""
    path = folder / "bomb.y4m"
    path.write_bytes(b"YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x80" * 64)
    return path


def pixel_bomb_png(folder: Path, side: int = 16000) -> Path:
    """A real decompression bomb: 250 KB of PNG inflating to a 16000x16000 grey picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    deflate = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path = folder / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def audio_track_without_decoder(folder: Path) -> Path:
    """Video plus one audio packet of a codec no decoder knows: the stream has no codec context."""
    path = folder / "plain.mkv"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 96, 160, "yuv420p"
        sound = container.add_stream("pcm_s16le", rate=16_000)
        sound.layout = "mono"
        for index in range(20):
            picture = np.full((160, 96, 3), index * 10, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1600), np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 16_000, 0
        for packet in [*sound.encode(frame), *sound.encode()]:
            container.mux(packet)
    data = path.read_bytes()
    assert data.count(b"A_PCM/INT/LIT") == 1
    unknown = folder / "audio-without-decoder.mkv"
    unknown.write_bytes(data.replace(b"A_PCM/INT/LIT", b"A_XYZ/INT/LIT"))  # a Matroska codec id nobody knows
    return unknown


def no_video_stream(folder: Path) -> Path:
    return write_clip(folder / "voice-only.m4a", seconds=1, video=False)


def no_audio_stream(folder: Path) -> Path:
    return write_clip(folder / "silent.mp4", seconds=1, size=(96, 160), tone_hz=None)


def short_clip(folder: Path) -> Path:
    return write_clip(folder / "short.mp4", seconds=0.2, size=(96, 160))


def unicode_name(folder: Path) -> Path:
    return write_clip(folder / "vidéo ☕ ünïcödé 视频.mp4", seconds=1, size=(96, 160))


QUARANTINED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated": (truncated, "not a readable media file"),
    "random-bytes": (random_bytes, "not a readable media file"),
    "pixel-bomb-declared": (pixel_bomb_y4m, "frame too large: 16000x16000"),
    "pixel-bomb-png": (pixel_bomb_png, "pixel limit"),
}
LANDS: dict[str, tuple[Callable[[Path], Path], dict]] = {
    "audio-track-without-decoder": (audio_track_without_decoder, {"has_audio": False}),
    "no-video-stream": (no_video_stream, {"has_audio": True, "frames_kept": 0, "width": None}),
    "no-audio-stream": (no_audio_stream, {"has_audio": False}),
    "clip-of-0.2s": (short_clip, {"has_audio": True, "frames_kept": 1}),
    "unicode-file-name": (unicode_name, {"has_audio": True}),
}


@pytest.fixture(scope="module")
def four_good(tmp_path_factory) -> list[Path]:
    return good_clips(tmp_path_factory.mktemp("good"))


def _run(tmp_path, instance, warehouse_resource, hashtag: str, hostile: Path | str, four_good: list[Path]):
    media = [four_good[0], four_good[1], hostile, four_good[2], four_good[3]]
    ids = write_export(tmp_path / "export", hashtag, media)
    result = materialize_media(
        instance, warehouse_resource, source_root=tmp_path / "export", media_root=tmp_path / "store", hashtag=hashtag
    )
    return result, ids, ids[2]


@pytest.mark.parametrize("case", sorted(QUARANTINED))
def test_decode_fuzz_a_hostile_file_is_quarantined_and_the_other_four_land(
    case, tmp_path, instance, warehouse_resource, warehouse, four_good
):
    make, reason = QUARANTINED[case]
    hashtag = f"decodefuzzq{sorted(QUARANTINED).index(case)}"

    result, ids, bad = _run(tmp_path, instance, warehouse_resource, hashtag, make(tmp_path), four_good)

    assert result.success
    landed = sorted(row["video_id"] for row in rows(warehouse, "media", hashtag, "video_id"))
    assert landed == sorted(set(ids) - {bad})
    [problem] = media_quarantine(warehouse, hashtag)
    assert bad in problem["item"] and f"videos/{bad}" in problem["item"]
    assert reason in problem["reason"]


@pytest.mark.parametrize("case", sorted(LANDS))
def test_decode_fuzz_an_odd_but_usable_file_lands_with_the_other_four(
    case, tmp_path, instance, warehouse_resource, warehouse, four_good
):
    make, expected = LANDS[case]
    hashtag = f"decodefuzzl{sorted(LANDS).index(case)}"

    result, ids, odd = _run(tmp_path, instance, warehouse_resource, hashtag, make(tmp_path), four_good)

    assert result.success
    media = {row["video_id"]: row for row in rows(warehouse, "media", hashtag)}
    assert sorted(media) == sorted(ids)
    assert {name: media[odd][name] for name in expected} == expected
    assert media_quarantine(warehouse, hashtag) == []


def test_decode_fuzz_a_nul_byte_in_the_manifest_file_name_costs_only_that_video(
    tmp_path, instance, warehouse_resource, warehouse, four_good
):
    hashtag = "decodefuzznulname"

    result, ids, bad = _run(tmp_path, instance, warehouse_resource, hashtag, "media/evil\x00name.mp4", four_good)

    assert result.success
    videos = {row["video_id"]: row for row in rows(warehouse, "videos", hashtag, "video_id, media_uri, media_error")}
    assert sorted(videos) == sorted(ids)
    assert videos[bad]["media_uri"] is None and "null" in videos[bad]["media_error"].casefold()
    assert sorted(row["video_id"] for row in rows(warehouse, "media", hashtag, "video_id")) == sorted(set(ids) - {bad})


def test_decode_fuzz_a_nul_byte_in_a_stored_media_path_is_one_problem(tmp_path, four_good):
    store = MediaStore(str(tmp_path / "store"))
    good = store.put(four_good[0], "videos/1.mp4")
    videos = [
        {"video_id": "1", "media_uri": good},
        {"video_id": "2", "media_uri": f"{tmp_path}/store/videos/2\x00.mp4"},
        {"video_id": "3", "media_uri": f"{tmp_path}/store/videos/missing.mp4"},
    ]

    with DecodeWorker(DecodeLimits(), timeout_s=60) as worker:
        done = decode_partition(videos, store=store, worker=worker, hashtag="h", day=DAY)

    assert [row["video_id"] for row in done.media_rows] == ["1"]
    nul, missing = done.problems
    assert nul.item.startswith("video 2 ") and "NUL byte" in nul.reason
    assert missing.item.startswith("video 3 ") and "media file missing" in missing.reason
