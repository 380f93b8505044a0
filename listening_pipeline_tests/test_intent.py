"""The intent lexicon on real-looking comments: multilingual, shouted, hostile, negated."""

from __future__ import annotations

import polars as pl
import pytest

from listening_pipeline.lib.text.intent import INTENT_LEXICON, Intent, classify
from listening_pipeline.lib.text.units import with_intents

BUY, COMPLAIN, BOTH, NONE = Intent(True, False), Intent(False, True), Intent(True, True), Intent(False, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHERE CAN I BUY THIS 😍😍", BUY),
        ("link pls!!! i need this", BUY),
        ("just ordered 2, take my money", BUY),
        ("idk where to buy it in the uk", BUY),
        ("¿Dónde lo compro? 🙏", BUY),
        ("donde lo compro en mexico", BUY),  # accents left out, as people type
        ("Ya lo pedí jajaja", BUY),
        ("Gerade bestellt!!", BUY),
        ("wo kann man das kaufen??", BUY),
        ("It doesn’t work. I want a REFUND!!!", COMPLAIN),
        ("arrived broken and customer service ghosted me 🤬", COMPLAIN),
        ("total ripoff, never again", COMPLAIN),
        ("Llegó roto y nadie responde 😡", COMPLAIN),
        ("no funciona, quiero mi reembolso", COMPLAIN),
        ("Funktioniert nicht. Nie wieder!", COMPLAIN),
        ("Die Dose war kaputt, Geld zurück bitte", COMPLAIN),
        ("just ordered one and it arrived broken", BOTH),
        ("not a scam, legit shop", NONE),  # a negated complaint word
        ("nicht kaputt, alles gut", NONE),
        ("i dont need this", NONE),  # a negated want
        ("I would never buy this trash", NONE),  # dislike, but neither a purchase nor a complaint phrase
        ("love it 😍", NONE),
        ("rebuy? scammer? brokenhearted", NONE),  # whole words only
        ("", NONE),
        (None, NONE),
    ],
)
def test_intents_of_comments(text, expected):
    assert classify(text) == expected


def test_the_lexicon_version_is_a_digest_of_its_phrases():
    assert INTENT_LEXICON.startswith("intent-lexicon:") and len(INTENT_LEXICON) == len("intent-lexicon:") + 12


def test_with_intents_flags_each_row_and_records_the_lexicon():
    rows = pl.DataFrame({"text": ["where to buy?", "refund now", "where to buy?", "nice"]})
    flagged = with_intents(rows)
    assert flagged["purchase_intent"].to_list() == [True, False, True, False]
    assert flagged["complaint"].to_list() == [False, True, False, False]
    assert flagged["intent_lexicon"].unique().to_list() == [INTENT_LEXICON]
