"""How brands are named in text: the mention rule the ground truth is computed with, and ASCII forms of brand names
for hashtags and logo file names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from listening_pipeline.catalog import Catalog

MENTION_RULE = (
    "A text unit names a brand when one of the brand's aliases (its name included) occurs "
    "in it case-insensitively with no letter, digit or '_' directly before or after; a "
    "hashtag also names a brand listed under that brand's 'hashtags'. A '#tag' written in a description is "
    "the video's hashtag: it counts under 'hashtag', once, not under 'description'."
)


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
