"""The TikTok Research API source: a client that survives the API's real behaviour, and a VideoSource.

What the client handles, and why:

* **Tokens** are client-credentials tokens that expire (``expires_in``, two hours). One is
  cached and refreshed shortly before it expires, and once more if a call still answers
  401 ``access_token_invalid`` (tokens get revoked early).
* **Video queries** accept at most 30 days between ``start_date`` and ``end_date``, so long
  ranges are split into windows. Pages are fetched with ``cursor`` + ``search_id`` until
  ``has_more`` is false. Search ids are sometimes rejected moments after being issued
  ("Search Id N is invalid or expired"): the window is then queried again from the start
  and videos are de-duplicated by id.
* **end_date inclusivity** is ambiguous (TikTok's wrapper treats it as inclusive,
  tiktok-library as exclusive). We send ``end_date`` = the last wanted day + 1, which
  covers the wanted days under either reading, and drop videos created outside the wanted
  days ourselves. A one-day query also carries ``create_date EQ <day>``, so the API returns
  exactly that day whichever reading it uses and no quota is spent on the neighbour day.
* **User info** (``user_info``) is one request per creator; the creators asset asks it at most once per
  creator per day (``lib/sources/creators.py``). A private or deleted account is refused with a 4xx and
  quarantined for that creator alone.
* **Comments** are reachable only among the top 1,000 (``cursor + max_count <= 1000``).
* **Failures**: 429 ``rate_limit_exceeded`` and 5xx (including a 504 with an HTML body)
  are retried with jittered exponential backoff (``Retry-After`` honoured); the daily
  quota (429 ``daily_quota_limit_exceeded``) either waits until 00:00 UTC or raises
  :class:`QuotaExhausted` with a state that a later call resumes from.

Ids are kept exact: Python's ``json`` reads integers as ``int`` (never floats) and rows carry
them as text via :func:`parse_id`. Each record of a page is checked on its own against the declared
tables (``lib/sources/records.py``): a hostile record (a 2**70 count, NaN, an id like ``'²'``, JSON
nested 10,000 deep, not an object at all) is quarantined with its id and field, and the rest of the
page lands. NUL bytes are stripped and lone surrogates replaced when records become rows.

Modules: ``client`` (token, retries, windows, pages), ``query`` (endpoints, fields, request
bodies, paging helpers), ``http`` (decoding answers, what is retried, error messages),
``errors`` (exceptions and resume states), ``media`` (downloaders), ``source`` (the VideoSource).
"""

from listening_pipeline.lib.sources.research_api.client import ResearchApiClient, utc_now
from listening_pipeline.lib.sources.research_api.errors import (
    CommentListState,
    QuotaExhausted,
    ResearchApiError,
    SearchIdExpired,
    VideoQueryState,
)
from listening_pipeline.lib.sources.research_api.media import (
    MediaDownloader,
    NoMediaDownloader,
    UrlTemplateDownloader,
)
from listening_pipeline.lib.sources.research_api.query import (
    COMMENT_FIELDS,
    COMMENT_LIMIT,
    COMMENT_LIST_PATH,
    DEFAULT_BASE_URL,
    MAX_COUNT,
    MAX_WINDOW_DAYS,
    TOKEN_PATH,
    USER_FIELDS,
    USER_INFO_PATH,
    VIDEO_FIELDS,
    VIDEO_QUERY_PATH,
)
from listening_pipeline.lib.sources.research_api.source import ResearchApiSource

__all__ = [
    "COMMENT_FIELDS",
    "COMMENT_LIMIT",
    "COMMENT_LIST_PATH",
    "DEFAULT_BASE_URL",
    "MAX_COUNT",
    "MAX_WINDOW_DAYS",
    "TOKEN_PATH",
    "USER_FIELDS",
    "USER_INFO_PATH",
    "VIDEO_FIELDS",
    "VIDEO_QUERY_PATH",
    "CommentListState",
    "MediaDownloader",
    "NoMediaDownloader",
    "QuotaExhausted",
    "ResearchApiClient",
    "ResearchApiError",
    "ResearchApiSource",
    "SearchIdExpired",
    "UrlTemplateDownloader",
    "VideoQueryState",
    "utc_now",
]
