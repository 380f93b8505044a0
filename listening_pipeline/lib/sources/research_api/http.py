"""One HTTP answer of the Research API, decoded; which answers are worth retrying; error messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.lib.sources.base import scrub_urls
from listening_pipeline.lib.sources.records import load_json


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, decoded as far as it can be."""

    status: int
    body: Any  # parsed JSON, or None when the body is not JSON
    text: str  # the start of the raw body, for error messages
    log_id: str | None
    code: str | None
    message: str
    retry_after: float | None


def decode_answer(response: requests.Response) -> Answer:
    """Read status, error envelope, log id and Retry-After from any answer, JSON or not."""
    raw = response.content or b""
    body = _json_body(raw) if raw else None
    text = " ".join(raw[:300].decode("utf-8", "replace").split())
    error = body.get("error") if isinstance(body, dict) else None
    code = message = log_id = None
    if isinstance(error, dict):
        code, message, log_id = error.get("code"), error.get("message"), error.get("log_id")
    elif isinstance(error, str) and isinstance(body, dict):  # the OAuth endpoint's shape
        code, message, log_id = error, body.get("error_description"), body.get("log_id")
    log_id = log_id or response.headers.get("X-Tt-Logid")
    return Answer(
        status=response.status_code,
        body=body,
        text=text,
        log_id=None if log_id is None else str(log_id),
        code=None if code is None else str(code),
        message="" if message is None else str(message),
        retry_after=retry_after_s(response.headers.get("Retry-After")),
    )


def _json_body(raw: bytes) -> Any:
    """The body as JSON, or None. Integers stay exact ints (stdlib json); one hostile record (nested
    10,000 deep, a 5,000-digit number, a stray non-UTF-8 byte) does not make the whole page unreadable:
    :func:`load_json` marks what the record checks then refuse, bad bytes become U+FFFD."""
    try:
        return load_json(raw)
    except UnicodeDecodeError:
        pass
    except ValueError:
        return None
    try:
        return load_json(raw.decode("utf-8", "replace"))
    except ValueError:
        return None


def token_failure(answer: Answer, body: Mapping[str, Any]) -> Answer:
    """A 200 without a token is still a failure; keep its status so it is not retried forever."""
    if answer.status == 200:
        return Answer(
            200,
            body,
            answer.text,
            answer.log_id,
            answer.code or "no_access_token",
            answer.message or "the answer carries no access_token",
            None,
        )
    return answer


def is_transient(answer: Answer) -> bool:
    """Worth retrying: network failures, rate limits, 5xx, internal errors and unreadable 200s."""
    if answer.status == 0 or answer.status == 429 or answer.status >= 500:
        return True
    if answer.code in ("rate_limit_exceeded", "internal_error"):
        return True  # whatever HTTP status carried them
    return answer.status == 200 and not isinstance(answer.body, dict)


def describe_failure(path: str, answer: Answer, what: str) -> str:
    """'TikTok Research API <endpoint>: <what>: HTTP <status>, <code>: <message> (log_id <id>)'."""
    if answer.status == 0:
        return f"TikTok Research API {path}: {what}: no HTTP answer, {scrub_urls(answer.text)}"
    if answer.code:
        detail = f"{answer.code}: {answer.message}" if answer.message else answer.code
    elif answer.text:
        detail = f"non-JSON body {answer.text[:160]!r}"
    else:
        detail = "empty body"
    return f"TikTok Research API {path}: {what}: HTTP {answer.status}, {detail} (log_id {answer.log_id or 'none'})"


def error_fields(path: str, answer: Answer) -> dict[str, Any]:
    return {"endpoint": path, "status": answer.status or None, "code": answer.code, "log_id": answer.log_id}
