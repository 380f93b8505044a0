"""Where a Research API video's media comes from: the API serves metadata only, so a downloader fetches it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import requests

from listening_pipeline.lib.sources.base import MediaUnavailable, RecordError, parse_id


class MediaDownloader(Protocol):
    """Where media comes from: the Research API serves metadata and voice_to_text, never media."""

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        """Write the video's media to ``dest`` and return it, or raise :class:`MediaUnavailable`."""


class NoMediaDownloader:
    """The default: no media source, so every video keeps its metadata and gets a media_error."""

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        raise MediaUnavailable(
            "no media downloader configured for the research_api source "
            "(the Research API returns metadata only; set a URL template to fetch media)"
        )


class UrlTemplateDownloader:
    """Fetches media from a URL built per video, e.g. ``https://vendor.example/{video_id}.mp4``.

    ``{video_id}`` and ``{username}`` are filled in. http(s) URLs go through requests; any
    other scheme fsspec knows (``file://``, ``s3://``...) through fsspec.

    A download is bounded: ``max_bytes`` (the announced Content-Length or the bytes received,
    whichever shows it first) and ``deadline_s`` for the whole transfer (``timeout_s`` bounds
    each wait on the socket only, so a server trickling bytes could otherwise hold us for ever;
    at the deadline the connection is closed under the reader). Over either, the video gets a
    media_error and nothing partial is kept.
    """

    def __init__(
        self,
        template: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = 120.0,
        max_bytes: int = 512 * 1024 * 1024,
        deadline_s: float = 600.0,
    ) -> None:
        try:
            template.format(video_id="1", username="u")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"media URL template {template!r} may only use {{video_id}} and {{username}}: {exc!r}"
            ) from exc
        self.template = template
        self.session = session or requests.Session()
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.deadline_s = deadline_s

    def url_for(self, video: Mapping[str, Any]) -> str:
        try:
            video_id = parse_id(video.get("video_id", video.get("id")), "video_id")
        except RecordError as exc:
            raise MediaUnavailable(f"cannot build a media URL: {exc}") from exc
        username = str(video.get("creator") or video.get("username") or "")
        return self.template.format(video_id=video_id, username=username)

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        url = self.url_for(video)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")  # a killed download never looks complete
        try:
            if url.startswith(("http://", "https://")):
                self._download_http(url, partial)
            else:
                _copy_with_fsspec(url, partial, self.max_bytes, time.monotonic() + self.deadline_s)
            if partial.stat().st_size == 0:
                raise MediaUnavailable(f"media at {url} is empty")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def _download_http(self, url: str, target: Path) -> None:
        expired = threading.Event()
        try:
            with self.session.get(url, stream=True, timeout=self.timeout_s) as response:
                if response.status_code != 200:
                    raise MediaUnavailable(f"GET {url} answered HTTP {response.status_code}")
                announced = response.headers.get("Content-Length", "")
                if announced.isdigit() and int(announced) > self.max_bytes:
                    raise MediaUnavailable(_too_large(url, int(announced), self.max_bytes))

                def expire() -> None:
                    expired.set()
                    _shut(response)  # the blocked read fails at once

                timer = threading.Timer(self.deadline_s, expire)
                timer.daemon = True
                timer.start()
                try:
                    with target.open("wb") as out:
                        received = 0
                        for chunk in response.iter_content(chunk_size=1 << 16):
                            received += len(chunk)
                            if received > self.max_bytes:
                                raise MediaUnavailable(_too_large(url, received, self.max_bytes))
                            out.write(chunk)
                finally:
                    timer.cancel()
        except (requests.RequestException, AttributeError, ValueError, OSError) as exc:
            if expired.is_set():
                raise MediaUnavailable(f"GET {url} ran past the {self.deadline_s:g} s download deadline") from exc
            if isinstance(exc, requests.RequestException):
                raise MediaUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc
            raise
        if expired.is_set():
            raise MediaUnavailable(f"GET {url} ran past the {self.deadline_s:g} s download deadline")


def _shut(response: requests.Response) -> None:
    """End a download from another thread: a read blocked on the socket only wakes up on shutdown()."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is None:  # http.client drops the connection's reference once the body is being read
        reader = getattr(getattr(response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    response.close()


def _too_large(url: str, size: int, cap: int) -> str:
    return f"media at {url} is over the {cap:,} byte download cap ({size:,} bytes or more)"


def _copy_with_fsspec(url: str, target: Path, max_bytes: int, deadline: float) -> None:
    import fsspec  # imported here: only this downloader needs it

    try:
        with fsspec.open(url, "rb") as src, target.open("wb") as out:
            received = 0
            for block in iter(lambda: src.read(1 << 20), b""):
                received += len(block)
                if received > max_bytes:
                    raise MediaUnavailable(_too_large(url, received, max_bytes))
                if time.monotonic() > deadline:  # checked between blocks: a stuck read is fsspec's timeout
                    raise MediaUnavailable(f"reading media {url} ran past its download deadline")
                out.write(block)
    except FileNotFoundError as exc:
        raise MediaUnavailable(f"media {url} not found") from exc
    except (OSError, ValueError, ImportError) as exc:
        raise MediaUnavailable(f"reading media {url} failed: {type(exc).__name__}: {exc}") from exc
