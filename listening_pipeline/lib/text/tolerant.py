"""Tolerant alias matching for transcribed speech: brand names the speech model spelled wrong.

Why: Whisper writes what it heard in the words it knows. An invented name comes out as
neighbouring words ("Café Brisa" as "café risa"), split ("Nord Peak"), or respelled
("Fizzlee"); the exact matcher misses all of them, and the mention (with the complaint it
carried) is lost. Here a window of one to three consecutive words is compared with each
alias, both written solid ("caferisa" against "cafebrisa"):

* by spelling: Levenshtein similarity, ``1 - edits / longer length``;
* by sound: a phonetic key of our own (below), equal keys count as :data:`PHONETIC_SIMILARITY`.

The better of the two is the match's confidence, kept under 1 (:data:`MAX_CONFIDENCE`): 1 is
reserved for an alias found as written. A window is only a candidate when it could be the
name said aloud, which is where the false mentions are kept out:

* aliases shorter than :data:`MIN_ALIAS_CHARS` letters, or that are themselves a common word, match exactly
  or not at all (a fuzzy "Mark" would find every "mark" and "market");
* a window may not start or end with a stop word ("the trail for hikers" is not "Trailfox");
* the first letter must agree (speech models keep onsets), and the lengths must be close;
* a one-word window written in lower case (not a name, to the speech model) must be spelled
  almost as the alias (similarity >= 0.9): "I love bubble tea" is not "Bubblo", "Bubble" may be.

The phonetic key: folded letters, common digraphs made one sound (ph f, th t, ch/ck/qu k,
sch/sh s, x ks), consonants grouped by how they are confused in speech (b p; f v w; c g k q;
s z; d t; m n stay apart), vowels and h dropped after the first letter, repeats merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_ALIAS_CHARS = 5
MAX_WINDOW_WORDS = 3
PHONETIC_SIMILARITY = 0.85  # what equal keys are worth: strong, but spelling that close is stronger
MAX_CONFIDENCE = 0.95  # a tolerant match is never as sure as an alias found as written
LENGTH_RATIO = 0.7  # the window and the alias, written solid, within this ratio of each other

# Function words of the catalog's usual languages (en, es, de, fr, it, pt): a window never starts or
# ends with one, and an alias that is one matches exactly only.
STOP_WORDS = frozenset(
    """
    a an and are as at be but by for from had has have he her his i in is it its just my no not of on or our
    she so some that the their them then there they this to too was we were what with you your me us do did
    el la los las un una unos unas y o de del al en con por para que es son fue muy mi tu su se lo le
    der die das den dem des ein eine einen einem und oder ist sind war mit von zu im am auf fur ich du er sie es
    le les des du et ou est avec pour je il elle ce cette mon ma
    il lo gli uno di da con per che non
    o os as um uma e com para nao
    """.split()
)

_DIGRAPHS = (
    ("sch", "s"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("ch", "k"),
    ("qu", "k"),
    ("sh", "s"),
    ("gh", "g"),
    ("x", "ks"),
)
_CLASSES = str.maketrans("bpfvwcgkqxszdtjmnlr", "PPFFFKKKKKSSTTJMNLR")
_VOWELS = frozenset("aeiouyh")


def phonetic_key(folded: str) -> str:
    """A rough sound of a folded word (or words written solid): 'fizzlee' and 'fisly' are both 'FSL'."""
    letters = re.sub(r"[^a-z]", "", folded)
    if not letters:
        return ""
    for written, sound in _DIGRAPHS:
        letters = letters.replace(written, sound)
    key = [letters[0].upper() if letters[0] in _VOWELS else letters[0].translate(_CLASSES)]
    for ch in letters[1:]:
        if ch in _VOWELS:
            key.append("")  # a vowel separates repeats ("bubblo": B-B-L) but is not written
            continue
        code = ch.translate(_CLASSES)
        if code != key[-1]:
            key.append(code)
    return "".join(key)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), for short strings."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def spelling_similarity(a: str, b: str) -> float:
    """1 for equal strings, 0 for nothing in common."""
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest if longest else 1.0


@dataclass(frozen=True)
class FuzzyAlias:
    brand: str
    solid: str  # folded alias without separators
    key: str  # its phonetic key
    words: int  # how many words it has


@dataclass(frozen=True)
class FuzzyHit:
    """Words ``first``..``last`` (inclusive, indices into the words given) sound like ``brand``."""

    brand: str
    first: int
    last: int
    confidence: float


def fuzzy_aliases(brand: str, folded_aliases: Iterable[tuple[str, ...]]) -> list[FuzzyAlias]:
    """The aliases of one brand that may match tolerantly (long enough, not a common word), deduplicated."""
    out: dict[str, FuzzyAlias] = {}
    for tokens in folded_aliases:
        solid = "".join(tokens)
        if len(solid) < MIN_ALIAS_CHARS or (len(tokens) == 1 and tokens[0] in STOP_WORDS):
            continue
        out.setdefault(solid, FuzzyAlias(brand, solid, phonetic_key(solid), len(tokens)))
    return list(out.values())


def score(window: str, alias: FuzzyAlias) -> float:
    """How much ``window`` (folded words written solid) sounds and reads like the alias, in [0, MAX_CONFIDENCE]."""
    if not window or window[0] != alias.solid[0]:
        return 0.0
    if min(len(window), len(alias.solid)) < LENGTH_RATIO * max(len(window), len(alias.solid)):
        return 0.0
    similarity = spelling_similarity(window, alias.solid)
    if len(alias.key) >= 3 and phonetic_key(window) == alias.key:
        similarity = max(similarity, PHONETIC_SIMILARITY)
    return min(similarity, MAX_CONFIDENCE)


def tolerant_hits(
    words: Sequence[str], capitalised: Sequence[bool], aliases: Sequence[FuzzyAlias], threshold: float
) -> list[FuzzyHit]:
    """Every window of 1-3 folded ``words`` that matches an alias with confidence >= ``threshold``.

    ``capitalised[i]`` says the speech model wrote word ``i`` with a capital letter. Overlapping hits are
    all returned; the caller keeps the best.
    """
    hits: list[FuzzyHit] = []
    for first in range(len(words)):
        if words[first] in STOP_WORDS:
            continue
        for last in range(first, min(first + MAX_WINDOW_WORDS, len(words))):
            if words[last] in STOP_WORDS:
                continue
            window = "".join(words[first : last + 1])
            for alias in aliases:
                confidence = score(window, alias)
                if confidence < threshold:
                    continue
                if first == last and not capitalised[first] and confidence < PHONETIC_SIMILARITY + 0.05:
                    continue  # one lower-case word only sounding alike: likely an ordinary word
                hits.append(FuzzyHit(alias.brand, first, last, round(confidence, 3)))
    return hits
