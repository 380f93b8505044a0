"""Purchase intent and complaints in short texts (comments): a small hand-written phrase lexicon.

Why a lexicon and not a zero-shot classifier: it runs offline on any laptop in microseconds, it is
readable (a person sees why a comment counted), and every row records which version flagged it
(:data:`INTENT_LEXICON`, a digest of the phrases below, so an edit can never go unrecorded).

Rules, in order:

* Text is folded (:func:`~listening_pipeline.lib.text.folding.fold`: case, accents, curly
  apostrophes) and cut into words; apostrophes inside a word go ("doesn't" -> "doesnt").
* A phrase matches where its words occur consecutively ("where can i buy", "acabo de comprar").
* A match is cancelled when one of the two words before it is a negator ("not a scam",
  "no complaints", "nicht kaputt", "would never buy"), unless the phrase holds a negator itself
  ("doesnt work", "never again", "funktioniert nicht"), which is then its point.

English, Spanish and German: the languages of the sample corpus and of the sentiment lexicon.
Sarcasm and irony are out of reach of any lexicon; the tests show what is and is not caught.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from listening_pipeline.lib.text.folding import fold

# Phrases are written naturally (accents, apostrophes) and folded when the lexicon is built.
PURCHASE_INTENT = {
    "en": (
        "where can i buy, where can i get, where do i buy, where do i get, where to buy, where to get, "
        "where did you buy, where did you get, where is it sold, link please, link pls, need the link, "
        "drop the link, just ordered, just bought, i ordered, i bought one, ordered mine, added to cart, "
        "adding to cart, add to cart, take my money, gonna buy, going to buy, want to buy, wanna buy, "
        "will buy, buying one, buying it, buying this, need this, need one, need it, how much is it, "
        "how much does it cost, what's the price, restock, back in stock, preorder, pre-order"
    ),
    "es": (
        "dónde lo compro, donde lo compro, dónde se compra, dónde puedo comprar, dónde comprar, dónde lo venden, "
        "dónde lo consigo, acabo de comprar, lo acabo de comprar, acabo de pedir, ya lo pedí, ya lo compré, "
        "lo compré, lo pedí, lo quiero, lo necesito, quiero uno, quiero comprar, voy a comprar, lo voy a comprar, "
        "cuánto cuesta, qué precio, link por favor, pasa el link, al carrito"
    ),
    "de": (
        "wo kann man, wo kauft man, wo kaufen, wo gibt es, wo gibts, wo bekommt man, gerade bestellt, "
        "grad bestellt, direkt bestellt, sofort bestellt, schon bestellt, habe bestellt, hab bestellt, "
        "hab's bestellt, gerade gekauft, will ich haben, muss ich haben, brauch ich, brauche ich, werde ich kaufen, "
        "wird gekauft, was kostet, wie viel kostet, link bitte, in den warenkorb"
    ),
}
COMPLAINT = {
    "en": (
        "broken, broke after, arrived broken, stopped working, doesn't work, does not work, didn't work, "
        "not working, never arrived, never came, still waiting, refund, money back, customer service, "
        "rip off, ripoff, scam, waste of money, never again, never buying again, never buy again, "
        "complaint, complain, returned it, returning it, made me sick, defective, leaking, leaked, mold, moldy, "
        "expired, poor quality, overpriced, disappointed, worst"
    ),
    "es": (
        "no funciona, dejó de funcionar, llegó roto, llegó rota, roto, rota, nunca llegó, no llegó, reembolso, "
        "devolución, devolver, estafa, nunca más, atención al cliente, pésimo servicio, queja, reclamo, "
        "defectuoso, defectuosa, caducado, caducada, me enfermó, decepcionado, decepcionada, el peor, la peor"
    ),
    "de": (
        "kaputt, funktioniert nicht, geht nicht mehr, nie angekommen, nicht angekommen, geld zurück, "
        "erstattung, reklamation, reklamiert, beschwerde, abzocke, betrug, nie wieder, kundenservice, "
        "kundendienst, defekt, zurückgeschickt, schimmel, schimmelig, ausgelaufen, abgelaufen, enttäuscht, "
        "das schlechteste"
    ),
}
NEGATORS = frozenset(
    "not no never dont don't doesnt doesn't didnt didn't wont won't wouldnt wouldn't isnt isn't wasnt wasn't "
    "aint ain't cant can't nunca nada ni nicht kein keine keinen keinem nie niemals".replace("'", "").split()
)
_WORD = re.compile(r"[\w']+")
_NEGATION_WINDOW = 2  # words before a phrase that can cancel it


def words(text: str) -> list[str]:
    """Folded words, apostrophes dropped inside them: "Doesn’t" -> "doesnt"."""
    return [w.replace("'", "") for w in _WORD.findall(fold(text))]


def _phrases(lexicon: dict[str, str]) -> tuple[tuple[str, ...], ...]:
    out = {tuple(words(phrase)) for language in lexicon.values() for phrase in language.split(",")}
    return tuple(sorted(p for p in out if p))


_PURCHASE = _phrases(PURCHASE_INTENT)
_COMPLAINT = _phrases(COMPLAINT)
INTENT_LEXICON = (
    "intent-lexicon:"
    + hashlib.sha256(repr((_PURCHASE, _COMPLAINT, sorted(NEGATORS), _NEGATION_WINDOW)).encode()).hexdigest()[:12]
)


@dataclass(frozen=True)
class Intent:
    """What a text says beyond its sentiment: wants to buy (or just bought), complains; both can hold."""

    purchase_intent: bool
    complaint: bool


def _found(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        size, negating = len(phrase), any(w in NEGATORS for w in phrase)
        for start in range(len(tokens) - size + 1):
            if tuple(tokens[start : start + size]) != phrase:
                continue
            before = tokens[max(0, start - _NEGATION_WINDOW) : start]
            if negating or not any(w in NEGATORS for w in before):
                return True
    return False


def classify(text: str | None) -> Intent:
    """The intents of one text (a missing text has none)."""
    tokens = words(text or "")
    return Intent(purchase_intent=_found(tokens, _PURCHASE), complaint=_found(tokens, _COMPLAINT))
