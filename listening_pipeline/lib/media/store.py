"""Where media files live: a local folder by default, any fsspec URL (``s3://...``) by configuration.

Media are stored once per video, not per partition: a video found under two hashtags is
copied once, and a re-run finds it in place (same content hash: nothing is copied again).

Writes are atomic: a file is copied under a temporary name and renamed into place, and the
temporary copy is deleted when anything fails, so a reader never sees half a file.

A store error is never a property of the video: disk full (ENOSPC), EIO or a network
filesystem hiccup is retried with backoff, and if it persists raises
:class:`MediaStoreError` naming the store and the file, which fails the run (a re-run
fixes it) instead of recording a permanent ``media_error`` or quarantine row.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

import fsspec
import polars as pl

from listening_pipeline.lib.sources.base import MediaUnavailable, VideoSource

__all__ = ["MediaStore", "MediaStoreError", "attach_media", "is_transient"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that say "the file is bad or gone", as opposed to "the storage is unwell right now".
_PERMANENT_ERRNOS = frozenset(
    {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG}
)


class MediaStoreError(RuntimeError):
    """The media store failed (after retries for transient errors): the run fails, a re-run fixes it."""


def is_transient(exc: BaseException) -> bool:
    """Whether an I/O error is worth retrying: anything but "missing / forbidden / not a file"."""
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return False
    return isinstance(exc, OSError) and exc.errno not in _PERMANENT_ERRNOS


class MediaStore:
    RETRY_DELAYS_S: tuple[float, ...] = (0.5, 2.0, 5.0)
    """Waits between attempts at a store operation that failed with a transient error."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.root)

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def put(self, local_file: Path, key: str) -> str:
        """Copy ``local_file`` under ``key`` unless a copy with the same content is already there.

        Raises :class:`MediaStoreError` when the store cannot take it (after retries); reading
        ``local_file`` itself may raise ``OSError``.
        """
        target = f"{self.base}/{key}"
        digest = file_digest(local_file)
        size = local_file.stat().st_size
        if self._retrying(lambda: self._holds(target, size, digest), f"checking {key}"):
            return self.uri(key)
        self._retrying(lambda: self._write(local_file, target), f"writing {key}")
        return self.uri(key)

    def _holds(self, target: str, size: int, digest: str) -> bool:
        if not self.fs.exists(target) or self.fs.size(target) != size:
            return False
        with self.fs.open(target, "rb") as stored:
            return _stream_digest(stored) == digest

    def _write(self, local_file: Path, target: str) -> None:
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        partial = f"{target}.partial-{uuid.uuid4().hex[:12]}"
        try:
            self.fs.put_file(str(local_file), partial)
            self.fs.mv(partial, target)
        except BaseException:
            self._discard(partial)
            raise

    def _discard(self, partial: str) -> None:
        try:
            if self.fs.exists(partial):
                self.fs.rm(partial)
        except OSError as exc:  # the original error matters more; say what is left behind
            log.error("could not delete the partial copy %s in the media store %s: %s", partial, self.root, exc)

    def _retrying(self, operation: Callable[[], T], what: str) -> T:
        """``operation()``, retried on transient I/O errors; :class:`MediaStoreError` when it keeps failing."""
        delays = self.RETRY_DELAYS_S
        for attempt in range(len(delays) + 1):
            try:
                return operation()
            except OSError as exc:
                if not is_transient(exc):
                    raise MediaStoreError(f"media store {self.root}: {what} failed: {_describe(exc)}") from exc
                if attempt == len(delays):
                    raise MediaStoreError(
                        f"media store {self.root}: {what} failed {attempt + 1} times: {_describe(exc)}; "
                        "nothing partial was kept, re-run once the store is healthy"
                    ) from exc
                log.warning("media store %s: %s failed (%s), retrying in %gs", self.root, what, exc, delays[attempt])
                time.sleep(delays[attempt])
        raise AssertionError("unreachable")

    @contextmanager
    def local_path(self, uri: str) -> Iterator[Path]:
        """A local file for ``uri``: the file itself when the store is local, else a temporary copy.

        A missing remote file raises ``FileNotFoundError``; other store errors are retried, then
        raise :class:`MediaStoreError`.
        """
        fs, path = fsspec.core.url_to_fs(uri)
        if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
            yield Path(path)
            return
        with tempfile.TemporaryDirectory(prefix="lp-media-") as tmp:
            local = Path(tmp) / Path(path).name

            def copy() -> None:
                with fs.open(path, "rb") as src, local.open("wb") as dst:
                    shutil.copyfileobj(src, dst)

            try:
                self._retrying(copy, f"reading {path}")
            except MediaStoreError as exc:
                if isinstance(exc.__cause__, FileNotFoundError):
                    raise exc.__cause__ from None
                raise
            yield local


def file_digest(path: Path) -> str:
    """SHA-256 of a local file's content (what deduplication compares, sizes alone do not say)."""
    with path.open("rb") as handle:
        return _stream_digest(handle)


def _stream_digest(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _key_suffix(local: Path) -> str:
    """The media file's extension for its store key: a plain short one, else ``.mp4`` (keys stay ASCII)."""
    return local.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", local.suffix) else ".mp4"


def _describe(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return f"{name}: {exc.strerror or exc}"


def attach_media(source: VideoSource, videos: pl.DataFrame, store: MediaStore) -> pl.DataFrame:
    """Fetch each video's media through ``source`` into ``store``; set media_uri or media_error.

    A video whose media cannot be fetched keeps its row, with the reason in media_error. A
    media store failure is not the video's: it raises :class:`MediaStoreError` naming the
    video and the store, and the run fails so that a re-run fixes it.
    """
    uris: list[str | None] = []
    errors: list[str | None] = []
    with tempfile.TemporaryDirectory(prefix="lp-fetch-") as tmp:
        for video in videos.iter_rows(named=True):
            uri, error = _attach_one(source, video, store, Path(tmp))
            uris.append(uri)
            errors.append(error)
    return videos.with_columns(
        pl.Series("media_uri", uris, dtype=pl.String()),
        pl.Series("media_error", errors, dtype=pl.String()),
    )


def _attach_one(source: VideoSource, video: dict, store: MediaStore, tmp: Path) -> tuple[str | None, str | None]:
    video_id = video["video_id"]
    try:
        local = source.fetch_media(video, tmp / f"{video_id}.mp4")
    except MediaUnavailable as exc:
        return None, str(exc)
    except ValueError as exc:  # a reference the OS cannot take (a NUL byte in the path)
        return None, f"media reference unusable: {exc}"
    try:
        return store.put(local, f"videos/{video_id}{_key_suffix(local)}"), None
    except MediaStoreError as exc:
        raise MediaStoreError(f"video {video_id}: {exc}") from exc
    except OSError as exc:
        if is_transient(exc):
            raise MediaStoreError(f"video {video_id}: reading its media {local} failed: {_describe(exc)}") from exc
        return None, f"media file unreadable: {_describe(exc)}"
    finally:
        if local.is_relative_to(tmp):
            local.unlink(missing_ok=True)  # downloads are stored now: keep the temporary folder small
