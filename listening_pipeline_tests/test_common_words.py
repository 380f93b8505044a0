"""Brands whose names are ordinary words: a seashell is not Shell, "hit the target" is not Target.

User story: a brand team tracks Shell, Target and Puma next to a brand with an invented name. They
mark the three names as common words in brands.yaml and list each brand's own vocabulary. From
then on a mention of such a name counts only where the text shows the brand is meant (a tag or a
handle, a capital mid-sentence in written text, a context word nearby, or the brand named with
evidence elsewhere in the creator's own video), and every row says which evidence it had.
The sentences are everyday ones in English, Spanish, German and French, written for this test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.catalog import CatalogError, load_catalog
from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
from listening_pipeline.warehouse.tables import LOGO_HITS, TEXT_UNITS

CATALOG = """\
languages: [en, es, de, fr]
brands:
  - name: Shell
    common_words: [Shell]
    context_words: [station*, fuel*, petrol, diesel, gas, tank*, gasolin*, essence, carburant*]
  - name: Target
    aliases: [Target Corporation]
    common_words: [Target]
    context_words: [store*, shop*, aisle*, checkout, tienda*]
  - name: Puma
    common_words: [Puma]
    context_words: [shoe*, sneaker*, zapatilla*, Schuh*, chaussure*, maillot*]
  - name: Zentrova
"""
HASHTAG, DAY = "everydaylife", dt.date(2026, 10, 5)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> BrandMatcher:
    path = tmp_path_factory.mktemp("catalog") / "brands.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    return BrandMatcher(load_catalog(path).brands, fuzzy_threshold=0.8)


def _rules(matcher: BrandMatcher, origin: str, text: str) -> dict[str, str | None]:
    found = matcher.find_tolerant(text) if origin == "speech" else matcher.find(text)
    return {m.brand: m.rule for m in matcher.judged(text, found, origin)}


@pytest.mark.parametrize(
    ("origin", "text", "expected"),
    [
        # ordinary words: no evidence, no mention
        ("speech", "we collected a shell at low tide and then played darts, I never hit the target", {}),
        ("comment", "my kid found a puma track on the hike", {}),
        ("comment", "Target practice again this weekend", {}),  # sentence start says nothing
        ("caption", "SHELL COLLECTING 101", {}),  # all caps
        ("caption", "How To Hit Any Target Every Time", {}),  # title case
        ("speech", "Der Puma schläft im Gehege", {}),  # the speech model's capital is no evidence
        ("comment", "une coquille sur la plage, la mer était calme", {}),  # no name at all
        ("comment", "on a fait le plein chez Shell hier soir", {"Shell": "capitalised"}),
        # the brand, and why
        ("comment", "filled up at the Shell by the highway", {"Shell": "capitalised"}),
        ("description", "Weekly haul from #target, all under ten dollars", {"Target": "hashtag"}),
        ("comment", "@shell your card reader is down again", {"Shell": "hashtag"}),
        ("speech", "we stopped at the shell station near the exit", {"Shell": "context"}),
        ("speech", "ich tanke lieber bei Shell als woanders", {"Shell": "context"}),
        ("speech", "compré unas zapatillas puma en oferta", {"Puma": "context"}),
        ("speech", "je mets toujours du carburant Shell", {"Shell": "context"}),
        ("speech", "the target store downtown closes early", {"Target": "context"}),
        ("comment", "target corporation reported earnings today", {"Target": "exact"}),  # not a common name
        ("comment", "zentrova is fine i guess", {"Zentrova": "exact"}),  # an invented name counts bare
    ],
)
def test_a_common_word_name_counts_only_where_the_text_means_the_brand(matcher, origin, text, expected):
    found = _rules(matcher, origin, text)
    assert {brand: rule for brand, rule in found.items() if rule is not None} == expected


def test_context_words_are_whole_words_unless_the_catalog_writes_a_stem(matcher):
    assert _rules(matcher, "speech", "Shell gas is cheaper on tuesdays") == {"Shell": "context"}
    assert _rules(matcher, "speech", "a gasp, then a shell fell off the shelf") == {"Shell": None}  # gas != gasp
    assert _rules(matcher, "speech", "die Tankstellen von shell sind voll") == {"Shell": "context"}  # tank*
    assert _rules(matcher, "speech", "el shell, es gasolinera o playa?") == {"Shell": "context"}  # gasolin*


def test_a_common_word_never_matches_tolerantly_but_invented_names_still_do(matcher):
    assert _rules(matcher, "speech", "shall we go to the beach") == {}  # a fuzzy "Shell" would find "shall"
    assert _rules(matcher, "speech", "I tried Zentrowa yesterday") == {"Zentrova": "tolerant"}


def _unit(video_id: str, origin: str, ref: str, text: str) -> dict:
    return {
        "hashtag": HASHTAG,
        "day": DAY,
        "unit_id": f"{video_id}:{origin}:{ref}",
        "video_id": video_id,
        "origin": origin,
        "origin_ref": ref,
        "text": text,
        "language": "en" if origin == "speech" else None,
        "start_s": 0.5 if origin == "speech" else None,
        "end_s": 4.0 if origin == "speech" else None,
    }


def test_a_bare_name_in_a_comment_counts_when_the_creator_names_the_brand_elsewhere(matcher):
    units = TEXT_UNITS.frame(
        [
            # v1: the creator says "Shell station"; a comment says "Shell" at a sentence start
            _unit("v1", "speech", "0", "Quick stop at the shell station before the long drive."),
            _unit("v1", "comment", "c1", "Shell coffee is underrated honestly"),
            # v2: only comments name the brand, bare: one comment cannot confirm another
            _unit("v2", "description", "d", "Beach walk at sunset"),
            _unit("v2", "comment", "c2", "Shell hunting is the best part"),
            _unit("v2", "comment", "c3", "Shell fans where are you"),
            # v3: the brand's hashtag confirms a bare name in the description and in a comment
            _unit("v3", "hashtag", "target", "#target"),
            _unit("v3", "description", "d", "Target run with my sister"),
            _unit("v3", "comment", "c4", "Target always has the best candles"),
            # v4: a logo hit does not confirm a bare spoken "shell" (the detector is not sure enough yet)
            _unit("v4", "speech", "0", "look at this shell I found, so pretty"),
            # v5: the speech model heard a bare "shell"; the creator's description is about refuelling
            _unit("v5", "speech", "0", "Always the same shell, never a queue."),
            _unit("v5", "description", "d", "Kurzer Tankstopp auf dem Weg nach Lyon"),
        ]
    )
    logo = {
        "hashtag": HASHTAG,
        "day": DAY,
        "video_id": "v4",
        "frame_no": 3,
        "t_s": 1.5,
        "brand": "Shell",
        "confidence": 0.62,
        "box_x0": 10.0,
        "box_y0": 10.0,
        "box_x1": 60.0,
        "box_y1": 60.0,
    }
    logo_hits = LOGO_HITS.frame([{c: logo.get(c) for c in LOGO_HITS.schema}])
    rows = mention_rows(units, None, logo_hits, matcher, HASHTAG, DAY)
    text_rows = rows.filter(pl.col("origin") != "logo")
    got = sorted(text_rows.select("video_id", "origin", "brand", "match_rule").iter_rows())
    assert got == [
        ("v1", "comment", "Shell", "confirmed"),
        ("v1", "speech", "Shell", "context"),
        ("v3", "comment", "Target", "confirmed"),
        ("v3", "description", "Target", "confirmed"),
        ("v3", "hashtag", "Target", "hashtag"),
        ("v5", "speech", "Shell", "confirmed"),
    ]
    assert rows.filter(pl.col("origin") == "logo")["match_rule"].to_list() == [None]  # the logo itself still counts


def test_the_catalog_refuses_a_common_word_that_is_not_one_of_the_brands_names(tmp_path: Path):
    path = tmp_path / "brands.yaml"
    path.write_text("brands:\n  - name: Shell\n    aliases: [Shell Oil]\n    common_words: [Shel]\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    (problem,) = str(caught.value).splitlines()[1:]
    assert problem.strip() == (
        f"{path}:4: brand 'Shell': 'common_words': 'Shel' is not the brand's name or one of its aliases"
    )
    path.write_text(CATALOG, encoding="utf-8")
    shell = load_catalog(path).brand("Shell")
    assert shell.common_words == ("Shell",) and "tank*" in shell.context_words


def test_marking_a_common_word_re_matches_stored_days(tmp_path: Path):
    """The brand_matching fingerprint follows the new keys, so the re-match automation applies them to history."""
    from dataclasses import replace

    from listening_pipeline.defs.catalog.matching import matching_fingerprint

    path = tmp_path / "brands.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    brands = load_catalog(path).brands
    plain = [replace(b, common_words=(), context_words=()) for b in brands]
    assert matching_fingerprint(brands) != matching_fingerprint(plain)
    more_context = [
        replace(b, context_words=(*b.context_words, "forecourt")) if b.name == "Shell" else b for b in brands
    ]
    assert matching_fingerprint(more_context) != matching_fingerprint(brands)
    assert matching_fingerprint(load_catalog().brands) == matching_fingerprint(
        [replace(b, common_words=(), context_words=()) for b in load_catalog().brands]
    ), "catalogs without the keys keep their fingerprint"
