"""Poison manifest: a folder export where one line in five is hostile lands every good record,
quarantines each bad one with its line, field and reason, and the collect run succeeds.

Runs the real ``collect_job`` (videos, comments) for one hashtag x day on the session's Dagster
instance and warehouse, with the source pointed at a folder export written here, then reads
``raw.videos``, ``raw.comments`` and ``raw.quarantine`` as a BI tool would.

The rules per hostile value (``lib/sources/records.py``): a field that does not fit its declared
column (wrong type, 2**70, NaN/Infinity, negative count, time out of range, non-ASCII-digit id,
JSON nested too deep, a 5,000-digit number) quarantines its record; NUL bytes are stripped and lone
surrogates become U+FFFD, and the record lands.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from listening_pipeline.partitions import hashtag_partitions, partition_key

HASHTAG = "poisonmanifest"
DAY = dt.date(2025, 3, 4)
NOON = int(dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC).timestamp())
FIRST_ID = 7_300_000_000_000_000_000
DEEP = "[" * 10_000 + "]" * 10_000  # json.loads raises RecursionError on this


def _video(n: int, **fields) -> dict:
    record = {
        "id": FIRST_ID + n,
        "create_time": NOON + n,
        "username": f"creator_{n}",
        "region_code": "US",
        "video_description": f"good video {n}",
        "hashtag_names": [HASHTAG, "fyp"],
        "view_count": 1000 + n,
        "like_count": 10,
        "comment_count": 1,
        "share_count": 0,
        "video_duration": 15.5,
    }
    record.update(fields)
    return record


def _line(record: dict, **raw_fields: str) -> str:
    """A JSON line; ``raw_fields`` are spliced in as raw JSON text (NaN, deep nesting, huge numbers)."""
    text = json.dumps({k: v for k, v in record.items() if k not in raw_fields})
    for name, raw in raw_fields.items():
        text = text[:-1] + f', "{name}": {raw}}}'
    return text


# Hostile video lines: (line text, field the reason must name). Each is quarantined.
HOSTILE_VIDEOS: list[tuple[str, str]] = [
    (_line(_video(900, hashtag_names=5)), "hashtag_names"),
    (_line(_video(901, hashtag_names=HASHTAG)), "hashtag_names"),  # a string, not a list
    (_line(_video(902, view_count=2**70)), "view_count"),  # does not fit Int64
    (_line(_video(903), view_count="1" * 5000), "view_count"),  # json refuses to convert it
    (_line(_video(904), video_duration="NaN"), "video_duration"),
    (_line(_video(905), like_count="Infinity"), "like_count"),
    (_line(_video(906), video_description=DEEP), "video_description"),  # RecursionError in json.loads
    (_line(_video(907, username={"name": "a dict where text belongs"})), "username"),
    (_line(_video(908, id="²")), "id"),  # str.isdigit() says True
    (_line(_video(909, id="١٢٣")), "id"),  # Arabic-Indic digits: isdigit() True, not an ASCII id
    (_line(_video(910, comment_count=-3)), "comment_count"),
    (_line(_video(911, create_time=10**12)), "create_time"),  # year 33658
    (_line(_video(912), create_time="1e400"), "create_time"),
    (_line(_video(913, video_duration=float("nan"))), "video_duration"),  # json.dumps writes NaN
    (_line(_video(914, username={"\ud800": "\x00"})), "username"),  # the raw kept must still be storable
]
# Hostile but repairable: these land, repaired.
REPAIRED_VIDEOS = [
    _line(_video(950, video_description="half an emoji \ud83d here", username="nul\x00user")),
    _line(_video(951), extra_field=DEEP),  # unknown fields are not read: deep nesting there harms nobody
]
# Lines that are not records at all, but name the hashtag: quarantined as lines.
BROKEN_LINES: list[tuple[bytes, str]] = [
    (f'{{"id": {FIRST_ID + 980}, "hashtag_names": ["{HASHTAG}"], "video_descr'.encode(), "JSONDecodeError"),
    (f'{{"id": {FIRST_ID + 981}, "hashtag_names": ["{HASHTAG}"], "x": "\xff"}}'.encode("latin-1"), "UnicodeDecode"),
    (json.dumps([HASHTAG, FIRST_ID + 982]).encode(), "not a JSON object"),
]


def _comment(n: int, video: int, **fields) -> dict:
    record = {
        "id": 7_400_000_000_000_000_000 + n,
        "video_id": FIRST_ID + video,
        "text": f"comment {n}",
        "like_count": 1,
        "reply_count": 0,
        "create_time": NOON + 3600 + n,
    }
    record.update(fields)
    return record


HOSTILE_COMMENTS: list[tuple[str, str]] = [
    (_line(_comment(900, 0, id="²")), "id"),
    (_line(_comment(901, 1, like_count=2**70)), "like_count"),
    (_line(_comment(902, 2, text={"not": "text"})), "text"),
    (_line(_comment(903, 3), reply_count="NaN"), "reply_count"),
    (_line(_comment(904, 4), text=DEEP), "text"),
    (_line(_comment(905, 5, parent_comment_id="١٢٣")), "parent_comment_id"),
    (_line(_comment(906, 6, create_time="yesterday")), "create_time"),
    (_line(_comment(907, 7, reply_count=-1)), "reply_count"),
]


def _write_export(root: Path) -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """Write videos.jsonl and comments.jsonl, one hostile line in five; return what must be
    quarantined ({file:line: field}) and what must land (video ids, comment ids)."""
    good_videos = [_video(n) for n in range(4 * (len(HOSTILE_VIDEOS) + len(BROKEN_LINES)))]
    hostile: list[tuple[bytes, str]] = [(text.encode(), field) for text, field in HOSTILE_VIDEOS] + BROKEN_LINES
    lines: list[bytes] = []
    bad_videos: dict[str, str] = {}
    for n, record in enumerate(good_videos):
        lines.append(json.dumps(record).encode())
        if n % 4 == 3 and hostile:
            raw, field = hostile.pop(0)
            lines.append(raw)
            bad_videos[f"videos.jsonl:{len(lines)}"] = field
    lines += [text.encode() for text in REPAIRED_VIDEOS]
    lines.append(json.dumps(_video(990, create_time=NOON - 86_400 * 3, id="²")).encode())  # another day: not ours
    (root / "videos.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    video_ids = [str(r["id"]) for r in good_videos] + [str(FIRST_ID + 950), str(FIRST_ID + 951)]

    good_comments = [_comment(n, n) for n in range(4 * len(HOSTILE_COMMENTS))]
    comment_lines: list[str] = []
    bad_comments: dict[str, str] = {}
    pending = list(HOSTILE_COMMENTS)
    for n, record in enumerate(good_comments):
        comment_lines.append(json.dumps(record))
        if n % 4 == 3 and pending:
            text, field = pending.pop(0)
            comment_lines.append(text)
            bad_comments[f"comments.jsonl:{len(comment_lines)}"] = field
    (root / "comments.jsonl").write_text("\n".join(comment_lines) + "\n", encoding="utf-8")
    return bad_videos, bad_comments, video_ids, [str(r["id"]) for r in good_comments]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory, instance, warehouse):
    from listening_pipeline.definitions import defs
    from listening_pipeline.defs.resources import SourceResource

    root = tmp_path_factory.mktemp("poison-export")
    expected = _write_export(root)
    instance.add_dynamic_partitions(hashtag_partitions.name, [HASHTAG])
    result = (
        defs()
        .resolve_job_def("collect_job")
        .execute_in_process(
            instance=instance,
            partition_key=partition_key(HASHTAG, DAY),
            resources={"source": SourceResource(kind="folder", folder=str(root))},
            raise_on_error=False,
        )
    )
    return result, expected


def _rows(warehouse, table: str, columns: str):
    return warehouse.query(f"select {columns} from raw.{table} where hashtag = ? and day = ?", [HASHTAG, DAY])


def test_poison_manifest_run_succeeds(poisoned):
    result, _ = poisoned
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized >= {"videos", "comments"}


def test_poison_manifest_every_good_video_and_comment_lands(poisoned, warehouse):
    _, (_, _, video_ids, comment_ids) = poisoned
    videos = _rows(warehouse, "videos", "video_id, description, creator")
    assert sorted(videos["video_id"].to_list()) == sorted(video_ids)
    assert sorted(_rows(warehouse, "comments", "comment_id")["comment_id"].to_list()) == sorted(comment_ids)
    repaired = videos.filter(videos["video_id"] == str(FIRST_ID + 950)).row(0, named=True)
    assert repaired["description"] == "half an emoji \ufffd here" and repaired["creator"] == "nuluser"


@pytest.mark.parametrize("stage", ["videos", "comments"])
def test_poison_manifest_each_bad_line_is_quarantined_with_its_field(poisoned, warehouse, stage):
    _, (bad_videos, bad_comments, _, _) = poisoned
    expected = bad_videos if stage == "videos" else bad_comments
    rows = warehouse.query(
        "select item, reason, raw from raw.quarantine where hashtag = ? and day = ? and stage = ?",
        [HASHTAG, DAY, stage],
    )
    found = {r["item"]: r for r in rows.iter_rows(named=True)}
    assert set(found) == set(expected)  # every bad line, nothing else (the other day's line is not ours)
    for item, field in expected.items():
        assert field in found[item]["reason"], (item, found[item]["reason"])
        assert found[item]["raw"], item


def test_poison_manifest_reasons_say_why(poisoned, warehouse):
    rows = warehouse.query("select reason from raw.quarantine where hashtag = ? and day = ?", [HASHTAG, DAY])
    reasons = "\n".join(rows["reason"].to_list())
    for why in (
        "hashtag_names 5: expected a list of text, got an integer",
        "hashtag_names 'poisonmanifest': expected a list of text, got text",
        "view_count 1180591620717411303424: does not fit a 64-bit integer",
        "view_count <integer of 5000 digits>: does not fit a 64-bit integer",
        "video_duration nan: is not a finite number",
        "like_count inf",
        "video_description: JSON nested deeper than",
        "username {'name': 'a dict where text belongs'}: expected text, got an object",
        "id '²': is not a numeric id",
        "id '١٢٣': is not a numeric id",
        "comment_count -3: is below the allowed minimum 0",
        "create_time 1000000000000: is out of range",
        "create_time inf",
        "parent_comment_id '١٢٣'",
        "create_time 'yesterday': expected epoch seconds, got text",
    ):
        assert why in reasons, why
