"""The brand catalog (brands.yaml) as tables, so dbt can join brands, competitor groups and campaigns."""

import polars as pl
from dagster import AssetExecutionContext, asset

from listening_pipeline.defs.resources import CatalogResource
from listening_pipeline.defs.stage import WAREHOUSE_RETRY
from listening_pipeline.warehouse.tables import BRANDS, CAMPAIGNS


@asset(
    io_manager_key="warehouse_io",
    retry_policy=WAREHOUSE_RETRY,
    group_name="catalog",
    kinds={"python", "polars"},
    description="The brand catalog (brands.yaml) as a table, so dbt can join brands and competitor groups.",
)
def brands(context: AssetExecutionContext, catalog: CatalogResource) -> pl.DataFrame:
    loaded = catalog.load()
    context.add_output_metadata(
        output_name="result",
        metadata={
            "catalog": str(loaded.path),
            "tracked_hashtags": ", ".join(loaded.tracked_hashtags),
            "tracked_queries": ", ".join(loaded.tracked_queries),
        },
    )
    return BRANDS.frame(
        [
            {
                "brand": b.name,
                "competitor_group": b.competitor_group,
                "aliases": list(b.aliases),
                "hashtags": list(b.hashtags),
            }
            for b in loaded.brands
        ]
    )


@asset(
    io_manager_key="warehouse_io",
    retry_policy=WAREHOUSE_RETRY,
    group_name="catalog",
    kinds={"python", "polars"},
    description="The catalog's campaigns (brands.yaml, 'campaigns') as a table, for marts.campaign_performance.",
)
def campaigns(context: AssetExecutionContext, catalog: CatalogResource) -> pl.DataFrame:
    loaded = catalog.load()
    context.add_output_metadata(
        output_name="result", metadata={"campaigns": ", ".join(c.name for c in loaded.campaigns) or "none"}
    )
    return CAMPAIGNS.frame(
        [
            {
                "campaign": c.name,
                "brand": c.brand,
                "hashtag": c.hashtag,
                "start_day": c.start,
                "end_day": c.end,
                "target_metric": c.target_metric,
                "target_value": c.target_value,
            }
            for c in loaded.campaigns
        ]
    )
