"""The brand catalog (``brands.yaml``): brands, aliases, tracked hashtags, logos, competitor groups, campaigns.

The catalog is validated as a whole: one bad hashtag makes the file invalid, so a sensor
or CLI reading it writes nothing rather than half of it. The format is declared once, as the
pydantic model in :mod:`listening_pipeline.catalog_schema`; this module reads the YAML strictly
(a key repeated in any mapping is refused, because YAML would keep the last one) while
remembering the line of every key and list item, so each error the model finds (an unknown
key, a string where a list belongs, a number where a name belongs) names the file, the line
and the field.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode

from listening_pipeline.catalog_schema import BrandEntry, CampaignEntry, CampaignTarget, CatalogFile
from listening_pipeline.queries import TrackedQuery

BUNDLED_CATALOG = Path(__file__).parent / "data" / "brands.yaml"
# The keys the format knows, from its one declaration (catalog_schema.py).
TOP_LEVEL_KEYS = tuple(CatalogFile.model_fields)
BRAND_KEYS = tuple(BrandEntry.model_fields)


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


class LineList(list[Any]):
    """A YAML sequence that remembers its line and each item's line (1-based)."""

    line: int = 0
    item_lines: list[int]


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

    def construct_line_sequence(self, node: SequenceNode) -> Iterator[LineList]:
        data = LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(self.construct_sequence(node))


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_line_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:seq", StrictLoader.construct_line_sequence)


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
    keywords: tuple[str, ...] = ()  # normalised words ("oat milk"), see listening_pipeline.queries
    creators: tuple[str, ...] = ()  # handles without '@'
    # Names that are also ordinary words, and the words that make them the brand (docs/bi.md).
    common_words: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Campaign:
    """A brand's hashtag between two days (both included), with an optional target over the whole run."""

    name: str
    brand: str
    hashtag: str
    start: dt.date
    end: dt.date
    target_metric: str | None = None  # videos | views | creators | mentions
    target_value: int | None = None


@dataclass(frozen=True)
class Catalog:
    path: Path
    brands: tuple[Brand, ...]
    extra_hashtags: tuple[str, ...]
    # Spoken languages to expect (ISO 639-1); speech recognition picks among them. Empty: any.
    languages: tuple[str, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    keywords: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()

    @property
    def tracked_queries(self) -> tuple[str, ...]:
        """Every partition key to collect: the tracked hashtags, then keyword and creator queries.

        A video that two queries find (a tracked creator's video carrying a tracked hashtag) is
        collected under both, as a video carrying two tracked hashtags always was; its work is done once.
        """
        keywords = [*self.keywords, *(k for b in self.brands for k in b.keywords)]
        creators = [*self.creators, *(c for b in self.brands for c in b.creators)]
        queries = [TrackedQuery("keyword", k) for k in keywords] + [TrackedQuery("creator", c) for c in creators]
        return tuple(dict.fromkeys([*self.tracked_hashtags, *(q.key for q in queries)]))

    @property
    def tracked_hashtags(self) -> tuple[str, ...]:
        """Hashtags to collect, in first-seen order: the catalog's own list, the brands', then the campaigns'.

        A campaign's hashtag is collected as a partition of its own, so every video carrying it is found,
        not only those that also carry another tracked hashtag.
        """
        seen: dict[str, None] = {}
        for tag in self.extra_hashtags:
            seen.setdefault(tag, None)
        for brand in self.brands:
            for tag in brand.hashtags:
                seen.setdefault(tag, None)
        for campaign in self.campaigns:
            seen.setdefault(campaign.hashtag, None)
        return tuple(seen)

    def brand(self, name: str) -> Brand:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(name)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate a catalog file (default: the bundled sample); every problem is reported at once."""
    path = Path(path) if path else BUNDLED_CATALOG
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: catalog file not found") from exc
    try:
        doc = load_yaml_strict(text, str(path))
    except ValueError as exc:
        raise CatalogError(f"invalid brand catalog:\n  {exc}") from exc
    if not isinstance(doc, LineMapping):
        raise CatalogError(f"{path}: expected a mapping with a 'brands' list")
    try:
        parsed = CatalogFile.model_validate(doc)
    except ValidationError as exc:
        errors = [f"{path}:{_line_of(doc, err['loc'])}: {_explain(doc, err)}" for err in exc.errors()]
        raise CatalogError("invalid brand catalog:\n  " + "\n  ".join(errors)) from None

    errors = []
    brands: list[Brand] = []
    for i, entry in enumerate(parsed.brands):
        logos = tuple((path.parent / p).resolve() for p in entry.logos or ())
        errors += [
            f"{path}:{_line_of(doc, ('brands', i, 'logos', n))}: brand {entry.name!r}: 'logos': file {logo} not found"
            for n, logo in enumerate(logos)
            if not logo.is_file()
        ]
        brands.append(
            Brand(
                name=entry.name,
                competitor_group=entry.competitor_group or entry.name,
                aliases=tuple(dict.fromkeys([entry.name, *(entry.aliases or ())])),
                hashtags=tuple(dict.fromkeys(entry.hashtags or ())),
                logos=logos,
                common_words=tuple(dict.fromkeys(entry.common_words or ())),
                context_words=tuple(dict.fromkeys(entry.context_words or ())),
                keywords=tuple(dict.fromkeys(entry.keywords or ())),
                creators=tuple(dict.fromkeys(entry.creators or ())),
            )
        )
    first: dict[str, int] = {}
    for brand, raw in zip(brands, doc["brands"], strict=True):
        if brand.name in first:
            errors.append(
                f"{path}:{raw.line}: brand {brand.name!r} is listed twice (first on line {first[brand.name]})"
            )
        first.setdefault(brand.name, raw.line)
    campaigns, campaign_errors = _campaigns(path, doc, parsed.campaigns or [], [b.name for b in brands])
    errors += campaign_errors
    if errors:
        raise CatalogError("invalid brand catalog:\n  " + "\n  ".join(errors))
    return Catalog(
        path=path,
        brands=tuple(brands),
        extra_hashtags=tuple(dict.fromkeys(parsed.hashtags or ())),
        languages=tuple(dict.fromkeys(parsed.languages or ())),
        campaigns=campaigns,
        keywords=tuple(dict.fromkeys(parsed.keywords or ())),
        creators=tuple(dict.fromkeys(parsed.creators or ())),
    )


def _campaigns(
    path: Path, doc: LineMapping, entries: list[CampaignEntry], brand_names: list[str]
) -> tuple[tuple[Campaign, ...], list[str]]:
    """The campaigns, and what is wrong across entries: a brand the catalog does not list, a name used twice."""
    errors: list[str] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry.brand not in brand_names:
            close = difflib.get_close_matches(entry.brand, brand_names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (brands: {', '.join(brand_names)})"
            line = _line_of(doc, ("campaigns", i, "brand"))
            errors.append(
                f"{path}:{line}: campaign {entry.name!r}: 'brand' {entry.brand!r} is not in the catalog{hint}"
            )
        line = _line_of(doc, ("campaigns", i))
        if entry.name in first:
            errors.append(f"{path}:{line}: campaign {entry.name!r} is listed twice (first on line {first[entry.name]})")
        first.setdefault(entry.name, line)
    campaigns = tuple(
        Campaign(
            name=e.name,
            brand=e.brand,
            hashtag=e.hashtag,
            start=e.start,
            end=e.end,
            target_metric=e.target.metric if e.target else None,
            target_value=e.target.value if e.target else None,
        )
        for e in entries
    )
    return campaigns, errors


# --------------------------------------------------------------------------- errors, in the file's words


def _line_of(doc: LineMapping, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest part of ``loc`` the file has (a missing key: its mapping's line)."""
    node: Any = doc
    line = doc.line
    for part in loc:
        if isinstance(node, LineMapping) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line


def _explain(doc: LineMapping, err: ErrorDetails) -> str:
    """One pydantic error as the catalog's user would say it: where (brand), which field, what to write."""
    loc = err["loc"]
    where, fields = "the catalog", CatalogFile.model_fields
    if len(loc) >= 2 and loc[0] in ("brands", "campaigns") and isinstance(loc[1], int):
        entries = doc[loc[0]]
        name = entries[loc[1]].get("name") if isinstance(entries[loc[1]], dict) else None
        what = "brand" if loc[0] == "brands" else "campaign"
        where = f"{what} {name.strip()!r}" if isinstance(name, str) and name.strip() else f"{loc[0]}[{loc[1]}]"
        field = loc[2:]
        fields = BrandEntry.model_fields if loc[0] == "brands" else CampaignEntry.model_fields
        if loc[0] == "campaigns" and field[:1] == ("target",) and len(field) > 1:
            fields = CampaignTarget.model_fields
    else:
        field = loc
    key = next((p for p in reversed(field) if isinstance(p, str)), "")
    item = isinstance(field[-1], int) if field else False
    value, kind = err["input"], err["type"]
    if kind == "extra_forbidden":
        allowed = list(fields)
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        place = "at the top level" if where == "the catalog" else f"in {where}"
        return f"unknown key {key!r} {place} (allowed: {', '.join(allowed)}){hint}"
    if kind == "missing":
        if key == "name":
            return f"{where} needs a 'name'"
        if where != "the catalog":
            return f"{where} needs {key!r}"
        return f"the catalog needs a {key!r} list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if key == "target":
            return f"{where}: 'target' must be a mapping such as {{metric: videos, value: 100}}, not {value!r}"
        return f"{where} must be a mapping with a 'name' (name: ..., aliases: [...])"
    if kind == "literal_error":
        return f"{where}: {key!r} must be one of {err['ctx']['expected']}, not {value!r}"
    if kind in ("greater_than", "int_type"):
        return f"{where}: {key!r} must be a whole number above 0, not {value!r}"
    if kind in ("date_type", "date_parsing"):
        return f"{where}: {key!r} must be a day written YYYY-MM-DD, not {value!r}"
    if kind == "list_type":
        hint = f" (write [{value}])" if isinstance(value, str) else ""
        return f"{where}: {key!r} must be a list, not {_kind(value)} {value!r}{hint}"
    if kind == "string_type":
        hint = f' (write it in quotes: "{value}")' if isinstance(value, int | float) else ""
        what = f"{key!r} must list names" if item else f"{key!r} must be text"
        return f"{where}: {what}, not {_kind(value)} {value!r}{hint}"
    if kind == "string_too_short":
        return f"{where}: {key!r} must not be empty"
    if kind == "string_pattern_mismatch":
        return f"{where}: {key!r} must list ISO 639-1 codes such as [en, es], not {value!r}"
    if kind == "value_error":
        return f"{where}: {key!r}: {err['ctx']['error']}" if key else f"{where}: {err['ctx']['error']}"
    return f"{where}: {key!r}: {err['msg']} (got {value!r})"


def _kind(value: object) -> str:
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__
