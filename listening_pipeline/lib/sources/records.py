"""Source records checked field by field against the declared tables, and JSON read without surprises.

Both sources speak the Research API's field names (``id``, ``username``, ``create_time``,
``video_description``, ``hashtag_names``...). Each field a record maps to is checked against the
column declared for it in ``warehouse/tables.py`` (dtype, ``ranges``, ``not_null``), so the
warehouse table is the one schema; a record with any field that does not fit raises
:class:`RecordError` naming every such field and why, and the source quarantines that record
while every other record lands. The rules, by declared column type:

* **ids** (``String`` columns named ``*_id``): a JSON integer or text of ASCII digits, at most 20
  of them (unsigned 64-bit). ``'²'`` or ``'١٢٣'`` (which ``str.isdigit`` accepts), ``-1``, ``1.5``
  and ``true`` are refused. Ids stay text: the platform's ids exceed float precision.
* **text** (``String``): JSON text or null. NUL bytes are removed (PostgreSQL refuses them) and
  lone surrogates (``"\\ud800"``, half an emoji cut by a UTF-16 truncation) become U+FFFD, so the
  text can be encoded to UTF-8; the rest of the record is kept. A number, list or object is refused.
* **counts** (``Int64``): a JSON integer (not a boolean, not a float) inside the column's declared
  range and inside Int64: ``2**70`` views is refused, not clamped and not nulled.
* **numbers** (``Float64``): a finite JSON number inside the declared range: NaN and Infinity
  (which Python's ``json`` accepts) are refused.
* **times** (``Datetime``): epoch seconds, finite, from 2000-01-01 up to (not including) 2100-01-01.
* **lists of text** (``List(String)``): a JSON array of text; a number, or a bare string (which
  would otherwise be read letter by letter), is refused. Hashtags that cannot become a partition
  key are skipped, not refused: they are still no reason to drop the video.
* **lists of ids** (``List(String)`` named ``*_ids``): a JSON array of ids, each checked as an id.
* **flags** (``Boolean``): JSON ``true`` or ``false``; ``"true"``, ``1`` and ``"yes"`` are refused.
* **JSON** (``String`` named ``*_json``): an object or array whose shape the platform does not fix
  (stickers, effects, labels), kept whole as compact JSON text with sorted keys; a bare number or
  text is refused, and so is more than :data:`MAX_JSON_CHARS` characters of it.
* a value nested deeper than :data:`MAX_DEPTH` levels, or an integer of more than
  :data:`MAX_INT_DIGITS` digits, is refused for the field that holds it; :func:`load_json` reads such
  input without the ``RecursionError``/``ValueError`` the standard parser raises, so one record
  never stops a file or a page.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag
from listening_pipeline.warehouse.tables import COMMENTS, VIDEOS, Table

MAX_DEPTH = 32  # deeper JSON values are replaced by a marker before parsing (records sit at depth 1..4)
MAX_INT_DIGITS = 100  # longer integers are read as a marker, never converted
MAX_ID_DIGITS = 20  # 2**64 - 1 has 20 digits
MAX_JSON_CHARS = 20_000  # a *_json field longer than this is refused (stickers and effects are a few hundred)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TIME_MIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
TIME_MAX = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

_TOO_DEEP_KEY = "__listening_pipeline_nested_too_deep__"
_TOO_DEEP_JSON = json.dumps({_TOO_DEEP_KEY: MAX_DEPTH})
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_ASCII_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")
_SURROGATES = re.compile("[\ud800-\udfff]")

# Record field each column is read from; the columns' types, ranges and required-ness come from the tables.
VIDEO_FIELDS: dict[str, str] = {
    "video_id": "id",
    "creator": "username",
    "created_at": "create_time",
    "description": "video_description",
    "hashtags": "hashtag_names",
    "region": "region_code",
    "view_count": "view_count",
    "like_count": "like_count",
    "comment_count": "comment_count",
    "share_count": "share_count",
    "duration_s": "video_duration",
    "voice_to_text": "voice_to_text",
    "music_id": "music_id",
    "effect_ids": "effect_ids",
    "playlist_id": "playlist_id",
    "favorites_count": "favorites_count",
    "is_stem_verified": "is_stem_verified",
    "mentioned_users": "video_mention_list",
    "hashtag_info_json": "hashtag_info_list",
    "sticker_info_json": "sticker_info_list",
    "effect_info_json": "effect_info_list",
    "video_label_json": "video_label",
    "video_tag_json": "video_tag",
}
COMMENT_FIELDS: dict[str, str] = {
    "comment_id": "id",
    "video_id": "video_id",
    "parent_comment_id": "parent_comment_id",
    "text": "text",
    "like_count": "like_count",
    "reply_count": "reply_count",
    "created_at": "create_time",
}


class RecordError(ValueError):
    """A record that cannot become a row; the message says which field(s) and why."""


class FieldError(ValueError):
    """One field that does not fit its column."""


class HugeInteger:
    """An integer literal too long to convert (Python refuses above 4,300 digits); always refused."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<integer of {len(self.digits.lstrip('-'))} digits>"

    __str__ = __repr__


# --------------------------------------------------------------------------- reading JSON


def load_json(text: str | bytes) -> Any:
    """``json.loads``, except that hostile input still parses: values nested deeper than
    :data:`MAX_DEPTH` become a marker the field checks refuse (no ``RecursionError`` here or later,
    when a record is shown or hashed), and integers of more than :data:`MAX_INT_DIGITS` digits become
    :class:`HugeInteger` (not the ``ValueError`` Python raises above 4,300 digits). Raises
    ``json.JSONDecodeError`` or ``UnicodeDecodeError`` (both ``ValueError``) only for input that is
    not JSON text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    if text.count("[") + text.count("{") > MAX_DEPTH:  # else it cannot nest too deep: skip the scan
        text = _cut_deep_values(text)
    try:
        return json.loads(text)  # integers stay exact ints
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long to convert
        return json.loads(text, parse_int=_int_or_huge)


def _int_or_huge(digits: str) -> int | HugeInteger:
    return HugeInteger(digits) if len(digits) > MAX_INT_DIGITS else int(digits)


def _cut_deep_values(text: str) -> str:
    """``text`` with every array or object that opens deeper than MAX_DEPTH replaced by a marker."""
    parts: list[str] = []
    depth, cut_from, kept_until = 0, -1, 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth == MAX_DEPTH + 1 and cut_from < 0:
                cut_from = match.start()
        else:
            if depth == MAX_DEPTH + 1 and cut_from >= 0:
                parts += [text[kept_until:cut_from], _TOO_DEEP_JSON]
                kept_until, cut_from = match.end(), -1
            depth -= 1
    if cut_from >= 0:  # never closed: keep the marker, the parser then reports the missing brackets
        parts += [text[kept_until:cut_from], _TOO_DEEP_JSON]
        kept_until = len(text)
    parts.append(text[kept_until:])
    return "".join(parts)


def too_deep(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` holds a part :func:`load_json` cut for nesting too deep."""
    if isinstance(value, dict):
        return _TOO_DEEP_KEY in value or (depth < MAX_DEPTH and any(too_deep(v, depth + 1) for v in value.values()))
    if isinstance(value, list):
        return depth < MAX_DEPTH and any(too_deep(v, depth + 1) for v in value)
    return False


# --------------------------------------------------------------------------- values


def clean_text(value: Any) -> str | None:
    """Text that UTF-8 and PostgreSQL accept: NUL bytes removed, lone surrogates replaced by U+FFFD."""
    if value is None:
        return None
    return _SURROGATES.sub("\ufffd", str(value).replace("\x00", ""))


def shown(value: Any, limit: int = 60) -> str:
    """A value as a reason quotes it: repr (which escapes surrogates and control characters), shortened."""
    if too_deep(value):
        return f"<JSON nested deeper than {MAX_DEPTH} levels>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, HugeInteger):
        return repr(value)
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_id(value: Any, field_name: str) -> str:
    """An id as exact text of ASCII digits, or :class:`RecordError` naming the field."""
    try:
        return _id(value)
    except FieldError as exc:
        raise RecordError(f"{field_name} {shown(value)}: {exc}") from None


def _id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise FieldError("is missing" if value is None else "is a boolean, not an id")
    if isinstance(value, float):
        raise FieldError("is a float and may have lost precision")
    if isinstance(value, int) or isinstance(value, str):
        text = str(value).strip()
        if _ASCII_ID.fullmatch(text):
            return text
        raise FieldError(f"is not a numeric id (1 to {MAX_ID_DIGITS} ASCII digits)")
    raise FieldError(f"is {_kind(value)}, not an id")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(f"expected text, got {_kind(value)}")
    return clean_text(value) or ""


def _in_range(value: float, bounds: tuple[float | None, float | None] | None) -> None:
    low, high = bounds or (None, None)
    if low is not None and value < low:
        raise FieldError(f"is below the allowed minimum {low:g}")
    if high is not None and value > high:
        raise FieldError(f"is above the allowed maximum {high:g}")


def _integer(value: Any, bounds: tuple[float | None, float | None] | None) -> int:
    if isinstance(value, HugeInteger):
        raise FieldError("does not fit a 64-bit integer")
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"expected an integer, got {_kind(value)}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise FieldError("does not fit a 64-bit integer")
    _in_range(value, bounds)
    return value


def _number(value: Any, bounds: tuple[float | None, float | None] | None) -> float:
    if isinstance(value, HugeInteger):
        raise FieldError("is not a finite number")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"expected a number, got {_kind(value)}")
    number = float(value) if not isinstance(value, int) or abs(value) < 2**1000 else math.inf
    if not math.isfinite(number):
        raise FieldError("is not a finite number")
    _in_range(number, bounds)
    return number


def _time(value: Any) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"expected epoch seconds, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError("is not a finite number of epoch seconds")
    if not TIME_MIN.timestamp() <= value < TIME_MAX.timestamp():
        raise FieldError(f"is out of range ({TIME_MIN.year}-01-01 to {TIME_MAX.year}-01-01 UTC)")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _text_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldError(f"expected a list of text, got {_kind(value)}")
    bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
    if bad:
        raise FieldError(f"item {bad[0]} is {_kind(value[bad[0]])}, expected text")
    return [clean_text(item) or "" for item in value]


def _id_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldError(f"expected a list of ids, got {_kind(value)}")
    ids = []
    for i, item in enumerate(value):
        try:
            ids.append(_id(item))
        except FieldError as exc:
            raise FieldError(f"item {i} {shown(item)} {exc}") from None
    return ids


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"expected true or false, got {_kind(value)}")
    return value


def _json_text(value: Any) -> str:
    if not isinstance(value, (dict, list)):
        raise FieldError(f"expected a JSON object or array, got {_kind(value)}")
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # NaN or Infinity inside, which JSON does not allow
        raise FieldError(f"holds a value JSON cannot carry ({exc})") from None
    except TypeError:  # a HugeInteger marker inside
        raise FieldError("holds an integer too long to read") from None
    if len(text) > MAX_JSON_CHARS:
        raise FieldError(f"is {len(text):,} characters of JSON, more than {MAX_JSON_CHARS:,}")
    return clean_text(text) or ""


def _checker(table: Table, column: str) -> Callable[[Any], Any]:
    """How a record value becomes this column's value, from the column's declared type and range."""
    dtype, bounds = table.schema[column], table.ranges.get(column)
    if dtype == pl.String() and column.endswith("_id"):
        return _id
    if dtype == pl.String() and column.endswith("_json"):
        return _json_text
    if dtype == pl.List(pl.String()) and column.endswith("_ids"):
        return _id_list
    if dtype == pl.Boolean():
        return _flag
    if dtype == pl.String():
        return _text
    if dtype == pl.Int64():
        return lambda v: _integer(v, bounds)
    if dtype == pl.Float64():
        return lambda v: _number(v, bounds)
    if isinstance(dtype, pl.Datetime):
        return _time
    if dtype == pl.List(pl.String()):
        return _text_list
    raise TypeError(f"table {table.name}: no record check for column {column} of type {dtype}")


def parse_fields(table: Table, fields: Mapping[str, str], record: Any) -> dict[str, Any]:
    """The columns ``fields`` maps from ``record``, each checked against ``table``; or :class:`RecordError`
    naming every field that does not fit (``id '²': is not a numeric id...; view_count 2**70: ...``)."""
    if not isinstance(record, Mapping):
        raise RecordError(f"record is {_kind(record)}, not a JSON object")
    values: dict[str, Any] = {}
    problems: list[str] = []
    for column, name in fields.items():
        value = record.get(name)
        if value is None:
            if column in table.not_null:
                problems.append(f"{name} is missing")
            values[column] = None
            continue
        if too_deep(value):
            problems.append(f"{name}: JSON nested deeper than {MAX_DEPTH} levels")
            continue
        try:
            values[column] = _checker(table, column)(value)
        except FieldError as exc:
            problems.append(f"{name} {shown(value)}: {exc}")
    if problems:
        raise RecordError("; ".join(problems))
    return values


# --------------------------------------------------------------------------- rows


def video_row(record: Any, *, hashtag: str, day: dt.date, source: str) -> dict[str, Any]:
    """One VIDEOS row (media columns empty) from an API-shaped record, or :class:`RecordError`."""
    row = parse_fields(VIDEOS, VIDEO_FIELDS, record)
    tags: list[str] = []
    for raw in row["hashtags"] or []:
        try:
            tags.append(normalize_hashtag(raw))
        except InvalidHashtag:
            continue  # a platform hashtag we cannot key on is still not a reason to drop the video
    row["hashtags"] = list(dict.fromkeys(tags))
    from listening_pipeline.lib.sources.platform_text import effect_names, sticker_texts  # it reads clean_text

    row["effect_names"] = effect_names(row["effect_ids"], record.get("effect_info_list"))
    row["sticker_texts"] = sticker_texts(record.get("sticker_info_list"))
    return {"hashtag": hashtag, "day": day, "source": source, **row, "media_uri": None, "media_error": None}


def comment_row(record: Any, *, hashtag: str, day: dt.date) -> dict[str, Any]:
    """One COMMENTS row; a comment without a parent is a top-level comment (parent = its video)."""
    row = parse_fields(COMMENTS, COMMENT_FIELDS, record)
    if row["parent_comment_id"] is None:
        row["parent_comment_id"] = row["video_id"]
    return {"hashtag": hashtag, "day": day, **row}
