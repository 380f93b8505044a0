"""The catalog's brand names told to the speech model before it listens.

Why: Whisper writes the words it expects. An invented name it was never told about comes out
as ordinary words ("Mokka Mia" as "mark", "Café Brisa" as "café lisa"), and the mention is
lost. faster-whisper conditions the decoder on text placed before the audio's tokens; whisperx
3.8.6 passes two such options from ``TranscriptionOptions`` to every batch
(``WhisperModel.generate_segment_batched``): ``initial_prompt`` (text as if said just before)
and ``hotwords`` (faster-whisper 1.2: a phrase list placed the same way, ignored when a
``prefix`` is set). A prompt written as a sentence in the clip's language ("Marcas: Café Brisa,
Mokka Mia.") also keeps the model in that language; the names alone work when the language is
not known yet. Which of the two to use is measured in bench/speech_mentions.py.

The prompt is capped (:data:`MAX_PROMPT_CHARS`): Whisper keeps at most 223 prompt tokens, and a
long list costs decoding time on every segment. Names are listed once per spelling that sounds
different (``Café Brisa`` stands for ``Cafe Brisa`` and ``CafeBrisa``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from listening_pipeline.lib.text.folding import fold

MAX_PROMPT_CHARS = 400

# "Brands:" in the languages a catalog most often lists; others get the names alone.
PROMPT_LEADS = {
    "en": "Brands:",
    "es": "Marcas:",
    "de": "Marken:",
    "fr": "Marques :",
    "it": "Marchi:",
    "pt": "Marcas:",
    "nl": "Merken:",
}


class _BrandLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class SpeechHints:
    """The names to tell the model, and how: as ``initial_prompt`` and/or ``hotwords``."""

    names: tuple[str, ...]
    prompt: bool = True
    hotwords: bool = False

    @classmethod
    def from_brands(cls, brands: Iterable[_BrandLike], *, prompt: bool = True, hotwords: bool = False) -> SpeechHints:
        """Each brand's name and aliases, one per distinct sound, within :data:`MAX_PROMPT_CHARS`."""
        names: dict[str, str] = {}
        length = 0
        for brand in brands:
            for alias in [brand.name, *brand.aliases]:
                key = re.sub(r"\W", "", fold(alias))
                if not key or key in names:
                    continue
                length += len(alias) + 2
                if length > MAX_PROMPT_CHARS:
                    return cls(tuple(names.values()), prompt, hotwords)
                names[key] = alias
        return cls(tuple(names.values()), prompt, hotwords)

    def initial_prompt(self, language: str | None) -> str | None:
        """'Marcas: Café Brisa, Mokka Mia.' for Spanish; the names alone for a language not known (yet)."""
        if not self.prompt or not self.names:
            return None
        listed = ", ".join(self.names) + "."
        lead = PROMPT_LEADS.get(language or "")
        return f"{lead} {listed}" if lead else listed

    def hotword_text(self) -> str | None:
        return ", ".join(self.names) if self.hotwords and self.names else None

    def echoed(self, text: str) -> bool:
        """Whether a transcribed segment is the prompt said back: nothing but the listed names (and the prompt's
        lead word), at least two words of them.

        Why: Whisper sometimes writes its prompt instead of the audio. On an AMD EPYC, a Spanish clip saying
        "Probé Café Brisa hoy y fue horrible" came out as "Fizzly, Fizzly Soda, Bubblo Cola," (the sample
        catalog's names): two false mentions and the complaint lost, where another CPU transcribed it.
        """
        if not (self.prompt or self.hotwords) or not self.names:
            return False
        words = re.findall(r"\w+", fold(text))
        listed = {w for name in self.names for w in re.findall(r"\w+", fold(name))}
        listed |= {w for lead in PROMPT_LEADS.values() for w in re.findall(r"\w+", fold(lead))}
        return len(words) >= 2 and all(w in listed for w in words)

    def echoed_in(self, segments: Iterable[Mapping[str, object]]) -> bool:
        """Whether any of whisperx's segments is the prompt said back (:meth:`echoed`): hear the clip again untold."""
        return any(self.echoed(str(segment.get("text", ""))) for segment in segments)
