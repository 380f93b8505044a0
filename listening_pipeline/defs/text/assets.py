"""Text units (every piece of text with its origin) and their sentiment."""

import time

import polars as pl
from dagster import AssetExecutionContext

from listening_pipeline.defs.checks import checked
from listening_pipeline.defs.resources import CatalogResource, MLModelsResource
from listening_pipeline.defs.stage import ledger, seconds_since, stage_asset, work_metadata
from listening_pipeline.defs.work import scored_as_keyed, sentiment_work
from listening_pipeline.lib.ledger import text_content
from listening_pipeline.lib.text.intent import INTENT_LEXICON
from listening_pipeline.lib.text.units import build_text_units, sentiment_rows, with_intents
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.ledger import Outcome
from listening_pipeline.warehouse.tables import SENTIMENT, TEXT_UNITS


@stage_asset(TEXT_UNITS, group="text", kinds={"python", "polars"})
def text_units(
    videos: pl.DataFrame,
    comments: pl.DataFrame,
    transcripts: pl.DataFrame,
    ocr_text: pl.DataFrame,
    catalog: CatalogResource,
):
    """Written text gets its language among the catalog's (speech has the speech model's)."""
    units = build_text_units(
        videos, comments=comments, transcripts=transcripts, ocr_text=ocr_text, languages=catalog.load().languages
    )
    yield from checked(TEXT_UNITS, units)


# What the ledger keeps per scored text: everything of a SENTIMENT row that does not name the unit.
SCORES = ("label", "score", "polarity", "model")


@stage_asset(SENTIMENT, group="text", kinds={"python", "transformers"}, on_gpu=True)
def sentiment(
    context: AssetExecutionContext, text_units: pl.DataFrame, ml_models: MLModelsResource, warehouse: WarehouseResource
):
    """Each distinct text scored once per scorer, across partitions: a new comment on an old video is the
    only text scored again; the rest is reused from the ledger, keyed by the text itself."""
    started = time.perf_counter()
    work, work_ledger = sentiment_work(ml_models), ledger(context, warehouse)
    texts = {text_content(t): t for t in text_units.get_column("text").unique(maintain_order=True).to_list()}
    scores = work_ledger.lookup(work, {item: item for item in texts})
    todo = [texts[item] for item in texts if item not in scores]
    scorer_name = None
    if todo:  # the scorer loads only when a text is left to score
        scorer = ml_models.sentiment()
        scorer_name = scorer.model_name
        units = text_units.filter(pl.col("text").is_in(todo)).unique("text", keep="first", maintain_order=True)
        now = sentiment_rows(units, scorer).join(units.select("unit_id", "text"), on="unit_id")
        fresh = {text_content(r["text"]): {c: r[c] for c in SCORES} for r in now.iter_rows(named=True)}
        if scored_as_keyed(work, scorer.model_name):  # a classifier that fell back to the lexicon is not recorded
            work_ledger.record(work, {item: (item, payload) for item, payload in fresh.items()})
        scores |= fresh
    scored = pl.DataFrame(
        [{"text": text, **scores[item]} for item, text in texts.items()],
        schema={"text": pl.String(), **{c: SENTIMENT.schema[c] for c in SCORES}},
    )
    keys = text_units.select("hashtag", "day", "unit_id", "video_id", "text")
    rows = SENTIMENT.frame(with_intents(keys.join(scored, on="text", how="left", maintain_order="left")))
    fresh_units = text_units.filter(pl.col("text").is_in(todo))
    reused_units = text_units.filter(~pl.col("text").is_in(todo))
    outcome = Outcome({}, done=fresh_units["unit_id"].to_list(), reused=reused_units["unit_id"].to_list())
    context.add_output_metadata(
        output_name="result",
        metadata={
            **work_metadata(outcome, work.version, noun="units"),
            "texts_scored": len(todo),
            "scorer": scorer_name or (rows["model"][0] if rows.height else "none"),
            "intent_lexicon": INTENT_LEXICON,
            "purchase_intent_units": int(rows["purchase_intent"].sum()),
            "complaint_units": int(rows["complaint"].sum()),
            "units": text_units.height,
            "seconds": seconds_since(started),
        },
    )
    yield from checked(SENTIMENT, rows)
