"""Brand names that are also ordinary words ("Shell", "Target", "Apple"): when such a name is the brand.

Why: an exact alias is a mention everywhere else, but "a shell on the beach", "hit the target" and
"apple pie" name no brand, and a speech model told the catalog's names writes them with a capital
anyway. The catalog marks these names (``common_words``) and lists the brand's own vocabulary
(``context_words``); a match of such a name counts only with evidence that the brand is meant, and
the row records which evidence (``match_rule``):

* ``hashtag``: written as ``#shell`` or ``@shell`` (a tag or a handle is a name, not a word);
* ``capitalised``: in written text (caption, description, comment), a capital letter mid-sentence in a
  text that is neither title case nor all caps. Never in speech: the speech model's casing is its own;
* ``context``: one of the brand's context words within :data:`CONTEXT_WINDOW_WORDS` words, in the
  same text unit ("Shell station", "zapatillas Puma"), matched folded as whole words, or as word beginnings
  where the catalog writes a stem with ``*`` ("tank*" finds "tanken" and "Tankstelle", "gas" never "gasp");
* ``confirmed``: none of the above, but the creator's own text of the same video (speech, caption,
  description, hashtag) names the brand with evidence, or speaks the brand's vocabulary (one of its context
  words anywhere): a bare "shell" said over a description "fuel stop on the way to Hamburg". Comments
  never confirm (anyone writes them), and logo hits do not either: one false logo would turn every
  "shell" said in the video into a mention, and the detector's precision on real logos rests on a dozen
  hits (eval/RESULTS.md: 25% before the verification stage, 100% of 11 after). On that set the text
  alone finds every text mention.

Names that are not common words keep the matcher's rules: ``exact`` (an alias as written) or
``tolerant`` (speech that sounds like an alias). Common-word names never match tolerantly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from listening_pipeline.lib.text.folding import fold_with_offsets, word_spans

MATCH_RULES = ("exact", "tolerant", "hashtag", "capitalised", "context", "confirmed")
CONTEXT_WINDOW_WORDS = 6  # each side of the name, within its text unit
WRITTEN_ORIGINS = frozenset({"caption", "description", "comment", "sticker"})  # the casing is the writer's
CONFIRMING_ORIGINS = frozenset({"speech", "caption", "description", "hashtag", "sticker", "handle"})  # the creator's
_SENTENCE_ENDS = frozenset(".!?¡¿:;…\n\r")
_OPENERS = " \t\"'“”‘’«»()[]*-–—"
_WORDS = re.compile(r"[^\W\d_]{2,}")  # words of two letters or more: "I" says nothing about casing


def folded_tokens(text: str) -> tuple[str, ...]:
    folded, _ = fold_with_offsets(text)
    return tuple(folded[s:e] for s, e in word_spans(folded))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class _BrandWords:
    names: frozenset[tuple[str, ...]]  # folded tokens of the names that are ordinary words
    context: tuple[tuple[str, ...], ...]  # folded tokens of each context word or phrase; a stem ends with '*'


def _context_tokens(word: str) -> tuple[str, ...]:
    """Folded tokens of a context word or phrase, the last marked as a stem ('*') where the catalog wrote one."""
    tokens = folded_tokens(word)
    return (*tokens[:-1], tokens[-1] + "*") if tokens and word.rstrip().endswith("*") else tokens


class CommonWordRule:
    """What the catalog says about common-word names, folded once; :meth:`evidence` judges one match."""

    def __init__(self, brands: Iterable[_Named]) -> None:
        self._brands: dict[str, _BrandWords] = {}
        for brand in brands:
            names = frozenset(t for t in map(folded_tokens, getattr(brand, "common_words", ())) if t)
            if names:
                context = tuple(t for t in map(_context_tokens, getattr(brand, "context_words", ())) if t)
                self._brands[brand.name] = _BrandWords(names, context)

    def common_names(self, brand: str) -> frozenset[tuple[str, ...]]:
        """Folded tokens of the brand's names that are ordinary words (empty: none)."""
        words = self._brands.get(brand)
        return words.names if words else frozenset()

    def is_common(self, brand: str, matched_text: str) -> bool:
        """The match is one of the brand's common-word names (as written solid in a tag, too)."""
        names = self.common_names(brand)
        if not names:
            return False
        tokens = folded_tokens(matched_text)
        return tokens in names or "".join(tokens) in {"".join(n) for n in names}

    def evidence(self, text: str, start: int, end: int, brand: str, origin: str) -> str | None:
        """Why ``text[start:end]``, a common-word name of ``brand``, is the brand; None: no evidence in the unit."""
        if start > 0 and text[start - 1] in "#@":
            return "hashtag"
        if self._has_context(text, start, end, self._brands[brand].context):
            return "context"
        if origin in WRITTEN_ORIGINS and capitalised_mid_sentence(text, start, end):
            return "capitalised"
        return None

    def topics(self, text: str) -> set[str]:
        """The brands one of whose context words ``text`` holds, anywhere in it."""
        if not text or not self._brands:
            return set()
        folded, _ = fold_with_offsets(text)
        spans = word_spans(folded)
        words = [folded[s:e] for s, e in spans]
        return {
            brand
            for brand, entry in self._brands.items()
            if any(_phrase_at(words, i, phrase) for phrase in entry.context for i in range(len(words)))
        }

    @staticmethod
    def _has_context(text: str, start: int, end: int, context: Sequence[tuple[str, ...]]) -> bool:
        if not context:
            return False
        folded, origins = fold_with_offsets(text)
        spans = word_spans(folded)
        words = [folded[s:e] for s, e in spans]
        inside = [i for i, (s, _) in enumerate(spans) if start <= origins[s] < end]
        if not inside:
            return False
        first = max(0, inside[0] - CONTEXT_WINDOW_WORDS)
        last = min(len(words), inside[-1] + 1 + CONTEXT_WINDOW_WORDS)
        for i in range(first, last):
            for phrase in context:
                span = range(i, i + len(phrase))
                if span[-1] < last and not set(span) & set(inside) and _phrase_at(words, i, phrase):
                    return True
        return False


def _phrase_at(words: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(words):
        return False
    return all(_word_matches(words[i + k], token) for k, token in enumerate(phrase))


def _word_matches(word: str, context: str) -> bool:
    """A stem ('tank*') matches the words it begins ('tanken'); a word, itself."""
    return word.startswith(context[:-1]) if context.endswith("*") else word == context


def capitalised_mid_sentence(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` starts with a capital, not at a sentence start, in text whose other words are mostly
    lower case ("I always overspend at Target"; not "Target haul!", "Best Apple Pie Recipe", "APPLE PIE")."""
    if not text[start:end][:1].isupper():
        return False
    before = text[:start].rstrip(_OPENERS)
    if not before or before[-1] in _SENTENCE_ENDS:
        return False
    others = _WORDS.findall(text[:start] + " " + text[end:])
    if not others:
        return False
    return sum(1 for w in others if w[0].isupper()) / len(others) < 0.5


def confirm_common_words(rows: list[dict], units: Iterable[dict], rule: CommonWordRule) -> list[dict]:
    """Rows whose ``match_rule`` is None (a common-word name without evidence in its unit) kept as ``confirmed``
    where the creator's own text of the same video (``units``) names the brand with evidence or holds one of
    its context words; the others dropped."""
    creator_units = [u for u in units if u["origin"] in CONFIRMING_ORIGINS]
    confirmed = {(u["video_id"], brand) for u in creator_units for brand in rule.topics(u["text"])}
    confirmed |= {
        (r["video_id"], r["brand"]) for r in rows if r["match_rule"] is not None and r["origin"] in CONFIRMING_ORIGINS
    }
    kept = []
    for row in rows:
        if row["match_rule"] is None:
            if (row["video_id"], row["brand"]) not in confirmed:
                continue
            row = {**row, "match_rule": "confirmed"}
        kept.append(row)
    return kept
