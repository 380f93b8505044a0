"""`make bench` measures on clips the size of real uploads and reports what it measured.

The benchmark itself is never a timed test (one run takes from minutes to hours): these tests check its corpus
(real-size clips with speech, captions and logos, cached by their parameters) and its arithmetic and tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.corpus import CorpusSpec, build_corpus, plan_bench_videos
from bench.report import NOTES_MARKER, figures, targets, write_results_md
from listening_pipeline.lib.media.decode import decode_video
from listening_pipeline.lib.sample_data.spec import Canvas

SMALL = CorpusSpec(videos=1, min_s=8, max_s=8, days=1, canvases=(Canvas(720, 1280, 30),))


def test_bench_videos_are_the_sample_plan_drawn_at_upload_size() -> None:
    spec = CorpusSpec(videos=8, min_s=15, max_s=60)
    plans = plan_bench_videos(spec)
    assert [canvas.width for _, canvas in plans] == [720, 1080] * 4
    assert all(15 <= video.duration_s <= 60 for video, _ in plans)
    assert sorted({video.day for video, _ in plans}) == [spec.start_day.replace(day=d) for d in (1, 2, 3, 4)]
    video, canvas = plans[1]
    for caption in video.captions:  # laid out three times the sample's 360x640 and stretched over the clip
        assert caption.box[2] <= canvas.width and caption.box[3] <= canvas.height
        assert caption.end_s <= video.duration_s
    assert all(logo.box[2] <= canvas.width for logo in video.logos)
    assert video.speech_text and len(video.speech_text.split()) > 8  # several phrases, not one short line


def test_the_corpus_is_rendered_once_and_reused(tmp_path: Path) -> None:
    corpus = build_corpus(SMALL, tmp_path, log=lambda _: None)
    assert not corpus.cached and len(corpus.videos) == 1
    decoded = decode_video(corpus.folder / corpus.videos[0].media)
    assert (decoded.width, decoded.height) == (720, 1280)
    assert abs(decoded.duration_s - corpus.videos[0].duration_s) < 0.2
    assert decoded.audio is not None and decoded.frames
    lines = (corpus.folder / "videos.jsonl").read_text().splitlines()
    assert [str(json.loads(line)["id"]) for line in lines] == [v.video_id for v in corpus.videos]

    again = build_corpus(SMALL, tmp_path, log=lambda _: None)
    assert again.cached and again.folder == corpus.folder
    assert CorpusSpec(videos=1, min_s=8, max_s=9, days=1).key() != SMALL.key()  # another parameter, another folder


def _record() -> dict:
    def run(partition: str, seconds: float, steps: dict[str, float]) -> dict:
        return {"job": "hashtag_day_job", "partition": partition, "seconds": seconds, "steps": steps, "reuse": {}}

    first_runs = [
        run("2026-11-01|a", 40.0, {"decoded_media": 4.0, "ocr_text": 20.0, "logo_hits": 2.0, "videos": 1.0}),
        run("2026-11-02|a", 30.0, {"decoded_media": 4.0, "ocr_text": 10.0, "logo_hits": 2.0}),
    ]
    rerun_runs = [run("2026-11-02|a", 3.0, {"decoded_media": 0.5}), run("2026-11-03|a", 30.0, {})]
    return {
        "bench": "enrichment",
        "stamp": "20261203T000000Z",
        "command": "python -m bench --quick",
        "config": "quick",
        "git": {"short": "abc1234", "dirty": False},
        "machine": {"cores": 2},
        "load_start": [1.0, 1.0, 1.0],
        "load_end": [2.0, 2.0, 2.0],
        "corpus": {"videos": 3, "video_s": 90.0},
        "video_s_first": 60.0,
        "video_s_naive": 20.0,
        "unchanged_partitions": ["2026-11-02|a"],
        "ours_first": {"wall_s": 120.0, "peak_rss_mb": 2000.0, "result": {"runs": first_runs}},
        "ours_rerun": {"wall_s": 60.0, "peak_rss_mb": 2100.0, "result": {"runs": rerun_runs}},
        "naive": {
            "wall_s": 200.0,
            "peak_rss_mb": 3000.0,
            "result": {"stages": {"decode": 4.0, "ocr": 150.0, "logos": 10.0, "speech": 30.0, "sentiment": 1.0}},
        },
        "decode_only": {"wall_s": 10.0, "peak_rss_mb": 300.0, "result": {"seconds": 6.0}},
    }


def test_figures_compare_per_video_second_and_the_rerun_against_the_same_days() -> None:
    fig = figures(_record())
    assert fig["video_s_per_wall_s"] == 0.5  # 60 video-s in 120 s
    assert fig["naive_video_s_per_wall_s"] == 0.1  # its 20 video-s in 200 s
    assert fig["ours_over_naive"] == 5.0
    assert fig["stages"]["ocr"]["ours_video_s_per_s"] == 2.0  # 60 video-s in 30 s of OCR steps
    assert fig["ocr_logos_over_naive"] == pytest.approx((60 / 34) / (20 / 160), rel=1e-3)
    assert fig["ours_over_decode"] == 0.05  # the decoder alone did 10 video-s per s
    assert fig["rerun_fraction"] == 0.1  # day 2: 3 s again after 30 s the first time; day 3 is new
    assert fig["peak_rss_mb"] == 2100.0
    verdicts = {check["target"]: check["met"] for check in targets(fig)}
    assert verdicts == {
        "enrichment vs naive": True,
        "OCR + logos vs naive": True,
        "throughput": False,
        "vs decode ceiling": False,
        "daily re-run": True,
        "peak RSS": True,
    }


def test_results_md_lists_every_run_with_its_command(tmp_path: Path) -> None:
    record = _record()
    record["figures"] = figures(record)
    record["targets"] = targets(record["figures"])
    (tmp_path / "20261203T000000Z-abc1234.json").write_text(json.dumps(record))
    warehouse = {"one_day_median_s": 2.0, "full_refresh_median_s": 50.0, "ratio": 25.0}
    (tmp_path / "warehouse-20261203T000000Z-abc1234.json").write_text(json.dumps(warehouse))
    text = write_results_md(tmp_path, tmp_path / "RESULTS.md").read_text()
    assert "| 20261203T000000Z | abc1234 | quick | 3 (90) | 2 |" in text
    assert "`python -m bench --quick`" in text
    assert "| at least 3 video-seconds per wall-second | 0.5 | >= 3 | **no** |" in text
    # the warehouse bench's records too
    assert "| warehouse-20261203T000000Z-abc1234.json | - | - | 2 | 50 | 25 | - | - |" in text
    # What someone wrote under the notes marker survives the next regeneration.
    out = tmp_path / "RESULTS.md"
    out.write_text(text + "\n## Notes\nwhy the re-run cost 2.9x\n")
    again = write_results_md(tmp_path, out).read_text()
    assert again.endswith("\n## Notes\nwhy the re-run cost 2.9x\n") and again.count(NOTES_MARKER) == 1


def test_the_warehouse_bench_tells_marts_that_differ_from_a_full_refresh(tmp_path: Path) -> None:
    """The check behind "marts equal after a full refresh": equal rows (doubles to 9 places) pass, a changed
    count or a missing row does not."""
    from bench.warehouse import keep_marts, mart_differences
    from listening_pipeline.warehouse import DuckDBWarehouse

    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    with store.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.same as select 1 as n, 0.1 + 0.2 as share")
        con.execute("create table marts.counted as select * from (values (1, 'a'), (2, 'b')) as t (n, brand)")
    assert keep_marts(store) == {"counted": 2, "same": 1}
    with store.connect() as con:
        con.execute("create or replace table marts.same as select 1 as n, 0.3 as share")  # the last bits only
        con.execute("update marts.counted set n = 3 where brand = 'b'")
    assert mart_differences(store, ["counted", "same"]) == ["counted"]
    with store.connect() as con:
        con.execute("delete from marts.same")
    assert mart_differences(store, ["counted", "same"]) == ["counted", "same"]
