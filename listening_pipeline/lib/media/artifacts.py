"""Decoded media kept in the media store, so each video is decoded once for every later stage.

Audio goes in as a float32 ``.npy`` (16 kHz mono), kept frames as JPEGs. Paths include a
short digest of the decoder settings: changing them decodes again instead of mixing outputs.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from PIL import Image

from listening_pipeline.lib.media.decode import DecodedVideo, KeptFrame
from listening_pipeline.lib.media.store import MediaStore


def decoder_digest(decoder: str) -> str:
    return hashlib.sha1(decoder.encode()).hexdigest()[:10]


def store_decoded(
    decoded: DecodedVideo, *, video_id: str, store: MediaStore, hashtag: str, day: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Write audio and frames to the store; return the MEDIA row and the FRAMES rows."""
    prefix = f"decoded/{video_id}/{decoder_digest(decoded.decoder)}"
    audio_uri = None
    with tempfile.TemporaryDirectory(prefix="lp-decoded-") as tmp:
        if decoded.audio is not None:
            local = Path(tmp) / "audio.npy"
            np.save(local, decoded.audio.astype(np.float32, copy=False))
            audio_uri = store.put(local, f"{prefix}/audio.npy")
        frame_rows = []
        for number, frame in enumerate(decoded.frames):
            local = Path(tmp) / f"frame-{number:04d}.jpg"
            frame.image.save(local, format="JPEG", quality=92)
            frame_rows.append(
                {
                    "hashtag": hashtag,
                    "day": day,
                    "video_id": video_id,
                    "frame_no": number,
                    "t_s": frame.t_s,
                    "t_until_s": frame.t_until_s,
                    "image_uri": store.put(local, f"{prefix}/{local.name}"),
                    "dhash": frame.dhash_hex,
                }
            )
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
