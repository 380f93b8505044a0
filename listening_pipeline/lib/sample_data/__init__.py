"""A deterministic sample corpus: short vertical videos with real speech, captions and logos.

Why it exists: every stage of the pipeline (ASR, OCR, logo detection, sentiment, brand
mentions, dbt marts) needs inputs whose right answers are known. This module writes a
folder that :class:`~listening_pipeline.lib.sources.folder.FolderSource` reads, plus a
``ground_truth.json`` saying exactly what was spoken, shown and meant, so tests and
benchmarks can score WER, OCR recall, logo precision/recall, sentiment agreement and
mention counts against it. Nothing here imports Dagster.

Output folder::

    videos.jsonl        Research-API-shaped video objects, one per line, plus "media"
    comments.jsonl      comment objects (id, video_id, text, like_count, reply_count,
                        parent_comment_id, create_time); top-level comments have
                        parent_comment_id == video_id, as the Research API returns them
    media/<id>.mp4      360x640, 12 fps, H.264 + AAC mono 22.05 kHz, 6-8 s
    ground_truth.json   what every video contains (shape below)

Content, for the bundled catalog and defaults (3 campaign hashtags x 3 days): three
videos per hashtag-day with speech made by ``espeak-ng`` (English, plus Spanish or
German in one video of each partition), one or two on-screen captions, brand logos in
some frames, descriptions and comments that are positive, negative or neutral about a
brand or its competitor; some videos mention no brand at all. Edge cases, listed in
``ground_truth.json["edge_cases"]``: one extra music-only video (chords, no speech, no
captions, no logos), one extra video whose media file is corrupt, one line of
``videos.jsonl`` that is not JSON (it names the first campaign hashtag, so every
partition of that hashtag reports it) and one line of ``comments.jsonl`` that is not
JSON (it names one video, so only that video's partition reports it).

``ground_truth.json`` shape (times in seconds from the start of the clip; a caption or
logo is on screen for frame times ``start_s <= t < end_s``; boxes are pixel
``[x0, y0, x1, y1]`` in the 360x640 frame, x1/y1 exclusive; ids are strings because they
exceed 2^53)::

    {
      "format": 1, "seed": 7, "start_day": "2026-11-01", "days": 3,
      "hashtags": ["summerdrinks", ...],
      "video": {"width": 360, "height": 640, "fps": 12, "audio_sample_rate": 22050,
                "video_codec": "libx264", "audio_codec": "aac"},
      "mention_rule": "...",            # how "brands" below were decided, in words
      "videos": [{
        "id": "7300000000000000001", "hashtag": "summerdrinks", "day": "2026-11-01",
        "kind": "speech" | "music_only" | "corrupt_media" | "metadata_only",
        "media": "media/7300000000000000001.mp4", "duration_s": 7,
        "language": "en" | "es" | "de" | null,      # of speech; null: no speech
        "brand": "Fizzly" | null, "competitor": "Bubblo" | null,   # what the video is about
        "speech": null | {"text": "<exact words given to espeak-ng>", "voice": "en-us",
                          "start_s": 0.5, "end_s": 4.2, "sentiment": "positive",
                          "brands": ["Fizzly"]},
        "captions": [{"text": "...", "start_s": 0.0, "end_s": 3.5, "box": [..],
                      "sentiment": "neutral", "brands": []}],
        "logos": [{"brand": "Fizzly", "start_s": 1.0, "end_s": 4.0, "box": [..]}],
        "description": {"text": "...", "sentiment": "positive", "brands": ["Fizzly"]},
        "hashtags": [{"tag": "summerdrinks", "brands": []}, {"tag": "fizzly", "brands": ["Fizzly"]}],
        "comments": [{"id": "...", "parent_id": "<video id or comment id>", "text": "...",
                      "language": "en", "sentiment": "negative", "brands": ["Bubblo"]}],
        "mentions": {"speech": [..], "caption": [..], "logo": [..], "description": [..],
                     "hashtag": [..], "comment": [..]}      # brands per origin, sorted
      }],
      "edge_cases": [{"kind": "music_only" | "corrupt_media", "video_id", "hashtag", "day"},
                     {"kind": "malformed_video_line", "file": "videos.jsonl", "line": 6,
                      "hashtag": "summerdrinks", "days": [...]},
                     {"kind": "malformed_comment_line", "file": "comments.jsonl", "line": 9,
                      "video_id", "hashtag", "day"}],
      "mention_counts": [{"hashtag", "day", "brand", "origin", "count"}]
    }

History and the planted alert: the last hashtag (``coffeetime``) also has ``history_days``
(14) metadata-only days before ``start_day``: three videos a day with a description,
hashtags and 4-7 comments, no media file (``"media": null``, as for Research API records
whose media was not downloaded), at about the mention level of an ordinary main day. On the
last history day its group's last brand (``Mokka Mia``) gets a wave of four negative
videos with 6-8 complaint comments each. ``ground_truth.json`` lists it under
``"planted_alerts": [{"brand", "day", "reasons": ["mentions", "negative_share"], "videos"}]``
and describes the history under ``"history"``.

``mention_counts`` counts text units (one speech track, caption, description, hashtag
or comment) naming the brand, and logo appearances; a corrupt video contributes only its
metadata (description, hashtags, comments). The corrupt and music-only videos have empty
``captions`` and ``logos`` and a null ``speech``. Descriptions end with the video's
hashtags, as posted on the platform, so ``#fizzly`` counts under both ``description`` and
``hashtag``. Sentiment labels are what the text was written to say: a description shares
its video's label, an opening caption ("hook") is neutral, a comparison such as "I
switched from Bubblo to Fizzly, so much better" is positive.

Determinism: everything is drawn from ``random.Random(seed)`` in a fixed order, so the
same seed gives byte-identical ``videos.jsonl``, ``comments.jsonl`` and
``ground_truth.json`` (speech end times come from espeak-ng, so another espeak-ng version
may shift them). Media are byte-identical too on the same library versions: x264 runs on
one thread with macroblock-tree rate control off (with it on, the same frames gave
different bytes from run to run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import wave
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from listening_pipeline.catalog import BUNDLED_CATALOG, Catalog, load_catalog

WIDTH, HEIGHT = 360, 640
FPS = 12
AUDIO_RATE = 22050
VIDEO_ID_BASE = 7_300_000_000_000_000_000
COMMENT_ID_BASE = 7_400_000_000_000_000_000
LOGO_SIZE = 192
CAPTION_BANDS = (70, 440)  # top y of a caption panel: upper or lower third of the frame
LOGO_BAND = (200, 430)  # logos sit between the caption bands
ORIGINS = ("speech", "caption", "logo", "description", "hashtag", "comment")
SENTIMENTS = ("positive", "negative", "neutral")
ESPEAK_VOICES = {"en": "en-us", "es": "es", "de": "de"}
SECOND_LANGUAGES = ("es", "de")
SPEECH_RATE_WPM = 150
MENTION_RULE = (
    "A text unit names a brand when one of the brand's aliases (its name included) occurs "
    "in it case-insensitively with no letter, digit or '_' directly before or after; a "
    "hashtag also names a brand listed under that brand's 'hashtags'."
)


class SampleDataError(RuntimeError):
    """The sample corpus cannot be generated; the message says what is missing."""


# ---------------------------------------------------------------------------------------
# Brand matching (the rule ground truth is computed with)
# ---------------------------------------------------------------------------------------


def brands_named_in(text: str, catalog: Catalog) -> list[str]:
    """Brands whose aliases occur in ``text`` on word boundaries, sorted: the ground-truth rule."""
    folded = unicodedata.normalize("NFC", text).casefold()
    found = {
        brand.name
        for brand in catalog.brands
        for alias in brand.aliases
        if _alias_pattern(unicodedata.normalize("NFC", alias).casefold()).search(folded)
    }
    return sorted(found)


def brands_in_hashtag(tag: str, catalog: Catalog) -> list[str]:
    """Brands a single hashtag names: an alias match on the bare tag, or a brand hashtag."""
    found = set(brands_named_in(tag, catalog))
    found.update(brand.name for brand in catalog.brands if tag in brand.hashtags)
    return sorted(found)


@lru_cache(maxsize=1024)
def _alias_pattern(folded_alias: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(folded_alias) + r"(?!\w)")


def brand_hashtag(name: str) -> str:
    """The hashtag fans write for a brand: ``Café Brisa`` -> ``cafebrisa``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.casefold()) or "brand"


def logo_slug(name: str) -> str:
    """File-name form of a brand: ``Café Brisa`` -> ``cafe_brisa``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.casefold()).strip("_") or "brand"


# ---------------------------------------------------------------------------------------
# Fonts and logos
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font_file() -> Path:
    """DejaVu Sans Bold from matplotlib (a dependency): Pillow's built-in font lacks accents."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise SampleDataError("matplotlib is needed for its DejaVu font (captions with accents)")
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        raise SampleDataError(f"font {path} not found in the matplotlib installation")
    return path


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_file()), size)


@dataclass(frozen=True)
class LogoStyle:
    shape: str  # circle | rounded | mountain | diamond | ring | hexagon
    fill: tuple[int, int, int]
    ink: tuple[int, int, int]


LOGO_STYLES: dict[str, LogoStyle] = {
    "Fizzly": LogoStyle("circle", (214, 32, 58), (255, 255, 255)),
    "Bubblo": LogoStyle("rounded", (28, 116, 232), (255, 236, 64)),
    "Nordpeak": LogoStyle("mountain", (22, 112, 72), (255, 255, 255)),
    "Trailfox": LogoStyle("diamond", (242, 122, 18), (30, 30, 30)),
    "Café Brisa": LogoStyle("ring", (104, 58, 28), (250, 232, 200)),
    "Mokka Mia": LogoStyle("hexagon", (122, 38, 140), (255, 255, 255)),
}
_FALLBACK_SHAPES = ("circle", "rounded", "mountain", "diamond", "ring", "hexagon")


def logo_style(name: str) -> LogoStyle:
    """The bundled brands' styles; any other brand gets one derived from its name's CRC."""
    if name in LOGO_STYLES:
        return LOGO_STYLES[name]
    code = zlib.crc32(name.encode("utf-8"))
    fill = ((code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF)
    ink = (255, 255, 255) if sum(fill) < 384 else (20, 20, 20)
    return LogoStyle(_FALLBACK_SHAPES[code % len(_FALLBACK_SHAPES)], fill, ink)


def draw_logo(name: str, size: int = LOGO_SIZE) -> Image.Image:
    """A distinctive RGBA logo: a coloured shape with the brand word, drawn at 4x then reduced."""
    style = logo_style(name)
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, style, big)
    words = name.upper().split()
    text = "\n".join(words)
    font_size = int(big * 0.26)
    max_width = 0.66 if style.shape == "mountain" else 0.74  # the triangle is narrow higher up
    font = _font(font_size)
    while font_size > 8:  # shrink until the word fits inside the shape
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, align="center")
        if right - left <= big * max_width and bottom - top <= big * 0.5:
            break
        font_size -= 4
        font = _font(font_size)
    center_y = big * (0.74 if style.shape == "mountain" else 0.5)
    draw.multiline_text(
        (big / 2, center_y),
        text,
        font=font,
        fill=style.ink + (255,),
        anchor="mm",
        align="center",
        stroke_width=max(2, font_size // 14),
        stroke_fill=style.fill + (255,),
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _draw_shape(draw: ImageDraw.ImageDraw, style: LogoStyle, big: int) -> None:
    pad = big * 0.04
    fill = style.fill + (255,)
    if style.shape == "circle":
        draw.ellipse((pad, pad, big - pad, big - pad), fill=fill)
        draw.ellipse((big * 0.62, big * 0.14, big * 0.78, big * 0.30), fill=style.ink + (200,))
    elif style.shape == "rounded":
        draw.rounded_rectangle((pad, pad, big - pad, big - pad), radius=big * 0.22, fill=fill)
        for cx, cy, r in ((0.22, 0.2, 0.07), (0.34, 0.12, 0.04), (0.8, 0.82, 0.06)):
            bubble = (big * (cx - r), big * (cy - r), big * (cx + r), big * (cy + r))
            draw.ellipse(bubble, outline=style.ink + (255,), width=int(big * 0.015))
    elif style.shape == "mountain":
        draw.polygon([(big / 2, pad), (big - pad, big - pad), (pad, big - pad)], fill=fill)
        draw.polygon([(big / 2, pad), (big * 0.62, big * 0.26), (big * 0.38, big * 0.26)], fill=(255, 255, 255, 255))
    elif style.shape == "diamond":
        draw.polygon([(big / 2, pad), (big - pad, big / 2), (big / 2, big - pad), (pad, big / 2)], fill=fill)
    elif style.shape == "ring":
        draw.ellipse((pad, pad, big - pad, big - pad), fill=fill)
        inset = big * 0.1
        draw.ellipse((inset, inset, big - inset, big - inset), outline=style.ink + (255,), width=int(big * 0.025))
    else:  # hexagon
        r = big / 2 - pad
        angles = [math.radians(60 * k) for k in range(6)]
        points = [(big / 2 + r * math.cos(a), big / 2 + r * math.sin(a)) for a in angles]
        draw.polygon(points, fill=fill)


def write_bundled_logos(dest: Path = BUNDLED_CATALOG.parent / "logos") -> list[Path]:
    """Write one PNG per bundled brand (run once; the files are committed)."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in LOGO_STYLES:
        path = dest / f"{logo_slug(name)}.png"
        draw_logo(name).save(path, format="PNG", optimize=False)
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# Phrases. Keys ending in ".plain" name no brand; others contain {brand} (and {rival}).
# ---------------------------------------------------------------------------------------

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


def _phrase(rng: Random, language: str, key: str, **fill: str) -> str:
    return rng.choice(PHRASES[language][key]).format(**fill)


# ---------------------------------------------------------------------------------------
# The plan: every decision, made before any media is rendered
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionPlan:
    text: str
    start_s: float
    end_s: float
    box: tuple[int, int, int, int]
    font_size: int
    lines: tuple[str, ...]
    sentiment: str


@dataclass(frozen=True)
class LogoPlan:
    brand: str
    start_s: float
    end_s: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class CommentPlan:
    comment_id: int
    parent_id: int
    text: str
    language: str
    sentiment: str
    like_count: int
    reply_count: int
    create_time: int


@dataclass
class VideoPlan:
    number: int
    video_id: int
    hashtag: str
    day: dt.date
    kind: str  # speech | music_only | corrupt_media | metadata_only
    language: str
    sentiment: str
    brand: str | None
    competitor: str | None
    username: str
    region: str
    create_time: int
    duration_s: int
    speech_text: str | None
    speech_start_s: float
    captions: list[CaptionPlan]
    logos: list[LogoPlan]
    description: str  # its sentiment is the video's
    hashtag_names: list[str]
    comments: list[CommentPlan]
    view_count: int
    like_count: int
    comment_count: int
    share_count: int
    background: tuple[tuple[int, int, int], tuple[int, int, int]]  # top and bottom of a gradient
    speech_end_s: float | None = None  # known once espeak-ng has spoken the text

    @property
    def media(self) -> str | None:
        """Where the clip lies in the corpus; None for a metadata-only video (no file offered)."""
        return None if self.kind == "metadata_only" else f"media/{self.video_id}.mp4"


@dataclass
class CorpusPlan:
    seed: int
    start_day: dt.date
    days: int
    hashtags: tuple[str, ...]
    videos: list[VideoPlan]
    bad_video_line: str = ""
    bad_video_line_after: int = 0  # inserted after this many video lines
    bad_comment_line: str = ""
    bad_comment_line_after: int = 0
    edge_cases: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, Any] | None = None  # the metadata-only days before start_day
    planted_alerts: list[dict[str, Any]] = field(default_factory=list)


def plan_corpus(catalog: Catalog, *, seed: int, start_day: dt.date, days: int, history_days: int = 0) -> CorpusPlan:
    """Decide every video, text, caption, logo and comment from ``seed`` (no media are made).

    Hashtag i of the catalog covers competitor group i (cycling); each hashtag-day gets one
    positive, one negative and one neutral video, the neutral one brandless on alternate days.
    With ``history_days``, the last hashtag also gets that many metadata-only days before
    ``start_day`` (see :func:`_plan_history`).
    """
    if days < 1 or history_days < 0:
        raise ValueError("days must be at least 1 and history_days at least 0")
    hashtags = catalog.tracked_hashtags
    if not hashtags or not catalog.brands:
        raise SampleDataError(f"{catalog.path}: a sample corpus needs at least one hashtag and one brand")
    rng = Random(seed)
    groups = _competitor_groups(catalog)
    counter = _Counter()
    music_at = (hashtags[1 % len(hashtags)], start_day)
    corrupt_at = (hashtags[2 % len(hashtags)], start_day + dt.timedelta(days=min(1, days - 1)))
    videos: list[VideoPlan] = []
    for day_index in range(days):
        day = start_day + dt.timedelta(days=day_index)
        for tag_index, hashtag in enumerate(hashtags):
            slot = _Slot(hashtag, day, day_index, days, groups[tag_index % len(groups)])
            sentiments = list(SENTIMENTS)
            rng.shuffle(sentiments)
            for position, sentiment in enumerate(sentiments):
                language = SECOND_LANGUAGES[tag_index % len(SECOND_LANGUAGES)] if position == 2 else "en"
                brandless = sentiment == "neutral" and (day_index + tag_index) % 2 == 0
                videos.append(_plan_video(rng, counter, catalog, slot, "speech", language, sentiment, brandless))
            if (hashtag, day) == music_at:
                videos.append(_plan_video(rng, counter, catalog, slot, "music_only", "en", "neutral", True))
            if (hashtag, day) == corrupt_at:
                videos.append(_plan_video(rng, counter, catalog, slot, "corrupt_media", "en", "positive", False))
    plan = _with_broken_lines(CorpusPlan(seed=seed, start_day=start_day, days=days, hashtags=hashtags, videos=videos))
    if history_days:
        _plan_history(plan, catalog, counter, groups, history_days)
    return plan


HISTORY_VIDEOS_PER_DAY = 3
WAVE_VIDEOS = 4


def _plan_history(
    plan: CorpusPlan, catalog: Catalog, counter: _Counter, groups: list[tuple[str, ...]], history_days: int
) -> None:
    """Quiet metadata-only days for the last hashtag before ``start_day``, and one planted complaint wave.

    Why: a trend or alert needs a baseline, and full clips for weeks of history would make the
    demo slow. These videos have a description, hashtags and comments but no media file, like
    Research API records whose media was not downloaded. Each day looks like an ordinary
    day of the main period for the hashtag's brands; on the last history day the group's last
    brand gets a wave of negative videos and comments, which the alert mart must report once.
    Drawn from its own random stream after the main period, so the main days do not change.
    """
    rng = Random(plan.seed * 1_000_003 + 17)
    tag_index = len(plan.hashtags) - 1
    hashtag = plan.hashtags[tag_index]
    group = groups[tag_index % len(groups)]
    first = plan.start_day - dt.timedelta(days=history_days)
    wave_day, wave_brand = plan.start_day - dt.timedelta(days=1), group[-1]
    wave_ids: list[str] = []
    for day_index in range(history_days):
        day = first + dt.timedelta(days=day_index)
        slot = _Slot(hashtag, day, day_index, history_days, group)
        sentiments = list(SENTIMENTS)
        rng.shuffle(sentiments)
        for sentiment in sentiments[:HISTORY_VIDEOS_PER_DAY]:
            plan.videos.append(_plan_video(rng, counter, catalog, slot, "metadata_only", "en", sentiment, False))
        if day == wave_day:
            for _ in range(WAVE_VIDEOS):
                video = _plan_video(
                    rng, counter, catalog, slot, "metadata_only", "en", "negative", False, brand=wave_brand
                )
                video.comments = _plan_comments(
                    rng,
                    counter,
                    catalog,
                    video.video_id,
                    "en",
                    wave_brand,
                    None,
                    video.create_time,
                    count=(6, 8),
                    key="comment.negative.wave",
                    sentiment="negative",
                )
                video.comment_count = len(video.comments) + rng.randint(20, 200)
                plan.videos.append(video)
                wave_ids.append(str(video.video_id))
    plan.history = {
        "hashtag": hashtag,
        "start_day": first.isoformat(),
        "days": history_days,
        "kind": "metadata_only",
    }
    plan.planted_alerts.append(
        {
            "brand": wave_brand,
            "day": wave_day.isoformat(),
            "reasons": ["mentions", "negative_share"],
            "videos": wave_ids,
        }
    )


@dataclass(frozen=True)
class _Slot:
    """Where a video goes: its partition, and the competitor group its hashtag covers."""

    hashtag: str
    day: dt.date
    day_index: int
    days: int
    group: tuple[str, ...]


def _with_broken_lines(plan: CorpusPlan) -> CorpusPlan:
    """Add the two malformed manifest lines and list every edge case in the plan."""
    first_tag = plan.hashtags[0]
    target = plan.videos[0]
    plan.bad_video_line = (
        f'{{"id": {VIDEO_ID_BASE + 999_999}, "username": "broken_export", '
        f'"hashtag_names": ["{first_tag}", "fyp"], "video_description": "this line was cut off mid-write'
    )
    plan.bad_video_line_after = min(5, len(plan.videos))
    plan.bad_comment_line = (
        f'{{"id": {COMMENT_ID_BASE + 999_999}, "video_id": {target.video_id}, "text": "this comment line was cut off'
    )
    plan.bad_comment_line_after = min(8, sum(len(v.comments) for v in plan.videos))
    for video in plan.videos:
        if video.kind in ("music_only", "corrupt_media"):
            plan.edge_cases.append(
                {
                    "kind": video.kind,
                    "video_id": str(video.video_id),
                    "hashtag": video.hashtag,
                    "day": video.day.isoformat(),
                }
            )
    all_days = [(plan.start_day + dt.timedelta(days=i)).isoformat() for i in range(plan.days)]
    plan.edge_cases.append(
        {
            "kind": "malformed_video_line",
            "file": "videos.jsonl",
            "line": plan.bad_video_line_after + 1,
            "hashtag": first_tag,
            "days": all_days,
        }
    )
    plan.edge_cases.append(
        {
            "kind": "malformed_comment_line",
            "file": "comments.jsonl",
            "line": plan.bad_comment_line_after + 1,
            "video_id": str(target.video_id),
            "hashtag": target.hashtag,
            "day": target.day.isoformat(),
        }
    )
    return plan


class _Counter:
    """Sequential video and comment numbers, so ids are stable and readable."""

    def __init__(self) -> None:
        self.video = 0
        self.comment = 0

    def next_video(self) -> int:
        self.video += 1
        return self.video

    def next_comment(self) -> int:
        self.comment += 1
        return self.comment


def _competitor_groups(catalog: Catalog) -> list[tuple[str, ...]]:
    """Brand names per competitor group, groups in first-seen order: hashtag i covers group i."""
    groups: dict[str, list[str]] = {}
    for brand in catalog.brands:
        groups.setdefault(brand.competitor_group, []).append(brand.name)
    return [tuple(names) for names in groups.values()]


def _plan_video(
    rng: Random,
    counter: _Counter,
    catalog: Catalog,
    slot: _Slot,
    kind: str,
    language: str,
    sentiment: str,
    brandless: bool,
    brand: str | None = None,
) -> VideoPlan:
    number = counter.next_video()
    video_id = VIDEO_ID_BASE + number
    if brand is None:
        brand = None if brandless else rng.choice(slot.group)
    rivals = [b for b in slot.group if b != brand] or [b.name for b in catalog.brands if b.name != brand]
    competitor = rng.choice(rivals) if brand and rivals else None
    duration = rng.choice((6, 7, 8))
    day_start = int(dt.datetime.combine(slot.day, dt.time(), tzinfo=dt.UTC).timestamp())
    create_time = day_start + rng.randint(600, 86_400 - 600)
    views = int(rng.lognormvariate(9.0, 1.2)) + 50

    speech_text, captions, logos = None, [], []
    speech_start = 0.0
    comment_range = (4, 7) if kind == "metadata_only" else (2, 4)  # no speech, captions or logos to mention it
    if kind == "speech":
        speech_text, speech_start = _plan_speech(rng, language, sentiment, brand, competitor)
        captions = _plan_captions(rng, language, sentiment, brand, duration)
        logos = _plan_logos(rng, brand, competitor, duration)
    if kind == "music_only":
        description_text = _phrase(rng, "en", "description.music")
    else:
        key = f"description.{sentiment}" + (".plain" if brand is None and sentiment == "neutral" else "")
        description_text = _phrase(rng, language, key, brand=brand or "")
    tags = _plan_hashtags(rng, slot, brand)
    description = description_text + " " + " ".join(f"#{t}" for t in tags)
    comments = _plan_comments(
        rng, counter, catalog, video_id, language, brand, competitor, create_time, count=comment_range
    )
    return VideoPlan(
        number=number,
        video_id=video_id,
        hashtag=slot.hashtag,
        day=slot.day,
        kind=kind,
        language=language,
        sentiment=sentiment,
        brand=brand,
        competitor=competitor,
        username=rng.choice(USERNAMES),
        region=rng.choice(REGIONS[language]),
        create_time=create_time,
        duration_s=duration,
        speech_text=speech_text,
        speech_start_s=speech_start,
        captions=captions,
        logos=logos,
        description=description,
        hashtag_names=tags,
        comments=comments,
        view_count=views,
        like_count=int(views * rng.uniform(0.02, 0.15)),
        comment_count=len(comments) + rng.randint(0, 40),
        share_count=int(views * rng.uniform(0.001, 0.02)),
        background=(_colour(rng, 150, 255), _colour(rng, 10, 110)),
    )


def _colour(rng: Random, low: int, high: int) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _plan_speech(
    rng: Random, language: str, sentiment: str, brand: str | None, competitor: str | None
) -> tuple[str, float]:
    """The words to speak, and when the voice starts."""
    if brand is None:
        key = "speech.neutral.plain"
    elif sentiment == "positive" and competitor and rng.random() < 0.35:
        key = "speech.positive.versus"
    else:
        key = f"speech.{sentiment}"
    return _phrase(rng, language, key, brand=brand or "", rival=competitor or ""), rng.choice((0.3, 0.5, 0.8))


def _plan_captions(rng: Random, language: str, sentiment: str, brand: str | None, duration: int) -> list[CaptionPlan]:
    """A hook at the start, then (usually) a verdict; top or bottom band of the frame."""
    use_brand = brand is not None and rng.random() < 0.7
    hook = _phrase(rng, language, "hook" if use_brand else "hook.plain", brand=brand or "")
    verdict = _phrase(rng, language, f"verdict.{sentiment if brand else 'neutral'}")
    if rng.random() < 0.25:
        spans = [(hook, 0.0, float(duration), "neutral")]
    else:
        middle = rng.choice((2.5, 3.0, 3.5))
        spans = [(hook, 0.0, middle, "neutral"), (verdict, middle, float(duration), sentiment if brand else "neutral")]
    captions = []
    for text, start, end, label in spans:
        band_top = rng.choice(CAPTION_BANDS)
        font_size = rng.choice((30, 34))
        lines, box = _caption_layout(text, font_size, band_top)
        captions.append(CaptionPlan(text, start, end, box, font_size, lines, label))
    return captions


def _caption_layout(text: str, font_size: int, top: int) -> tuple[tuple[str, ...], tuple[int, int, int, int]]:
    """Wrap ``text`` to the frame and return the lines and the box of its dark backing panel."""
    font = _font(font_size)
    max_width = WIDTH - 40
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    line_height = int(font_size * 1.25)
    width = int(max(font.getlength(line) for line in lines)) + 24
    height = line_height * len(lines) + 16
    x0 = (WIDTH - width) // 2
    return tuple(lines), (x0, top, x0 + width, top + height)


def _plan_logos(rng: Random, brand: str | None, competitor: str | None, duration: int) -> list[LogoPlan]:
    """The video's brand logo in most branded videos, sometimes twice; a competitor's sometimes."""
    shown: list[str] = []
    if brand and rng.random() < 0.75:
        shown.append(brand)
        if rng.random() < 0.3:
            shown.append(brand)
    if competitor and rng.random() < 0.3:
        shown.append(competitor)
    logos: list[LogoPlan] = []
    for name in shown:
        size = rng.randint(80, 150)
        x0 = rng.randint(8, WIDTH - size - 8)
        y0 = rng.randint(LOGO_BAND[0], LOGO_BAND[1] - size)
        start = rng.choice((0.5, 1.0, 1.5, 2.0, 3.0, 4.0))
        end = min(float(duration), start + rng.choice((1.5, 2.0, 3.0, 4.0)))
        # A second appearance of a logo starts where no other logo is, so boxes do not overlap in time.
        overlapping = [l for l in logos if l.start_s < end and start < l.end_s]
        if overlapping:
            start = max(l.end_s for l in logos)
            end = min(float(duration), start + 1.5)
            if end - start < 1.0:
                continue
        logos.append(LogoPlan(name, start, end, (x0, y0, x0 + size, y0 + size)))
    return logos


def _written_name(rng: Random, catalog: Catalog, name: str) -> str:
    """How a commenter writes a brand: mostly its name, sometimes an alias or all lower case."""
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(catalog.brand(name).aliases)
    if roll < 0.4:
        return name.casefold()
    return name


def _plan_hashtags(rng: Random, slot: _Slot, brand: str | None) -> list[str]:
    """The campaign hashtag, often the brand's, some topical ones, a rising one, and #fyp."""
    hashtag = slot.hashtag
    co = CO_HASHTAGS.get(hashtag, (f"{hashtag}daily", f"{hashtag}tips"))
    tags = [hashtag]
    if brand and rng.random() < 0.7:
        tags.append(brand_hashtag(brand))
    tags.extend(t for t in co if rng.random() < 0.5)
    rising = RISING_HASHTAGS.get(hashtag, f"{hashtag}challenge")
    if slot.days > 1 and rng.random() < slot.day_index / (slot.days - 1):
        tags.append(rising)
    if rng.random() < 0.8:
        tags.append(EVERYWHERE_HASHTAG)
    return list(dict.fromkeys(tags))


def _plan_comments(
    rng: Random,
    counter: _Counter,
    catalog: Catalog,
    video_id: int,
    language: str,
    brand: str | None,
    competitor: str | None,
    video_time: int,
    *,
    count: tuple[int, int] = (2, 4),
    key: str | None = None,
    sentiment: str | None = None,
) -> list[CommentPlan]:
    """2-4 comments of mixed sentiment about the brand, its competitor or nothing; some are replies.

    With ``key`` and ``sentiment``, every comment is that phrase kind about ``brand`` (a complaint wave).
    """
    drafts: list[dict[str, Any]] = []
    fixed_key, fixed_sentiment = key, sentiment
    for _ in range(rng.randint(*count)):
        comment_language = language if language != "en" and rng.random() < 0.5 else "en"
        sentiment = fixed_sentiment or rng.choice(SENTIMENTS)
        about = None
        if fixed_key is not None:
            about = brand
        elif brand is not None and rng.random() < 0.75:
            about = brand if competitor is None or rng.random() < 0.6 else competitor
        key = fixed_key or f"comment.{sentiment}" + ("" if about else ".plain")
        text = _phrase(rng, comment_language, key, brand=_written_name(rng, catalog, about) if about else "")
        if any(d["text"] == text for d in drafts):
            continue  # small phrasebooks repeat; two identical comments on one video look fake
        parent = video_id
        if drafts and rng.random() < 0.3:
            parent = drafts[0]["comment_id"]
        drafts.append(
            {
                "comment_id": COMMENT_ID_BASE + counter.next_comment(),
                "parent_id": parent,
                "text": text,
                "language": comment_language,
                "sentiment": sentiment,
                "like_count": rng.randint(0, 300),
                "create_time": video_time + rng.randint(60, 36_000),
            }
        )
    replies = {d["comment_id"]: sum(1 for other in drafts if other["parent_id"] == d["comment_id"]) for d in drafts}
    return [CommentPlan(reply_count=replies[d["comment_id"]], **d) for d in drafts]


# ---------------------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------------------


def _require_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise SampleDataError(
            "espeak-ng is not installed: the sample corpus needs it to speak its videos "
            "(Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng; or `make`)"
        )
    return path


def synthesize_speech(text: str, language: str, workdir: Path, *, max_seconds: float) -> np.ndarray:
    """Mono float32 samples at AUDIO_RATE spoken by espeak-ng, sped up if longer than ``max_seconds``."""
    espeak = _require_espeak()
    voice = ESPEAK_VOICES.get(language, language)
    rate = SPEECH_RATE_WPM
    while True:
        wav_path = workdir / "speech.wav"
        command = [espeak, "-v", voice, "-s", str(rate), "-w", str(wav_path), text]
        subprocess.run(command, check=True, capture_output=True)
        samples = _read_wav(wav_path)
        seconds = len(samples) / AUDIO_RATE
        if seconds <= max_seconds or rate >= 260:
            if seconds > max_seconds:
                raise SampleDataError(f"speech {text!r} does not fit in {max_seconds:.1f} s")
            return samples
        rate = min(260, int(rate * seconds / max_seconds) + 6)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise SampleDataError(f"{path}: expected 16-bit mono audio from espeak-ng")
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    if rate != AUDIO_RATE:  # espeak-ng builds differ; linear resampling is enough for a sample
        positions = np.arange(0, len(samples), rate / AUDIO_RATE)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return samples


def chord_music(seconds: float) -> np.ndarray:
    """C-F-G-C triads with soft attacks: a music-only soundtrack with no speech in it."""
    chords = ((261.63, 329.63, 392.00), (349.23, 440.00, 523.25), (392.00, 493.88, 587.33), (261.63, 329.63, 392.00))
    total = int(seconds * AUDIO_RATE)
    out = np.zeros(total, dtype=np.float32)
    span = total // len(chords)
    t = np.arange(span, dtype=np.float32) / AUDIO_RATE
    envelope = np.minimum(1.0, t / 0.05) * np.exp(-1.2 * t)
    for index, chord in enumerate(chords):
        tone = sum(np.sin(2 * np.pi * f * t) for f in chord) / len(chord)
        out[index * span : (index + 1) * span] = 0.35 * envelope * tone
    return out


def _soundtrack(video: VideoPlan, workdir: Path, seed: int) -> tuple[np.ndarray, float | None]:
    """The whole clip's audio and when its speech ends: speech over faint room noise, or chords."""
    if video.kind == "music_only" or video.speech_text is None:
        return chord_music(video.duration_s), None
    total = video.duration_s * AUDIO_RATE
    audio = np.random.default_rng([seed, video.number]).normal(0.0, 0.002, total).astype(np.float32)
    room = video.duration_s - video.speech_start_s - 0.3
    speech = synthesize_speech(video.speech_text, video.language, workdir, max_seconds=room)
    start = int(round(video.speech_start_s * AUDIO_RATE))
    audio[start : start + len(speech)] += speech
    return np.clip(audio, -1.0, 1.0), round(video.speech_start_s + len(speech) / AUDIO_RATE, 3)


# ---------------------------------------------------------------------------------------
# Video
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def video_codec() -> str:
    """The first H.264-or-fallback encoder this PyAV build has (wheels differ)."""
    for name in ("libx264", "h264", "libopenh264", "mpeg4"):
        try:
            return av.codec.Codec(name, "w").name
        except Exception:
            continue
    raise SampleDataError("this PyAV build has no H.264 or MPEG-4 encoder")


def _encoder_options() -> dict[str, str]:
    """x264 settings; macroblock-tree rate control is off because with it the same frames
    encoded to different bytes from one run to the next."""
    if video_codec() == "libx264":
        return {"preset": "veryfast", "crf": "26", "x264-params": "mbtree=0"}
    return {}


def _background(video: VideoPlan) -> Image.Image:
    light, dark = (np.array(c, dtype=np.float32) for c in video.background)
    ramp = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    pixels = (light * (1 - ramp) + dark * ramp).astype(np.uint8)
    return Image.fromarray(np.broadcast_to(pixels, (HEIGHT, WIDTH, 3)).copy(), "RGB")


def _caption_image(caption: CaptionPlan) -> Image.Image:
    x0, y0, x1, y1 = caption.box
    panel = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, x1 - x0 - 1, y1 - y0 - 1), radius=12, fill=(0, 0, 0, 180))
    font = _font(caption.font_size)
    line_height = int(caption.font_size * 1.25)
    for index, line in enumerate(caption.lines):
        y = 8 + index * line_height + line_height // 2
        draw.text(
            ((x1 - x0) / 2, y),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            anchor="mm",
            stroke_width=2,
            stroke_fill=(0, 0, 0, 255),
        )
    return panel


def _render_video(video: VideoPlan, path: Path, audio: np.ndarray, logo_files: dict[str, Path | None]) -> None:
    background = _background(video)
    captions = [(c, _caption_image(c)) for c in video.captions]
    logos = [(logo, _placed_logo(logo, logo_files.get(logo.brand))) for logo in video.logos]
    with av.open(str(path), mode="w", format="mp4") as container:
        vstream = container.add_stream(video_codec(), rate=FPS, options=_encoder_options())
        vstream.width, vstream.height, vstream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        vstream.codec_context.gop_size = 2 * FPS
        vstream.thread_count = 1  # frame threads would make bytes depend on timing
        astream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for index in range(video.duration_s * FPS):
            frame_image = _compose_frame(background, index, captions, logos)
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = index
            container.mux(vstream.encode(frame))
        container.mux(vstream.encode(None))
        chunk = 1024
        for start in range(0, len(audio), chunk):
            piece = audio[start : start + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(piece), format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = Fraction(1, AUDIO_RATE)
            container.mux(astream.encode(frame))
        container.mux(astream.encode(None))


def _compose_frame(
    background: Image.Image,
    index: int,
    captions: Sequence[tuple[CaptionPlan, Image.Image]],
    logos: Sequence[tuple[LogoPlan, Image.Image]],
) -> Image.Image:
    """Background, a drifting sun disc (so frames differ), then logos and captions visible at this time."""
    t = index / FPS
    frame = background.copy()
    draw = ImageDraw.Draw(frame)
    cx = int(40 + (index * 5) % (WIDTH - 80))
    draw.ellipse((cx - 30, HEIGHT - 80, cx + 30, HEIGHT - 20), fill=(255, 214, 90))
    for logo, image in logos:
        if logo.start_s <= t < logo.end_s:
            frame.paste(image, logo.box[:2], image)
    for caption, image in captions:
        if caption.start_s <= t < caption.end_s:
            frame.paste(image, caption.box[:2], image)
    return frame


def _placed_logo(logo: LogoPlan, path: Path | None) -> Image.Image:
    x0, y0, x1, y1 = logo.box
    return _logo_image(logo.brand, path).resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)


@lru_cache(maxsize=64)
def _logo_image(brand: str, path: Path | None) -> Image.Image:
    if path is not None and path.is_file():
        with Image.open(path) as image:
            return image.convert("RGBA")
    return draw_logo(brand)


def _write_corrupt_media(path: Path, seed: int) -> None:
    """An MP4-looking header followed by noise: decoders must fail on it, loudly."""
    noise = Random(seed).randbytes(6000)
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + noise)


# ---------------------------------------------------------------------------------------
# Manifests and ground truth
# ---------------------------------------------------------------------------------------


def _video_record(video: VideoPlan) -> dict[str, Any]:
    return {
        "id": video.video_id,
        "username": video.username,
        "create_time": video.create_time,
        "region_code": video.region,
        "video_description": video.description,
        "hashtag_names": video.hashtag_names,
        "view_count": video.view_count,
        "like_count": video.like_count,
        "comment_count": video.comment_count,
        "share_count": video.share_count,
        "video_duration": video.duration_s,
        "media": video.media,
    }


def _comment_record(comment: CommentPlan, video: VideoPlan) -> dict[str, Any]:
    return {
        "id": comment.comment_id,
        "video_id": video.video_id,
        "text": comment.text,
        "like_count": comment.like_count,
        "reply_count": comment.reply_count,
        "parent_comment_id": comment.parent_id,
        "create_time": comment.create_time,
    }


def _jsonl(records: Iterable[dict[str, Any]]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in records]


def _manifest_lines(plan: CorpusPlan) -> tuple[list[str], list[str]]:
    video_lines = _jsonl(_video_record(v) for v in plan.videos)
    video_lines.insert(plan.bad_video_line_after, plan.bad_video_line)
    comment_lines = _jsonl(_comment_record(c, v) for v in plan.videos for c in v.comments)
    comment_lines.insert(plan.bad_comment_line_after, plan.bad_comment_line)
    return video_lines, comment_lines


def _video_truth(video: VideoPlan, catalog: Catalog) -> dict[str, Any]:
    has_media = video.kind == "speech"
    speech = None
    if has_media and video.speech_text is not None:
        speech = {
            "text": video.speech_text,
            "voice": ESPEAK_VOICES.get(video.language, video.language),
            "start_s": video.speech_start_s,
            "end_s": video.speech_end_s,
            "sentiment": video.sentiment,
            "brands": brands_named_in(video.speech_text, catalog),
        }
    captions = (
        [
            {
                "text": c.text,
                "start_s": c.start_s,
                "end_s": c.end_s,
                "box": list(c.box),
                "sentiment": c.sentiment,
                "brands": brands_named_in(c.text, catalog),
            }
            for c in video.captions
        ]
        if has_media
        else []
    )
    logos = (
        [
            {"brand": logo.brand, "start_s": logo.start_s, "end_s": logo.end_s, "box": list(logo.box)}
            for logo in video.logos
        ]
        if has_media
        else []
    )
    hashtags = [{"tag": t, "brands": brands_in_hashtag(t, catalog)} for t in video.hashtag_names]
    comments = [
        {
            "id": str(c.comment_id),
            "parent_id": str(c.parent_id),
            "text": c.text,
            "language": c.language,
            "sentiment": c.sentiment,
            "brands": brands_named_in(c.text, catalog),
        }
        for c in video.comments
    ]
    description = {
        "text": video.description,
        "sentiment": video.sentiment,
        "brands": brands_named_in(video.description, catalog),
    }
    per_origin: dict[str, set[str]] = {origin: set() for origin in ORIGINS}
    per_origin["speech"].update(speech["brands"] if speech else [])
    per_origin["caption"].update(b for c in captions for b in c["brands"])
    per_origin["logo"].update(l["brand"] for l in logos)
    per_origin["description"].update(description["brands"])
    per_origin["hashtag"].update(b for h in hashtags for b in h["brands"])
    per_origin["comment"].update(b for c in comments for b in c["brands"])
    return {
        "id": str(video.video_id),
        "hashtag": video.hashtag,
        "day": video.day.isoformat(),
        "kind": video.kind,
        "media": video.media,
        "duration_s": video.duration_s,
        "language": video.language if video.kind == "speech" else None,
        "brand": video.brand,
        "competitor": video.competitor,
        "speech": speech,
        "captions": captions,
        "logos": logos,
        "description": description,
        "hashtags": hashtags,
        "comments": comments,
        "mentions": {origin: sorted(brands) for origin, brands in per_origin.items()},
    }


def _mention_counts(videos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str, str, str], int] = {}

    def add(video: dict[str, Any], origin: str, brands: Iterable[str]) -> None:
        for brand in brands:
            key = (video["hashtag"], video["day"], brand, origin)
            counts[key] = counts.get(key, 0) + 1

    for video in videos:
        if video["speech"]:
            add(video, "speech", video["speech"]["brands"])
        for caption in video["captions"]:
            add(video, "caption", caption["brands"])
        for logo in video["logos"]:
            add(video, "logo", [logo["brand"]])
        add(video, "description", video["description"]["brands"])
        for tag in video["hashtags"]:
            add(video, "hashtag", tag["brands"])
        for comment in video["comments"]:
            add(video, "comment", comment["brands"])
    return [
        {"hashtag": h, "day": d, "brand": b, "origin": o, "count": n}
        for (h, d, b, o), n in sorted(counts.items(), key=_mention_order)
    ]


def _mention_order(item: tuple[tuple[str, str, str, str], int]) -> tuple[str, str, str, int]:
    """Day, hashtag, brand, then origins in pipeline order."""
    (hashtag, day, brand, origin), _ = item
    return (day, hashtag, brand, ORIGINS.index(origin))


def _ground_truth(plan: CorpusPlan, catalog: Catalog) -> dict[str, Any]:
    videos = [_video_truth(v, catalog) for v in plan.videos]
    return {
        "format": 1,
        "seed": plan.seed,
        "start_day": plan.start_day.isoformat(),
        "days": plan.days,
        "hashtags": list(plan.hashtags),
        "video": {
            "width": WIDTH,
            "height": HEIGHT,
            "fps": FPS,
            "audio_sample_rate": AUDIO_RATE,
            "video_codec": video_codec(),
            "audio_codec": "aac",
        },
        "mention_rule": MENTION_RULE,
        "videos": videos,
        "edge_cases": plan.edge_cases,
        "history": plan.history,
        "planted_alerts": plan.planted_alerts,
        "mention_counts": _mention_counts(videos),
    }


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


def generate_sample_corpus(
    out_dir: Path,
    *,
    seed: int = 7,
    start_day: dt.date = dt.date(2026, 11, 1),
    days: int = 3,
    history_days: int = 14,
    catalog: Catalog | None = None,
) -> Path:
    """Write the sample corpus to ``out_dir`` (replacing a previous one) and return ``out_dir``.

    Built in a sibling temporary folder and renamed into place, so a failed run leaves the
    previous corpus untouched. Refuses to replace a non-empty folder that is not a corpus.
    """
    _require_espeak()
    catalog = catalog or load_catalog()
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    plan = plan_corpus(catalog, seed=seed, start_day=start_day, days=days, history_days=history_days)
    logo_files = {b.name: (b.logos[0] if b.logos else None) for b in catalog.brands}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        _write_corpus(plan, catalog, staging, logo_files)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _write_corpus(plan: CorpusPlan, catalog: Catalog, root: Path, logo_files: dict[str, Path | None]) -> None:
    media_dir = root / "media"
    media_dir.mkdir()
    scratch = root / ".scratch"
    scratch.mkdir()
    for video in plan.videos:
        if video.media is None:
            continue
        path = root / video.media
        if video.kind == "corrupt_media":
            _write_corrupt_media(path, plan.seed * 1_000_003 + video.number)
            continue
        audio, video.speech_end_s = _soundtrack(video, scratch, plan.seed)
        _render_video(video, path, audio, logo_files)
    shutil.rmtree(scratch)
    video_lines, comment_lines = _manifest_lines(plan)
    (root / "videos.jsonl").write_text("\n".join(video_lines) + "\n", encoding="utf-8")
    (root / "comments.jsonl").write_text("\n".join(comment_lines) + "\n", encoding="utf-8")
    truth = _ground_truth(plan, catalog)
    (root / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _check_replaceable(out_dir: Path) -> None:
    if out_dir.is_file():
        raise SampleDataError(f"{out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "ground_truth.json").is_file():
        raise SampleDataError(f"{out_dir} is not empty and holds no sample corpus; refusing to replace it")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished corpus over ``out_dir``; the old one is moved aside, then deleted."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(retired)
    out_dir.rename(retired)
    staging.rename(out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m listening_pipeline.lib.sample_data OUT_DIR`` or ``--write-logos``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", type=Path, help="folder to write the corpus to")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start-day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--history-days", type=int, default=14, help="metadata-only days before --start-day")
    parser.add_argument("--catalog", type=Path, default=None, help="brands.yaml (default: the bundled one)")
    parser.add_argument("--write-logos", action="store_true", help="redraw the bundled catalog's logo files")
    args = parser.parse_args(argv)
    if args.write_logos:
        for path in write_bundled_logos():
            print(path)
    if args.out_dir is not None:
        catalog = load_catalog(args.catalog) if args.catalog else None
        out = generate_sample_corpus(
            args.out_dir,
            seed=args.seed,
            start_day=args.start_day,
            days=args.days,
            history_days=args.history_days,
            catalog=catalog,
        )
        print(out)
    elif not args.write_logos:
        parser.error("give OUT_DIR or --write-logos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
