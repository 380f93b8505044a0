"""Brand names the speech model misheard: found in speech with a confidence under 1, never in ordinary words.

User story: a creator says "Café Brisa" in Spanish and Whisper writes "café risa"; the mention (and the
complaint around it) must still reach the brand's metrics, marked as a tolerant match, while "I love
bubble tea" never becomes a Bubblo mention.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from listening_pipeline.catalog import Brand, load_catalog
from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
from listening_pipeline.lib.speech_hints import MAX_PROMPT_CHARS, SpeechHints
from listening_pipeline.lib.text.tolerant import MAX_CONFIDENCE, edit_distance, phonetic_key, spelling_similarity
from listening_pipeline.settings import FUZZY_MATCH_THRESHOLD, Settings
from listening_pipeline.warehouse.tables import TEXT_UNITS, TRANSCRIPTS

DAY = date(2026, 11, 2)


def _brand(name: str, *aliases: str) -> Brand:
    return Brand(name=name, competitor_group="g", aliases=(name, *aliases), hashtags=(), logos=())


@pytest.fixture(scope="module")
def matcher() -> BrandMatcher:
    # "Mark" and "Dove" are brands whose names are ordinary words; "Mia" is too short to guess at.
    extra = [_brand("Mark"), _brand("Mia"), _brand("The Ordinary")]
    return BrandMatcher([*load_catalog().brands, *extra], FUZZY_MATCH_THRESHOLD)


def _tolerant(matcher: BrandMatcher, text: str) -> list[tuple[str, str, float]]:
    return [(m.brand, m.matched_text, m.confidence) for m in matcher.find_tolerant(text)]


def test_edit_distance_and_sound_keys():
    assert edit_distance("caferisa", "cafebrisa") == 1 and edit_distance("", "abc") == 3
    assert spelling_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert phonetic_key("fizzlee") == phonetic_key("fisley") == phonetic_key("fizzly") == "FSL"
    assert phonetic_key("northpeak") == phonetic_key("nordpeak")
    assert phonetic_key("trailfocks") == phonetic_key("trailfox")
    assert phonetic_key("mark") != phonetic_key("mokkamia")


def test_misheard_names_are_found_with_a_confidence_under_one(matcher):
    assert _tolerant(matcher, "Probé café risa hoy y fue horrible") == [("Café Brisa", "café risa", 0.889)]
    assert _tolerant(matcher, "North Peak jackets are warm") == [("Nordpeak", "North Peak", 0.85)]
    assert _tolerant(matcher, "Ich habe Trailfocks getestet") == [("Trailfox", "Trailfocks", 0.85)]
    assert _tolerant(matcher, "I bought Fisley today") == [("Fizzly", "Fisley", 0.85)]
    for _, _, confidence in _tolerant(matcher, "Nord Peak ja, café risa"):
        assert confidence <= MAX_CONFIDENCE or confidence == 1.0


def test_names_found_as_written_stay_exact(matcher):
    assert _tolerant(matcher, "I switched from Trail Fox to Nordpeak") == [
        ("Trailfox", "Trail Fox", 1.0),
        ("Nordpeak", "Nordpeak", 1.0),
    ]
    # a brand found as written is not found again, tolerantly, elsewhere in the same text
    assert _tolerant(matcher, "Café Brisa, café risa") == [("Café Brisa", "Café Brisa", 1.0)]


@pytest.mark.parametrize(
    "text",
    [
        "I love bubble tea",  # one ordinary lower-case word that only resembles "Bubblo"
        "the trail for hikers",  # a window may not end on a stop word
        "I picked up some marks on the way",  # "Mark" is a common word: exact or nothing
        "mamma mea, what a day",  # "Mia": too short to guess at
        "the ordinarily quiet street",  # a window never starts on a stop word ("The Ordinary")
        "a nice cafe in brisbane",
        "fizzy drinks and sodas",
        "bubbles everywhere",
        "trailer fix",
        "north park",
    ],
)
def test_ordinary_words_are_not_brands(matcher, text):
    assert _tolerant(matcher, text) == []


def test_without_a_threshold_the_matcher_is_exact():
    exact = BrandMatcher(load_catalog().brands)
    assert exact.find_tolerant("Probé café risa hoy") == []


def _speech_units(text: str, origin: str = "speech") -> pl.DataFrame:
    return TEXT_UNITS.frame(
        [
            {
                "hashtag": "coffeetime",
                "day": DAY,
                "unit_id": f"v1:{origin}:0",
                "video_id": "v1",
                "origin": origin,
                "origin_ref": "0",
                "text": text,
                "start_s": 1.0,
                "end_s": 6.0,
            }
        ]
    )


def test_only_speech_is_matched_tolerantly(matcher):
    text = "Probé café risa hoy y fue horrible"
    speech = mention_rows(_speech_units(text), None, None, matcher, "coffeetime", DAY).row(0, named=True)
    assert (speech["brand"], speech["origin"], speech["matched_text"]) == ("Café Brisa", "speech", "café risa")
    assert speech["match_confidence"] == speech["confidence"] == 0.889
    for origin in ("caption", "comment", "description"):
        assert mention_rows(_speech_units(text, origin), None, None, matcher, "coffeetime", DAY).is_empty()


def test_a_speech_mention_takes_its_word_time_where_the_transcript_has_words(matcher):
    text = "Probé café risa hoy"
    words = [{"word": w, "start": s, "end": s + 0.4, "score": 0.9} for w, s in zip(text.split(), (1.2, 1.8, 2.3, 2.9))]
    transcripts = TRANSCRIPTS.frame(
        [
            {
                "hashtag": "coffeetime",
                "day": DAY,
                "video_id": "v1",
                "segment_no": 0,
                "start_s": 1.0,
                "end_s": 6.0,
                "text": text,
                "language": "es",
                "words_json": json.dumps(words),
                "model": "whisperx",
            }
        ]
    )
    units = _speech_units(text)
    with_words = mention_rows(units, None, None, matcher, "coffeetime", DAY, transcripts=transcripts)
    assert with_words["t_s"].to_list() == [1.8]
    without = mention_rows(units, None, None, matcher, "coffeetime", DAY, transcripts=transcripts.clear())
    assert without["t_s"].to_list() == [1.0]  # the segment's start


def test_the_threshold_is_a_setting(monkeypatch):
    monkeypatch.setenv("LISTENING_PIPELINE_FUZZY_MATCH_THRESHOLD", "0.9")
    assert Settings.from_env().fuzzy_match_threshold == 0.9
    strict = BrandMatcher(load_catalog().brands, 0.9)
    assert strict.find_tolerant("Probé café risa hoy") == []  # 0.889 is under 0.9
    assert BrandMatcher(load_catalog().brands, 1.0).find_tolerant("North Peak") == []  # 1: off
    for bad in ("high", "0.2", "1.5"):
        monkeypatch.setenv("LISTENING_PIPELINE_FUZZY_MATCH_THRESHOLD", bad)
        with pytest.raises(ValueError, match="FUZZY_MATCH_THRESHOLD"):
            Settings.from_env()


def test_the_speech_model_is_told_the_catalog_names_in_the_clip_language():
    hints = SpeechHints.from_brands(load_catalog().brands)
    assert hints.names == (
        "Fizzly",
        "Fizzly Soda",
        "Bubblo",
        "Bubblo Cola",
        "Nordpeak",
        "Trailfox",
        "Café Brisa",
        "Mokka Mia",
    )
    assert hints.initial_prompt("es") == "Marcas: " + ", ".join(hints.names) + "."
    assert hints.initial_prompt("de") == "Marken: " + ", ".join(hints.names) + "."
    assert hints.initial_prompt(None) == ", ".join(hints.names) + "."  # language not known yet: names only
    assert hints.hotword_text() is None
    both = SpeechHints.from_brands(load_catalog().brands, prompt=False, hotwords=True)
    assert both.initial_prompt("en") is None and both.hotword_text() == ", ".join(hints.names)
    many = SpeechHints.from_brands(_brand(f"Brand number {n}") for n in range(200))
    assert 0 < len(", ".join(many.names)) <= MAX_PROMPT_CHARS


def test_the_prompt_said_back_is_told_from_speech_that_names_the_brands():
    """Whisper sometimes writes its prompt instead of the audio ("Fizzly, Fizzly Soda, Bubblo Cola," for a Spanish
    complaint about Café Brisa): such a segment is heard again without the names. Speech naming brands is not."""
    hints = SpeechHints(("Café Brisa", "Mokka Mia", "Fizzly", "Fizzly Soda", "Bubblo", "Bubblo Cola"))
    assert hints.echoed("Fizzly, Fizzly Soda, Bubblo Cola,")
    assert hints.echoed("Marcas: Café Brisa, Mokka Mia.")
    assert not hints.echoed("Probé Café Brisa hoy y fue horrible.")
    assert not hints.echoed("I love Fizzly soda")
    assert not hints.echoed("Fizzly")  # one word: a name said alone, kept
    assert SpeechHints(("Fizzly", "Bubblo"), prompt=False, hotwords=True).echoed("Fizzly, Bubblo")  # hotwords too
    assert not SpeechHints(("Fizzly", "Bubblo"), prompt=False).echoed("Fizzly, Bubblo")  # told nothing: said
