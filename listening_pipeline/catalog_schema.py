"""The format of ``brands.yaml``, declared once as a pydantic model.

The model is the single declaration of the catalog's fields, their types and their
descriptions: :mod:`listening_pipeline.catalog` validates every file against it, and its JSON
Schema (``docs/brands.schema.json``, regenerated with
``python -m listening_pipeline.catalog_schema > docs/brands.schema.json``) lets editors check a
catalog as it is typed. Models are strict (no number silently becomes a name, no string a list)
and forbid unknown keys, because YAML would otherwise keep a misspelt key without a word.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from listening_pipeline.hashtags import MAX_HASHTAG_LENGTH, normalize_hashtag
from listening_pipeline.lib.text.folding import fold
from listening_pipeline.queries import MAX_HANDLE_LENGTH, MAX_KEYWORD_WORDS, normalize_handle, normalize_keyword

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
Keyword = Annotated[
    str,
    AfterValidator(normalize_keyword),  # its InvalidQuery (a ValueError) says what is refused
    Field(
        description=f"A keyword the Research API searches descriptions for: at most {MAX_KEYWORD_WORDS} words of "
        "letters and digits ('-' inside a word), matched as whole words, case and accents aside. Its partition "
        "key is keyword:WORDS_JOINED_BY_UNDERSCORES."
    ),
]
CreatorHandle = Annotated[
    str,
    AfterValidator(normalize_handle),
    Field(
        description="A TikTok username (a leading '@' is dropped): letters a-z, digits, '_' and '.', at most "
        f"{MAX_HANDLE_LENGTH} characters. Every video it posts is collected; its partition key is creator:HANDLE."
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
    keywords: list[Keyword] | None = Field(
        default=None,
        description="Keywords tracked for this brand (a product name nobody tags): videos whose description holds "
        "one are collected under a partition of their own, keyword:WORDS.",
    )
    creators: list[CreatorHandle] | None = Field(
        default=None,
        description="Accounts tracked for this brand (its own, its ambassadors'): every video they post is "
        "collected under a partition of its own, creator:HANDLE.",
    )
    common_words: list[Name] | None = Field(
        default=None,
        description="The brand's names (its name or aliases) that are also ordinary words: [Shell] ('a shell on "
        "the beach'). Such a name counts only with brand context: written as #tag or @handle, capitalised "
        "mid-sentence in written text, one of context_words nearby, or the brand named with evidence (or its "
        "context words) in the creator's own text of the same video (docs/bi.md, 'How mentions are counted').",
    )
    context_words: list[Name] | None = Field(
        default=None,
        description="Words that make a common-word name a mention when they stand within a few words of it, or "
        "anywhere in the creator's own text of the video: the brand's products, services and places, in the "
        "catalog's languages: [station, fuel*, tank*]. Matched folded as whole words; a trailing '*' makes a stem "
        "('tank*' finds 'tanken', 'Tankstelle').",
    )
    logos: list[Name] | None = Field(
        default=None,
        description="Reference images (PNG or JPEG), relative to the catalog file; the logo detector is trained "
        "on them. A brand without logos is still found in text.",
    )

    @field_validator("common_words")
    @classmethod
    def _common_words_are_names(cls, words: list[str] | None, info: ValidationInfo) -> list[str] | None:
        names = {fold(n) for n in [info.data.get("name", ""), *(info.data.get("aliases") or ())]}
        unknown = [w for w in words or () if fold(w) not in names]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} is not the brand's name or one of its aliases")
        return words


TARGET_METRICS = ("videos", "views", "creators", "mentions")


class CampaignTarget(BaseModel):
    """What a campaign aims for over its whole run: one metric and the number to reach."""

    model_config = ConfigDict(extra="forbid", strict=True, title="campaign target")

    metric: Literal["videos", "views", "creators", "mentions"] = Field(
        description="videos posted with the hashtag, their views, distinct creators, or the brand's mentions in "
        "them; counted from the campaign's start day (marts.campaign_performance)."
    )
    value: int = Field(gt=0, description="The number to reach by the end day: a whole number above 0.")


class CampaignEntry(BaseModel):
    """A brand's hashtag challenge: the videos carrying its hashtag between two days, against a target."""

    model_config = ConfigDict(extra="forbid", strict=True, title="campaign")

    name: Name = Field(description="The campaign as marts.campaign_performance shows it; unique in the catalog.")
    brand: Name = Field(description="The brand running it: the name of one of the catalog's brands.")
    hashtag: Hashtag = Field(
        description="The campaign's hashtag, without '#'. It is collected (it joins the tracked hashtags), and "
        "a video carrying it counts whichever tracked hashtag it was collected under."
    )
    start: dt.date = Field(description="First day of the campaign, written YYYY-MM-DD (UTC days).")
    end: dt.date = Field(description="Last day of the campaign (inclusive), written YYYY-MM-DD; not before start.")
    target: CampaignTarget | None = Field(
        default=None,
        description="Optional: {metric: videos|views|creators|mentions, value: N}, the total to reach by the end day.",
    )

    @field_validator("start", "end", mode="before")
    @classmethod
    def _a_day(cls, value: object) -> object:
        """YAML reads 2026-10-25 as a date; a quoted '2026-10-25' is read the same way, a time is refused."""
        if isinstance(value, dt.datetime):
            raise ValueError(f"must be a day written YYYY-MM-DD, not a time ({value.isoformat()})")
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"must be a day written YYYY-MM-DD, not {value!r}") from None
        return value

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if isinstance(start, dt.date) and end < start:
            raise ValueError(f"the campaign ends on {end} before it starts on {start}")
        return end


class CatalogFile(BaseModel):
    """A brand catalog: the hashtags, keywords and creators to collect, the languages to expect, the brands."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        title="listening_pipeline brand catalog (brands.yaml)",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    hashtags: list[Hashtag] | None = Field(
        default=None, description="Hashtags to collect, without '#'; each becomes a partition key."
    )
    keywords: list[Keyword] | None = Field(
        default=None,
        description="Keywords to collect videos by (searched in descriptions); each becomes a partition key "
        "keyword:WORDS.",
    )
    creators: list[CreatorHandle] | None = Field(
        default=None,
        description="Creator accounts to collect every video of; each becomes a partition key creator:HANDLE.",
    )
    languages: list[Language] | None = Field(
        default=None,
        description="Spoken languages to expect (ISO 639-1); speech recognition chooses among them. "
        "Without it, any language Whisper knows.",
    )
    brands: list[BrandEntry] = Field(description="One entry per brand.")
    campaigns: list[CampaignEntry] | None = Field(
        default=None,
        description="Hashtag challenges and campaigns: a brand's hashtag between two days, with an optional target "
        "(marts.campaign_performance).",
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors validate ``brands.yaml`` with (what ``docs/brands.schema.json`` holds)."""
    return CatalogFile.model_json_schema()


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
