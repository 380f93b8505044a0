"""Sentiment of short social texts: a transformers classifier when one is on disk, a lexicon otherwise.

Why two scorers: no sentiment classifier installs from PyPI, and the pipeline must run on a
fresh laptop with no network. :func:`load_scorer` picks the classifier that
:mod:`listening_pipeline.lib.weights` finds, and falls back to :class:`LexiconScorer`
(English and Spanish words, emoji, emoticons) with the reason logged. Every result names
the scorer that produced it, so rows from either can be told apart downstream.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

from listening_pipeline.lib import weights

log = logging.getLogger(__name__)

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
LEXICON_MODEL_NAME = "lexicon:listening_pipeline-v1"


@dataclass(frozen=True)
class SentimentResult:
    """``score`` is the confidence of ``label``; ``polarity`` is P(positive) - P(negative)."""

    label: Label
    score: float
    polarity: float
    model: str


class SentimentScorer(Protocol):
    model_name: str

    def score(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in the same order."""
        ...


# ---------------------------------------------------------------------------------------------
# Transformers classifier
# ---------------------------------------------------------------------------------------------

# Label names seen in published sentiment classifiers, folded to lower case.
_NAMED_LABELS: dict[str, Label] = {
    "negative": "negative",
    "neg": "negative",
    "very negative": "negative",
    "very_negative": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "mixed": "neutral",
    "positive": "positive",
    "pos": "positive",
    "very positive": "positive",
    "very_positive": "positive",
    "1 star": "negative",
    "2 stars": "negative",
    "3 stars": "neutral",
    "4 stars": "positive",
    "5 stars": "positive",
}
# Generic LABEL_<i> names mean different things by class count: the usual conventions.
_ORDINAL_LABELS: dict[int, tuple[Label, ...]] = {
    2: ("negative", "positive"),  # SST-2 style
    3: ("negative", "neutral", "positive"),  # cardiffnlp style
    5: ("negative", "negative", "neutral", "positive", "positive"),  # star ratings
}
_USER_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def map_labels(id2label: Mapping[int, str]) -> dict[str, Label]:
    """The model's label names mapped onto positive / neutral / negative; raises for labels it cannot place."""
    count = len(id2label)
    mapping: dict[str, Label] = {}
    unknown = []
    for _, raw in sorted(id2label.items(), key=lambda item: int(item[0])):
        name = str(raw).strip().lower()
        generic = re.fullmatch(r"label_(\d+)", name)
        if name in _NAMED_LABELS:
            mapping[str(raw)] = _NAMED_LABELS[name]
        elif generic and count in _ORDINAL_LABELS and int(generic.group(1)) < count:
            mapping[str(raw)] = _ORDINAL_LABELS[count][int(generic.group(1))]
        else:
            unknown.append(str(raw))
    if unknown or not mapping:
        shown = unknown or list(id2label.values())
        raise ValueError(f"cannot map sentiment labels {shown} onto positive/neutral/negative")
    if "positive" not in mapping.values() or "negative" not in mapping.values():
        raise ValueError(f"sentiment labels {list(id2label.values())} lack a positive or a negative class")
    return mapping


class TransformersScorer:
    """A sequence-classification model, loaded once from local files, scoring texts in batches.

    Texts are sorted by length before batching (less padding) and truncated to
    ``max_length`` tokens. User handles and links become ``@user`` / ``http``, as the
    cardiffnlp tweet models were trained; emoji are kept, they carry sentiment.
    """

    def __init__(
        self,
        model_dir_or_id: str | Path,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        *,
        name: str | None = None,
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

        source = str(model_dir_or_id)
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(source, local_files_only=True)
        model.eval()
        self.labels = map_labels(model.config.id2label)
        self.max_length = _usable_max_length(max_length, tokenizer.model_max_length, model.config)
        self.batch_size = batch_size
        self.device = device or weights.best_device()
        self.model_name = f"transformers:{name or _display_name(source)}"
        self._pipe = pipeline(
            "text-classification",
            model=model,
            tokenizer=tokenizer,
            device=self.device,
            top_k=None,
            truncation=True,
            max_length=self.max_length,
        )

    def score(self, texts: Sequence[str]) -> list[SentimentResult]:
        if not texts:
            return []
        prepared = [_prepare_for_model(t) for t in texts]
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        outputs = self._pipe([prepared[i] for i in order], batch_size=self.batch_size)
        results: dict[int, SentimentResult] = {}
        for index, scores in zip(order, outputs):
            results[index] = self._result(scores)
        if len(results) != len(texts):
            raise RuntimeError(f"{self.model_name} returned {len(results)} results for {len(texts)} texts")
        return [results[i] for i in range(len(texts))]

    def _result(self, scores: list[dict]) -> SentimentResult:
        """Sum class probabilities per three-way label (e.g. 1 and 2 stars are both negative)."""
        totals = {label: 0.0 for label in LABELS}
        for item in scores:
            totals[self.labels[item["label"]]] += float(item["score"])
        label = max(LABELS, key=lambda name: totals[name])
        polarity = max(-1.0, min(1.0, totals["positive"] - totals["negative"]))
        return SentimentResult(label, min(1.0, totals[label]), polarity, self.model_name)


def _usable_max_length(wanted: int, tokenizer_limit: int | None, config) -> int:
    """``wanted`` capped by what the tokenizer and the position embeddings allow.

    Tokenizers saved without a limit report a huge sentinel (1e30), so the model's own
    ``max_position_embeddings`` is the real cap; RoBERTa-style models spend two positions
    on the padding offset, so two are kept in reserve for every model.
    """
    limits = [wanted]
    if tokenizer_limit and tokenizer_limit < 100_000:
        limits.append(tokenizer_limit)
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        limits.append(positions - 2)
    return max(1, min(limits))


def _display_name(source: str) -> str:
    path = Path(source)
    return weights._name_from_dir(path) if path.exists() else source


def _prepare_for_model(text: str) -> str:
    return _URL.sub("http", _USER_HANDLE.sub("@user", text))


# ---------------------------------------------------------------------------------------------
# Lexicon scorer
# ---------------------------------------------------------------------------------------------
# Valences on a -4..4 scale (as VADER's), written by hand for social posts about products.
# Keys are folded (lower case, no accents) when the lexicon is built, so write them naturally.

_ENGLISH = {
    3.0: "love loved loving lovely amazing awesome incredible fantastic perfect perfection excellent outstanding "
    "wonderful best superb brilliant obsessed adore adored goated delicious delish masterpiece phenomenal "
    "stunning flawless",
    2.0: "good great nice like liked enjoy enjoyed enjoying happy glad cool fun beautiful pretty yummy tasty "
    "recommend recommended refreshing fresh fire lit slaps bussin favorite favourite fav fave win winner "
    "impressive impressed smooth worth underrated legit excited exciting thanks thank lovin wow wonderful "
    "cute gorgeous dope solid fabulous epic iconic satisfying",
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
    "padrísimo bacán guay top gracias amor favorito favorita",
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
    **dict.fromkeys("kinda kind sorta somewhat slightly barely little bit medio algo poco".split(), -0.3),
}
_CONTRASTS = frozenset("but however pero sino".split())
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


@lru_cache(maxsize=100_000)  # social text repeats its words; folding each once pays off
def fold(text: str) -> str:
    """Lower case without accents, straight apostrophes: 'Increíble' and 'increible' look the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _folded_words(table: Mapping[float, str]) -> dict[str, float]:
    return {fold(word): valence for valence, words in table.items() for word in words.split()}


@dataclass(frozen=True)
class _Token:
    text: str  # folded, apostrophes removed for words ("don't" -> "dont")
    kind: str  # emoticon | hashtag | word | symbol
    shouted: bool  # ALL CAPS in a text that is not all caps
    elongated: bool  # "sooo", "goood"


class LexiconScorer:
    """Hand-written lexicon scorer for short social texts in English and Spanish.

    Rules, after VADER (Hutto & Gilbert, 2014), re-implemented here: word, emoji and
    emoticon valences; negation within the three preceding words flips and damps a
    valence ("not good", "no me gusta"); boosters and dampeners nearby scale it ("so
    good", "muy rico", "kinda bad"); ALL CAPS and elongated words ("sooo goood") add
    emphasis; hashtags count as words (#love); after "but"/"pero" the clause weighs more;
    exclamation marks push further. The sum is squashed into a polarity in (-1, 1).
    """

    model_name = LEXICON_MODEL_NAME

    def __init__(self) -> None:
        self._words = {**_folded_words(_ENGLISH), **_folded_words(_SPANISH)}
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


# ---------------------------------------------------------------------------------------------
# Choosing a scorer
# ---------------------------------------------------------------------------------------------


def load_scorer(explicit: str | Path | None = None, device: str | None = None, **scorer_options) -> SentimentScorer:
    """The classifier named or found on this machine, or the lexicon scorer (reason logged).

    ``explicit="lexicon"`` asks for the lexicon scorer. An explicit model that cannot be
    found or loaded raises; a cached default that fails to load falls back with a warning.
    """
    if explicit is not None and str(explicit) == "lexicon":
        return LexiconScorer()
    resolved = weights.resolve_sentiment_model(explicit)
    if resolved is None:
        log.info(
            "no sentiment classifier in the Hugging Face cache (looked for %s): scoring with %s; "
            "`listening-pipeline models pull sentiment` downloads one",
            ", ".join(weights.SENTIMENT_CACHE_CANDIDATES),
            LEXICON_MODEL_NAME,
        )
        return LexiconScorer()
    try:
        return TransformersScorer(resolved.path, device=device, name=resolved.name, **scorer_options)
    except Exception as exc:
        if explicit:
            raise
        log.warning(
            "cannot load sentiment model %s from %s (%s): scoring with %s",
            resolved.name,
            resolved.path,
            exc,
            LEXICON_MODEL_NAME,
        )
        return LexiconScorer()
