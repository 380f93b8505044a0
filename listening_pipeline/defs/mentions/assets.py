"""Brand mentions: alias matches in the text units and logo appearances, with their sentiment.

Built from the stored text_units, sentiment, logo_hits, ocr_text and transcripts partitions (the IO manager
reads them from the warehouse), so re-matching after a catalog edit reruns no model; each logo and caption
mention gets a thumbnail of its frame from the stored kept frames (``frames``).
"""

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MetadataValue

from listening_pipeline.defs.checks import checked
from listening_pipeline.defs.mentions.automation import CATALOG_MATCHING_ASSET, REMATCH_AFTER_CATALOG_CHANGE
from listening_pipeline.defs.resources import CatalogResource, MediaStoreResource
from listening_pipeline.defs.stage import stage_asset
from listening_pipeline.lib.evidence_frames import evidence_shots, store_thumbnails, with_thumbnails
from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
from listening_pipeline.lib.reports import evidence_sample, markdown_preview
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.tables import BRAND_MENTIONS


@stage_asset(
    BRAND_MENTIONS,
    group="mentions",
    kinds={"python", "polars"},
    deps=[AssetKey(CATALOG_MATCHING_ASSET)],
    automation_condition=REMATCH_AFTER_CATALOG_CHANGE,
)
def brand_mentions(
    context: AssetExecutionContext,
    text_units: pl.DataFrame,
    sentiment: pl.DataFrame,
    logo_hits: pl.DataFrame,
    ocr_text: pl.DataFrame,
    transcripts: pl.DataFrame,
    frames: pl.DataFrame,
    catalog: CatalogResource,
    media_store: MediaStoreResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    matcher = BrandMatcher(catalog.load().brands, catalog.fuzzy_match_threshold)
    rows = mention_rows(
        text_units, sentiment, logo_hits, matcher, hashtag, day, ocr_text=ocr_text, transcripts=transcripts
    )
    # The frame behind each logo and caption mention, from the kept frames already stored: no decoding.
    shots = evidence_shots(rows, frames, logo_hits, ocr_text, text_units)
    thumbnails = store_thumbnails(shots, media_store.get())
    rows = with_thumbnails(rows, thumbnails)
    if thumbnails.missing:
        context.log.warning(
            f"{len(thumbnails.missing)} visual mention(s) without a thumbnail (frame gone from the media store): "
            + ", ".join(thumbnails.missing[:5])
        )
    by_brand = rows.group_by("brand").len().sort("brand")
    counts = "\n".join(f"- {brand}: {n}" for brand, n in by_brand.iter_rows()) or "_none_"
    context.add_output_metadata(
        output_name="result",
        metadata={
            "mentions_by_brand": MetadataValue.md(counts),
            "evidence": MetadataValue.md(markdown_preview(evidence_sample(rows, text_units))),
            "thumbnails": len(thumbnails.uris),
            "thumbnails_drawn": thumbnails.written,
            "thumbnails_missing": len(thumbnails.missing),
        },
    )
    yield from checked(BRAND_MENTIONS, rows)
