"""Where media files live: a local folder by default, any fsspec URL (``s3://...``) by configuration.

Media are stored once per video, not per partition: a video found under two hashtags is
copied once, and a re-run finds it in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fsspec
import polars as pl

from listening_pipeline.lib.sources.base import MediaUnavailable, VideoSource


class MediaStore:
    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.root)

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def put(self, local_file: Path, key: str) -> str:
        """Copy ``local_file`` under ``key`` unless an identical-size copy is already there."""
        target = f"{self.base}/{key}"
        size = local_file.stat().st_size
        if self.fs.exists(target) and self.fs.size(target) == size:
            return self.uri(key)
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        partial = f"{target}.partial-{os.getpid()}"
        self.fs.put_file(str(local_file), partial)
        self.fs.mv(partial, target)
        return self.uri(key)

    @contextmanager
    def local_path(self, uri: str) -> Iterator[Path]:
        """A local file for ``uri``: the file itself when the store is local, else a temporary copy."""
        fs, path = fsspec.core.url_to_fs(uri)
        if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
            yield Path(path)
            return
        with tempfile.TemporaryDirectory(prefix="lp-media-") as tmp:
            local = Path(tmp) / Path(path).name
            with fs.open(path, "rb") as src, local.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            yield local


def attach_media(source: VideoSource, videos: pl.DataFrame, store: MediaStore) -> pl.DataFrame:
    """Fetch each video's media through ``source`` into ``store``; set media_uri or media_error.

    A video whose media cannot be fetched keeps its row, with the reason in media_error.
    """
    uris: list[str | None] = []
    errors: list[str | None] = []
    with tempfile.TemporaryDirectory(prefix="lp-fetch-") as tmp:
        for video in videos.iter_rows(named=True):
            try:
                local = source.fetch_media(video, Path(tmp) / f"{video['video_id']}.mp4")
                uris.append(store.put(local, f"videos/{video['video_id']}{local.suffix or '.mp4'}"))
                errors.append(None)
            except MediaUnavailable as exc:
                uris.append(None)
                errors.append(str(exc))
            except OSError as exc:
                uris.append(None)
                errors.append(f"media could not be stored: {exc}")
    return videos.with_columns(
        pl.Series("media_uri", uris, dtype=pl.String()),
        pl.Series("media_error", errors, dtype=pl.String()),
    )
