"""The brand catalog (``brands.yaml``): brands, aliases, tracked hashtags, logos, competitor groups.

The catalog is validated as a whole: one bad hashtag makes the file invalid, so a sensor
or CLI reading it writes nothing rather than half of it. The file is read strictly: a key
repeated in any mapping, a key the format does not know (at the top level or in a brand) and
a scalar where a list belongs are errors that name the file, the line and the key, because
YAML itself would silently keep the last of two keys and ignore a misspelt one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag

BUNDLED_CATALOG = Path(__file__).parent / "data" / "brands.yaml"
TOP_LEVEL_KEYS = ("hashtags", "languages", "brands")
BRAND_KEYS = ("name", "competitor_group", "aliases", "hashtags", "logos")


class CatalogError(ValueError):
    """The catalog file cannot be used; the message says where and why."""


# --------------------------------------------------------------------------- strict YAML


class DuplicateKeyError(ConstructorError):
    """A mapping repeats a key; ``line`` (1-based) is where the repeat is."""

    def __init__(self, key: Any, line: int, first_line: int, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r} (first on line {first_line}, again on line {line})", mark)
        self.key, self.line, self.first_line = key, line, first_line


class LineMapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses a mapping with a repeated key and keeps the lines of keys.

    Merge keys (``<<: *anchor``) still override as YAML says: only keys written twice in one
    mapping are refused.
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self._key_lines(node)
        return super().construct_mapping(node, deep=deep)

    def _key_lines(self, node: MappingNode) -> dict[Any, int]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # SafeLoader reports unhashable keys itself
            line = key_node.start_mark.line + 1
            if key in lines:
                raise DuplicateKeyError(key, line, lines[key], key_node.start_mark)
            lines[key] = line
        return lines

    def construct_line_mapping(self, node: MappingNode) -> Iterator[LineMapping]:
        data = LineMapping()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        data.key_lines = self._key_lines(node)
        data.update(self.construct_mapping(node))


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_line_mapping)


def load_yaml_strict(text: str, name: str = "<yaml>") -> Any:
    """Parse YAML with :class:`StrictLoader`; errors are ``ValueError`` naming ``name`` and the line."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
    except DuplicateKeyError as exc:
        raise ValueError(f"{name}:{exc.line}: duplicate key {exc.key!r} (first on line {exc.first_line})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise ValueError(f"{where}: not valid YAML: {exc}") from exc


# --------------------------------------------------------------------------- the catalog


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: catalog file not found") from exc
    try:
        doc = load_yaml_strict(text, str(path))
    except ValueError as exc:
        raise CatalogError(f"invalid brand catalog:\n  {exc}") from exc
    if not isinstance(doc, LineMapping) or not isinstance(doc.get("brands"), list):
        raise CatalogError(f"{path}: expected a mapping with a 'brands' list")

    errors: list[str] = []
    _unknown_keys(doc, TOP_LEVEL_KEYS, f"{path}", "at the top level", errors)
    brands: list[Brand] = []
    for i, entry in enumerate(doc["brands"]):
        if not isinstance(entry, LineMapping):
            errors.append(f"{path}:{doc.line_of('brands')}: brands[{i}] must be a mapping with a 'name'")
            continue
        at = f"{path}:{entry.line}"
        name = _scalar(entry.get("name"))
        if not name:
            errors.append(f"{at}: brands[{i}] needs a 'name'")
            continue
        _unknown_keys(entry, BRAND_KEYS, f"{path}", f"in brand {name!r}", errors)
        where = f"brand {name!r}"
        hashtags = _hashtags(
            _list(entry, "hashtags", path, where, errors), f"{path}:{entry.line_of('hashtags')}: {where}", errors
        )
        aliases = tuple(
            dict.fromkeys(a for a in (_scalar(v) for v in [name, *_list(entry, "aliases", path, where, errors)]) if a)
        )
        logos = tuple((path.parent / str(p)).resolve() for p in _list(entry, "logos", path, where, errors))
        for logo in logos:
            if not logo.is_file():
                errors.append(f"{path}:{entry.line_of('logos')}: {where}: logo file {logo} not found")
        group = entry.get("competitor_group")
        if group is not None and not _scalar(group):
            errors.append(f"{path}:{entry.line_of('competitor_group')}: {where}: 'competitor_group' must be a name")
        brands.append(
            Brand(name=name, competitor_group=_scalar(group) or name, aliases=aliases, hashtags=hashtags, logos=logos)
        )
    names = [b.name for b in brands]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"{path}: brand {dup!r} is listed more than once")
    extra = _hashtags(
        _list(doc, "hashtags", path, "the catalog", errors), f"{path}:{doc.line_of('hashtags')}: hashtags", errors
    )
    languages = _languages(
        _list(doc, "languages", path, "the catalog", errors), f"{path}:{doc.line_of('languages')}: languages", errors
    )
    if errors:
        raise CatalogError("invalid brand catalog:\n  " + "\n  ".join(errors))
    return Catalog(path=path, brands=tuple(brands), extra_hashtags=extra, languages=languages)


def _unknown_keys(mapping: LineMapping, allowed: tuple[str, ...], path: str, where: str, errors: list[str]) -> None:
    for key in mapping:
        if key not in allowed:
            errors.append(f"{path}:{mapping.line_of(key)}: unknown key {key!r} {where} (allowed: {', '.join(allowed)})")


def _scalar(value: object) -> str:
    """A name-like scalar as stripped text; '' for anything else (lists, mappings, null, booleans)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _list(mapping: LineMapping, key: str, path: Path, where: str, errors: list[str]) -> list[Any]:
    """``mapping[key]`` as a list of scalars (missing or null: empty); anything else is an error naming the line."""
    value = mapping.get(key)
    if value is None:
        return []
    at = f"{path}:{mapping.line_of(key)}: {where}"
    if not isinstance(value, list):
        hint = f" (write [{value}])" if isinstance(value, str) else ""
        errors.append(f"{at}: {key!r} must be a list, not {type(value).__name__} {value!r}{hint}")
        return []
    bad = [v for v in value if not _scalar(v)]
    if bad:
        errors.append(f"{at}: {key!r} must list names, not {bad[0]!r}")
        return [v for v in value if _scalar(v)]
    return value


def _languages(values: list[Any], where: str, errors: list[str]) -> tuple[str, ...]:
    if not all(isinstance(v, str) and re.fullmatch(r"[a-z]{2,3}", v.strip().lower()) for v in values):
        errors.append(f"{where}: must be a list of ISO 639-1 codes such as [en, es]")
        return ()
    return tuple(dict.fromkeys(v.strip().lower() for v in values))


def _hashtags(values: list[Any], where: str, errors: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        try:
            out.append(normalize_hashtag(str(value)))
        except InvalidHashtag as exc:
            errors.append(f"{where}: {exc}")
    return tuple(dict.fromkeys(out))
