"""Where one partition's enrichment time goes, at real upload sizes: imports, model loads, decode, each model.

Why it exists: the sample corpus (360x640, 12 fps, 6-8 s) hides the costs of real uploads
(720x1280 or 1080x1920, 30 fps, 15-60 s). This script makes such clips from the sample
corpus's own clips (speech, captions and logos included: several sample clips joined, scaled
up, with a slow pan and zoom so that consecutive frames differ as a phone video's do), then:

* ``stages``: the enrichment path in this process, stage by stage (the library code the assets
  call, no Dagster): imports, model loads, then per clip decode, speech, OCR and logo detection,
  and the decode-only ceiling (every frame decoded, nothing kept). Prints seconds per stage and
  video-seconds per wall-second, cold (first clip) and warm (the rest).
* ``dagster``: one cold and one warm partition of ``hashtag_day_job`` in process, on its own data
  dir, with each step's duration read from the run's events (step overhead, checks and warehouse
  writes included).

    .venv/bin/python bench/profile_partition.py clips /tmp/lp-clips --count 4 --seconds 30
    .venv/bin/python bench/profile_partition.py stages /tmp/lp-clips
    .venv/bin/python bench/profile_partition.py dagster /tmp/lp-clips

Not a test: a measuring tool. Run it with the machine as quiet as you can and note the load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from listening_pipeline.lib.offline import use_offline_environment

use_offline_environment()

SIZES = {"720": (720, 1280), "1080": (1080, 1920)}


# ---------------------------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------------------------


def sample_clips(folder: Path) -> list[Path]:
    """The sample corpus's clips (generated into ``folder`` when missing)."""
    if not (folder / "media").is_dir():
        from listening_pipeline.lib.sample_data import generate_sample_corpus

        generate_sample_corpus(folder, history_days=0)
    return sorted((folder / "media").glob("*.mp4"))


def make_clip(parts: list[Path], out: Path, size: tuple[int, int], fps: int = 30) -> None:
    """Join ``parts`` end to end, scale to ``size`` at ``fps`` with a slow pan and zoom (H.264 + AAC)."""
    width, height = size
    inputs: list[str] = []
    for part in parts:
        inputs += ["-i", str(part)]
    joined = "".join(f"[{i}:v][{i}:a]" for i in range(len(parts)))
    # Scaled 12% over size, then a window that drifts: every frame differs a little, as in a hand-held video.
    graph = (
        f"{joined}concat=n={len(parts)}:v=1:a=1[v][a];"
        f"[v]fps={fps},scale={int(width * 1.12) // 2 * 2}:{int(height * 1.12) // 2 * 2},"
        f"crop={width}:{height}:x='(iw-ow)/2*(1+sin(t/2.3))':y='(ih-oh)/2*(1+cos(t/3.1))'[vo]"
    )
    command = ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[vo]", "-map", "[a]"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", str(out)]
    subprocess.run(command, check=True)


def make_clips(out: Path, count: int, seconds: float, sizes: list[str]) -> list[Path]:
    """``count`` clips of about ``seconds`` each, alternating ``sizes``; sample clips are not reused across clips."""
    out.mkdir(parents=True, exist_ok=True)
    pool = sample_clips(out / "sample")
    durations = {p: _duration(p) for p in pool}
    pool = [p for p in pool if durations[p] > 0]  # the corpus holds a deliberately corrupt clip
    made, at = [], 0
    for number in range(count):
        parts: list[Path] = []
        while sum(durations[p] for p in parts) < seconds - 1:
            parts.append(pool[at % len(pool)])
            at += 1
        size = sizes[number % len(sizes)]
        clip = out / f"clip{number:02d}-{size}p.mp4"
        make_clip(parts, clip, SIZES[size])
        made.append(clip)
        print(f"{clip.name}: {sum(durations[p] for p in parts):.1f} s from {len(parts)} sample clips", flush=True)
    return made


def _duration(path: Path) -> float:
    import av

    try:
        with av.open(str(path)) as container:
            return float(container.duration or 0) / 1_000_000
    except av.FFmpegError:
        return 0.0


# ---------------------------------------------------------------------------------------------
# Stage timings, library level
# ---------------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds per (stage, clip), and counts worth printing beside them."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage].append(time.perf_counter() - started)


@contextmanager
def _stage(row: dict[str, Any], name: str) -> Iterator[None]:
    """Wall and process CPU seconds (all threads) of one stage, into ``row``: CPU time is what
    stays comparable when other work shares the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        row[name] = time.perf_counter() - wall
        row[name + "_cpu"] = time.process_time() - cpu


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile_stages(
    clips: list[Path],
    *,
    detect_side: int,
    skip: set[str],
    whisper: str | None,
    languages: tuple[str, ...],
    ocr_precision: str | None = None,
) -> dict[str, Any]:
    """Imports, loads and per-clip stage seconds of the enrichment path, in this process."""
    from listening_pipeline.lib.devices import available_threads

    t = Timings()
    with t.timed("import av+numpy+PIL"):
        import av  # noqa: F401

        from listening_pipeline.lib.media.decode import decode_video
    with t.timed("import torch"):
        import torch  # noqa: F401
    loads: dict[str, Callable[[], Any]] = {}
    if "speech" not in skip:
        loads["speech"] = lambda: __import__("listening_pipeline.lib.speech", fromlist=["SpeechModel"]).SpeechModel(
            whisper
        )
    if "ocr" not in skip:
        extra = {"precision": ocr_precision} if ocr_precision else {}
        loads["ocr"] = lambda: __import__("listening_pipeline.lib.captions", fromlist=["x"]).TextReader(
            detect_side=detect_side, **extra
        )
    if "logos" not in skip:
        loads["logos"] = _load_detector
    models = {}
    for name, load in loads.items():
        with t.timed(f"import+load {name}"):
            models[name] = load()
    per_clip: list[dict[str, Any]] = []
    for clip in clips:
        row: dict[str, Any] = {"clip": clip.name}
        with _stage(row, "decode"):
            decoded = decode_video(clip)
        row["video_s"] = decoded.duration_s
        row["frames_kept"] = len(decoded.frames)
        if "speech" in models:
            with _stage(row, "speech"):
                transcript = models["speech"].transcribe(decoded.audio, languages)
            row["words"] = sum(len(s.text.split()) for s in transcript.segments)
        if "ocr" in models:
            reader = models["ocr"]
            before = reader.frames_read
            with _stage(row, "ocr"):
                spans = reader.read(decoded.frames)
            row["ocr_frames"] = reader.frames_read - before
            row["spans"] = len(spans)
        if "logos" in models:
            with _stage(row, "logos"):
                hits = models["logos"].detect([f.image for f in decoded.frames])
            row["logo_hits"] = sum(len(h) for h in hits)
        with _stage(row, "decode_only_ceiling"):
            decode_everything(clip)
        for unit in ("", "_cpu"):
            row["enrich" + unit] = sum(row.get(k + unit, 0.0) for k in ("decode", "speech", "ocr", "logos"))
        per_clip.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    loaded = {stage: round(sum(values), 2) for stage, values in t.seconds.items()}
    video_s = sum(r["video_s"] for r in per_clip)
    stages = ("decode", "speech", "ocr", "logos", "enrich", "decode_only_ceiling")
    total = {k: round(sum(r.get(k, 0.0) for r in per_clip), 2) for k in stages}
    cpu = {k: round(sum(r.get(k + "_cpu", 0.0) for r in per_clip), 2) for k in stages}
    return {
        "clips": len(per_clip),
        "video_s": round(video_s, 1),
        "imports_and_loads_s": loaded,
        "stage_wall_s": total,
        "stage_cpu_s": cpu,
        "video_s_per_wall_s_warm": round(video_s / total["enrich"], 2),
        # CPU seconds over the cores this process may use: what a quiet machine's wall time would be at best.
        "video_s_per_cpu_s_over_cores": round(video_s / (cpu["enrich"] / available_threads()), 2),
        "video_s_per_wall_s_with_loads": round(video_s / (total["enrich"] + sum(loaded.values())), 2),
        "decode_only_ceiling_video_s_per_wall_s": round(video_s / total["decode_only_ceiling"], 2),
        "ocr_frames": sum(r.get("ocr_frames", 0) for r in per_clip),
        "frames_kept": sum(r["frames_kept"] for r in per_clip),
        "peak_rss_mb": round(_peak_rss_mb()),
        "load_average": os.getloadavg(),
    }


def _load_detector() -> Any:
    from listening_pipeline.lib.logos import LogoDetector
    from listening_pipeline.settings import BUNDLED_LOGO_WEIGHTS

    return LogoDetector(BUNDLED_LOGO_WEIGHTS)


def decode_everything(path: Path) -> int:
    """The decode-only ceiling: every video frame and audio packet decoded, nothing converted or kept."""
    import av

    frames = 0
    with av.open(str(path)) as container:
        streams = [*container.streams.video[:1], *container.streams.audio[:1]]
        for stream in container.streams.video[:1]:
            stream.thread_type = "AUTO"
        for packet in container.demux(*streams):
            frames += len(packet.decode())
    return frames


# ---------------------------------------------------------------------------------------------
# A cold and a warm partition through Dagster
# ---------------------------------------------------------------------------------------------


def profile_dagster(clips: list[Path]) -> dict[str, Any]:
    """Two partitions of the sample corpus whose media are replaced by ``clips`` (half each), run in process."""
    work = Path(tempfile.mkdtemp(prefix="lp-profile-"))
    os.environ["LISTENING_PIPELINE_DATA_DIR"] = str(work / "var")
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    (work / "dagster_home").mkdir(parents=True)
    started = time.perf_counter()
    from dagster import DagsterEventType, DagsterInstance

    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.definitions import defs
    from listening_pipeline.lib.sample_data import generate_sample_corpus
    from listening_pipeline.lib.sources.folder import partitions_in_folder
    from listening_pipeline.partitions import hashtag_partitions, partition_key
    from listening_pipeline.settings import Settings

    imports_s = time.perf_counter() - started
    settings = Settings.from_env()
    generate_sample_corpus(settings.source_folder, history_days=0)
    partitions = partitions_in_folder(settings.source_folder, load_catalog().tracked_hashtags)[:2]
    _swap_media(settings.source_folder, [partition_key(h, d) for h, d in partitions], clips)
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    report: dict[str, Any] = {"imports_s": round(imports_s, 2), "partitions": []}
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(str(hashtag_partitions.name), sorted({h for h, _ in partitions}))
        for job in ("catalog_job", "models_job"):
            defs().resolve_job_def(job).execute_in_process(instance=instance, run_config=quiet)
        for label, (hashtag, day) in zip(("cold", "warm"), partitions):
            started = time.perf_counter()
            result = (
                defs()
                .resolve_job_def("hashtag_day_job")
                .execute_in_process(instance=instance, partition_key=partition_key(hashtag, day), run_config=quiet)
            )
            wall = time.perf_counter() - started
            steps = _step_seconds(instance, result.run_id, DagsterEventType)
            video_s = _video_seconds(instance, result.run_id)
            entry = {
                "label": label,
                "partition": partition_key(hashtag, day),
                "success": result.success,
                "wall_s": round(wall, 2),
                "video_s": round(video_s, 1),
                "video_s_per_wall_s": round(video_s / wall, 2),
                "steps_s": steps,
                "outside_steps_s": round(wall - sum(steps.values()), 2),
            }
            report["partitions"].append(entry)
            print(json.dumps(entry), flush=True)
    report["peak_rss_mb"] = round(_peak_rss_mb())
    report["load_average"] = os.getloadavg()
    return report


def _swap_media(source: Path, keys: list[str], clips: list[Path]) -> None:
    """Point the videos of the profiled partitions at the big clips (their metadata stay the sample's)."""
    import datetime as dt

    from listening_pipeline.partitions import split_partition_key

    wanted = {split_partition_key(k) for k in keys}
    lines, at = [], 0
    for line in (source / "videos.jsonl").read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            lines.append(line)
            continue
        day = dt.datetime.fromtimestamp(record["create_time"], dt.UTC).date()
        if record.get("media") and any(h in record["hashtag_names"] and d == day for h, d in wanted):
            target = source / "media" / f"{record['id']}.mp4"
            target.write_bytes(clips[at % len(clips)].read_bytes())
            record["video_duration"] = round(_duration(target))
            at += 1
        lines.append(json.dumps(record))
    (source / "videos.jsonl").write_text("\n".join(lines) + "\n")


def _step_seconds(instance: Any, run_id: str, event_type: Any) -> dict[str, float]:
    """Each step's wall seconds, STEP_START to STEP_SUCCESS/FAILURE (checks and IO manager writes included)."""
    begun: dict[str, float] = {}
    out: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == event_type.STEP_START:
            begun[event.step_key] = record.timestamp
        elif event.event_type in (event_type.STEP_SUCCESS, event_type.STEP_FAILURE) and event.step_key in begun:
            out[event.step_key] = round(record.timestamp - begun[event.step_key], 2)
    return out


def _video_seconds(instance: Any, run_id: str) -> float:
    """Seconds of media the run decoded (the media step's MEDIA rows, read back from the warehouse)."""
    from listening_pipeline.partitions import split_partition_key
    from listening_pipeline.runs import open_warehouse
    from listening_pipeline.settings import Settings
    from listening_pipeline.warehouse.tables import MEDIA

    run = instance.get_run_by_id(run_id)
    hashtag, day = split_partition_key(run.tags["dagster/partition"])
    frame = open_warehouse(Settings.from_env()).read_partition(MEDIA, hashtag=hashtag, day=day)
    return float(frame["duration_s"].sum() or 0.0)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    clips = sub.add_parser("clips", help="make real-size clips from the sample corpus")
    clips.add_argument("out", type=Path)
    clips.add_argument("--count", type=int, default=4)
    clips.add_argument("--seconds", type=float, default=30.0)
    clips.add_argument("--sizes", default="720", help="comma-separated: 720, 1080")
    stages = sub.add_parser("stages", help="library-level stage seconds on the clips")
    stages.add_argument("clips", type=Path)
    stages.add_argument("--detect-side", type=int, default=640)
    stages.add_argument("--skip", default="", help="comma-separated stages to leave out: speech, ocr, logos")
    stages.add_argument("--json", type=Path, help="also write the summary here")
    stages.add_argument("--whisper", help="a faster-whisper model folder (default: as the pipeline resolves it)")
    stages.add_argument("--languages", default="en", help="the catalog's languages, comma-separated")
    stages.add_argument("--limit", type=int, default=0, help="profile only the first N clips")
    stages.add_argument("--ocr-precision", choices=("auto", "fp32", "bf16"), help="the text detector's (default: auto)")
    dagster = sub.add_parser("dagster", help="a cold and a warm partition through hashtag_day_job")
    dagster.add_argument("clips", type=Path)
    args = parser.parse_args(argv)
    if args.command == "clips":
        make_clips(args.out, args.count, args.seconds, args.sizes.split(","))
        return 0
    found = sorted(args.clips.glob("clip*.mp4"))
    if not found:
        print(f"no clip*.mp4 in {args.clips}: make them with the clips command", file=sys.stderr)
        return 2
    if args.command == "stages":
        summary = profile_stages(
            found[: args.limit or None],
            detect_side=args.detect_side,
            skip=set(filter(None, args.skip.split(","))),
            whisper=args.whisper,
            languages=tuple(args.languages.split(",")),
            ocr_precision=args.ocr_precision,
        )
    else:
        summary = profile_dagster(found)
    print(json.dumps(summary, indent=1))
    if getattr(args, "json", None):
        args.json.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
