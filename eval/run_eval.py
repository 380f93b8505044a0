"""`make eval`: run the real pipeline on the evaluation set and score it against its ground truth.

The folder source reads ``eval/set/``, the catalog is ``eval/brands.yaml`` (its logo detector is
trained from its logos with the standard settings, in the run), everything is written to a fresh
data dir (or ``--data-dir``) with its own Dagster instance; the runs are the CLI's
(:func:`listening_pipeline.runs.run_partitions`). The figures go to ``eval/results/<label>.json``
and the table in ``eval/RESULTS.md`` is regenerated from every JSON there.

    .venv/bin/python eval/run_eval.py --label after-speech
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
SET_DIR = EVAL_DIR / "set"
CATALOG = EVAL_DIR / "brands.yaml"
RESULTS_DIR = EVAL_DIR / "results"
TABLES = ("transcripts", "ocr_text", "logo_hits", "text_units", "sentiment", "brand_mentions")


def configure(data_dir: Path) -> None:
    """Point the settings at the evaluation set before anything reads them."""
    from listening_pipeline.lib.offline import use_offline_environment

    use_offline_environment()
    os.environ.update(
        {
            "LISTENING_PIPELINE_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(data_dir / "dagster_home"),
            "LISTENING_PIPELINE_CATALOG": str(CATALOG),
            "LISTENING_PIPELINE_SOURCE": "folder",
            "LISTENING_PIPELINE_SOURCE_FOLDER": str(SET_DIR),
            "LISTENING_PIPELINE_WAREHOUSE": "duckdb",
        }
    )
    for name in ("LISTENING_PIPELINE_LOGO_WEIGHTS", "LISTENING_PIPELINE_DUCKDB_PATH", "LISTENING_PIPELINE_MEDIA_ROOT"):
        os.environ.pop(name, None)


def run_pipeline() -> tuple[bool, float, dict[str, Any]]:
    """Every partition of the set through hashtag_day_job (after catalog_job and models_job), then dbt."""
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.sources.folder import partitions_in_folder
    from listening_pipeline.runs import open_instance, run_partitions
    from listening_pipeline.settings import Settings

    settings = Settings.from_env()
    partitions = partitions_in_folder(SET_DIR, load_catalog(CATALOG).tracked_hashtags)
    started = time.perf_counter()
    ok = run_partitions(settings, partitions)
    seconds = time.perf_counter() - started
    return ok, seconds, detector_metadata(open_instance(settings))


def detector_metadata(instance: Any) -> dict[str, Any]:
    """What the logo_detector materialization recorded: training time and validation scores."""
    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey("logo_detector"))
    if event is None or event.asset_materialization is None:
        return {}
    out: dict[str, Any] = {}
    for key, value in event.asset_materialization.metadata.items():
        raw = getattr(value, "value", value)
        out[key] = raw if isinstance(raw, int | float | str | bool) else str(raw)
    return out


def read_tables() -> dict[str, Any]:
    from listening_pipeline.runs import open_warehouse
    from listening_pipeline.settings import Settings
    from listening_pipeline.warehouse.tables import RAW_SCHEMA

    warehouse = open_warehouse(Settings.from_env())
    return {name: warehouse.query(f"select * from {RAW_SCHEMA}.{name}", missing_ok=True) for name in TABLES}


def held_out_checks() -> dict[str, Any]:
    """What the set cannot show: the run's logo detector on real photos without a catalog logo
    (score_logos.photo_check), and dense real frames read by the captions stage's reader and by raw
    EasyOCR (score_text.measure)."""
    sys.path.insert(0, str(EVAL_DIR))
    from score_logos import photo_check
    from score_text import measure

    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.defs.resources import build_resources
    from listening_pipeline.settings import Settings

    ml_models = build_resources(Settings.from_env())["ml_models"]
    detector = ml_models.logo_detector(load_catalog(CATALOG))
    return {"photos": photo_check(detector), "dense_text": measure()}


def git_commit() -> str:
    """The checkout's commit, marked when files differ from it: the results say which pipeline scored."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=EVAL_DIR, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_report(results: dict[str, Any]) -> None:
    print(f"\nEvaluation set: {results['clips']} clips  (run {results['run_seconds']:.0f} s)")
    print(f"{'':22}{'recall':>8}{'precision':>11}{'false':>7}{'found/expected':>16}")
    rows = [("all mentions", results["mentions"])]
    rows += [(f"origin {o}", r) for o, r in results["origins"].items()]
    rows += [(f"brand {b}", r) for b, r in results["brands"].items()]
    for name, r in rows:
        print(
            f"{name:22}{pct(r['recall']):>8}{pct(r['precision']):>11}{r['false']:>7}{r['matched']:>8}/{r['expected']}"
        )
    stages = results["stages"]
    wer = stages["speech"]["wer"]
    print("\nstages")
    print("  speech WER  " + "  ".join(f"{k} {pct(v)}" for k, v in wer.items()))
    print(f"  words on music/silence clips: {stages['speech']['words_on_music_or_silence']}")
    cap = stages["captions"]
    print(f"  captions read: {pct(cap['caption_recall'])} of {cap['captions']}; brand captions "
          f"{pct(cap['brand_caption_recall'])} of {cap['brand_captions']}")  # fmt: skip
    logos = stages["logos"]
    print(f"  logo boxes at IoU 0.5: recall {pct(logos['box_recall'])} of {logos['logos']}, precision "
          f"{pct(logos['box_precision'])} of {logos['hits']} hits; hits on background-only clips "
          f"{logos['hits_on_background_only']}")  # fmt: skip
    print(f"  speech sentiment agreement: {pct(stages['sentiment'].get('agreement'))}")
    det = results["detector"]
    print(f"  logo detector: trained {det.get('trained')} in {float(det.get('training_seconds') or 0):.0f} s, "
          f"val mAP50 {det.get('val_map50')}")  # fmt: skip
    print(f"  double counts: {results['double_counts']}")
    photos = results["held_out"]["photos"]
    print(f"  logo hits on real photos without a catalog logo: {photos['false_hits']} on {photos['frames']} "
          f"frames {photos['false'] or ''}")  # fmt: skip
    dense = results["held_out"]["dense_text"]
    for name, row in dense["frames"].items():
        print(f"  dense frame {name}: {row['ours']['read']} of {row['phrases']} phrases "
              f"(raw EasyOCR {row['raw_easyocr']['read']})")  # fmt: skip
    print("\nmissed:", ", ".join(f"{m['slug']}/{m['origin']}/{m['brand']}" for m in results["missed"]) or "none")
    print("false: ", ", ".join(f"{m['slug']}/{m['origin']}/{m['brand']}" for m in results["false_mentions"]) or "none")
    print("\ntargets")
    for t in results["targets"]:
        print(f"  [{'met' if t['met'] else 'NOT met'}] {t['target']}: {t['value']}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the pipeline on the evaluation set and score it.")
    parser.add_argument("--label", default="latest", help="results file name: eval/results/<label>.json")
    parser.add_argument("--data-dir", type=Path, help="where the run writes (default: a new temporary folder)")
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="DATA_DIR",
        help="score the tables an earlier run left in DATA_DIR (after `listening-pipeline rematch`), running nothing",
    )
    args = parser.parse_args()
    data_dir = (args.rescore or args.data_dir or Path(tempfile.mkdtemp(prefix="lp-eval-"))).resolve()
    configure(data_dir)
    print(f"evaluation {'rescored' if args.rescore else 'run'} in {data_dir}", flush=True)

    from listening_pipeline.lib.evaluation_set import load_ground_truth, score_run

    if args.rescore:
        from listening_pipeline.runs import open_instance
        from listening_pipeline.settings import Settings

        ok, seconds, detector = True, 0.0, detector_metadata(open_instance(Settings.from_env()))
    else:
        ok, seconds, detector = run_pipeline()
    truth = load_ground_truth(SET_DIR / "ground_truth.json")
    results = score_run(truth, read_tables(), held_out_checks())
    slugs = {v["id"]: v["slug"] for v in truth["videos"]}
    for item in results["missed"] + results["false_mentions"]:
        item["slug"] = slugs[item["video_id"]]
    results.update(
        {
            "label": args.label,
            "commit": git_commit(),
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "pipeline_ok": ok,
            "run_seconds": round(seconds, 1),
            "rescored_from": str(data_dir) if args.rescore else None,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "detector": detector,
        }
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{args.label}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print_report(results)
    sys.path.insert(0, str(EVAL_DIR))
    from results_table import write_results_table

    write_results_table(RESULTS_DIR, EVAL_DIR / "RESULTS.md")
    print(f"\nwrote {RESULTS_DIR / (args.label + '.json')} and {EVAL_DIR / 'RESULTS.md'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
