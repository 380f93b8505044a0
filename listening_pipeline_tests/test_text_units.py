"""Text units from hand-made partition frames, and sentiment rows over them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from listening_pipeline.lib.text.sentiment import LexiconScorer, SentimentResult
from listening_pipeline.lib.text.units import build_text_units, sentiment_rows
from listening_pipeline.warehouse.tables import COMMENTS, OCR_TEXT, SENTIMENT, TEXT_UNITS, TRANSCRIPTS, VIDEOS

DAY = date(2025, 7, 1)
PARTITION = {"hashtag": "summerdrinks", "day": DAY}
CREATED = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _videos() -> pl.DataFrame:
    return VIDEOS.frame(
        [
            {
                **PARTITION,
                "video_id": "v1",
                "source": "folder",
                "created_at": CREATED,
                "description": "  Fizzly on the beach 😍 ",
                "hashtags": ["summerdrinks", "fizzly", "fizzly"],
                "voice_to_text": "platform words that ASR replaces",
            },
            {
                **PARTITION,
                "video_id": "v2",
                "source": "folder",
                "created_at": CREATED,
                "description": "   ",
                "hashtags": [],
                "voice_to_text": "bubblo cola is great",
            },
            {
                **PARTITION,
                "video_id": "v3",
                "source": "folder",
                "created_at": CREATED,
                "description": None,
                "hashtags": None,
                "voice_to_text": None,
            },
        ]
    )


def _comments() -> pl.DataFrame:
    return COMMENTS.frame(
        [
            {**PARTITION, "comment_id": "c1", "video_id": "v1", "parent_comment_id": "v1", "text": "love it"},
            {**PARTITION, "comment_id": "c2", "video_id": "v1", "parent_comment_id": "c1", "text": "\n\t"},
            {**PARTITION, "comment_id": "c3", "video_id": "v3", "parent_comment_id": "v3", "text": "love it"},
        ]
    )


def _transcripts() -> pl.DataFrame:
    return TRANSCRIPTS.frame(
        [
            {
                **PARTITION,
                "video_id": "v1",
                "segment_no": 0,
                "start_s": 0.0,
                "end_s": 2.5,
                "text": "hola a todos",
                "language": "es",
                "model": "whisper",
            },
            {
                **PARTITION,
                "video_id": "v1",
                "segment_no": 1,
                "start_s": 2.5,
                "end_s": 4.0,
                "text": "me encanta Fizzly",
                "language": "es",
                "model": "whisper",
            },
            {
                **PARTITION,
                "video_id": "v1",
                "segment_no": 2,
                "start_s": 4.0,
                "end_s": 5.0,
                "text": " ",
                "language": "es",
                "model": "whisper",
            },
        ]
    )


def _ocr() -> pl.DataFrame:
    return OCR_TEXT.frame(
        [
            {
                **PARTITION,
                "video_id": "v1",
                "span_no": 0,
                "text": "FIZZLY SODA",
                "confidence": 0.9,
                "first_seen_s": 1.0,
                "last_seen_s": 3.0,
                "model": "easyocr",
            },
        ]
    )


def _units() -> pl.DataFrame:
    return build_text_units(_videos(), _comments(), _transcripts(), _ocr())


def _by_id(units: pl.DataFrame) -> dict[str, dict]:
    return {row["unit_id"]: row for row in units.iter_rows(named=True)}


def test_units_have_the_table_schema_and_unique_ids():
    units = _units()
    assert units.schema == TEXT_UNITS.schema
    assert units.get_column("unit_id").n_unique() == units.height
    assert set(units.get_column("origin")) == {"description", "hashtag", "comment", "speech", "caption"}


def test_each_origin_becomes_units_with_its_reference_and_times():
    rows = _by_id(_units())
    assert rows["v1:description:0"]["text"] == "Fizzly on the beach 😍"  # stripped, emoji kept
    assert rows["v1:hashtag:fizzly"]["text"] == "#fizzly"
    assert rows["v1:hashtag:summerdrinks"]["origin"] == "hashtag"
    assert rows["v1:comment:c1"]["text"] == "love it"
    assert rows["v3:comment:c3"]["video_id"] == "v3"
    speech = rows["v1:speech:1"]
    assert (speech["start_s"], speech["end_s"], speech["language"]) == (2.5, 4.0, "es")
    caption = rows["v1:caption:0"]
    assert (caption["start_s"], caption["end_s"], caption["text"]) == (1.0, 3.0, "FIZZLY SODA")
    assert rows["v1:description:0"]["start_s"] is None
    assert all(row["hashtag"] == "summerdrinks" and row["day"] == DAY for row in rows.values())


def test_empty_and_blank_texts_are_skipped_and_hashtags_deduplicated():
    ids = set(_units().get_column("unit_id"))
    assert "v2:description:0" not in ids and "v3:description:0" not in ids
    assert "v1:comment:c2" not in ids and "v1:speech:2" not in ids
    assert sorted(i for i in ids if i.startswith("v1:hashtag:")) == ["v1:hashtag:fizzly", "v1:hashtag:summerdrinks"]


def test_platform_transcript_is_used_only_where_asr_has_nothing():
    rows = _by_id(_units())
    assert "v1:speech:platform" not in rows  # v1 has ASR segments
    assert rows["v2:speech:platform"]["text"] == "bubblo cola is great"
    assert rows["v2:speech:platform"]["start_s"] is None


def test_optional_inputs_and_stable_order():
    only_videos = build_text_units(_videos())
    assert set(only_videos.get_column("origin")) == {"description", "hashtag", "speech"}
    assert _units().equals(_units())
    speech = _units().filter(pl.col("video_id") == "v1", pl.col("origin") == "speech")
    assert speech.get_column("origin_ref").to_list() == ["0", "1"]


def test_no_videos_gives_an_empty_frame_with_the_schema():
    units = build_text_units(VIDEOS.empty(), COMMENTS.empty(), TRANSCRIPTS.empty(), OCR_TEXT.empty())
    assert units.is_empty() and units.schema == TEXT_UNITS.schema
    assert sentiment_rows(units, LexiconScorer()).schema == SENTIMENT.schema


class _CountingScorer:
    model_name = "counting"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score(self, texts):
        self.seen.extend(texts)
        return [
            SentimentResult("positive" if "love" in t else "neutral", 0.9, 0.5 if "love" in t else 0.0, "counting")
            for t in texts
        ]


def test_sentiment_rows_score_each_distinct_text_once():
    units = _units()
    scorer = _CountingScorer()
    rows = sentiment_rows(units, scorer)
    assert rows.schema == SENTIMENT.schema
    assert rows.height == units.height
    assert sorted(scorer.seen) == sorted(set(units.get_column("text")))
    assert scorer.seen.count("love it") == 1  # two comments, one scoring
    labels = dict(zip(rows.get_column("unit_id"), rows.get_column("label")))
    assert labels["v1:comment:c1"] == labels["v3:comment:c3"] == "positive"
    assert labels["v1:hashtag:fizzly"] == "neutral"


def test_sentiment_rows_with_the_lexicon_scorer():
    rows = sentiment_rows(_units(), LexiconScorer())
    by_unit = {r["unit_id"]: r for r in rows.iter_rows(named=True)}
    assert by_unit["v1:speech:1"]["label"] == "positive"  # "me encanta Fizzly"
    assert by_unit["v1:comment:c1"]["model"] == "lexicon:listening_pipeline-v1"
    assert rows.get_column("polarity").is_between(-1, 1).all()


def test_stickers_effects_and_tagged_accounts_are_text_that_names_brands():
    """A sticker's words, a branded effect's name and a tagged account each count under their own origin,
    read from the platform's objects as a Research API record carries them (odd shapes give no text)."""
    from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
    from listening_pipeline.lib.sources.records import video_row
    from listening_pipeline.lib.text.units import build_text_units as units_of

    record = {
        "id": 7301,
        "create_time": int(CREATED.timestamp()),
        "hashtag_names": ["summerdrinks"],
        "video_description": "beach day",
        "sticker_info_list": [{"sticker_text": ["Fizzly Soda or Bubblo Cola?", "vote!"]}, 42, {"x": 1}],
        "effect_ids": [7600000000000001001, 7600000000000000002],
        "effect_info_list": [{"effect_id": 7600000000000001001, "effect_name": "Bubblo Glow"}, "odd"],
        "video_mention_list": ["fizzly", "@bubblo", " "],
    }
    video = VIDEOS.frame([video_row(record, hashtag="summerdrinks", day=DAY, source="research_api")])
    units = units_of(video)
    platform = units.filter(pl.col("origin").is_in(["sticker", "effect", "handle"]))
    assert platform.select("origin", "origin_ref", "text").rows() == [
        ("effect", "7600000000000001001", "Bubblo Glow"),
        ("handle", "fizzly", "@fizzly"),
        ("handle", "bubblo", "@bubblo"),
        ("sticker", "0", "Fizzly Soda or Bubblo Cola?"),
        ("sticker", "1", "vote!"),
    ]
    brands = [_brand(name, alias) for name, alias in (("Fizzly", "Fizzly Soda"), ("Bubblo", "Bubblo Cola"))]
    mentions = mention_rows(units, None, None, BrandMatcher(brands), "summerdrinks", DAY)
    found = sorted(mentions.select("origin", "brand").rows())
    assert found == [
        ("effect", "Bubblo"),
        ("handle", "Bubblo"),
        ("handle", "Fizzly"),
        ("sticker", "Bubblo"),
        ("sticker", "Fizzly"),
    ]


def _brand(name: str, alias: str):
    from listening_pipeline.catalog import Brand

    return Brand(name=name, competitor_group="drinks", aliases=(name, alias), hashtags=(), logos=())


def test_written_text_gets_its_language_and_short_or_unsure_text_gets_none():
    """Real posts in the catalog's languages are told apart; a bare emoji, a name or a two-word reply is not
    guessed at, and speech keeps the language its model heard."""
    from listening_pipeline.lib.text.language import detect_language

    catalog = ("en", "es", "de")
    assert detect_language("Honestly the new roast tastes burnt, I'm switching back", catalog) == "en"
    assert detect_language("¿Alguien sabe dónde comprarlo en Madrid? Me encantó", catalog) == "es"
    assert detect_language("Viel zu teuer für das, was man bekommt, leider", catalog) == "de"
    for short in ("😍😍😍", "lol ok", "#fizzly", "Mokka Mia", "", None, "1234567890123456"):
        assert detect_language(short, catalog) is None, short
    units = build_text_units(
        VIDEOS.frame(
            [
                {
                    **PARTITION,
                    "video_id": "v1",
                    "source": "folder",
                    "created_at": CREATED,
                    "description": "Tomando un café con mis amigas en la playa, qué maravilla",
                    "hashtags": ["cafe"],
                }
            ]
        ),
        transcripts=TRANSCRIPTS.frame(
            [
                {
                    **PARTITION,
                    "video_id": "v1",
                    "segment_no": 0,
                    "start_s": 0.0,
                    "end_s": 2.0,
                    "text": "hallo zusammen",
                    "language": "de",
                    "model": "m",
                }
            ]  # fmt: skip
        ),
        languages=catalog,
    )
    by_origin = dict(units.select("origin", "language").iter_rows())
    assert by_origin == {"description": "es", "hashtag": None, "speech": "de"}
