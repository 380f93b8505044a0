"""Text folding: the one place where case, accents, compatibility forms and apostrophes are made alike.

Each need has its own function, because each compares text differently:

* :func:`fold_with_offsets` (and :func:`fold_char`): brand matching. Case and non-spacing marks go,
  compatibility forms are decomposed ('ﬁ' -> 'fi'), and every folded character remembers which
  original character it came from, so a match maps back onto the text as written. :func:`word_spans`
  then cuts the folded text into words, in any script.
* :func:`fold`: lexicon lookup (sentiment). Case and accents go, curly apostrophes become straight.
* :func:`folded_words`: scoring transcripts and captions against ground truth (word error rate).
  Case and accents go; words are runs of letters, digits and apostrophes.
* :func:`comparison_key`: merging OCR readings of the same caption. Compatibility forms are composed,
  case goes, accents stay, punctuation becomes a single space.

The primitive steps (:func:`strip_accents`, :func:`strip_nonspacing_marks`, :func:`straight_apostrophes`)
are shared by those functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# ---------------------------------------------------------------------------------------------
# Primitive steps
# ---------------------------------------------------------------------------------------------


def _decomposed_without(text: str, drop: Callable[[str], object]) -> str:
    """NFKD (compatibility decomposition), then without the characters ``drop`` is true for."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not drop(ch))


def strip_accents(text: str) -> str:
    """NFKD, then without combining characters (combining class > 0): 'é' -> 'e', 'ﬁ' -> 'fi'."""
    return _decomposed_without(text, unicodedata.combining)


def _is_nonspacing_mark(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"


def strip_nonspacing_marks(text: str) -> str:
    """NFKD, then without non-spacing marks (category Mn).

    Spacing marks (Mc) stay: they are vowel signs in Indic scripts, part of the word.
    """
    return _decomposed_without(text, _is_nonspacing_mark)


def straight_apostrophes(text: str) -> str:
    """The typographic apostrophe (U+2019) written as ASCII "'"."""
    return text.replace("\u2019", "'")


# ---------------------------------------------------------------------------------------------
# Matching: folded text with offsets into the original, and its words
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """The character without accents, case-folded; may be empty (a lone accent) or longer ('ß' -> 'ss')."""
    return strip_nonspacing_marks(strip_nonspacing_marks(ch).casefold())


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character it came from."""
    chars: list[str] = []
    origins: list[int] = []
    for index, ch in enumerate(text):
        folded = ch if ch.isascii() and not ch.isupper() else fold_char(ch)
        chars.append(folded)
        origins.extend([index] * len(folded))
    return "".join(chars), origins


# Scripts written without spaces between words: each character is its own token there, so an
# alias in these scripts matches as a substring (there are no word boundaries to respect).
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FFF),  # CJK radicals
    (0x3005, 0x3007),  # CJK iteration and zero marks
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_SEPARATOR, _WORD, _UNSPACED = 0, 1, 2


@lru_cache(maxsize=65536)
def _char_class(ch: str) -> int:
    code = ord(ch)
    if any(low <= code <= high for low, high in _UNSPACED_RANGES):
        return _UNSPACED if unicodedata.category(ch)[0] in "LNM" else _SEPARATOR
    return _WORD if unicodedata.category(ch)[0] in "LNM" else _SEPARATOR


def word_spans(folded: str) -> list[tuple[int, int]]:
    """(start, end) of each word in folded text.

    A word is a run of letters, digits and marks, or a single character of an unspaced script.
    Underscores and apostrophes separate words, so "fizzly_fan" and "bubblo's" hold the brand as a word.
    """
    spans: list[tuple[int, int]] = []
    i, n = 0, len(folded)
    while i < n:
        kind = _char_class(folded[i])
        if kind == _UNSPACED:
            spans.append((i, i + 1))
            i += 1
        elif kind == _WORD:
            j = i + 1
            while j < n and _char_class(folded[j]) == _WORD:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


# ---------------------------------------------------------------------------------------------
# Lookup, scoring and comparison
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=100_000)  # social text repeats its words; folding each once pays off
def fold(text: str) -> str:
    """Lower case without accents, straight apostrophes: 'Increíble' and 'increible' look the same."""
    return strip_accents(straight_apostrophes(text.casefold()))


_SCORED_WORD = re.compile(r"[\w']+")


def folded_words(text: str) -> list[str]:
    """Lower-case words without punctuation or accents, for WER and caption matching."""
    return _SCORED_WORD.findall(strip_accents(text.casefold()))


_NON_WORD = re.compile(r"[^\w]+")


def comparison_key(text: str) -> str:
    """Text for comparison: case-folded, accents and punctuation kept apart from letters, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())
