"""The benchmark corpus: the sample plan's speech videos drawn at real upload sizes, cached by their parameters.

Why cached: rendering 1080x1920 at 30 fps costs about as much as decoding it several times; a re-run with the
same parameters reuses the folder (its ``bench.json`` is written last, so a half-built folder is never used).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from random import Random

from listening_pipeline.catalog import load_catalog
from listening_pipeline.lib.sample_data import VideoPlan, plan_corpus
from listening_pipeline.lib.sample_data.corpus import comment_record, video_record
from listening_pipeline.lib.sample_data.spec import Canvas
from listening_pipeline.lib.sample_data.upload import UPLOAD_CANVASES, at_upload_size, write_upload

GENERATOR_VERSION = 1  # bump when the drawing or the selection changes: old cached folders are then ignored
MANIFEST = "bench.json"
SPEECH_VIDEOS_PER_PLANNED_DAY = 9  # 3 hashtags x 3 speech videos in the sample plan


@dataclass(frozen=True)
class CorpusSpec:
    """What the corpus is; its :meth:`key` names the cached folder."""

    videos: int = 40
    min_s: int = 15
    max_s: int = 60
    days: int = 4  # the first run's 3 days and the new day the daily schedule adds
    seed: int = 14
    start_day: dt.date = dt.date(2026, 11, 1)
    canvases: tuple[Canvas, ...] = UPLOAD_CANVASES

    def key(self) -> str:
        data = {**asdict(self), "start_day": self.start_day.isoformat(), "version": GENERATOR_VERSION}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class BenchVideo:
    video_id: str
    hashtag: str
    day: dt.date
    duration_s: int
    width: int
    height: int
    fps: int
    media: str  # relative to the corpus folder


@dataclass
class Corpus:
    folder: Path
    spec: CorpusSpec
    videos: list[BenchVideo] = field(default_factory=list)
    build_s: float = 0.0
    cached: bool = False

    @property
    def days(self) -> list[dt.date]:
        return sorted({v.day for v in self.videos})

    def seconds(self, videos: list[BenchVideo] | None = None) -> float:
        return float(sum(v.duration_s for v in (self.videos if videos is None else videos)))


def plan_bench_videos(spec: CorpusSpec) -> list[tuple[VideoPlan, Canvas]]:
    """The corpus's videos in order, spread evenly over ``spec.days`` days, each with its canvas.

    Speech videos of the sample plan (English, Spanish, German; captions and logos), moved onto the bench's
    days, stretched to a duration drawn from ``[min_s, max_s]`` and given more of the plan's phrases to say.
    """
    if spec.videos < spec.days:
        raise ValueError(f"at least one video per day: {spec.videos} videos for {spec.days} days")
    planned_days = math.ceil(spec.videos / SPEECH_VIDEOS_PER_PLANNED_DAY) + 1
    plan = plan_corpus(load_catalog(), seed=spec.seed, start_day=spec.start_day, days=planned_days, history_days=0)
    speech = [v for v in plan.videos if v.kind == "speech"][: spec.videos]
    rng = Random(spec.seed)
    chosen: list[tuple[VideoPlan, Canvas]] = []
    for index, video in enumerate(speech):
        day = spec.start_day + dt.timedelta(days=index * spec.days // spec.videos)
        shift = (day - video.day).days * 86_400
        moved = replace(
            video,
            day=day,
            create_time=video.create_time + shift,
            comments=[replace(c, create_time=c.create_time + shift) for c in video.comments],
        )
        others = [v.speech_text for v in speech[index + 1 :] + speech[:index] if v.language == video.language]
        canvas = spec.canvases[index % len(spec.canvases)]
        duration = rng.randint(spec.min_s, spec.max_s)
        chosen.append((at_upload_size(moved, canvas, duration, [t for t in others if t]), canvas))
    return chosen


def build_corpus(spec: CorpusSpec, cache_dir: Path, log=print) -> Corpus:
    """The corpus folder for ``spec`` under ``cache_dir``, rendered now unless a complete one is there."""
    import time

    folder = cache_dir / f"corpus-{spec.key()}"
    if (folder / MANIFEST).is_file():
        return _read(folder, spec)
    started = time.perf_counter()
    cache_dir.mkdir(parents=True, exist_ok=True)
    for leftover in cache_dir.glob(f".{folder.name}-*"):  # a build killed before it could clean up
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache_dir))
    try:
        (staging / "media").mkdir()
        scratch = staging / ".scratch"
        scratch.mkdir()
        logo_files = {b.name: (b.logos[0] if b.logos else None) for b in load_catalog().brands}
        plans = plan_bench_videos(spec)
        rendered: list[tuple[VideoPlan, Canvas]] = []
        for number, (video, canvas) in enumerate(plans, 1):
            assert video.media is not None
            log(f"  corpus {number}/{len(plans)}: {canvas.width}x{canvas.height} {video.duration_s} s")
            done = write_upload(video, canvas, staging / video.media, logo_files, scratch, spec.seed)
            rendered.append((done, canvas))
        shutil.rmtree(scratch)
        _write_manifests(staging, rendered, spec, time.perf_counter() - started)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    corpus = _read(folder, spec)
    corpus.cached = False
    return corpus


def _write_manifests(root: Path, rendered: list[tuple[VideoPlan, Canvas]], spec: CorpusSpec, build_s: float) -> None:
    videos = [video_record(v) for v, _ in rendered]
    comments = [comment_record(c, v) for v, _ in rendered for c in v.comments]
    (root / "videos.jsonl").write_text("".join(json.dumps(r) + "\n" for r in videos), encoding="utf-8")
    (root / "comments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in comments), encoding="utf-8")
    listing = [
        asdict(BenchVideo(str(v.video_id), v.hashtag, v.day, v.duration_s, c.width, c.height, c.fps, v.media or ""))
        for v, c in rendered
    ]
    manifest = {"key": spec.key(), "build_s": round(build_s, 1), "videos": listing}
    (root / MANIFEST).write_text(json.dumps(manifest, default=str, indent=1) + "\n", encoding="utf-8")


def _read(folder: Path, spec: CorpusSpec) -> Corpus:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    videos = [BenchVideo(**{**v, "day": dt.date.fromisoformat(v["day"])}) for v in data["videos"]]
    return Corpus(folder, spec, videos, float(data["build_s"]), cached=True)
