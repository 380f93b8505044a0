"""The brand catalog (``brands.yaml``): brands, aliases, tracked hashtags, logos, competitor groups.

The catalog is validated as a whole: one bad hashtag makes the file invalid, so a sensor
or CLI reading it writes nothing rather than half of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag

BUNDLED_CATALOG = Path(__file__).parent / "data" / "brands.yaml"


class CatalogError(ValueError):
    """The catalog file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Brand:
    name: str
    competitor_group: str
    aliases: tuple[str, ...]
    hashtags: tuple[str, ...]
    logos: tuple[Path, ...]


@dataclass(frozen=True)
class Catalog:
    path: Path
    brands: tuple[Brand, ...]
    extra_hashtags: tuple[str, ...]
    # Spoken languages to expect (ISO 639-1); speech recognition picks among them. Empty: any.
    languages: tuple[str, ...] = ()

    @property
    def tracked_hashtags(self) -> tuple[str, ...]:
        """Hashtags to collect, in first-seen order: the catalog's own list, then the brands'."""
        seen: dict[str, None] = {}
        for tag in self.extra_hashtags:
            seen.setdefault(tag, None)
        for brand in self.brands:
            for tag in brand.hashtags:
                seen.setdefault(tag, None)
        return tuple(seen)

    def brand(self, name: str) -> Brand:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(name)


def load_catalog(path: str | Path | None = None) -> Catalog:
    path = Path(path) if path else BUNDLED_CATALOG
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: catalog file not found") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("brands"), list):
        raise CatalogError(f"{path}: expected a mapping with a 'brands' list")

    errors: list[str] = []
    brands: list[Brand] = []
    for i, entry in enumerate(doc["brands"]):
        where = f"{path}: brands[{i}]"
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            errors.append(f"{where}: needs a 'name'")
            continue
        name = str(entry["name"]).strip()
        where = f"{path}: brand {name!r}"
        hashtags = _hashtags(entry.get("hashtags", []), where, errors)
        aliases = tuple(dict.fromkeys(str(a).strip() for a in [name, *entry.get("aliases", [])] if str(a).strip()))
        logos = tuple((path.parent / str(p)).resolve() for p in entry.get("logos", []))
        for logo in logos:
            if not logo.is_file():
                errors.append(f"{where}: logo file {logo} not found")
        brands.append(
            Brand(
                name=name,
                competitor_group=str(entry.get("competitor_group") or name),
                aliases=aliases,
                hashtags=hashtags,
                logos=logos,
            )
        )
    names = [b.name for b in brands]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"{path}: brand {dup!r} is listed more than once")
    extra = _hashtags(doc.get("hashtags", []), f"{path}: hashtags", errors)
    languages = _languages(doc.get("languages", []), f"{path}: languages", errors)
    if errors:
        raise CatalogError("invalid brand catalog:\n  " + "\n  ".join(errors))
    return Catalog(path=path, brands=tuple(brands), extra_hashtags=extra, languages=languages)


def _languages(values: object, where: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(
        isinstance(v, str) and re.fullmatch(r"[a-z]{2,3}", v.strip().lower()) for v in values
    ):
        errors.append(f"{where}: must be a list of ISO 639-1 codes such as [en, es]")
        return ()
    return tuple(dict.fromkeys(v.strip().lower() for v in values))


def _hashtags(values: object, where: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(values, list):
        errors.append(f"{where}: 'hashtags' must be a list")
        return ()
    out: list[str] = []
    for value in values:
        try:
            out.append(normalize_hashtag(str(value)))
        except InvalidHashtag as exc:
            errors.append(f"{where}: {exc}")
    return tuple(dict.fromkeys(out))
