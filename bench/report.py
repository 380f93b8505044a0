"""From the measured sides to figures: video-seconds per wall-second per stage and overall, the ratios
ours/naive and ours/decode-only, the daily re-run's fraction, peak RSS; the targets of issue #14; the JSON
record and the ``bench/RESULTS.md`` table regenerated from every record in ``bench/results/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
RESULTS_MD = BENCH_DIR / "RESULTS.md"
STAGES = ("decode", "speech", "ocr", "logos", "sentiment")
# Which Dagster steps of hashtag_day_job do each stage's work; every other step (collection, text units,
# mentions, checks) is "other".
STEP_STAGE = {
    "decoded_media": "decode",
    "media": "decode",
    "frames": "decode",
    "transcripts": "speech",
    "ocr_text": "ocr",
    "logo_hits": "logos",
    "sentiment": "sentiment",
}
TARGETS = (
    # (name, figure key, comparison, threshold, as written in the issue)
    ("enrichment vs naive", "ours_over_naive", ">=", 5.0, "whole enrichment at least 5x faster than the naive script"),
    ("OCR + logos vs naive", "ocr_logos_over_naive", ">=", 10.0, "OCR + logo stages at least 10x"),
    ("throughput", "video_s_per_wall_s", ">=", 3.0, "at least 3 video-seconds per wall-second"),
    ("vs decode ceiling", "ours_over_decode", ">=", 1 / 3, "within 3x of the decode-only ceiling"),
    ("daily re-run", "rerun_fraction", "<=", 0.10, "unchanged days re-run at most 10% of their first run"),
    ("peak RSS", "peak_rss_mb", "<", 4096.0, "peak RSS of a worker under 4 GB"),
)


def step_stage(step_key: str) -> str:
    return STEP_STAGE.get(step_key.split(".")[0], "other")


def stage_seconds(runs: list[dict[str, Any]], partitions: set[str] | None = None) -> dict[str, float]:
    """Seconds per stage summed over the hashtag_day_job runs (of ``partitions`` when given)."""
    totals: dict[str, float] = {}
    for run in runs:
        if run["job"] != "hashtag_day_job" or (partitions is not None and run["partition"] not in partitions):
            continue
        for step, seconds in run["steps"].items():
            stage = step_stage(step)
            totals[stage] = totals.get(stage, 0.0) + seconds
    return totals


def partition_seconds(runs: list[dict[str, Any]], partitions: set[str]) -> float:
    return sum(r["seconds"] for r in runs if r["job"] == "hashtag_day_job" and r["partition"] in partitions)


def reuse_totals(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per asset, the ledger's counts (videos done, videos reused, ...) summed over the runs."""
    totals: dict[str, dict[str, float]] = {}
    for run in runs:
        for asset, counts in run.get("reuse", {}).items():
            for key, value in counts.items():
                totals.setdefault(asset, {})[key] = totals.get(asset, {}).get(key, 0.0) + value
    return totals


def _rate(video_s: float, seconds: float | None) -> float | None:
    return round(video_s / seconds, 3) if seconds else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def figures(raw: dict[str, Any]) -> dict[str, Any]:
    """The headline figures from a record's raw measurements (kept in the JSON, so they can be recomputed)."""
    first, rerun, naive, decode = raw["ours_first"], raw.get("ours_rerun"), raw["naive"], raw["decode_only"]
    video_s, naive_video_s = raw["video_s_first"], raw["video_s_naive"]
    ours_stages = stage_seconds(first["result"]["runs"])
    naive_stages = naive["result"]["stages"]
    per_stage: dict[str, dict[str, float | None]] = {}
    for stage in (*STAGES, "other"):
        ours_rate = _rate(video_s, ours_stages.get(stage))
        naive_rate = _rate(naive_video_s, naive_stages.get(stage))
        per_stage[stage] = {
            "ours_s": round(ours_stages.get(stage, 0.0), 2),
            "ours_video_s_per_s": ours_rate,
            "naive_s": round(naive_stages[stage], 2) if stage in naive_stages else None,
            "naive_video_s_per_s": naive_rate,
            "ours_over_naive": _ratio(ours_rate, naive_rate),
        }
    ours_rate = _rate(video_s, first["wall_s"])
    naive_rate = _rate(naive_video_s, naive["wall_s"])
    ceiling = _rate(video_s, decode["result"]["seconds"])
    ours_ocr_logos = _rate(video_s, ours_stages.get("ocr", 0.0) + ours_stages.get("logos", 0.0))
    naive_ocr_logos = _rate(naive_video_s, naive_stages.get("ocr", 0.0) + naive_stages.get("logos", 0.0))
    out: dict[str, Any] = {
        "video_s_per_wall_s": ours_rate,
        "naive_video_s_per_wall_s": naive_rate,
        "decode_video_s_per_wall_s": ceiling,
        "ours_over_naive": _ratio(ours_rate, naive_rate),
        "ocr_logos_over_naive": _ratio(ours_ocr_logos, naive_ocr_logos),
        "ours_over_decode": _ratio(ours_rate, ceiling),
        "peak_rss_mb": round(max(first["peak_rss_mb"], rerun["peak_rss_mb"] if rerun else 0.0), 1),
        "naive_peak_rss_mb": round(naive["peak_rss_mb"], 1),
        "decode_peak_rss_mb": round(decode["peak_rss_mb"], 1),
        "stages": per_stage,
    }
    if rerun:
        unchanged = set(raw["unchanged_partitions"])
        before = partition_seconds(first["result"]["runs"], unchanged)
        again = partition_seconds(rerun["result"]["runs"], unchanged)
        out["rerun_fraction"] = _ratio(again, before)
        out["rerun_window_over_first_run"] = _ratio(rerun["wall_s"], first["wall_s"])
        out["rerun_reuse"] = reuse_totals(rerun["result"]["runs"])
    return out


def targets(fig: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for name, key, op, threshold, words in TARGETS:
        value = fig.get(key)
        met = (
            None
            if value is None
            else value >= threshold
            if op == ">="
            else value <= threshold
            if op == "<="
            else value < threshold
        )
        checks.append(
            {
                "target": name,
                "figure": key,
                "value": value,
                "wanted": f"{op} {threshold:.3g}",
                "met": met,
                "issue": words,
            }
        )
    return checks


def print_summary(record: dict[str, Any]) -> None:
    fig = record["figures"]
    print()
    print(
        f"corpus: {record['corpus']['videos']} videos, {record['corpus']['video_s']:.0f} video-s; first run "
        f"{record['video_s_first']:.0f} video-s; naive subset {len(record['naive_videos'])} videos, "
        f"{record['video_s_naive']:.0f} video-s"
    )
    print(f"{'stage':<10} {'ours s':>8} {'ours v-s/s':>11} {'naive s':>8} {'naive v-s/s':>12} {'ours/naive':>11}")
    for stage, row in fig["stages"].items():
        print(
            f"{stage:<10} {row['ours_s']:>8} {_fmt(row['ours_video_s_per_s']):>11} {_fmt(row['naive_s']):>8} "
            f"{_fmt(row['naive_video_s_per_s']):>12} {_fmt(row['ours_over_naive']):>11}"
        )
    print(
        f"overall: ours {_fmt(fig['video_s_per_wall_s'])} video-s/wall-s, "
        f"naive {_fmt(fig['naive_video_s_per_wall_s'])}, "
        f"decode-only {_fmt(fig['decode_video_s_per_wall_s'])}; ours/naive {_fmt(fig['ours_over_naive'])}, "
        f"ours/decode-only {_fmt(fig['ours_over_decode'])}"
    )
    print(
        f"peak RSS: ours {fig['peak_rss_mb']} MB, naive {fig['naive_peak_rss_mb']} MB, "
        f"decode {fig['decode_peak_rss_mb']} MB"
    )
    if "rerun_fraction" in fig:
        print(
            f"daily re-run: unchanged days cost {_fmt(fig['rerun_fraction'])} of their first run; whole window "
            f"{_fmt(fig['rerun_window_over_first_run'])} of the first run's wall time"
        )
        for asset, counts in fig["rerun_reuse"].items():
            print(f"  re-run {asset}: " + ", ".join(f"{k} {v:g}" for k, v in sorted(counts.items())))
    for check in record["targets"]:
        verdict = "n/a" if check["met"] is None else "met" if check["met"] else "NOT met"
        print(f"target {check['target']:<22} {_fmt(check['value']):>8} (wanted {check['wanted']}): {verdict}")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def write_record(record: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{record['stamp']}-{record['git']['short']}.json"
    path.write_text(json.dumps(record, indent=1, default=str) + "\n", encoding="utf-8")
    return path


# Everything below this line in RESULTS.md is written by hand (what a run showed and why) and kept as it is.
NOTES_MARKER = "<!-- notes below: written by hand, kept when the tables above are regenerated -->"


def write_results_md(results_dir: Path = RESULTS_DIR, out: Path = RESULTS_MD) -> Path:
    """RESULTS.md from every record in ``results_dir``: one row per run (newest first), the newest run's stages
    and targets in full; the hand-written notes after :data:`NOTES_MARKER` are kept."""
    notes = ""
    if out.exists() and NOTES_MARKER in (previous := out.read_text(encoding="utf-8")):
        notes = previous.split(NOTES_MARKER, 1)[1]
    loaded = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(results_dir.glob("*.json"))]
    records = sorted((r for _, r in loaded if r.get("bench") == "enrichment"), key=lambda r: r["stamp"], reverse=True)
    warehouse = [(name, r) for name, r in loaded if name.startswith("warehouse-")]
    lines = [
        "# `make bench` results",
        "",
        "Generated by `python -m bench` from `bench/results/*.json` down to the notes marker (notes below it are",
        "kept). Each run measures, in one",
        "process tree on one machine: the pipeline (`hashtag_day_job` per hashtag-day partition, as",
        "`listening-pipeline backfill` runs it, cold worker process: imports, model loads, warehouse writes and checks",
        "included), a naive script on a subset of the same videos (models loaded per video, 1 fps native-size frames",
        "through EasyOCR and YOLO one at a time, faster-whisper without VAD batching, sentiment one text at a time,",
        "same weights) and the project's decoder alone. Rates are video-seconds per wall-second; naive figures are",
        "per video-second of its subset, so they compare like for like with ours over the whole first run.",
        "",
        "## Runs",
        "",
        "| when | commit | config | videos (video-s) | cores | load start/end | ours v-s/s | naive v-s/s "
        "| decode v-s/s | ours/naive | OCR+logos ours/naive | ours/decode | re-run fraction | peak RSS MB | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        f = r["figures"]
        commit = r["git"]["short"] + (" (dirty)" if r["git"]["dirty"] else "")
        lines.append(
            f"| {r['stamp']} | {commit} | {r['config']} | {r['corpus']['videos']} ({r['corpus']['video_s']:.0f}) "
            f"| {r['machine']['cores']} | {r['load_start'][0]} / {r['load_end'][0]} | {_fmt(f['video_s_per_wall_s'])} "
            f"| {_fmt(f['naive_video_s_per_wall_s'])} | {_fmt(f['decode_video_s_per_wall_s'])} "
            f"| {_fmt(f['ours_over_naive'])} | {_fmt(f['ocr_logos_over_naive'])} | {_fmt(f['ours_over_decode'])} "
            f"| {_fmt(f.get('rerun_fraction'))} | {f['peak_rss_mb']} | `{r['command']}` |"
        )
    if records:
        latest = records[0]
        lines += [
            "",
            f"## Newest run: {latest['stamp']} at {latest['git']['short']}",
            "",
            f"Command: `{latest['command']}`",
            "",
        ]
        lines += ["| stage | ours s | ours v-s/s | naive s | naive v-s/s | ours/naive |", "|---|---|---|---|---|---|"]
        for stage, row in latest["figures"]["stages"].items():
            lines.append(
                f"| {stage} | {row['ours_s']} | {_fmt(row['ours_video_s_per_s'])} | {_fmt(row['naive_s'])} "
                f"| {_fmt(row['naive_video_s_per_s'])} | {_fmt(row['ours_over_naive'])} |"
            )
        lines += ["", "| target (issue #14) | figure | wanted | met |", "|---|---|---|---|"]
        for check in latest["targets"]:
            verdict = "n/a" if check["met"] is None else "yes" if check["met"] else "**no**"
            lines.append(f"| {check['issue']} | {_fmt(check['value'])} | {check['wanted']} | {verdict} |")
    if warehouse:
        lines += [
            "",
            "## Warehouse: one new day vs a full refresh (`bench/warehouse.py`, issue #14 point 4)",
            "",
            "| file | cpu | videos per hashtag-day | one day, median s | full refresh, median s | ratio (target 20x) "
            "| ratio in dbt's nodes | ratio of the models alone |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in reversed(warehouse):
            lines.append(
                f"| {name} | {r.get('machine', {}).get('cpu', '-')} "
                f"| {_fmt(r.get('volume', {}).get('videos_per_day'))} | {_fmt(r.get('one_day_median_s'))} "
                f"| {_fmt(r.get('full_refresh_median_s'))} | {_fmt(r.get('ratio'))} | {_fmt(r.get('nodes_ratio'))} "
                f"| {_fmt(r.get('models_ratio'))} |"
            )
    lines += ["", NOTES_MARKER]
    out.write_text("\n".join(lines) + (notes or "\n"), encoding="utf-8")
    return out
