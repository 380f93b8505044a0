"""What the catalog tells the text matcher (brand names, aliases, hashtags, the tolerant-match threshold),
as a data version.

``brand_mentions`` depends on this asset: when a catalog edit changes what matches, the version
changes and the re-match automation (defs/mentions/automation.py) re-matches the stored text of
recent days. Edits that change nothing for matching (logos, competitor groups, comments,
key order) keep the version, so they re-match nothing.
"""

import hashlib
import json
from collections.abc import Iterable

from dagster import AssetExecutionContext, DataVersion, MaterializeResult, MetadataValue, asset

from listening_pipeline.catalog import Brand
from listening_pipeline.defs.resources import CatalogResource

BRAND_MATCHING = "brand_matching"


def matching_fingerprint(brands: Iterable[Brand], fuzzy_match_threshold: float = 1.0) -> str:
    """A digest of each brand's name, aliases, hashtags, common words and context words (independent of the
    order they are listed in) and of the threshold of tolerant speech matches."""
    fields = sorted(
        [b.name, sorted(set(b.aliases)), sorted(set(b.hashtags))]
        # only where given, so catalogs without them keep the fingerprint they had
        + ([sorted(set(b.common_words)), sorted(set(b.context_words))] if b.common_words or b.context_words else [])
        for b in brands
    )
    text = json.dumps([fields, fuzzy_match_threshold], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@asset(
    name=BRAND_MATCHING,
    group_name="catalog",
    kinds={"python"},
    description="The catalog's brand names, aliases and hashtags as a data version; brand_mentions re-matches when"
    " it changes.",
)
def brand_matching(context: AssetExecutionContext, catalog: CatalogResource) -> MaterializeResult:
    brands = catalog.load().brands
    fingerprint = matching_fingerprint(brands, catalog.fuzzy_match_threshold)
    return MaterializeResult(
        data_version=DataVersion(fingerprint),
        metadata={
            "fingerprint": fingerprint,
            "brands": len(brands),
            "fuzzy_match_threshold": catalog.fuzzy_match_threshold,
            "aliases": MetadataValue.md(
                "\n".join(f"- {b.name}: {', '.join(b.aliases) or '-'}" for b in brands) or "_none_"
            ),
        },
    )
