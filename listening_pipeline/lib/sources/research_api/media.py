"""Where a Research API video's media comes from: the API serves metadata only, so a downloader fetches it."""

from __future__ import annotations

import shutil
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
    """

    def __init__(self, template: str, *, session: requests.Session | None = None, timeout_s: float = 120.0) -> None:
        try:
            template.format(video_id="1", username="u")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"media URL template {template!r} may only use {{video_id}} and {{username}}: {exc!r}"
            ) from exc
        self.template = template
        self.session = session or requests.Session()
        self.timeout_s = timeout_s

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
                _copy_with_fsspec(url, partial)
            if partial.stat().st_size == 0:
                raise MediaUnavailable(f"media at {url} is empty")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def _download_http(self, url: str, target: Path) -> None:
        try:
            with self.session.get(url, stream=True, timeout=self.timeout_s) as response:
                if response.status_code != 200:
                    raise MediaUnavailable(f"GET {url} answered HTTP {response.status_code}")
                with target.open("wb") as out:
                    for chunk in response.iter_content(chunk_size=1 << 20):
                        out.write(chunk)
        except requests.RequestException as exc:
            raise MediaUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc


def _copy_with_fsspec(url: str, target: Path) -> None:
    import fsspec  # imported here: only this downloader needs it

    try:
        with fsspec.open(url, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, length=1 << 20)
    except FileNotFoundError as exc:
        raise MediaUnavailable(f"media {url} not found") from exc
    except (OSError, ValueError, ImportError) as exc:
        raise MediaUnavailable(f"reading media {url} failed: {type(exc).__name__}: {exc}") from exc
