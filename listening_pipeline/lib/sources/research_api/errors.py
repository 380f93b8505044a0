"""What a Research API call raises, and the resume states a quota failure carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


class ResearchApiError(RuntimeError):
    """A Research API call that failed for good; the message names endpoint, status, code and log_id."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        code: str | None = None,
        log_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.log_id = log_id


class SearchIdExpired(ResearchApiError):
    """The API no longer knows the search id of a paged video query; the window must restart."""


class QuotaExhausted(ResearchApiError):
    """The daily quota is spent. ``state`` (when set) lets a later call resume without losing work."""

    state: VideoQueryState | CommentListState | None = None

    @property
    def collected(self) -> list[dict[str, Any]]:
        """Records gathered before the quota ran out (also inside ``state``)."""
        return [] if self.state is None else list(self.state.collected)


# --------------------------------------------------------------------------- resume states


@dataclass(frozen=True)
class VideoQueryState:
    """Where an interrupted :meth:`ResearchApiClient.query_videos` stands.

    ``window_start`` is the first day of the window being paged, ``cursor``/``search_id`` the
    next page of it (``search_id`` None: the window starts over), ``collected`` every record
    gathered so far. Plain data, so it can be stored as JSON between runs (:meth:`to_dict`).
    """

    hashtags: tuple[str, ...]
    start: dt.date
    end: dt.date
    fields: tuple[str, ...]
    window_start: dt.date
    cursor: int
    search_id: str | None
    collected: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "window_start"):
            data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoQueryState:
        return cls(
            hashtags=tuple(data["hashtags"]),
            start=dt.date.fromisoformat(data["start"]),
            end=dt.date.fromisoformat(data["end"]),
            fields=tuple(data["fields"]),
            window_start=dt.date.fromisoformat(data["window_start"]),
            cursor=int(data["cursor"]),
            search_id=data.get("search_id"),
            collected=tuple(data.get("collected") or ()),
        )


@dataclass(frozen=True)
class CommentListState:
    """Where an interrupted :meth:`ResearchApiClient.list_comments` stands: next cursor and what was read."""

    video_id: str
    fields: tuple[str, ...]
    cursor: int
    collected: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommentListState:
        return cls(
            video_id=str(data["video_id"]),
            fields=tuple(data["fields"]),
            cursor=int(data["cursor"]),
            collected=tuple(data.get("collected") or ()),
        )
