"""How mentions are counted, read where a BI tool reads them: raw.brand_mentions and marts.brand_daily_metrics.

User story: an analyst compares brands by origin. One partition of hand-made videos goes through the
real text-unit, sentiment and matching code into a DuckDB warehouse, dbt builds the marts, and each
origin's count follows its rule in docs/bi.md ("How mentions are counted"): a brand hashtag written
in the description is one hashtag mention, a brand said twice in one segment one speech mention, a
misheard "café risa" in a Spanish complaint a speech mention that is negative.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.catalog import load_catalog
from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
from listening_pipeline.lib.text.lexicon import LexiconScorer
from listening_pipeline.lib.text.units import build_text_units, sentiment_rows
from listening_pipeline.settings import DBT_PROJECT_DIR, FUZZY_MATCH_THRESHOLD
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.tables import (
    ALL_TABLES,
    BRAND_MENTIONS,
    COMMENTS,
    LOGO_HITS,
    OCR_TEXT,
    TRANSCRIPTS,
    VIDEOS,
)

HASHTAG, DAY = "coffeetime", dt.date(2026, 11, 2)
COMPLAINT = "Probé café risa hoy y fue horrible. Una pérdida de dinero."  # "Café Brisa", misheard


def _video(video_id: str, description: str, hashtags: list[str]) -> dict:
    return {
        "hashtag": HASHTAG,
        "day": DAY,
        "video_id": video_id,
        "source": "folder",
        "creator": f"creator{video_id}",
        "created_at": dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC),
        "description": description,
        "hashtags": hashtags,
        "region": "ES",
        "view_count": 1000,
        "like_count": 100,
        "comment_count": 2,
        "share_count": 1,
        "duration_s": 8.0,
        "voice_to_text": None,
        "media_uri": f"media/{video_id}.mp4",
        "media_error": None,
    }


def _partition() -> dict[str, pl.DataFrame]:
    key = {"hashtag": HASHTAG, "day": DAY}
    videos = VIDEOS.frame(
        [
            # v1: Café Brisa in words and as a tag (also in the platform's list), twice said, once on screen, once
            # as a logo held for two frames, and in two comments (one naming it twice)
            _video("v1", "Love Café Brisa, café brisa forever #cafebrisa #coffeetime", ["cafebrisa", "coffeetime"]),
            # v2: tagged only, in the description and the list: one hashtag mention, no description mention
            _video("v2", "morning ritual #MokkaMia #coffeetime", ["mokkamia", "coffeetime"]),
            # v3: a Spanish complaint whose brand the speech model misheard; the tag is in the description only
            _video("v3", "hoy #cafebrisa", ["coffeetime"]),
        ]
    )
    comments = COMMENTS.frame(
        [
            {**key, "comment_id": "c1", "video_id": "v1", "parent_comment_id": "v1", "text": "Café Brisa! café brisa!"},
            {**key, "comment_id": "c2", "video_id": "v1", "parent_comment_id": "v1", "text": "#cafebrisa is my fav"},
            {**key, "comment_id": "c3", "video_id": "v2", "parent_comment_id": "v2", "text": "no brand here"},
        ]
    )
    speech = {**key, "language": "en", "words_json": None, "model": "whisperx/faster-whisper:base:int8"}
    transcripts = TRANSCRIPTS.frame(
        [
            {
                **speech,
                "video_id": "v1",
                "segment_no": 0,
                "start_s": 0.5,
                "end_s": 4.0,
                "text": "Café Brisa, yes, Café Brisa.",
            },
            {**speech, "video_id": "v1", "segment_no": 1, "start_s": 5.0, "end_s": 7.0, "text": "I love Cafe Brisa."},
            {
                **speech,
                "video_id": "v3",
                "segment_no": 0,
                "start_s": 0.3,
                "end_s": 5.0,
                "text": COMPLAINT,
                "language": "es",
            },
        ]
    )
    box = {"box_x0": 0.1, "box_y0": 0.1, "box_x1": 0.9, "box_y1": 0.2}
    ocr_text = OCR_TEXT.frame(
        [{**key, **box, "video_id": "v1", "span_no": 0, "text": "Café Brisa review", "confidence": 0.9,
          "first_seen_s": 0.0, "last_seen_s": 3.0, "model": "easyocr"}]
    )  # fmt: skip
    logo = {**key, "video_id": "v1", "brand": "Café Brisa", "model": "yolo", "box_x0": 0.6, "box_y0": 0.5}
    logo_hits = LOGO_HITS.frame(
        [
            {**logo, "confidence": 0.8, "t_s": 2.0, "t_until_s": 3.0, "box_x1": 0.9, "box_y1": 0.8},
            {**logo, "confidence": 0.9, "t_s": 3.0, "t_until_s": 4.0, "box_x1": 0.9, "box_y1": 0.8},
        ]
    )
    return {
        "videos": videos,
        "comments": comments,
        "transcripts": transcripts,
        "ocr_text": ocr_text,
        "logo_hits": logo_hits,
    }


def _mentions(raw: dict[str, pl.DataFrame], scorer) -> tuple[pl.DataFrame, pl.DataFrame]:
    units = build_text_units(raw["videos"], raw["comments"], raw["transcripts"], raw["ocr_text"])
    scores = sentiment_rows(units, scorer)
    matcher = BrandMatcher(load_catalog().brands, FUZZY_MATCH_THRESHOLD)
    rows = mention_rows(
        units, scores, raw["logo_hits"], matcher, HASHTAG, DAY, raw["ocr_text"], transcripts=raw["transcripts"]
    )
    return units, rows


@pytest.fixture(scope="module")
def warehouse_with_marts(tmp_path_factory):
    """The partition matched with the lexicon scorer, written to a DuckDB file, brand_daily_metrics built by dbt."""
    root = tmp_path_factory.mktemp("counted")
    store = DuckDBWarehouse(root / "warehouse.duckdb")
    raw = _partition()
    _, mentions = _mentions(raw, LexiconScorer())
    store.ensure_tables(ALL_TABLES.values())
    store.replace_table(VIDEOS, raw["videos"])
    store.replace_table(BRAND_MENTIONS, mentions)
    env = {
        **os.environ,
        "LISTENING_PIPELINE_DBT_TARGET": "duckdb",
        "LISTENING_PIPELINE_DUCKDB_PATH": str(store.path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(Path(sys.executable).with_name("dbt")), "run", "--select", "+brand_daily_metrics"]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(root / "target"), "--log-path", str(root / "logs")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    return store


def _raw_counts(store: DuckDBWarehouse) -> dict[tuple[str, str, str], int]:
    rows = store.query("select video_id, brand, origin, count(*) as n from raw.brand_mentions group by all")
    return {(r["video_id"], r["brand"], r["origin"]): r["n"] for r in rows.iter_rows(named=True)}


def test_each_origin_counts_by_its_rule_in_the_raw_table(warehouse_with_marts):
    assert _raw_counts(warehouse_with_marts) == {
        ("v1", "Café Brisa", "speech"): 2,  # two segments; the one naming it twice counts once
        ("v1", "Café Brisa", "caption"): 1,
        ("v1", "Café Brisa", "logo"): 1,  # two frames, one appearance
        ("v1", "Café Brisa", "description"): 1,  # named twice in words: once
        ("v1", "Café Brisa", "hashtag"): 1,  # #cafebrisa in the description and in the list: once
        ("v1", "Café Brisa", "comment"): 2,  # one per comment, a #tag in a comment included
        ("v2", "Mokka Mia", "hashtag"): 1,  # tagged only: no description mention
        ("v3", "Café Brisa", "speech"): 1,  # misheard, matched tolerantly
        ("v3", "Café Brisa", "hashtag"): 1,  # the tag written in the description only
    }


def test_the_brand_metrics_count_the_same(warehouse_with_marts):
    metrics = warehouse_with_marts.query("select * from marts.brand_daily_metrics order by brand")
    by_brand = {r["brand"]: r for r in metrics.iter_rows(named=True)}
    brisa, mia = by_brand["Café Brisa"], by_brand["Mokka Mia"]
    origins = ("speech", "caption", "logo", "description", "hashtag", "comment")
    assert [brisa[f"{o}_mentions"] for o in origins] == [3, 1, 1, 1, 2, 2]
    assert [mia[f"{o}_mentions"] for o in origins] == [0, 0, 0, 0, 1, 0]
    assert brisa["mentions"] == 10 and brisa["mentioning_videos"] == 2 and mia["mentions"] == 1


def test_a_misheard_name_is_marked_and_a_bi_tool_can_leave_it_out(warehouse_with_marts):
    rows = warehouse_with_marts.query("select * from raw.brand_mentions where video_id = 'v3' and origin = 'speech'")
    (misheard,) = rows.iter_rows(named=True)
    assert misheard["matched_text"] == "café risa" and 0.8 <= misheard["match_confidence"] < 1
    exact_only = warehouse_with_marts.query(
        "select count(*) as n from raw.brand_mentions where match_confidence = 1 or origin = 'logo'"
    )
    assert exact_only["n"][0] == 10  # all but the misheard one
    assert warehouse_with_marts.query("select count(*) as n from raw.brand_mentions where origin = 'logo' and "
                                      "match_confidence is not null")["n"][0] == 0  # fmt: skip
    rules = warehouse_with_marts.query(
        "select coalesce(match_rule, 'none: ' || origin) as rule, count(*) as n from raw.brand_mentions group by 1"
    )
    # why each row counted: the sample's brand names are invented words, so no common-word rule applies
    assert dict(rules.iter_rows()) == {"exact": 9, "tolerant": 1, "none: logo": 1}


def test_a_spoken_complaint_is_negative_once_its_misheard_brand_is_found(warehouse_with_marts):
    complaint = warehouse_with_marts.query(
        "select sentiment_label, sentiment_polarity from raw.brand_mentions where video_id = 'v3' and origin = 'speech'"
    ).row(0, named=True)
    assert complaint["sentiment_label"] == "negative" and complaint["sentiment_polarity"] < 0
    metrics = warehouse_with_marts.query("select * from marts.brand_daily_metrics where brand = 'Café Brisa'")
    assert metrics["negative_mentions"][0] >= 1


def test_with_a_transformers_classifier_the_complaint_is_negative_too():
    """Needs a real sentiment classifier in the Hugging Face cache (`listening-pipeline models pull sentiment`)."""
    from listening_pipeline.lib import weights
    from listening_pipeline.lib.text.sentiment import TransformersScorer

    resolved = weights.resolve_sentiment_model(None)
    if resolved is None:
        pytest.skip("no transformers sentiment classifier cached on this machine")
    scorer = TransformersScorer(resolved.path, name=resolved.name)
    _, rows = _mentions(_partition(), scorer)
    complaint = rows.filter((pl.col("video_id") == "v3") & (pl.col("origin") == "speech")).row(0, named=True)
    assert complaint["brand"] == "Café Brisa" and complaint["sentiment_label"] == "negative"
