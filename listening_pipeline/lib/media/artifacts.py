"""Decoded media kept in the media store, so each video is decoded once for every later stage.

Audio goes in as a float32 ``.npy`` (16 kHz mono), kept frames as JPEGs. Paths include the
media file's hash and a short digest of the decoder settings: changing either decodes again
instead of mixing outputs, and the files another partition's rows point at are never overwritten.

:func:`decode_partition` is the media step of one partition: each video decoded in a child
process under a time limit (:mod:`.worker`); a video that cannot be decoded, for whatever
reason, becomes one :class:`Problem` and the others go on. A media store failure is not the
video's fault and is raised (:class:`MediaStoreError`), so the run fails and a re-run fixes it.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from PIL import Image

from listening_pipeline.lib.media.decode import KeptFrame, MediaError
from listening_pipeline.lib.media.store import MediaStore, MediaStoreError, file_digest
from listening_pipeline.lib.media.worker import DecodedFiles, DecodeWorker
from listening_pipeline.lib.sources.base import Problem


@dataclass
class DecodedPartition:
    """The MEDIA and FRAMES rows of one partition, the videos that could not be decoded, and the cost."""

    media_rows: list[dict[str, Any]] = field(default_factory=list)
    frame_rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    decode_s: float = 0.0
    worker_starts: int = 0


def decode_partition(
    videos: Iterable[Mapping[str, Any]], *, store: MediaStore, worker: DecodeWorker, hashtag: str, day: Any
) -> DecodedPartition:
    """Decode and store each video (``video_id``, ``media_uri``, ``media_sha256``); one problem per video that fails."""
    out = DecodedPartition()
    for video in videos:
        video_id, uri, sha = video["video_id"], video["media_uri"], video.get("media_sha256")
        item = f"video {video_id} ({uri})"
        with tempfile.TemporaryDirectory(prefix="lp-decoded-") as scratch:
            try:
                with store.local_path(uri) as path:
                    decoded = worker.decode(path, Path(scratch))
            except MediaError as exc:
                out.problems.append(Problem(item=item, reason=exc.reason))
                continue
            except FileNotFoundError:
                out.problems.append(Problem(item=item, reason="media file missing from the media store"))
                continue
            except ValueError as exc:  # a URI fsspec or the OS cannot take (a NUL byte, an unknown protocol)
                out.problems.append(Problem(item=item, reason=f"media URI unusable: {exc}"))
                continue
            except MediaStoreError as exc:
                raise MediaStoreError(f"video {video_id}: {exc}") from exc
            out.decode_s += decoded.decode_s
            try:
                media_row, frame_rows = store_decoded(
                    decoded, video_id=video_id, media_sha256=sha, store=store, hashtag=hashtag, day=day
                )
            except (MediaStoreError, OSError) as exc:
                raise MediaStoreError(f"video {video_id}: storing its decoded media failed: {exc}") from exc
        out.media_rows.append(media_row)
        out.frame_rows.extend(frame_rows)
    out.worker_starts = worker.starts
    return out


def decoder_digest(decoder: str) -> str:
    return hashlib.sha1(decoder.encode()).hexdigest()[:10]


def media_file_sha256(store: MediaStore, uri: str) -> str | None:
    """SHA-256 of a stored media file (what the enrichment ledger keys a video's work by); None when it
    cannot be read, which the decode then reports as the video's problem."""
    try:
        with store.local_path(uri) as path:
            return file_digest(path)
    except (OSError, ValueError, MediaStoreError):
        return None


def artifacts_present(store: MediaStore, uris: Iterable[str | None]) -> bool:
    """Whether every decoded file a reused MEDIA/FRAMES row points at is still in the store."""
    return all(store.fs.exists(f"{store.base}/{uri.removeprefix(store.root + '/')}") for uri in uris if uri)


def store_decoded(
    decoded: DecodedFiles,
    *,
    video_id: str,
    store: MediaStore,
    hashtag: str,
    day: Any,
    media_sha256: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Put the decoded files in the store; return the MEDIA row and the FRAMES rows."""
    source = f"{media_sha256[:12]}-" if media_sha256 else ""
    prefix = f"decoded/{video_id}/{source}{decoder_digest(decoded.decoder)}"
    audio_uri = None
    if decoded.audio_file is not None:
        audio_uri = store.put(decoded.audio_file, f"{prefix}/{decoded.audio_file.name}")
    frame_rows = [
        {
            "hashtag": hashtag,
            "day": day,
            "video_id": video_id,
            "frame_no": number,
            "t_s": frame.t_s,
            "t_until_s": frame.t_until_s,
            "image_uri": store.put(frame.file, f"{prefix}/{frame.file.name}"),
            "dhash": frame.dhash_hex,
        }
        for number, frame in enumerate(decoded.frames)
    ]
    media_row = {
        "hashtag": hashtag,
        "day": day,
        "video_id": video_id,
        "duration_s": decoded.duration_s,
        "width": decoded.width,
        "height": decoded.height,
        "has_audio": decoded.has_audio,
        "audio_uri": audio_uri,
        "frames_sampled": decoded.frames_sampled,
        "frames_kept": len(decoded.frames),
        "decoder": decoded.decoder,
        "media_sha256": media_sha256,
    }
    return media_row, frame_rows


def load_audio(store: MediaStore, uri: str) -> np.ndarray:
    with store.local_path(uri) as path:
        return np.load(path)


def load_frames(store: MediaStore, frames: pl.DataFrame) -> list[KeptFrame]:
    """Kept frames of one video back from the store, in frame order."""
    out = []
    for row in frames.sort("frame_no").iter_rows(named=True):
        with store.local_path(row["image_uri"]) as path:
            image = Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
        out.append(KeptFrame(image=image, t_s=row["t_s"], t_until_s=row["t_until_s"], dhash_hex=row["dhash"] or ""))
    return out
