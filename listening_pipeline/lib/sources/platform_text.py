"""The text inside the platform's sticker and effect objects, read leniently.

``sticker_info_list`` and ``effect_info_list`` have no fixed shape in the Research API's documentation;
they are kept whole as JSON (``*_json``) and, here, the text a person sees is taken out of them so it
can be matched and scored like any other text: a sticker's words, an effect's name. A shape we do not
know gives no text rather than a refused record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from listening_pipeline.lib.sources.records import clean_text

MAX_TEXTS = 50  # a video shows a handful of stickers; more is not a video, it is an attack
MAX_CHARS = 500


def sticker_texts(sticker_info: Any) -> list[str]:
    """Each distinct text of the stickers (``[{"sticker_text": ["POV: ...", ...]}]``, or text items)."""
    found: list[str] = []
    for item in sticker_info if isinstance(sticker_info, list) else []:
        value = item.get("sticker_text") if isinstance(item, dict) else item
        for text in value if isinstance(value, list) else [value]:
            _add(found, text)
    return found


def effect_names(effect_ids: Sequence[str] | None, effect_info: Any) -> list[str | None]:
    """The name of each of ``effect_ids`` (same order and length; None where the info has none)."""
    names: dict[str, str] = {}
    for item in effect_info if isinstance(effect_info, list) else []:
        if isinstance(item, dict):
            key, name = str(item.get("effect_id", "")).strip(), _plain(item.get("effect_name"))
            if key and name:
                names.setdefault(key, name)
    return [names.get(effect_id) for effect_id in effect_ids or []]


def _add(found: list[str], value: Any) -> None:
    text = _plain(value)
    if text and text not in found and len(found) < MAX_TEXTS:
        found.append(text)


def _plain(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join((clean_text(value) or "").split())
    return text[:MAX_CHARS] or None
