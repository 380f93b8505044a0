"""The evaluation set's clips, written down: what each clip shows, says and is posted with, and what counts.

Why a hand-written list: the point of this set is material the project did not generate at random.
Every brand named in a text is listed by hand in ``brands`` (a common word such as "shell" or
"target" used as a word is not a mention), so the ground truth is what a person would mark.
``build_set.py`` renders these clips; ``ground_truth.json`` is derived from this list.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = "2026-11-20"
HASHTAGS = ("everydaylife", "techtalk", "outdoors")


@dataclass(frozen=True)
class Logo:
    brand: str
    variant: str  # colour | black | white (monochrome variants of the reference image)
    size: int  # longer side in pixels, before rotation, in the 360x640 frame
    center: tuple[int, int]
    angle: float = 0.0  # degrees, counter-clockwise
    hidden: float = 0.0  # share of the logo's width covered by an object in front of it (from the right)
    start_s: float = 0.0
    end_s: float = 8.0


@dataclass(frozen=True)
class Caption:
    text: str
    y: int  # top of the caption panel
    brands: tuple[str, ...] = ()
    start_s: float = 0.0
    end_s: float = 8.0
    size: int = 30


@dataclass(frozen=True)
class Clip:
    slug: str
    hashtag: str
    background: str  # a scikit-image sample photo
    tone: str  # busy | light | dark: what the logo sits on
    audio: str  # speech | real_speech | music | silence
    description: str
    description_brands: tuple[str, ...] = ()
    hashtags: tuple[tuple[str, tuple[str, ...]], ...] = ()  # extra hashtags besides the partition's, with brands
    language: str | None = None
    speech: str | None = None
    speech_brands: tuple[str, ...] = ()
    sentiment: str = "neutral"  # what the speech was written to say
    captions: tuple[Caption, ...] = ()
    logos: tuple[Logo, ...] = ()
    comments: tuple[tuple[str, tuple[str, ...]], ...] = ()
    notes: str = ""
    brightness: float = 1.0  # scale applied to the background photo (dark or light variants)


CLIPS: tuple[Clip, ...] = (
    Clip(
        "spotify_coffee",
        "everydaylife",
        "coffee",
        "busy",
        "speech",
        "My morning routine, coffee and music #spotify",
        hashtags=(("spotify", ("Spotify",)),),
        language="en",
        speech="I listen to Spotify every morning with my coffee. Best playlist ever.",
        speech_brands=("Spotify",),
        sentiment="positive",
        captions=(Caption("Morning playlist", 60),),
        logos=(Logo("Spotify", "colour", 110, (270, 520)),),
        comments=(("Spotify wrapped is the best part of the year", ("Spotify",)), ("what a cozy cup", ())),
        notes="colour logo, medium, on a busy photo; brand hashtag inside the description",
    ),
    Clip(
        "apple_light_es",
        "techtalk",
        "page",
        "light",
        "speech",
        "Mi nuevo teléfono de Apple, primeras impresiones",
        description_brands=("Apple",),
        language="es",
        speech="Mi nuevo teléfono de Apple es rapidísimo, me encanta.",
        speech_brands=("Apple",),
        sentiment="positive",
        captions=(Caption("Unboxing day", 430),),
        logos=(Logo("Apple", "black", 140, (180, 250)),),
        comments=(("Apple siempre cobra demasiado", ("Apple",)),),
        notes="black monochrome logo on a light photo (the issue's missed case)",
        brightness=1.1,
    ),
    Clip(
        "puma_dark_de",
        "outdoors",
        "hubble_deep_field",
        "dark",
        "speech",
        "Neue Laufschuhe, leider eine Enttäuschung",
        language="de",
        speech="Die neuen Schuhe von Puma sind leider schon kaputt. Sehr enttäuschend.",
        speech_brands=("Puma",),
        sentiment="negative",
        captions=(Caption("Nach zwei Wochen", 80),),
        logos=(Logo("Puma", "white", 120, (200, 420), angle=20.0),),
        comments=(("Meine Puma Schuhe halten seit Jahren", ("Puma",)),),
        notes="white monochrome logo, rotated 20 degrees, on a dark photo with round objects",
    ),
    Clip(
        "shell_hidden",
        "outdoors",
        "astronaut",
        "busy",
        "speech",
        "Road trip stop number three",
        language="en",
        speech="We stopped at a Shell station on the way. The coffee there was terrible.",
        speech_brands=("Shell",),
        sentiment="negative",
        captions=(Caption("Road trip day 3", 40),),
        logos=(Logo("Shell", "colour", 130, (110, 470), hidden=0.3),),
        comments=(("Shell prices are insane right now", ("Shell",)), ("nice trip!", ())),
        notes="colour logo, a third of it hidden behind an object, busy photo; brand name is a common word",
    ),
    Clip(
        "target_rotated_caption",
        "everydaylife",
        "brick",
        "busy",
        "music",
        "Weekend haul, everything under 20 dollars #target",
        hashtags=(("target", ("Target",)),),
        captions=(Caption("Target haul!", 90, ("Target",)), Caption("Everything under $20", 500, start_s=3.0)),
        logos=(Logo("Target", "colour", 110, (230, 300), angle=-25.0),),
        comments=(("I always overspend at Target", ("Target",)),),
        notes="colour logo rotated -25 degrees on a busy grey texture; brand caption; music only",
    ),
    Clip(
        "skimage_small",
        "techtalk",
        "chelsea",
        "busy",
        "speech",
        "This cat is famous among image processing people",
        language="en",
        speech="This cat photo comes with the scikit-image sample data.",
        speech_brands=("scikit-image",),
        captions=(Caption("Meet Chelsea", 480),),
        logos=(Logo("scikit-image", "colour", 56, (300, 80)),),
        comments=(("scikit-image saved my thesis", ("scikit-image",)),),
        notes="small multi-colour logo (56 px) in a corner of a busy photo; a hyphenated brand name spoken",
    ),
    Clip(
        "jfk_puma",
        "outdoors",
        "rocket",
        "light",
        "real_speech",
        "A famous speech over a launch photo",
        language="en",
        speech=(
            "And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country."
        ),
        logos=(Logo("Puma", "black", 100, (90, 120)),),
        comments=(("goosebumps every time", ()),),
        notes="real human speech (public domain JFK recording); black logo on a light sky",
    ),
    Clip(
        "common_words",
        "everydaylife",
        "gravel",
        "busy",
        "speech",
        "An apple a day keeps the doctor away",
        language="en",
        speech="I found a beautiful shell on the beach and hit the target with my first throw.",
        captions=(Caption("Beach day", 70),),
        comments=(("that shell is huge", ()), ("the puma at the zoo was asleep", ())),
        notes="background only (no logo); brand names used as ordinary words everywhere: no mention at all",
    ),
    Clip(
        "space_music",
        "techtalk",
        "hubble_deep_field",
        "dark",
        "music",
        "Deep field, deep thoughts",
        comments=(("so many galaxies", ()),),
        notes="background only on a dark photo full of round objects; music only: no words, no logo",
    ),
    Clip(
        "coffee_silence",
        "everydaylife",
        "coffee",
        "busy",
        "silence",
        "quiet morning",
        notes="background only; silent soundtrack: no words, no logo",
    ),
    Clip(
        "gym_two_logos_es",
        "everydaylife",
        "astronaut",
        "busy",
        "speech",
        "Rutina de gimnasio con música",
        language="es",
        speech="Escucho Spotify en el gimnasio todos los días.",
        speech_brands=("Spotify",),
        sentiment="positive",
        captions=(Caption("Rutina de gimnasio", 560),),
        logos=(Logo("Spotify", "colour", 60, (300, 60)), Logo("Apple", "black", 90, (80, 560), start_s=2.0)),
        comments=(("qué playlist usas en Spotify?", ("Spotify",)),),
        notes="two logos in one frame: a small colour one and a black monochrome one on a busy photo",
    ),
    Clip(
        "shell_mono_de",
        "outdoors",
        "page",
        "light",
        "speech",
        "Tankstopp auf dem Weg nach Hamburg",
        language="de",
        speech="Ich tanke immer bei Shell, der Service ist super.",
        speech_brands=("Shell",),
        sentiment="positive",
        captions=(Caption("Unterwegs", 470),),
        logos=(Logo("Shell", "black", 120, (180, 260)),),
        notes="monochrome (black) variant of a colour brand's logo on a light photo",
        brightness=1.1,
    ),
    Clip(
        "target_store",
        "everydaylife",
        "camera",
        "dark",
        "speech",
        "New store in town",
        language="en",
        speech="The new Target store opens on Friday downtown.",
        speech_brands=("Target",),
        captions=(Caption("Grand opening Friday", 520),),
        logos=(Logo("Target", "white", 90, (270, 110)),),
        comments=(("finally a Target near me", ("Target",)),),
        notes="white monochrome logo on a darkened grey photo",
        brightness=0.55,
    ),
    Clip(
        "puma_hidden_es",
        "outdoors",
        "grass",
        "busy",
        "speech",
        "Salir a correr cada mañana #puma",
        hashtags=(("puma", ("Puma",)),),
        language="es",
        speech="Las zapatillas Puma son muy cómodas para correr.",
        speech_brands=("Puma",),
        sentiment="positive",
        captions=(Caption("Correr cada día", 60),),
        logos=(Logo("Puma", "black", 150, (190, 380), angle=15.0, hidden=0.25),),
        notes="black logo rotated 15 degrees and a quarter hidden, on grass; brand hashtag in the description",
    ),
    Clip(
        "apple_pie_caption",
        "everydaylife",
        "page",
        "light",
        "silence",
        "Grandma's recipe, step by step",
        captions=(Caption("Apple pie recipe", 300),),
        comments=(("apple pie with cinnamon is the best", ()),),
        notes="background only; a caption and a comment using the brand name as a common word: no mention",
    ),
    Clip(
        "skimage_music",
        "techtalk",
        "coffee",
        "busy",
        "music",
        "Made with scikit-image",
        description_brands=("scikit-image",),
        logos=(Logo("scikit-image", "colour", 170, (180, 330)),),
        notes="large multi-colour logo on a busy photo; music only",
        brightness=0.9,
    ),
)
