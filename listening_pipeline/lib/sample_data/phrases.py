"""The words of the corpus: phrasebooks per language, co-hashtags, usernames and regions."""

from __future__ import annotations

from random import Random

# Keys ending in ".plain" name no brand; others contain {brand} (and {rival}).
PHRASES: dict[str, dict[str, list[str]]] = {
    "en": {
        "speech.positive": [
            "Okay, I just tried {brand} and honestly it is amazing. I love it!",
            "{brand} never disappoints. Great quality and a fair price, I totally recommend it.",
            "This is my new favourite. {brand} is so good, I buy it every single week.",
        ],
        "speech.positive.versus": [
            "I switched from {rival} to {brand} and it is so much better. I love it!",
        ],
        "speech.negative": [
            "I tried {brand} today and it was terrible. What a waste of money.",
            "Honestly, {brand} is so disappointing. It broke after one day. Never again.",
            "Please do not buy {brand}. It is awful and way too expensive.",
        ],
        "speech.neutral": [
            "Here is what I packed for today: some {brand} and a few snacks.",
            "Quick update from this morning. I picked up some {brand} on the way.",
        ],
        "speech.neutral.plain": [
            "Good morning everyone. Here is my routine for today, step by step.",
            "Day three of the challenge. Let me show you where we are going.",
            "Just a quick clip from this afternoon. More videos are coming tomorrow.",
        ],
        "hook": ["Honest review: {brand}", "Trying {brand} today", "{brand} haul"],
        "hook.plain": ["Wait for it...", "My routine today", "POV: weekend mode"],
        "verdict.positive": ["Totally worth it!", "10/10 would buy again"],
        "verdict.negative": ["Not worth the money", "Never again!"],
        "verdict.neutral": ["More tomorrow", "Link in bio"],
        "description.positive": [
            "Obsessed with {brand} right now 😍",
            "{brand} just hits different. Best purchase this month!",
        ],
        "description.negative": [
            "Really disappointed with {brand} 😤 not worth the price",
            "{brand} let me down again. Never buying it again.",
        ],
        "description.neutral": [
            "Picked up some {brand} on the way home",
            "Testing {brand} for the first time, full review tomorrow",
        ],
        "description.neutral.plain": ["Morning routine, part 2", "Quick clip from today 🎥"],
        "description.music": ["Sunset sounds only 🎶 no talking today"],
        "comment.positive": [
            "Love {brand} so much!",
            "{brand} is the best, buying more today 😍",
            "Great video, {brand} looks amazing",
        ],
        "comment.positive.plain": [
            "This is so good, thanks for sharing!",
            "Beautiful video, made my day",
            "You always find the best spots, love it",
            "Amazing editing, great job",
        ],
        "comment.negative": [
            "{brand} was awful for me, total waste of money",
            "Honestly {brand} is overpriced and bad",
            "Stopped buying {brand}, the quality got so much worse",
        ],
        "comment.negative.plain": [
            "Worst video I have seen all day",
            "This is boring and way too long",
            "The sound is terrible, could not finish it",
            "So fake, I really dislike these ads",
        ],
        "comment.neutral": ["Where can I buy {brand}?", "Is {brand} sold in Canada?", "How much was the {brand}?"],
        # The planted complaint wave's filmed video: its on-screen complaint.
        "caption.negative.wave": ["{brand}: awful"],  # one line: a caption is read line by line
        # The planted complaint wave (one day, one brand): what a product recall looks like in comments.
        "comment.negative.wave": [
            "{brand} changed the recipe and it tastes awful now",
            "The new {brand} blend is terrible, so disappointed",
            "{brand} pods leaked everywhere, worst purchase ever",
            "Returning my {brand} order, really bad quality",
            "{brand} customer service is horrible, still no refund",
            "Never buying {brand} again, what a disappointment",
            "{brand} used to be good, now it is just bad",
        ],
        "comment.neutral.plain": [
            "What song is this?",
            "Which camera do you use?",
            "Where was this filmed?",
            "Part two when?",
        ],
    },
    "es": {
        "speech.positive": [
            "Acabo de probar {brand} y de verdad es increíble. Me encanta.",
            "{brand} es mi favorito, siempre lo compro. Lo recomiendo mucho.",
        ],
        "speech.positive.versus": ["Cambié {rival} por {brand} y es mucho mejor. Me encanta."],
        "speech.negative": [
            "Probé {brand} hoy y fue horrible. Una pérdida de dinero.",
            "Qué decepción con {brand}. No lo vuelvo a comprar nunca.",
        ],
        "speech.neutral": ["Hoy compré {brand} en la tienda de la esquina."],
        "speech.neutral.plain": [
            "Buenos días a todos. Hoy os enseño mi rutina de la mañana.",
            "Un vídeo rápido de esta tarde. Mañana subo más.",
        ],
        "hook": ["Reseña honesta: {brand}", "Probando {brand}"],
        "hook.plain": ["Mi rutina de hoy", "Espera al final"],
        "verdict.positive": ["¡Me encanta!", "Lo recomiendo"],
        "verdict.negative": ["Qué decepción", "Nunca más"],
        "verdict.neutral": ["Más mañana", "Enlace en la bio"],
        "description.positive": ["Me encanta {brand} 😍 lo mejor del verano"],
        "description.negative": ["Muy decepcionada con {brand} 😤 no vale la pena"],
        "description.neutral": ["Hoy probando {brand} por primera vez"],
        "description.neutral.plain": ["Un día normal 🎥"],
        "comment.positive": ["¡Me encanta {brand}!"],
        "comment.positive.plain": ["¡Qué vídeo tan bonito!"],
        "comment.negative": ["{brand} es malísimo, no lo compréis"],
        "comment.negative.plain": ["Qué aburrido, no me gusta nada"],
        "comment.neutral": ["¿Dónde venden {brand}?"],
        "comment.neutral.plain": ["¿Qué canción es?"],
    },
    "de": {
        "speech.positive": [
            "Ich habe heute {brand} ausprobiert und es ist wirklich großartig. Ich liebe es.",
            "{brand} ist einfach super. Gute Qualität und ein fairer Preis.",
        ],
        "speech.positive.versus": ["Ich bin von {rival} zu {brand} gewechselt und es ist viel besser."],
        "speech.negative": [
            "Ich habe {brand} getestet und es war schrecklich. Reine Geldverschwendung.",
            "{brand} ist so enttäuschend. Nach einem Tag kaputt. Nie wieder.",
        ],
        "speech.neutral": ["Heute habe ich {brand} im Laden um die Ecke gekauft."],
        "speech.neutral.plain": [
            "Guten Morgen zusammen. Heute zeige ich euch meine Route.",
            "Ein kurzes Video von heute Nachmittag. Morgen gibt es mehr.",
        ],
        "hook": ["Ehrlicher Test: {brand}", "Heute: {brand}"],
        "hook.plain": ["Meine Route heute", "Warte bis zum Ende"],
        "verdict.positive": ["Einfach großartig!", "Klare Empfehlung"],
        "verdict.negative": ["Nie wieder!", "Totaler Reinfall"],
        "verdict.neutral": ["Mehr morgen", "Link in der Bio"],
        "description.positive": ["Ich liebe {brand} 😍 beste Entscheidung"],
        "description.negative": ["Echt enttäuscht von {brand} 😤 das Geld nicht wert"],
        "description.neutral": ["Heute zum ersten Mal {brand} dabei"],
        "description.neutral.plain": ["Ein ganz normaler Tag 🎥"],
        "comment.positive": ["Ich liebe {brand}!"],
        "comment.positive.plain": ["Wunderschönes Video, danke!"],
        "comment.negative": ["{brand} ist total schlecht, Finger weg"],
        "comment.negative.plain": ["Langweilig, gefällt mir gar nicht"],
        "comment.neutral": ["Wo kann man {brand} kaufen?"],
        "comment.neutral.plain": ["Welcher Song ist das?"],
    },
}


CO_HASHTAGS: dict[str, tuple[str, ...]] = {
    "summerdrinks": ("summer", "refreshing", "beachday"),
    "hikinglife": ("hiking", "outdoors", "mountains"),
    "coffeetime": ("coffee", "morningroutine", "barista"),
}
# A co-hashtag that is absent on the first day and on every video of the last: a trend.
RISING_HASHTAGS: dict[str, str] = {"summerdrinks": "heatwave", "hikinglife": "firstsnow", "coffeetime": "pumpkinspice"}
EVERYWHERE_HASHTAG = "fyp"
USERNAMES = (
    "sunny.sips",
    "trail_tales",
    "bean.there",
    "maria_cocina",
    "wanderwill",
    "lena.draussen",
    "ice_cold_ivy",
    "morningbrewmax",
    "gipfel_gluck",
    "coastal.carla",
)
REGIONS = {"en": ("US", "GB", "CA", "AU"), "es": ("ES", "MX", "AR"), "de": ("DE", "AT", "CH")}


def phrase(rng: Random, language: str, key: str, **fill: str) -> str:
    return rng.choice(PHRASES[language][key]).format(**fill)


# The planted disagreeing thread (plan._plant_disagreeing_thread): every comment on one positive video is
# negative, in three languages, with the intents the intent lexicon must find: (language, text, purchase
# intent, complaint). Written by hand, so the ground truth's intents do not come from the code under test.
DISAGREEING_THREAD: tuple[tuple[str, str, bool, bool], ...] = (
    ("en", "Just ordered {brand} because of this video and it arrived broken. Total ripoff", True, True),
    ("en", "Where can I buy something better than this? {brand} tastes awful", True, False),
    ("en", "{brand} customer service is a nightmare, still waiting for my refund", False, True),
    ("es", "Llegó roto, qué asco de {brand}", False, True),
    ("de", "{brand} ist total schlecht, funktioniert nicht", False, True),
    ("en", "This ad is so fake, I hate it", False, False),
)
