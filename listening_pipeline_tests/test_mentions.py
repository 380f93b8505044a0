"""Brand matching: word boundaries in any script, folding, multi-word and hashtag forms; mention rows."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest

from listening_pipeline.catalog import Brand, load_catalog
from listening_pipeline.lib.mentions import BrandMatcher, mention_id, mention_rows
from listening_pipeline.lib.reports import evidence_sample
from listening_pipeline.warehouse.tables import BRAND_MENTIONS, LOGO_HITS, OCR_TEXT, SENTIMENT, TEXT_UNITS

DAY = date(2025, 7, 1)


def _brand(name: str, *aliases: str) -> Brand:
    return Brand(name=name, competitor_group="test", aliases=(name, *aliases), hashtags=(), logos=())


@pytest.fixture(scope="module")
def matcher() -> BrandMatcher:
    extra = [_brand("巴布洛"), _brand("Бубло"), _brand("ポカリ"), _brand("Straße Cola")]
    return BrandMatcher([*load_catalog().brands, *extra])


def _found(matcher: BrandMatcher, text: str) -> list[tuple[str, str]]:
    return [(m.brand, m.matched_text) for m in matcher.find(text)]


def test_whole_words_only(matcher):
    assert _found(matcher, "I love Fizzly!") == [("Fizzly", "Fizzly")]
    assert _found(matcher, "Fizzlyness and unfizzly and fizzly2") == []
    assert _found(matcher, "(fizzly)") == [("Fizzly", "fizzly")]


def test_possessives_and_underscores_end_a_word(matcher):
    assert _found(matcher, "bubblo's new flavour") == [("Bubblo", "bubblo")]
    assert _found(matcher, "Bubblo’s can") == [("Bubblo", "Bubblo")]
    assert _found(matcher, "@fizzly_official") == [("Fizzly", "fizzly")]


def test_case_and_diacritics_are_folded(matcher):
    assert _found(matcher, "CAFE BRISA") == [("Café Brisa", "CAFE BRISA")]
    assert _found(matcher, "café brisa") == [("Café Brisa", "café brisa")]
    decomposed = "Cafe\u0301 Brisa"  # accent as a separate character: kept in the matched text
    assert _found(matcher, decomposed) == [("Café Brisa", decomposed)]
    assert _found(matcher, "ＦＩＺＺＬＹ") == [("Fizzly", "ＦＩＺＺＬＹ")]  # full-width letters


def test_multi_word_aliases_span_any_whitespace_or_punctuation(matcher):
    assert _found(matcher, "Nord\n\n  Peak jackets") == [("Nordpeak", "Nord\n\n  Peak")]
    assert _found(matcher, "the trail-fox boots") == [("Trailfox", "trail-fox")]
    assert _found(matcher, "Mokka. Mia!") == [("Mokka Mia", "Mokka. Mia")]
    assert _found(matcher, "Nord or Peak") == []


def test_longest_alias_wins_and_offsets_point_into_the_text(matcher):
    text = "Try Fizzly Soda today"
    (match,) = matcher.find(text)
    assert (match.brand, match.matched_text) == ("Fizzly", "Fizzly Soda")
    assert text[match.start : match.end] == match.matched_text


def test_hashtags_and_handles_match_the_alias_without_spaces(matcher):
    assert _found(matcher, "#cafebrisa #CafeBrisa") == [("Café Brisa", "cafebrisa"), ("Café Brisa", "CafeBrisa")]
    assert _found(matcher, "#FizzlySoda vibes") == [("Fizzly", "FizzlySoda")]
    assert _found(matcher, "#nord_peak @trailfox") == [("Nordpeak", "nord_peak"), ("Trailfox", "trailfox")]
    assert _found(matcher, "cafebrisa") == [("Café Brisa", "cafebrisa")]  # a catalog alias itself
    assert _found(matcher, "nordpeakfan #nordpeakfan") == []


def test_other_scripts(matcher):
    assert _found(matcher, "我喜欢巴布洛汽水") == [("巴布洛", "巴布洛")]  # no spaces: substring
    assert _found(matcher, "今日はポカリを飲んだ") == [("ポカリ", "ポカリ")]
    assert _found(matcher, "БУБЛО лучше, чем Бублоны") == [("Бубло", "БУБЛО")]
    assert _found(matcher, "STRASSE COLA") == [("Straße Cola", "STRASSE COLA")]
    assert _found(matcher, "Fizzly在中国很火") == [("Fizzly", "Fizzly")]


def test_several_brands_in_one_text(matcher):
    found = _found(matcher, "Bubblo Cola vs Fizzly: fizzly wins, says @MokkaMia")
    assert found == [("Bubblo", "Bubblo Cola"), ("Fizzly", "Fizzly"), ("Fizzly", "fizzly"), ("Mokka Mia", "MokkaMia")]
    assert matcher.find("") == [] and matcher.find(None) == []


def _units() -> pl.DataFrame:
    base = {"hashtag": "summerdrinks", "day": DAY}
    return TEXT_UNITS.frame(
        [
            {
                **base,
                "unit_id": "v1:speech:0",
                "video_id": "v1",
                "origin": "speech",
                "origin_ref": "0",
                "text": "me encanta Fizzly y Bubblo",
                "language": "es",
                "start_s": 3.5,
                "end_s": 6.0,
            },
            {
                **base,
                "unit_id": "v1:comment:c1",
                "video_id": "v1",
                "origin": "comment",
                "origin_ref": "c1",
                "text": "no brand here",
            },
            {
                **base,
                "unit_id": "v2:hashtag:cafebrisa",
                "video_id": "v2",
                "origin": "hashtag",
                "origin_ref": "cafebrisa",
                "text": "#cafebrisa",
            },
        ]
    )


def _sentiment() -> pl.DataFrame:
    base = {"hashtag": "summerdrinks", "day": DAY, "score": 0.9, "model": "lexicon:listening_pipeline-v1"}
    return SENTIMENT.frame([{**base, "unit_id": "v1:speech:0", "video_id": "v1", "label": "positive", "polarity": 0.6}])


def _logos() -> pl.DataFrame:
    base = {"hashtag": "summerdrinks", "day": DAY, "model": "logos-yolo11n.pt@abc"}
    return LOGO_HITS.frame(
        [
            {**base, "video_id": "v1", "brand": "Fizzly", "confidence": 0.81, "t_s": 2.0, "t_until_s": 4.0},
            {**base, "video_id": "v1", "brand": "Fizzly", "confidence": 0.66, "t_s": 7.0, "t_until_s": 8.0},
        ]
    )


def test_mention_rows_from_text_and_logos(matcher):
    rows = mention_rows(_units(), _sentiment(), _logos(), matcher, "summerdrinks", DAY)
    assert rows.schema == BRAND_MENTIONS.schema
    text = rows.filter(pl.col("origin") != "logo").sort("mention_id")
    assert sorted(text.get_column("brand")) == ["Bubblo", "Café Brisa", "Fizzly"]
    speech = {r["brand"]: r for r in text.iter_rows(named=True) if r["origin"] == "speech"}
    assert speech["Fizzly"]["t_s"] == 3.5 and speech["Fizzly"]["confidence"] == 1.0
    assert speech["Fizzly"]["sentiment_label"] == "positive" and speech["Fizzly"]["sentiment_polarity"] == 0.6
    assert speech["Bubblo"]["matched_text"] == "Bubblo" and speech["Bubblo"]["unit_id"] == "v1:speech:0"
    tag = text.filter(pl.col("origin") == "hashtag").row(0, named=True)
    assert tag["t_s"] is None and tag["sentiment_label"] is None  # no sentiment row for that unit
    logos = rows.filter(pl.col("origin") == "logo").sort("t_s")
    assert logos.get_column("confidence").to_list() == [0.81, 0.66]
    assert logos.get_column("t_s").to_list() == [2.0, 7.0]
    assert logos.get_column("end_s").to_list() == [4.0, 8.0]  # where each appearance's last frame ends
    assert speech["Fizzly"]["end_s"] == 6.0 and tag["end_s"] is None  # the segment's end; a tag has no time
    assert logos.get_column("unit_id").is_null().all() and logos.get_column("sentiment_label").is_null().all()
    assert rows.get_column("mention_id").n_unique() == rows.height
    assert (rows.get_column("hashtag") == "summerdrinks").all() and (rows.get_column("day") == DAY).all()


def test_the_evidence_sample_shows_each_mention_with_its_second_and_quote(matcher):
    rows = mention_rows(_units(), _sentiment(), _logos(), matcher, "summerdrinks", DAY)
    sample = evidence_sample(rows, _units())
    assert sample.height == rows.height
    speech = sample.filter((pl.col("origin") == "speech") & (pl.col("brand") == "Fizzly")).row(0, named=True)
    assert speech["quote"] == "me encanta Fizzly y Bubblo" and speech["seconds"] == "3.5-6.0 s"
    logo = sample.filter(pl.col("origin") == "logo").row(0, named=True)
    assert logo["quote"] is None and logo["seconds"] == "2.0-4.0 s"
    assert evidence_sample(rows, _units(), limit=2).height == 2


def test_mention_ids_are_stable(matcher):
    first = mention_rows(_units(), _sentiment(), _logos(), matcher, "summerdrinks", DAY)
    again = mention_rows(
        _units().reverse(), None, _logos().reverse(), BrandMatcher(load_catalog().brands), "coffeetime", DAY
    )
    assert set(first.get_column("mention_id")) == set(again.get_column("mention_id"))
    # The formula is part of the contract: ids written by earlier runs must still match.
    expected = hashlib.sha1(b"v1:speech:0\x1fFizzly\x1f11").hexdigest()[:24]
    assert mention_id("v1:speech:0", "Fizzly", 11) == expected
    assert expected in set(first.get_column("mention_id"))


def test_no_units_and_no_logos_give_an_empty_frame(matcher):
    rows = mention_rows(TEXT_UNITS.empty(), None, None, matcher, "summerdrinks", DAY)
    assert rows.is_empty() and rows.schema == BRAND_MENTIONS.schema


def test_a_text_naming_a_brand_twice_is_one_mention(matcher):
    base = {"hashtag": "summerdrinks", "day": DAY}
    units = TEXT_UNITS.frame(
        [
            {
                **base,
                "unit_id": "v1:comment:c1",
                "video_id": "v1",
                "origin": "comment",
                "origin_ref": "c1",
                "text": "Fizzly, fizzly, FIZZLY! better than Bubblo",
            },
        ]
    )
    rows = mention_rows(units, None, None, matcher, "summerdrinks", DAY)
    assert sorted(rows.get_column("brand").to_list()) == ["Bubblo", "Fizzly"]
    assert rows.filter(pl.col("brand") == "Fizzly").get_column("matched_text").to_list() == ["Fizzly"]


def test_a_logo_held_on_screen_is_one_appearance(matcher):
    base = {"hashtag": "summerdrinks", "day": DAY, "model": "logos-yolo11n.pt@abc", "video_id": "v1", "brand": "Fizzly"}
    here = {"box_x0": 0.1, "box_y0": 0.4, "box_x1": 0.4, "box_y1": 0.6}
    there = {"box_x0": 0.6, "box_y0": 0.4, "box_x1": 0.9, "box_y1": 0.6}
    hits = LOGO_HITS.frame(
        [
            {**base, **here, "confidence": 0.7, "t_s": 1.0, "t_until_s": 1.0},
            {**base, **here, "confidence": 0.9, "t_s": 2.0, "t_until_s": 2.0},
            {**base, **here, "confidence": 0.8, "t_s": 3.0, "t_until_s": 3.5},
            # right after, somewhere else on screen: a second appearance
            {**base, **there, "confidence": 0.6, "t_s": 4.0, "t_until_s": 5.0},
            # back in the first place after a long gap: a third
            {**base, **here, "confidence": 0.75, "t_s": 9.0, "t_until_s": 9.0},
        ]
    )
    rows = mention_rows(TEXT_UNITS.empty(), None, hits, matcher, "summerdrinks", DAY).sort("t_s")
    assert rows.get_column("t_s").to_list() == [1.0, 4.0, 9.0]
    assert rows.get_column("confidence").to_list() == [0.9, 0.6, 0.75]
    assert (rows.get_column("origin") == "logo").all()


def test_the_wordmark_inside_a_logo_is_the_logo_not_a_caption(matcher):
    base = {"hashtag": "summerdrinks", "day": DAY}
    units = TEXT_UNITS.frame(
        [
            {
                **base,
                "unit_id": "v1:caption:0",
                "video_id": "v1",
                "origin": "caption",
                "origin_ref": "0",
                "text": "TRAILFOX",
                "start_s": 1.0,
                "end_s": 4.0,
            },
            {
                **base,
                "unit_id": "v1:caption:1",
                "video_id": "v1",
                "origin": "caption",
                "origin_ref": "1",
                "text": "Honest review: Trailfox",
                "start_s": 0.0,
                "end_s": 3.0,
            },
        ]
    )
    ocr = OCR_TEXT.frame(
        [
            {
                **base,
                "video_id": "v1",
                "span_no": 0,
                "text": "TRAILFOX",
                "confidence": 0.99,
                "first_seen_s": 1.0,
                "last_seen_s": 4.0,
                "box_x0": 0.62,
                "box_y0": 0.54,
                "box_x1": 0.89,
                "box_y1": 0.57,
                "model": "easyocr",
            },
            {
                **base,
                "video_id": "v1",
                "span_no": 1,
                "text": "Honest review: Trailfox",
                "confidence": 0.99,
                "first_seen_s": 0.0,
                "last_seen_s": 3.0,
                "box_x0": 0.1,
                "box_y0": 0.12,
                "box_x1": 0.9,
                "box_y1": 0.18,
                "model": "easyocr",
            },
        ]
    )
    logo = {
        **base,
        "video_id": "v1",
        "brand": "Trailfox",
        "model": "yolo",
        "box_x0": 0.55,
        "box_y0": 0.4,
        "box_x1": 0.95,
        "box_y1": 0.62,
    }
    hits = LOGO_HITS.frame(
        [
            {**logo, "confidence": 0.9, "t_s": 1.0, "t_until_s": 1.0},
            {**logo, "confidence": 0.9, "t_s": 2.0, "t_until_s": 4.0},
        ]
    )
    rows = mention_rows(units, None, hits, matcher, "summerdrinks", DAY, ocr_text=ocr)
    assert sorted(zip(rows["origin"], rows["unit_id"].fill_null("-"))) == [("caption", "v1:caption:1"), ("logo", "-")]
    # without the logo, the wordmark is a caption like any other
    alone = mention_rows(units, None, None, matcher, "summerdrinks", DAY, ocr_text=ocr)
    assert alone.filter(pl.col("origin") == "caption").height == 2


def test_box_maths_the_wordmark_and_appearance_rules_rest_on():
    from listening_pipeline.lib.boxes import clipped, iou, overlap_of_smaller, share_inside

    logo, wordmark = (0.6, 0.4, 0.9, 0.7), (0.62, 0.54, 0.89, 0.57)
    assert share_inside(wordmark, logo) == pytest.approx(1.0)
    assert share_inside(logo, wordmark) == pytest.approx(0.27 * 0.03 / (0.3 * 0.3))
    assert overlap_of_smaller(logo, wordmark) == overlap_of_smaller(wordmark, logo) == pytest.approx(1.0)
    assert iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert iou(logo, logo) == pytest.approx(1.0)
    for touching in ((0.9, 0.4, 1.0, 0.7), (0.6, 0.7, 0.9, 0.8)):  # sharing an edge is no overlap
        assert iou(logo, touching) == overlap_of_smaller(logo, touching) == share_inside(touching, logo) == 0.0
    flat = (0.6, 0.5, 0.9, 0.5)  # no area: nothing inside anything
    assert iou(flat, flat) == share_inside(flat, logo) == overlap_of_smaller(flat, logo) == 0.0
    assert clipped((-0.2, 0.5, 1.3, 1)) == (0.0, 0.5, 1.0, 1.0)


# --------------------------------------------------------------------------- how each origin is counted


def _unit(video: str, origin: str, ref: str, text: str, start: float | None = None) -> dict:
    return {
        "hashtag": "coffeetime",
        "day": DAY,
        "unit_id": f"{video}:{origin}:{ref}",
        "video_id": video,
        "origin": origin,
        "origin_ref": ref,
        "text": text,
        "start_s": start,
    }


def _counts(rows: pl.DataFrame) -> dict[tuple[str, str, str], int]:
    return {(v, b, o): n for v, b, o, n in rows.group_by("video_id", "brand", "origin").len().iter_rows()}


def test_a_brand_hashtag_in_the_description_is_one_hashtag_mention(matcher):
    units = TEXT_UNITS.frame(
        [
            # v1: the tag is in the description and in the platform's hashtag list: one hashtag mention
            _unit("v1", "description", "0", "Morning coffee #cafebrisa #CafeBrisa #coffeetime"),
            _unit("v1", "hashtag", "cafebrisa", "#cafebrisa"),
            _unit("v1", "hashtag", "coffeetime", "#coffeetime"),
            # v2: named in words and tagged: one description and one hashtag mention
            _unit("v2", "description", "0", "Café Brisa, then café brisa again #CaféBrisa"),
            _unit("v2", "hashtag", "cafébrisa", "#cafébrisa"),
            # v3: tagged only in the description (the list lacks it): still one hashtag mention
            _unit("v3", "description", "0", "new beans from #mokkamia and #MokkaMia"),
            # v4: two different tags of one brand are two hashtags; a comment's #tag is a comment
            _unit("v4", "hashtag", "fizzly", "#fizzly"),
            _unit("v4", "hashtag", "fizzlysoda", "#fizzlysoda"),
            _unit("v4", "description", "0", "summer #fizzly"),
            _unit("v4", "comment", "c1", "#fizzly forever, fizzly!"),
        ]
    )
    rows = mention_rows(units, None, None, matcher, "coffeetime", DAY)
    assert _counts(rows) == {
        ("v1", "Café Brisa", "hashtag"): 1,
        ("v2", "Café Brisa", "description"): 1,
        ("v2", "Café Brisa", "hashtag"): 1,
        ("v3", "Mokka Mia", "hashtag"): 1,
        ("v4", "Fizzly", "hashtag"): 2,
        ("v4", "Fizzly", "comment"): 1,
    }
    only_in_description = rows.filter(pl.col("video_id") == "v3").row(0, named=True)
    assert only_in_description["unit_id"] == "v3:description:0" and only_in_description["matched_text"] == "mokkamia"
    assert rows.get_column("mention_id").n_unique() == rows.height
    assert rows.get_column("match_confidence").to_list() == [1.0] * rows.height
