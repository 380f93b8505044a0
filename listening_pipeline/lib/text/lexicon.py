"""The lexicon sentiment scorer: hand-written English, Spanish and German words, emoji and emoticons, VADER's rules.

It is what :func:`listening_pipeline.lib.text.sentiment.load_scorer` falls back to when no
transformers classifier is on disk, so the pipeline scores sentiment on a fresh laptop with no network.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from listening_pipeline.lib.text import lexicon_german as german
from listening_pipeline.lib.text.folding import fold
from listening_pipeline.lib.text.scoring import LEXICON_MODEL_NAME, Label, SentimentResult

# Valences on a -4..4 scale (as VADER's), written by hand for social posts about products.
# Keys are folded (lower case, no accents) when the lexicon is built, so write them naturally.

_ENGLISH = {
    3.0: "love loved loving lovely amazing awesome incredible fantastic perfect perfection excellent outstanding "
    "wonderful best superb brilliant obsessed adore adored goated delicious delish masterpiece phenomenal "
    "stunning flawless",
    2.0: "good great nice like liked enjoy enjoyed enjoying happy glad cool fun beautiful pretty yummy tasty "
    "recommend recommended refreshing fresh fire lit slaps bussin favorite favourite fav fave win winner "
    "impressive impressed smooth worth underrated legit excited exciting thanks thank lovin wow wonderful "
    "cute gorgeous dope solid fabulous epic iconic satisfying comfortable comfy",
    1.0: "ok okay fine decent better lol haha hahaha lmao yay yes interesting helpful fair pleased",
    -1.0: "meh mid weird expensive pricey boring bland overpriced sad sorry problem issue lacking flavorless refund",
    -2.0: "bad poor worse hate hated dislike disappointed disappointing disappointment annoying annoyed fake "
    "overrated cringe trash garbage rubbish sucks sucked broken broke fail failed failure waste wasted "
    "useless ugly nasty gross stale angry unhappy ripoff scam regret",
    -3.0: "awful terrible horrible worst disgusting disgusted hideous pathetic vile horrendous atrocious "
    "nightmare toxic",
}
_SPANISH = {
    3.0: "encanta encantan encanto encantó increíble increíbles buenísimo buenísima riquísimo riquísima excelente "
    "perfecto perfecta maravilloso maravillosa espectacular fantástico fantástica delicioso deliciosa "
    "amo adoro mejor mejores",
    2.0: "bueno buena buenos buenas genial rico rica ricos ricas gusta gustan gustó bonito bonita lindo linda "
    "hermoso hermosa feliz recomiendo recomendado divertido divertida refrescante fresco fresca chido chida "
    "padrísimo bacán guay top gracias amor favorito favorita cómodo cómoda cómodos cómodas",
    1.0: "bien vale interesante jaja jajaja jajajaja correcto",
    -1.0: "caro aburrido aburrida triste raro rara",
    -2.0: "malo mala malos malas feo fea odio odié decepción decepcionante decepcionado decepcionada "
    "basura peor peores fatal roto rota estafa fraude sobrevalorado sobrevalorada desastre insípido",
    -3.0: "horrible terrible asco asqueroso asquerosa pésimo pésima malísimo malísima horroroso horrorosa "
    "porquería vomitivo",
}
_PHRASES = {
    ("not", "worth"): -1.5,  # "worth" alone is positive; "not worth it" must not read as a plain negation
    ("waste", "of", "money"): -3.0,
    ("rip", "off"): -2.5,
    ("must", "try"): 2.5,
    ("must", "have"): 2.0,
    ("the", "bomb"): 2.5,
    ("10", "/", "10"): 3.0,
    ("0", "/", "10"): -3.0,
    ("me", "encanta"): 3.0,
    ("vale", "la", "pena"): 2.5,
    ("nunca", "mas"): -2.5,
    ("que", "asco"): -3.0,
    ("no", "sirve"): -2.5,
    ("no", "recomiendo"): -2.5,
    **german.PHRASES,
}
_EMOJI = {
    "😍": 3.0,
    "❤": 3.0,
    "♥": 2.5,
    "💕": 3.0,
    "💖": 3.0,
    "💗": 3.0,
    "💓": 3.0,
    "💞": 3.0,
    "💘": 3.0,
    "🥰": 3.0,
    "😘": 2.5,
    "🤩": 3.0,
    "😋": 2.5,
    "🥳": 2.5,
    "😊": 2.0,
    "😁": 2.0,
    "😀": 2.0,
    "😃": 2.0,
    "😄": 2.0,
    "🔥": 2.0,
    "👍": 2.0,
    "👏": 2.0,
    "🙌": 2.0,
    "💯": 2.0,
    "🎉": 2.0,
    "😂": 1.5,
    "🤣": 1.5,
    "😎": 1.5,
    "🤤": 1.5,
    "💪": 1.5,
    "⭐": 1.5,
    "🌟": 1.5,
    "😇": 1.5,
    "✨": 1.0,
    "✅": 1.0,
    "🙂": 1.0,
    "😉": 1.0,
    "🤗": 2.0,
    "👌": 2.0,
    "😡": -3.0,
    "🤬": -3.5,
    "😠": -2.5,
    "👎": -2.5,
    "🤮": -3.0,
    "🤢": -2.5,
    "💔": -2.5,
    "😤": -1.5,
    "😞": -2.0,
    "😔": -1.5,
    "😢": -2.0,
    "😒": -2.0,
    "🙄": -1.5,
    "😕": -1.5,
    "🙁": -1.5,
    "☹": -2.0,
    "😩": -1.5,
    "😫": -1.5,
    "💩": -2.5,
    "🗑": -2.0,
    "❌": -1.5,
    "🤡": -1.5,
    "😖": -2.0,
    "😣": -1.5,
    "😑": -1.0,
    "😐": -0.5,
    "😬": -1.0,
    "😭": -0.5,  # on TikTok as often "so good I'm crying" as sadness: weak on purpose
}
_EMOTICONS = {
    ":)": 2.0,
    ":-)": 2.0,
    "=)": 2.0,
    ":]": 2.0,
    ":d": 2.5,
    ":-d": 2.5,
    "xd": 2.0,
    ";)": 1.5,
    ";-)": 1.5,
    ":p": 1.0,
    ":-p": 1.0,
    "<3": 3.0,
    ":(": -2.0,
    ":-(": -2.0,
    "=(": -2.0,
    ":[": -2.0,
    ":'(": -2.5,
    ":/": -1.0,
    ":-/": -1.0,
    "</3": -2.5,
    ">:(": -3.0,
    ":@": -2.5,
}
# Contractions arrive without their apostrophe ("don't" -> "dont"): listed from their auxiliaries,
# so that "want" or "point" never read as negations.
_AUXILIARIES = "is was are were do does did have has had would should could must need ca wo ai".split()
_NEGATORS = frozenset(
    "not no never nothing nobody none neither nor without hardly cannot "
    "nunca jamás tampoco ni nada nadie ningún ninguno ninguna sin".split()
    + german.NEGATORS
    + [aux + "nt" for aux in _AUXILIARIES]
)
# After these words a negator does not negate ("no doubt the best", "sin duda el mejor").
_NEGATION_BREAKERS = frozenset("doubt duda dudas only solo".split())
_BOOSTERS = {
    **dict.fromkeys(
        "very really so super extremely totally absolutely incredibly truly too highly seriously "
        "deeply completely literally such most insanely crazy mega".split(),
        0.3,
    ),
    **dict.fromkeys("muy tan re súper demasiado mucho muchísimo bastante totalmente realmente sumamente".split(), 0.3),
    **dict.fromkeys(german.BOOSTERS, 0.3),
    **dict.fromkeys("kinda kind sorta somewhat slightly barely little bit medio algo poco".split(), -0.3),
    **dict.fromkeys(german.DAMPENERS, -0.3),
}
# Boosters that are praise where nothing follows them in their clause: "der Service ist super", "it's super!".
_PREDICATIVE_BOOSTERS = {"super": 2.0}
_CONTRASTS = frozenset(["but", "however", "pero", "sino", *german.CONTRASTS])
# "like" is filler as often as a verb: it counts only after a word that makes it a verb.
_LIKE_CUES = frozenset("i we you they u really totally also do does did dont doesnt didnt would wouldnt".split())

_CLAUSE_ENDS = frozenset(".,;!?")  # negation and boosters do not reach across these
_NEGATION_SCALAR = -0.74
_CONTRAST_BEFORE, _CONTRAST_AFTER = 0.5, 1.5
_CAPS_BOOST = 0.733
_ELONGATION_BOOST = 0.3
_EXCLAMATION_BOOST = 0.292
_ALPHA = 15.0  # normalises the valence sum into (-1, 1), as VADER does
NEUTRAL_BAND = 0.05

_TOKEN = re.compile(
    r"(?P<emoticon>(?<![\w])(?:>?[:;=][\-']?[)\](\[dDpP/@]|<3|</3|[xX][dD])(?![\w]))"
    r"|(?P<hashtag>#\w+)"
    r"|(?P<word>\w+(?:['’]\w+)*)"
    r"|(?P<symbol>[^\w\s])"
)
_ELONGATED = re.compile(r"(\w)\1{2,}")


def _folded_words(table: Mapping[float, str]) -> dict[str, float]:
    return {fold(word): valence for valence, words in table.items() for word in words.split()}


@dataclass(frozen=True)
class _Token:
    text: str  # folded, apostrophes removed for words ("don't" -> "dont")
    kind: str  # emoticon | hashtag | word | symbol
    shouted: bool  # ALL CAPS in a text that is not all caps
    elongated: bool  # "sooo", "goood"


class LexiconScorer:
    """Hand-written lexicon scorer for short social texts in English, Spanish and German.

    Rules, after VADER (Hutto & Gilbert, 2014), re-implemented here: word, emoji and
    emoticon valences; negation within the three preceding words flips and damps a
    valence ("not good", "no me gusta"); boosters and dampeners nearby scale it ("so
    good", "muy rico", "kinda bad"); ALL CAPS and elongated words ("sooo goood") add
    emphasis; hashtags count as words (#love); after "but"/"pero" the clause weighs more;
    exclamation marks push further. The sum is squashed into a polarity in (-1, 1).
    """

    model_name = LEXICON_MODEL_NAME

    def __init__(self) -> None:
        self._words = {**_folded_words(german.GERMAN), **_folded_words(_ENGLISH), **_folded_words(_SPANISH)}
        self._phrases = {tuple(fold(w) for w in phrase): v for phrase, v in _PHRASES.items()}
        self._longest_phrase = max(len(p) for p in self._phrases)
        self._phrase_starts = frozenset(p[0] for p in self._phrases)
        self._emoji = {_strip_emoji_modifiers(k): v for k, v in _EMOJI.items()}
        self._boosters = {fold(k).replace("'", ""): v for k, v in _BOOSTERS.items()}
        self._negators = frozenset(fold(w) for w in _NEGATORS)

    def score(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self._score_one(text or "") for text in texts]

    def polarity(self, text: str) -> float:
        """The signed score alone, in (-1, 1)."""
        return self._score_one(text).polarity

    def _score_one(self, text: str) -> SentimentResult:
        tokens = _tokenize(text)
        valences = self._valences(tokens)
        total = sum(valences)
        if total:
            exclamations = min(4, sum(1 for t in tokens if t.text == "!"))
            total += math.copysign(exclamations * _EXCLAMATION_BOOST, total)
        polarity = total / math.sqrt(total * total + _ALPHA)
        return _lexicon_result(polarity)

    def _valences(self, tokens: list[_Token]) -> list[float]:
        valences = [0.0] * len(tokens)
        i = 0
        while i < len(tokens):
            width, valence = self._lookup(tokens, i)
            if valence:
                valences[i] = self._adjust(valence, tokens, i, width)
            i += max(width, 1)
        return _weigh_contrast(tokens, valences)

    def _lookup(self, tokens: list[_Token], i: int) -> tuple[int, float]:
        """(tokens covered, raw valence) of the phrase, word, emoji or emoticon starting at ``i``."""
        token = tokens[i]
        if token.text in self._phrase_starts:
            for width in range(min(self._longest_phrase, len(tokens) - i), 1, -1):
                key = tuple(t.text for t in tokens[i : i + width])
                if key in self._phrases:
                    return width, self._phrases[key]
        if token.kind == "emoticon":
            return 1, _EMOTICONS.get(token.text, 0.0)
        if token.kind == "symbol":
            return 1, self._emoji.get(_strip_emoji_modifiers(token.text), 0.0)
        word = token.text.lstrip("#")
        if word == "like" and not (i > 0 and tokens[i - 1].text in _LIKE_CUES):
            return 1, 0.0
        if word in _PREDICATIVE_BOOSTERS and (i + 1 == len(tokens) or tokens[i + 1].kind not in ("word", "hashtag")):
            return 1, _PREDICATIVE_BOOSTERS[word]
        return 1, self._word_valence(word)

    def _word_valence(self, word: str) -> float:
        for candidate in _spellings(word):
            if candidate in self._words:
                return self._words[candidate]
        return 0.0

    def _adjust(self, valence: float, tokens: list[_Token], i: int, width: int) -> float:
        token = tokens[i]
        sign = math.copysign(1.0, valence)
        if token.shouted:
            valence += sign * _CAPS_BOOST
        if token.elongated:
            valence += sign * _ELONGATION_BOOST
        if token.kind in ("word", "hashtag"):
            valence += sign * self._boost_before(tokens, i)
            if self._negated(tokens, i):
                valence *= _NEGATION_SCALAR
        return valence

    def _preceding_words(self, tokens: list[_Token], i: int, count: int = 3) -> list[tuple[int, _Token]]:
        """Up to ``count`` word tokens before ``i``, nearest first, not crossing a sentence end."""
        found: list[tuple[int, _Token]] = []
        j = i - 1
        while j >= 0 and len(found) < count:
            if tokens[j].text in _CLAUSE_ENDS:
                break
            if tokens[j].kind in ("word", "hashtag"):
                found.append((j, tokens[j]))
            j -= 1
        return found

    def _boost_before(self, tokens: list[_Token], i: int) -> float:
        boost = 0.0
        for distance, (_, token) in enumerate(self._preceding_words(tokens, i)):
            for candidate in _spellings(token.text):
                if candidate in self._boosters:
                    boost += self._boosters[candidate] * (1.0 - 0.05 * distance)
                    break
        return boost

    def _negated(self, tokens: list[_Token], i: int) -> bool:
        for j, token in self._preceding_words(tokens, i):
            if not any(c in self._negators for c in _spellings(token.text)):
                continue
            following = tokens[j + 1].text if j + 1 < len(tokens) else ""
            if following not in _NEGATION_BREAKERS:
                return True
        return self._negated_after(tokens, i)

    def _negated_after(self, tokens: list[_Token], i: int) -> bool:
        """A negator closing the clause within two words after: German puts it last ("gefällt mir nicht")."""
        words = 0
        for j in range(i + 1, len(tokens)):
            if tokens[j].text in _CLAUSE_ENDS or words == 2:
                return False
            if tokens[j].kind not in ("word", "hashtag"):
                continue
            words += 1
            closes = j + 1 == len(tokens) or tokens[j + 1].text in _CLAUSE_ENDS
            if closes and tokens[j].text in self._negators:
                return True
        return False


def _spellings(word: str) -> tuple[str, ...]:
    """The word as written, then with letter runs of 3+ shortened to 2 and to 1 ("goood" -> "good")."""
    if not _ELONGATED.search(word):
        return (word,)
    return (word, _ELONGATED.sub(r"\1\1", word), _ELONGATED.sub(r"\1", word))


def _strip_emoji_modifiers(symbol: str) -> str:
    """'❤️' and '❤' are the same heart: drop variation selectors and skin tones."""
    return "".join(ch for ch in symbol if not ("\ufe00" <= ch <= "\ufe0f" or "\U0001f3fb" <= ch <= "\U0001f3ff"))


def _tokenize(text: str) -> list[_Token]:
    text = unicodedata.normalize("NFC", text)
    letters = [ch for ch in text if ch.isalpha()]
    all_caps = bool(letters) and all(ch.isupper() for ch in letters)
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "symbol"
        raw = match.group()
        if kind == "symbol" and (raw in ("\ufe0f", "\u200d") or "\U0001f3fb" <= raw <= "\U0001f3ff"):
            continue  # emoji joiners, variation selectors and skin tones belong to the emoji before them
        folded = fold(raw)
        if kind in ("word", "hashtag"):
            folded = folded.replace("'", "")
        shouted = kind == "word" and not all_caps and len(raw) > 1 and raw.isupper()
        elongated = kind in ("word", "hashtag") and bool(_ELONGATED.search(folded))
        tokens.append(_Token(folded, kind, shouted, elongated))
    return tokens


def _weigh_contrast(tokens: list[_Token], valences: list[float]) -> list[float]:
    """'good but pricey': what follows the last 'but' counts more, what precedes it less."""
    cut = max((i for i, t in enumerate(tokens) if t.text in _CONTRASTS), default=None)
    if cut is None:
        return valences
    return [v * (_CONTRAST_BEFORE if i < cut else _CONTRAST_AFTER) for i, v in enumerate(valences)]


def _lexicon_result(polarity: float) -> SentimentResult:
    """Label by the neutral band; score = how far the polarity sits inside its label's region, in [0.5, 1]."""
    polarity = max(-1.0, min(1.0, polarity))
    if abs(polarity) < NEUTRAL_BAND:
        label: Label = "neutral"
        score = 0.5 + 0.5 * (NEUTRAL_BAND - abs(polarity)) / NEUTRAL_BAND
    else:
        label = "positive" if polarity > 0 else "negative"
        score = 0.5 + 0.5 * abs(polarity)
    return SentimentResult(label, round(score, 6), round(polarity, 6), LEXICON_MODEL_NAME)
