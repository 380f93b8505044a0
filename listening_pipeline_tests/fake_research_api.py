"""A local, real-HTTP stand-in for the TikTok Research API, written from the public spec.

It serves the token endpoint, the video query and the comment list over
``http://127.0.0.1:<os-assigned port>`` with the documented envelope
``{"data": ..., "error": {"code", "message", "log_id"}}``, and reproduces the quirks real
collectors met: cursor + search_id paging, search ids that expire, the top-1,000 comment
limit, the daily quota, 429s, 5xx and a 504 with an HTML body (scriptable with
:meth:`FakeResearchApi.fail_next`). Every request is recorded for assertions.

Usage::

    with FakeResearchApi() as api:
        api.add_videos(make_video(7234567890123456789, dt.date(2024, 5, 1), ["nike"]))
        client = ResearchApiClient(api.base_url, api.client_key, api.client_secret)

Hostile records (nested 10,000 deep, NaN, a number for ``hashtag_names``...) that ``json.dumps``
cannot write, or that the search itself could not read, are served verbatim with :meth:`raw`.

``/media/<name>`` additionally serves bytes registered with :meth:`add_media`, standing in
for a media vendor (the Research API itself serves no media).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_PATH = "/v2/oauth/token/"
VIDEO_QUERY_PATH = "/v2/research/video/query/"
COMMENT_LIST_PATH = "/v2/research/video/comment/list/"
USER_INFO_PATH = "/v2/research/user/info/"
MEDIA_PREFIX = "/media/"
RAW_KEY = "__raw_record__"  # a stand-in record carrying this key is served as the registered raw text

VIDEO_FIELDS = frozenset(
    {
        "id",
        "create_time",
        "music_id",
        "like_count",
        "comment_count",
        "share_count",
        "view_count",
        "playlist_id",
        "video_duration",
        "favorites_count",
        "username",
        "region_code",
        "video_description",
        "voice_to_text",
        "hashtag_names",
        "effect_ids",
        "video_mention_list",
        "is_stem_verified",
        "hashtag_info_list",
        "sticker_info_list",
        "effect_info_list",
        "video_label",
        "video_tag",
    }
)
COMMENT_FIELDS = frozenset({"id", "video_id", "text", "like_count", "reply_count", "parent_comment_id", "create_time"})
USER_FIELDS = frozenset(
    {
        "display_name",
        "bio_description",
        "avatar_url",
        "is_verified",
        "follower_count",
        "following_count",
        "likes_count",
        "video_count",
    }
)
# A private, deleted or unknown account: the documented invalid_params envelope (RESEARCH_API.md names no
# user-specific code), so a client must treat a 400 on user info as "this user only".
USER_UNAVAILABLE = "The user account is private, deleted or does not exist"
QUERY_FIELDS = {
    "create_date",
    "username",
    "region_code",
    "video_id",
    "hashtag_name",
    "keyword",
    "music_id",
    "effect_id",
}
OPERATIONS = {"EQ", "IN", "GT", "GTE", "LT", "LTE"}
COMMENT_LIMIT = 1000
HTML_504 = (
    "<html><head><title>504 Gateway Time-out</title></head>"
    "<body><center><h1>504 Gateway Time-out</h1></center></body></html>"
)


# --------------------------------------------------------------------------- sample data


def make_video(
    video_id: int | str, day: dt.date, hashtags: Iterable[str], *, hour: int = 12, **fields: Any
) -> dict[str, Any]:
    """A video record as the API returns it, created at ``hour``:00 UTC on ``day``."""
    created = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
    record: dict[str, Any] = {
        "id": int(video_id) if _ascii_digits(video_id) else video_id,
        "create_time": int(created.timestamp()),
        "username": f"creator_{str(video_id)[-4:]}",
        "region_code": "US",
        "video_description": f"video {video_id}",
        "voice_to_text": "",
        "hashtag_names": list(hashtags),
        "view_count": 100,
        "like_count": 10,
        "comment_count": 1,
        "share_count": 0,
        "video_duration": 15,
    }
    record.update(fields)
    return record


def make_comments(video_id: int, count: int, *, first_id: int = 7_100_000_000_000_000_000) -> list[dict[str, Any]]:
    """``count`` top-level comments of a video, with ids above 2^53."""
    return [
        {
            "id": first_id + n,
            "video_id": int(video_id),
            "text": f"comment {n}",
            "like_count": n % 7,
            "reply_count": 0,
            "parent_comment_id": int(video_id),
            "create_time": 1_714_564_800 + n,
        }
        for n in range(count)
    ]


# --------------------------------------------------------------------------- recording and faults


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int  # what the server answered

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    @property
    def fields(self) -> list[str]:
        raw = self.query.get("fields", [""])[-1]
        return [f for f in raw.split(",") if f]


@dataclass
class Fault:
    """A scripted failure: answers the (skip+1)-th matching request, ``times`` times in a row."""

    path: str
    status: int
    code: str | None
    message: str
    skip: int = 0
    times: int = 1
    body: str | bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _Problem(Exception):
    """An API error answer; raised inside handlers, turned into the error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --------------------------------------------------------------------------- the server


class FakeResearchApi:
    """In-memory Research API over real HTTP. Thread-safe; start with ``with`` or :meth:`start`."""

    def __init__(
        self,
        *,
        client_key: str = "test-client-key",
        client_secret: str = "test-client-secret",
        token_lifetime_s: int = 7200,
        end_date_inclusive: bool = True,
        daily_request_limit: int | None = None,
    ) -> None:
        self.client_key = client_key
        self.client_secret = client_secret
        self.token_lifetime_s = token_lifetime_s
        self.end_date_inclusive = end_date_inclusive
        self.daily_request_limit = daily_request_limit
        self.videos: list[dict[str, Any]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.media: dict[str, bytes] = {}
        self.users: dict[str, dict[str, Any]] = {}  # username -> profile (a RAW_KEY stand-in for hostile ones)
        self.private_users: set[str] = set()
        self._raw: dict[str, bytes] = {}  # placeholder -> raw JSON text served in its place
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._searches: dict[str, list[dict[str, Any]]] = {}  # search_id -> result snapshot
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._requests_today = 0
        self._log_ids = itertools.count(1)
        self._search_ids = itertools.count(7_300_000_000_000_000_001)
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeResearchApi:
        handler = type("Handler", (_Handler,), {"api": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-research-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeResearchApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake Research API is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ----------------------------------------------------------------- data

    def add_videos(self, *records: Mapping[str, Any]) -> None:
        with self._lock:
            self.videos.extend(dict(r) for r in records)

    def add_comments(self, video_id: int | str, records: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self.comments.setdefault(str(video_id), []).extend(dict(r) for r in records)

    def add_user(self, username: str, profile: Mapping[str, Any], *, private: bool = False) -> None:
        """A profile the user-info endpoint serves; ``private``: refused like a private or deleted account."""
        with self._lock:
            self.users[username] = dict(profile)
            if private:
                self.private_users.add(username)

    def raw(self, text: str, **searchable: Any) -> dict[str, Any]:
        """A stand-in record that pages serve as ``text``, verbatim: add it with :meth:`add_videos` or
        :meth:`add_comments`. The search matches ``searchable`` (e.g. ``**make_video(...)``), never the text."""
        with self._lock:
            placeholder = f"__raw_record_{len(self._raw)}__"
            self._raw[json.dumps(placeholder)] = text.encode("utf-8")
        return {**searchable, RAW_KEY: placeholder}

    def add_media(self, name: str, content: bytes) -> str:
        """Serve ``content`` at ``/media/<name>`` and return its URL."""
        with self._lock:
            self.media[name] = content
        return f"{self.base_url}{MEDIA_PREFIX}{name}"

    # ----------------------------------------------------------------- scripting

    def fail_next(
        self,
        path: str,
        status: int,
        code: str | None = None,
        message: str = "",
        *,
        skip: int = 0,
        times: int = 1,
        body: str | bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next request(s) to ``path`` with an error instead of serving them.

        With ``body`` the raw body is sent as is (e.g. :data:`HTML_504`); otherwise the
        standard error envelope with ``code`` and ``message``. ``{search_id}`` in the
        message is replaced with the request's search id.
        """
        with self._lock:
            self._faults.append(
                Fault(path, status, code, message, skip, times, body, content_type, dict(headers or {}))
            )

    def expire_tokens(self) -> None:
        """Every issued token becomes invalid (as when TikTok revokes them early)."""
        with self._lock:
            self._tokens.clear()

    def expire_search_ids(self) -> None:
        with self._lock:
            self._searches.clear()

    def reset_quota(self) -> None:
        """What 00:00 UTC does."""
        with self._lock:
            self._requests_today = 0

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    # ----------------------------------------------------------------- request handling

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, headers, body). Called from the handler threads."""
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        log_id = f"20240501{next(self._log_ids):012d}"
        status, extra, payload = self._answer(method, path, query, headers, body, log_id)
        extra = {"X-Tt-Logid": log_id, **extra}
        with self._lock:
            self._requests.append(RecordedRequest(method, path, query, dict(headers), body, status))
        return status, extra, payload

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str], body: bytes, log_id: str
    ) -> tuple[int, dict[str, str], bytes]:
        fault = self._take_fault(path)
        if fault is not None:
            return _fault_answer(fault, body, log_id)
        if method == "GET" and path.startswith(MEDIA_PREFIX):
            content = self.media.get(path[len(MEDIA_PREFIX) :])
            if content is None:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            return 200, {"Content-Type": "video/mp4"}, content
        if method != "POST":
            return _envelope(405, None, "invalid_params", f"{method} is not allowed; use POST", log_id)
        if path == TOKEN_PATH:
            return self._token(headers, body, log_id)
        routes = {
            VIDEO_QUERY_PATH: (self._video_query, VIDEO_FIELDS),
            COMMENT_LIST_PATH: (self._comment_list, COMMENT_FIELDS),
            USER_INFO_PATH: (self._user_info, USER_FIELDS),
        }
        if path not in routes:
            return _envelope(404, None, "invalid_params", f"no endpoint {path}", log_id)
        serve, allowed = routes[path]
        try:
            self._authorize(headers)
            self._count_quota()
            fields = _requested_fields(query, allowed)
            request = _json_body(headers, body)
            data = serve(request, fields)
        except _Problem as problem:
            return _envelope(problem.status, None, problem.code, problem.message, log_id)
        status, extra, payload = _envelope(200, data, "ok", "", log_id)
        with self._lock:
            for placeholder, text in self._raw.items():
                payload = payload.replace(placeholder.encode("utf-8"), text)
        return status, extra, payload

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path != path:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _token(self, headers: Mapping[str, str], body: bytes, log_id: str) -> tuple[int, dict[str, str], bytes]:
        def refuse(status: int, error: str, description: str) -> tuple[int, dict[str, str], bytes]:
            payload = {"error": error, "error_description": description, "log_id": log_id}
            return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

        if "application/x-www-form-urlencoded" not in headers.get("content-type", ""):
            return refuse(400, "invalid_request", "the token request must be form-encoded")
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
        if form.get("grant_type") != "client_credentials":
            return refuse(400, "invalid_request", "grant_type must be client_credentials")
        if form.get("client_key") != self.client_key or form.get("client_secret") != self.client_secret:
            return refuse(401, "invalid_client", "client key or secret is wrong")
        token = "clt." + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime_s
        payload = {"access_token": token, "expires_in": self.token_lifetime_s, "token_type": "Bearer"}
        return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _authorize(self, headers: Mapping[str, str]) -> None:
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None or time.monotonic() >= expiry:
            raise _Problem(401, "access_token_invalid", "The access token is invalid or not found in the request.")

    def _count_quota(self) -> None:
        with self._lock:
            if self.daily_request_limit is not None and self._requests_today >= self.daily_request_limit:
                raise _Problem(429, "daily_quota_limit_exceeded", "API daily quota limit exceeded")
            self._requests_today += 1

    # ----------------------------------------------------------------- video query

    def _video_query(self, request: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        max_count = _int_param(request, "max_count", 20, low=1, high=100)
        cursor = _int_param(request, "cursor", 0, low=0, high=None)
        start, end = self._date_range(request)
        search_id = request.get("search_id")
        if search_id not in (None, ""):
            with self._lock:
                results = self._searches.get(str(search_id))
            if results is None:
                raise _Problem(400, "invalid_params", f"Search Id {search_id} is invalid or expired")
        else:
            query = request.get("query")
            results = self._search(query, start, end)
            search_id = str(next(self._search_ids))
            with self._lock:
                self._searches[search_id] = results
        page = results[cursor : cursor + max_count]
        return {
            "videos": [_project(v, fields) for v in page],
            "cursor": cursor + len(page),
            "has_more": cursor + len(page) < len(results),
            "search_id": str(search_id),
        }

    def _date_range(self, request: Mapping[str, Any]) -> tuple[str, str]:
        start, end = _date_param(request, "start_date"), _date_param(request, "end_date")
        span = (_as_date(end) - _as_date(start)).days
        if span < (0 if self.end_date_inclusive else 1):
            raise _Problem(400, "invalid_params", "end_date must be after start_date")
        if span > 30:
            raise _Problem(400, "invalid_params", "end_date must be no more than 30 days after start_date")
        return start, end

    def _search(self, query: Any, start: str, end: str) -> list[dict[str, Any]]:
        if not isinstance(query, dict) or not any(query.get(k) for k in ("and", "or", "not")):
            raise _Problem(400, "invalid_params", "query must have at least one of and/or/not")
        conditions = {k: _conditions(query.get(k)) for k in ("and", "or", "not")}
        with self._lock:
            videos = list(self.videos)
        found = []
        for video in videos:
            day = _create_date(video)
            if day is None or day < start or (day > end if self.end_date_inclusive else day >= end):
                continue
            if conditions["and"] and not all(_matches(video, c) for c in conditions["and"]):
                continue
            if conditions["or"] and not any(_matches(video, c) for c in conditions["or"]):
                continue
            if any(_matches(video, c) for c in conditions["not"]):
                continue
            found.append(video)
        # Descending id order, as the API returns without is_random.
        return sorted(found, key=lambda v: int(v["id"]) if _ascii_digits(v.get("id")) else -1, reverse=True)

    # ----------------------------------------------------------------- comments

    def _comment_list(self, request: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        video_id = request.get("video_id")
        if video_id is None or isinstance(video_id, (bool, float)) or not _ascii_digits(video_id):
            raise _Problem(400, "invalid_params", "video_id must be an integer id")
        max_count = _int_param(request, "max_count", 10, low=1, high=100)
        cursor = _int_param(request, "cursor", 0, low=0, high=None)
        if cursor + max_count > COMMENT_LIMIT:
            raise _Problem(400, "invalid_params", "Invalid count or cursor")
        with self._lock:
            comments = list(self.comments.get(str(video_id), []))
        page = comments[cursor : cursor + max_count]
        return {
            "comments": [_project(c, fields) for c in page],
            "cursor": cursor + len(page),
            # Like the real API, has_more says whether more exist, even beyond what is reachable.
            "has_more": cursor + len(page) < len(comments),
        }

    # ----------------------------------------------------------------- user info

    def _user_info(self, request: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        username = request.get("username")
        if not isinstance(username, str) or not username:
            raise _Problem(400, "invalid_params", "username must be a non-empty string")
        with self._lock:
            profile = self.users.get(username)
            private = username in self.private_users
        if profile is None or private:
            raise _Problem(400, "invalid_params", USER_UNAVAILABLE)
        return _project(profile, fields)


class _Handler(BaseHTTPRequestHandler):
    api: FakeResearchApi
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its load balancer
    disable_nagle_algorithm = True  # headers and body are written separately: no 40 ms delayed-ACK stalls

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = self.api.handle(method, self.path, headers, body)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return


# --------------------------------------------------------------------------- helpers


def _envelope(status: int, data: Any, code: str, message: str, log_id: str) -> tuple[int, dict[str, str], bytes]:
    payload = {"data": data if data is not None else {}, "error": {"code": code, "message": message, "log_id": log_id}}
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode("utf-8")


def _fault_answer(fault: Fault, request_body: bytes, log_id: str) -> tuple[int, dict[str, str], bytes]:
    headers = dict(fault.headers)
    if fault.body is not None:
        headers.setdefault("Content-Type", fault.content_type or "text/html")
        payload = fault.body.encode("utf-8") if isinstance(fault.body, str) else fault.body
        return fault.status, headers, payload
    try:
        search_id = (json.loads(request_body) or {}).get("search_id", "")
    except (ValueError, AttributeError):
        search_id = ""
    message = fault.message.replace("{search_id}", str(search_id))
    status, base_headers, payload = _envelope(fault.status, None, fault.code or "internal_error", message, log_id)
    return status, {**base_headers, **headers}, payload


def _json_body(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    if "application/json" not in headers.get("content-type", ""):
        raise _Problem(400, "invalid_params", "the request body must be JSON (Content-Type: application/json)")
    try:
        request = json.loads(body)
    except ValueError as exc:
        raise _Problem(400, "invalid_params", f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(request, dict):
        raise _Problem(400, "invalid_params", "the request body must be a JSON object")
    return request


def _requested_fields(query: Mapping[str, list[str]], allowed: frozenset[str]) -> list[str]:
    fields = [f for f in ",".join(query.get("fields", [])).split(",") if f]
    if not fields:
        raise _Problem(400, "invalid_params", "the fields parameter is required")
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise _Problem(400, "invalid_params", f"invalid fields: {','.join(unknown)}")
    return fields


def _int_param(request: Mapping[str, Any], name: str, default: int, *, low: int, high: int | None) -> int:
    value = request.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise _Problem(400, "invalid_params", f"{name} {value!r} is out of range")
    return value


def _date_param(request: Mapping[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or len(value) != 8 or not value.isdigit():
        raise _Problem(400, "invalid_params", f"{name} must be YYYYMMDD, got {value!r}")
    try:
        _as_date(value)
    except ValueError as exc:
        raise _Problem(400, "invalid_params", f"{name} {value!r} is not a date") from exc
    return value


def _as_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def _create_date(video: Mapping[str, Any]) -> str | None:
    created = video.get("create_time")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return None
    return dt.datetime.fromtimestamp(created, tz=dt.UTC).strftime("%Y%m%d")


def _conditions(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _Problem(400, "invalid_params", "query conditions must be lists")
    for condition in raw:
        if not isinstance(condition, dict):
            raise _Problem(400, "invalid_params", "each condition must be an object")
        if condition.get("field_name") not in QUERY_FIELDS:
            raise _Problem(400, "invalid_params", f"unsupported field_name {condition.get('field_name')!r}")
        if condition.get("operation") not in OPERATIONS:
            raise _Problem(400, "invalid_params", f"unsupported operation {condition.get('operation')!r}")
        values = condition.get("field_values")
        if not isinstance(values, list) or not values:
            raise _Problem(400, "invalid_params", "field_values must be a non-empty list")
    return raw


def _matches(video: Mapping[str, Any], condition: Mapping[str, Any]) -> bool:
    name, operation = condition["field_name"], condition["operation"]
    wanted = [str(v).casefold() for v in condition["field_values"]]
    if name == "hashtag_name":
        have = [str(h).casefold() for h in video.get("hashtag_names") or []]
    elif name == "keyword":
        text = str(video.get("video_description") or "").casefold()
        return any(w in text for w in wanted)
    elif name == "create_date":
        have = [_create_date(video) or ""]
    elif name == "video_id":
        have = [str(video.get("id"))]
    else:
        have = [str(video.get(name) or "").casefold()]
    if operation in ("EQ", "IN"):
        return any(h in wanted for h in have)
    compare = {"GT": str.__gt__, "GTE": str.__ge__, "LT": str.__lt__, "LTE": str.__le__}[operation]
    return any(compare(h, wanted[0]) for h in have)


def _project(record: Mapping[str, Any], fields: list[str]) -> Any:
    """Only the requested fields, as the API does; a raw stand-in is served as its text."""
    if RAW_KEY in record:
        return record[RAW_KEY]
    return {f: record[f] for f in fields if f in record}


def _ascii_digits(value: Any) -> bool:
    """str.isdigit accepts '²' and '١٢٣', which int() then refuses or misreads."""
    text = str(value)
    return text.isascii() and text.isdigit()
