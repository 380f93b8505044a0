"""The writer: plan, render every clip, write the manifests (with their malformed lines) and the ground truth,
all in a staging folder renamed over the previous corpus."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from listening_pipeline.catalog import Catalog, load_catalog
from listening_pipeline.lib.sample_data.audio import require_espeak, soundtrack
from listening_pipeline.lib.sample_data.ground_truth import build_ground_truth
from listening_pipeline.lib.sample_data.plan import CorpusPlan, plan_corpus
from listening_pipeline.lib.sample_data.platform import platform_fields
from listening_pipeline.lib.sample_data.spec import SampleDataError
from listening_pipeline.lib.sample_data.video import render_video, write_corrupt_media
from listening_pipeline.lib.sample_data.video_plan import CommentPlan, VideoPlan


def generate_sample_corpus(
    out_dir: Path,
    *,
    seed: int = 7,
    start_day: dt.date = dt.date(2026, 11, 1),
    days: int = 3,
    history_days: int = 14,
    catalog: Catalog | None = None,
) -> Path:
    """Write the sample corpus to ``out_dir`` (replacing a previous one) and return ``out_dir``.

    Built in a sibling temporary folder and renamed into place, so a failed run leaves the
    previous corpus untouched. Refuses to replace a non-empty folder that is not a corpus.
    """
    require_espeak()
    catalog = catalog or load_catalog()
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    plan = plan_corpus(catalog, seed=seed, start_day=start_day, days=days, history_days=history_days)
    logo_files = {b.name: (b.logos[0] if b.logos else None) for b in catalog.brands}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        _write_corpus(plan, catalog, staging, logo_files)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _write_corpus(plan: CorpusPlan, catalog: Catalog, root: Path, logo_files: dict[str, Path | None]) -> None:
    media_dir = root / "media"
    media_dir.mkdir()
    scratch = root / ".scratch"
    scratch.mkdir()
    for video in plan.videos:
        if video.media is None:
            continue
        path = root / video.media
        if video.kind == "corrupt_media":
            write_corrupt_media(path, plan.seed * 1_000_003 + video.number)
            continue
        audio, video.speech_end_s = soundtrack(video, scratch, plan.seed)
        render_video(video, path, audio, logo_files)
    shutil.rmtree(scratch)
    video_lines, comment_lines = _manifest_lines(plan)
    (root / "videos.jsonl").write_text("\n".join(video_lines) + "\n", encoding="utf-8")
    (root / "comments.jsonl").write_text("\n".join(comment_lines) + "\n", encoding="utf-8")
    creators = sorted({v.username for v in plan.videos})
    (root / "creators.jsonl").write_text("\n".join(_jsonl(creator_record(u) for u in creators)) + "\n", "utf-8")
    truth = build_ground_truth(plan, catalog)
    (root / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _check_replaceable(out_dir: Path) -> None:
    if out_dir.is_file():
        raise SampleDataError(f"{out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "ground_truth.json").is_file():
        raise SampleDataError(f"{out_dir} is not empty and holds no sample corpus; refusing to replace it")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished corpus over ``out_dir``; the old one is moved aside, then deleted."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(retired)
    out_dir.rename(retired)
    staging.rename(out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def video_record(video: VideoPlan) -> dict[str, Any]:
    """The folder export's line for one planned video (the Research API's field names)."""
    return {
        "id": video.video_id,
        "username": video.username,
        "create_time": video.create_time,
        "region_code": video.region,
        "video_description": video.description,
        "hashtag_names": video.hashtag_names,
        "view_count": video.view_count,
        "like_count": video.like_count,
        "comment_count": video.comment_count,
        "share_count": video.share_count,
        "video_duration": video.duration_s,
        **platform_fields(video),
        "media": video.media,
    }


def creator_record(username: str) -> dict[str, Any]:
    """The folder export's profile of a creator (the Research API's user-info fields, plus ``username``).

    Derived from a hash of the username, never from the plan's random stream, so the profiles changed
    no other part of the corpus and a creator's profile is the same whatever the seed.
    """
    h = int(hashlib.sha1(username.encode("utf-8")).hexdigest(), 16)
    followers = 500 + h % 250_000
    name = " ".join(part.capitalize() for part in username.replace("_", ".").split(".") if part)
    return {
        "username": username,
        "display_name": name,
        "bio_description": f"{name} | coffee, trails and cold drinks | DM for collabs",
        "avatar_url": f"https://p16.example.invalid/avatar/{h % 10**12}.jpeg",
        "is_verified": followers > 150_000,
        "follower_count": followers,
        "following_count": 20 + (h >> 20) % 900,
        "likes_count": followers * (3 + (h >> 40) % 20),
        "video_count": 10 + (h >> 60) % 400,
    }


def comment_record(comment: CommentPlan, video: VideoPlan) -> dict[str, Any]:
    """The folder export's line for one planned comment (the Research API's field names)."""
    return {
        "id": comment.comment_id,
        "video_id": video.video_id,
        "text": comment.text,
        "like_count": comment.like_count,
        "reply_count": comment.reply_count,
        "parent_comment_id": comment.parent_id,
        "create_time": comment.create_time,
    }


def _jsonl(records: Iterable[dict[str, Any]]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in records]


def _manifest_lines(plan: CorpusPlan) -> tuple[list[str], list[str]]:
    video_lines = _jsonl(video_record(v) for v in plan.videos)
    video_lines.insert(plan.bad_video_line_after, plan.bad_video_line)
    comment_lines = _jsonl(comment_record(c, v) for v in plan.videos for c in v.comments)
    comment_lines.insert(plan.bad_comment_line_after, plan.bad_comment_line)
    return video_lines, comment_lines
