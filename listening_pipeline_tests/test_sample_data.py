"""The sample corpus: deterministic, readable by FolderSource, decodable, and true to its ground truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from listening_pipeline.catalog import load_catalog
from listening_pipeline.lib.sample_data import (
    SampleDataError,
    audio,
    brands_named_in,
    draw_logo,
    generate_sample_corpus,
    logo_style,
    plan_corpus,
)
from listening_pipeline.lib.sources.folder import FolderSource

START = dt.date(2026, 11, 1)
DAYS = 3
MANIFESTS = ("videos.jsonl", "comments.jsonl", "ground_truth.json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sample_corpus(tmp_path_factory.mktemp("sample") / "corpus", seed=7, start_day=START, days=DAYS)


@pytest.fixture(scope="module")
def truth(corpus: Path) -> dict[str, Any]:
    return json.loads((corpus / "ground_truth.json").read_text(encoding="utf-8"))


def _days() -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(DAYS)]


def _digests(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _json_lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def test_same_seed_gives_identical_files_and_replaces_an_old_corpus(corpus: Path, tmp_path: Path) -> None:
    again = tmp_path / "corpus"
    again.mkdir()
    (again / "ground_truth.json").write_text("{}")  # an older corpus...
    (again / "leftover.txt").write_text("stale")  # ...with a file the new one does not have

    generate_sample_corpus(again, seed=7, start_day=START, days=DAYS)

    assert not (again / "leftover.txt").exists()
    first, second = _digests(corpus), _digests(again)
    for name in MANIFESTS:
        assert (corpus / name).read_bytes() == (again / name).read_bytes(), name
    assert first == second, "media differ between two runs with the same seed"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders were left behind"


def test_plan_depends_on_the_seed() -> None:
    catalog = load_catalog()
    one = plan_corpus(catalog, seed=7, start_day=START, days=DAYS)
    same = plan_corpus(catalog, seed=7, start_day=START, days=DAYS)
    other = plan_corpus(catalog, seed=8, start_day=START, days=DAYS)
    assert [v.description for v in one.videos] == [v.description for v in same.videos]
    assert [v.description for v in one.videos] != [v.description for v in other.videos]


def test_folder_source_reads_every_partition(corpus: Path, truth: dict[str, Any]) -> None:
    source = FolderSource(corpus)
    bad_video = next(e for e in truth["edge_cases"] if e["kind"] == "malformed_video_line")
    bad_comment = next(e for e in truth["edge_cases"] if e["kind"] == "malformed_comment_line")
    assert truth["hashtags"] == ["summerdrinks", "hikinglife", "coffeetime"]
    for hashtag in truth["hashtags"]:
        for day in _days():
            expected = [v for v in truth["videos"] if v["hashtag"] == hashtag and v["day"] == day.isoformat()]
            videos = source.videos(hashtag, day)
            assert videos.rows.height >= 3
            assert sorted(videos.rows["video_id"].to_list()) == sorted(v["id"] for v in expected)
            video_problems = [p.item for p in videos.problems]
            if hashtag == bad_video["hashtag"]:
                assert video_problems == [f"videos.jsonl:{bad_video['line']}"]
            else:
                assert video_problems == []

            comments = source.comments(videos.rows, hashtag, day)
            expected_comments = sorted(c["id"] for v in expected for c in v["comments"])
            assert sorted(comments.rows["comment_id"].to_list()) == expected_comments
            comment_problems = [p.item for p in comments.problems]
            if (hashtag, day.isoformat()) == (bad_comment["hashtag"], bad_comment["day"]):
                assert comment_problems == [f"comments.jsonl:{bad_comment['line']}"]
            else:
                assert comment_problems == []


def test_media_decode_with_the_expected_streams(corpus: Path, truth: dict[str, Any]) -> None:
    spec = truth["video"]
    for video in truth["videos"]:
        if video["kind"] == "metadata_only":
            assert video["media"] is None
            continue
        path = corpus / video["media"]
        assert path.is_file()
        if video["kind"] == "corrupt_media":
            with pytest.raises(av.FFmpegError):
                with av.open(str(path)) as container:
                    list(container.decode(video=0))
            continue
        with av.open(str(path)) as container:
            assert container.duration / av.time_base == pytest.approx(video["duration_s"], abs=0.25)
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (spec["width"], spec["height"])
            assert len(container.streams.audio) == 1, "every playable clip has a soundtrack"
            audio = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        rate = spec["audio_sample_rate"]
        if video["speech"]:
            start, end = int(video["speech"]["start_s"] * rate), int(video["speech"]["end_s"] * rate)
            speech_rms = float(np.sqrt(np.mean(audio[start:end] ** 2)))
            lead_rms = float(np.sqrt(np.mean(audio[: max(start - 2048, 1)] ** 2)))
            assert speech_rms > 10 * lead_rms, f"{video['id']}: no speech where the ground truth puts it"
        else:
            assert video["kind"] == "music_only"
            assert float(np.sqrt(np.mean(audio**2))) > 0.02


def test_captions_and_logos_are_where_ground_truth_says(corpus: Path, truth: dict[str, Any]) -> None:
    fps = truth["video"]["fps"]
    checked_logos = 0
    for video in truth["videos"]:
        if not video["captions"] and not video["logos"]:
            continue
        with av.open(str(corpus / video["media"])) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        for caption in video["captions"]:
            frame = frames[int((caption["start_s"] + caption["end_s"]) / 2 * fps)]
            x0, y0, x1, y1 = caption["box"]
            panel = frame[y0:y1, x0:x1].astype(int)
            assert (panel.max(axis=2) < 70).mean() > 0.4, f"{video['id']}: no caption panel at {caption['box']}"
            assert (panel.min(axis=2) > 200).mean() > 0.03, f"{video['id']}: no white caption text"
        for logo in video["logos"]:
            frame = frames[int((logo["start_s"] + logo["end_s"]) / 2 * fps)]
            x0, y0, x1, y1 = logo["box"]
            crop = frame[y0:y1, x0:x1].astype(int)
            fill = np.array(logo_style(logo["brand"]).fill)
            near_fill = np.abs(crop - fill).max(axis=2) < 40
            assert near_fill.mean() > 0.2, f"{video['id']}: {logo['brand']} logo not at {logo['box']}"
            checked_logos += 1
    assert checked_logos >= 10


def test_ground_truth_matches_the_manifests(corpus: Path, truth: dict[str, Any]) -> None:
    catalog = load_catalog()
    records = {str(r["id"]): r for r in _json_lines(corpus / "videos.jsonl")}
    comments = {str(r["id"]): r for r in _json_lines(corpus / "comments.jsonl")}
    assert set(records) == {v["id"] for v in truth["videos"]}
    assert all(int(i) > 2**53 for i in records)
    for video in truth["videos"]:
        record = records[video["id"]]
        created = dt.datetime.fromtimestamp(record["create_time"], tz=dt.UTC)
        assert created.date().isoformat() == video["day"]
        assert video["hashtag"] in record["hashtag_names"]
        assert record["video_description"] == video["description"]["text"]
        assert record["hashtag_names"] == [h["tag"] for h in video["hashtags"]]
        assert record["media"] == video["media"]
        assert record["video_duration"] == video["duration_s"]
        for comment in video["comments"]:
            assert comments[comment["id"]]["text"] == comment["text"]
            assert str(comments[comment["id"]]["video_id"]) == video["id"]
        if video["speech"]:
            assert 0 < video["speech"]["start_s"] < video["speech"]["end_s"] <= video["duration_s"]
            assert video["speech"]["brands"] == brands_named_in(video["speech"]["text"], catalog)
        for item in video["captions"] + video["logos"]:
            x0, y0, x1, y1 = item["box"]
            assert 0 <= x0 < x1 <= truth["video"]["width"] and 0 <= y0 < y1 <= truth["video"]["height"]
            assert 0 <= item["start_s"] < item["end_s"] <= video["duration_s"]
        texts = [c["sentiment"] for c in video["comments"] + video["captions"]] + [video["description"]["sentiment"]]
        assert set(texts) <= {"positive", "negative", "neutral"}
        assert set().union(*video["mentions"].values()) <= {b.name for b in catalog.brands}


def test_corpus_covers_languages_sentiments_and_edge_cases(truth: dict[str, Any]) -> None:
    videos = truth["videos"]
    assert {v["language"] for v in videos} >= {"en", "es", "de"}
    assert {v["speech"]["sentiment"] for v in videos if v["speech"]} == {"positive", "negative", "neutral"}
    assert any(not any(v["mentions"].values()) for v in videos), "some videos mention no brand"
    assert {b for v in videos for b in v["mentions"]["logo"]} == {b.name for b in load_catalog().brands}
    kinds = {e["kind"] for e in truth["edge_cases"]}
    assert kinds == {"music_only", "corrupt_media", "malformed_video_line", "malformed_comment_line"}
    music = next(v for v in videos if v["kind"] == "music_only")
    assert music["speech"] is None and music["captions"] == [] and music["language"] is None
    origins = {row["origin"] for row in truth["mention_counts"]}
    assert origins == {"speech", "caption", "logo", "description", "hashtag", "comment", "sticker", "effect", "handle"}


def test_malformed_lines_are_where_ground_truth_says(corpus: Path, truth: dict[str, Any]) -> None:
    for edge in truth["edge_cases"]:
        if edge["kind"] in ("malformed_video_line", "malformed_comment_line"):
            line = (corpus / edge["file"]).read_text(encoding="utf-8").splitlines()[edge["line"] - 1]
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)


def test_committed_logos_are_the_drawn_ones() -> None:
    catalog = load_catalog()
    assert len(catalog.brands) == 6 and len({b.competitor_group for b in catalog.brands}) == 3
    assert catalog.tracked_hashtags == ("summerdrinks", "hikinglife", "coffeetime")
    assert "Cafe Brisa" in catalog.brand("Café Brisa").aliases
    for brand in catalog.brands:
        (logo,) = brand.logos
        with Image.open(logo) as committed:
            assert np.array_equal(np.asarray(committed.convert("RGBA")), np.asarray(draw_logo(brand.name)))


def test_brand_matching_respects_word_boundaries() -> None:
    catalog = load_catalog()
    assert brands_named_in("Love CAFE BRISA and #fizzly!", catalog) == ["Café Brisa", "Fizzly"]
    assert brands_named_in("fizzlydrinks and Nordpeaks", catalog) == []


def test_missing_espeak_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(SampleDataError, match="espeak-ng"):
        generate_sample_corpus(tmp_path / "corpus")
    assert not (tmp_path / "corpus").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_corpus(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SampleDataError, match="refusing"):
        generate_sample_corpus(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_history_is_quiet_metadata_with_one_planted_complaint_wave(corpus: Path, truth: dict[str, Any]) -> None:
    history = truth["history"]
    first = dt.date.fromisoformat(history["start_day"])
    days = {(first + dt.timedelta(days=n)).isoformat() for n in range(history["days"])}
    old = [v for v in truth["videos"] if v["day"] < truth["start_day"]]
    assert {v["day"] for v in old} == days and {v["hashtag"] for v in old} == {history["hashtag"]}
    [filmed] = history["filmed"]
    quiet_days = [v for v in old if v["id"] != filmed]
    assert all(v["kind"] == "metadata_only" and v["media"] is None and not v["captions"] for v in quiet_days)
    assert not any((corpus / "media").glob(f"{quiet_days[0]['id']}.*"))
    [wave] = truth["planted_alerts"]
    # The wave's viral video is filmed: logo, a caption and speech naming the brand, the most views that day.
    [clip] = [v for v in old if v["id"] == filmed]
    assert clip["id"] == wave["videos"][0] and (corpus / clip["media"]).is_file()
    assert [logo["brand"] for logo in clip["logos"]] == [wave["brand"]]
    assert all(wave["brand"] in c["brands"] for c in clip["captions"]) and wave["brand"] in clip["speech"]["brands"]
    per_day: dict[str, int] = {}
    for row in truth["mention_counts"]:
        if row["brand"] == wave["brand"] and row["day"] in days:
            per_day[row["day"]] = per_day.get(row["day"], 0) + row["count"]
    quiet = [n for day, n in per_day.items() if day != wave["day"]]
    assert per_day[wave["day"]] > 2 * max(quiet), per_day
    wave_videos = [v for v in old if v["id"] in wave["videos"]]
    assert len(wave_videos) == len(wave["videos"]) >= 3 and all(v["day"] == wave["day"] for v in wave_videos)
    assert all(
        c["sentiment"] == "negative" and wave["brand"] in c["brands"] for v in wave_videos for c in v["comments"]
    )
