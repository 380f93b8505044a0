"""What the catalog tells the text matcher (brand names, aliases, hashtags), as a data version.

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


def matching_fingerprint(brands: Iterable[Brand]) -> str:
    """A digest of each brand's name, aliases and hashtags, independent of the order they are listed in."""
    fields = sorted([b.name, sorted(set(b.aliases)), sorted(set(b.hashtags))] for b in brands)
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


@asset(
    name=BRAND_MATCHING,
    group_name="catalog",
    kinds={"python"},
    description="The catalog's brand names, aliases and hashtags as a data version; brand_mentions re-matches when"
    " it changes.",
)
def brand_matching(context: AssetExecutionContext, catalog: CatalogResource) -> MaterializeResult:
    brands = catalog.load().brands
    fingerprint = matching_fingerprint(brands)
    return MaterializeResult(
        data_version=DataVersion(fingerprint),
        metadata={
            "fingerprint": fingerprint,
            "brands": len(brands),
            "aliases": MetadataValue.md(
                "\n".join(f"- {b.name}: {', '.join(b.aliases) or '-'}" for b in brands) or "_none_"
            ),
        },
    )
