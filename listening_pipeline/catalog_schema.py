"""The format of ``brands.yaml``, declared once as a pydantic model.

The model is the single declaration of the catalog's fields, their types and their
descriptions: :mod:`listening_pipeline.catalog` validates every file against it, and its JSON
Schema (``docs/brands.schema.json``, regenerated with
``python -m listening_pipeline.catalog_schema > docs/brands.schema.json``) lets editors check a
catalog as it is typed. Models are strict (no number silently becomes a name, no string a list)
and forbid unknown keys, because YAML would otherwise keep a misspelt key without a word.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from listening_pipeline.hashtags import MAX_HASHTAG_LENGTH, normalize_hashtag

LANGUAGE_PATTERN = r"^\s*[A-Za-z]{2,3}\s*$"


def _language(value: str) -> str:
    return value.strip().lower()  # the pattern has been checked


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Hashtag = Annotated[
    str,
    AfterValidator(normalize_hashtag),  # its InvalidHashtag (a ValueError) says which characters are refused
    Field(
        description=f"A hashtag without '#' (a leading '#' is dropped): letters, digits and '_' only, at most "
        f"{MAX_HASHTAG_LENGTH} characters; it becomes a partition key."
    ),
]
Language = Annotated[
    str,
    StringConstraints(pattern=LANGUAGE_PATTERN),
    AfterValidator(_language),
    Field(description="An ISO 639-1 code such as 'en'."),
]


class BrandEntry(BaseModel):
    """One brand: how it is named, what it competes with, and what it looks like."""

    model_config = ConfigDict(extra="forbid", strict=True, title="brand")

    name: Name = Field(
        description="The brand as the marts and reports show it; always matched as an alias. "
        'A name made of digits is written in quotes (name: "1664").'
    )
    competitor_group: Name | None = Field(
        default=None,
        description="Brands in the same group are compared (share of voice, alerts). Default: the brand's name.",
    )
    aliases: list[Name] | None = Field(
        default=None,
        description="Other names that count as a mention, matched case- and accent-insensitively on word "
        "boundaries in speech, captions, descriptions, hashtags and comments. Always a list: [Fizzly Soda].",
    )
    hashtags: list[Hashtag] | None = Field(
        default=None, description="Hashtags tracked for this brand, in addition to the catalog's own list."
    )
    logos: list[Name] | None = Field(
        default=None,
        description="Reference images (PNG or JPEG), relative to the catalog file; the logo detector is trained "
        "on them. A brand without logos is still found in text.",
    )


class CatalogFile(BaseModel):
    """A brand catalog: the hashtags to collect, the languages to expect and the brands to find."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        title="listening_pipeline brand catalog (brands.yaml)",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    hashtags: list[Hashtag] | None = Field(
        default=None, description="Campaign hashtags to collect, without '#'; each becomes a partition key."
    )
    languages: list[Language] | None = Field(
        default=None,
        description="Spoken languages to expect (ISO 639-1); speech recognition chooses among them. "
        "Without it, any language Whisper knows.",
    )
    brands: list[BrandEntry] = Field(description="One entry per brand.")


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors validate ``brands.yaml`` with (what ``docs/brands.schema.json`` holds)."""
    return CatalogFile.model_json_schema()


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
