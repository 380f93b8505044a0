"""One Great Expectations suite per table, built from its declaration in :mod:`listening_pipeline.warehouse.tables`.

Types come from the declared schema (frames are cast before they get here); the suite checks
what a schema cannot: keys, required columns, ranges (confidences in [0, 1], times >= 0) and
allowed labels. Every asset validates the rows it is about to write and reports the result
as a Dagster asset check, so the UI shows which partition broke which rule.

Validated once: rows that passed are remembered by a digest of their contents and of the suite
(:func:`passed_before`), and the same rows under the same suite pass again without Great Expectations
running (0.04-0.1 s a table, ten a partition: a third of a daily re-run of an unchanged day). A failure
is never remembered: failing rows are validated, and reported, every time.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, Output

from listening_pipeline.lib.reports import markdown_preview
from listening_pipeline.warehouse.tables import Table

CHECK_NAME = "great_expectations"
QUARANTINE_CHECK = "quarantine_rate"


@dataclass(frozen=True)
class Validation:
    passed: bool
    evaluated: int
    failures: list[str]
    reused: bool = False  # the same rows passed the same suite before: Great Expectations did not run again


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    # A progress bar per validation floods the run log and the console of a backfill.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition(table_name: str) -> Any:
    source = _context().data_sources.add_or_update_pandas(f"lp_{table_name}")
    return source.add_dataframe_asset(table_name).add_batch_definition_whole_dataframe("partition")


def build_suite(table: Table) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    _context()  # suites need an active (ephemeral) data context
    suite = gx.ExpectationSuite(name=f"listening_pipeline.{table.name}")
    suite.add_expectation(gxe.ExpectTableColumnsToMatchOrderedList(column_list=list(table.schema)))
    suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.key)))
    for column in table.not_null:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
    for column, (low, high) in table.ranges.items():
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    for column, values in table.allowed.items():
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    return suite


_SUITES: dict[str, tuple[Any, str]] = {}


def _suite(table: Table) -> tuple[Any, str]:
    """The table's suite, and a digest of what it is made from: the table's rules, the code that turns them
    into expectations, and the libraries that run them (half of a passed mark's name)."""
    rules = repr((table.name, table.schema, table.key, table.not_null, table.ranges, table.allowed))
    if rules not in _SUITES:
        import great_expectations as gx

        described = rules + inspect.getsource(build_suite) + gx.__version__ + pl.__version__
        _SUITES[rules] = (build_suite(table), hashlib.sha256(described.encode("utf-8")).hexdigest())
    return _SUITES[rules]


def passed_marks_dir() -> Path:
    """Where digests of rows that passed their suite are kept (``LISTENING_PIPELINE_DATA_DIR``/checks_passed)."""
    from listening_pipeline.settings import Settings

    return Settings.from_env().data_dir / "checks_passed"


def passed_before(table: Table, frame: pl.DataFrame, suite_digest: str) -> Path:
    """The mark that says these exact rows passed this suite: a file named by a digest of both."""
    contents = frame.write_ipc(None, compression="uncompressed").getvalue()
    digest = hashlib.sha256(suite_digest.encode("ascii") + contents).hexdigest()
    return passed_marks_dir() / table.name / digest[:2] / digest


def _remember_pass(mark: Path) -> None:
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()  # an empty file: its name is the whole record, so there is no half-written one
    except OSError as exc:  # a read-only data dir: the next run validates again, nothing else changes
        logging.getLogger(__name__).debug("could not remember a passed validation at %s: %s", mark, exc)


def validate(table: Table, rows: pl.DataFrame) -> Validation:
    """Run the table's suite on ``rows``; failures name the rule and how many values broke it."""
    suite, suite_digest = _suite(table)
    if rows.height == 0:
        return Validation(passed=True, evaluated=len(suite.expectations), failures=[])
    # List columns (hashtags, aliases) have no expectations; hand pandas plain scalars.
    frame = rows.with_columns([pl.col(c).list.join(",") for c, t in rows.schema.items() if isinstance(t, pl.List)])
    mark = passed_before(table, frame, suite_digest)
    if mark.exists():
        return Validation(passed=True, evaluated=len(suite.expectations), failures=[], reused=True)
    batch = _batch_definition(table.name).get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    # BASIC still counts the values that broke each rule (all the failures report) at 0.06 s a table where
    # SUMMARY, which adds value counts nobody reads, took 0.14 s: ten validations a partition.
    result = batch.validate(suite, result_format="BASIC")
    failures = []
    for item in result.results:
        if not item.success:
            config = item.expectation_config
            column = config.kwargs.get("column") or config.kwargs.get("column_list")
            count = (item.result or {}).get("unexpected_count")
            failures.append(f"{config.type}({column}): {count if count is not None else 'failed'}")
    if not failures:
        _remember_pass(mark)
    return Validation(passed=not failures, evaluated=len(result.results), failures=failures)


def check_spec(table: Table, asset: str | None = None) -> AssetCheckSpec:
    """Blocking: rows that break the table's rules (a duplicate key, a null id, a confidence above 1)
    are a defect of our code, never of one input record (sources quarantine those before this check),
    so a failure stops the assets downstream in the same run instead of building marts on it."""
    return AssetCheckSpec(
        CHECK_NAME,
        asset=asset or table.name,
        description=f"Great Expectations suite for {table.name}: keys, nulls, ranges, labels.",
        blocking=True,
    )


def check_result(table: Table, rows: pl.DataFrame, asset: str | None = None) -> AssetCheckResult:
    outcome = validate(table, rows)
    return AssetCheckResult(
        asset_key=asset or table.name,
        check_name=CHECK_NAME,
        passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "expectations": outcome.evaluated,
            "rows": rows.height,
            "failures": MetadataValue.md("\n".join(f"- {f}" for f in outcome.failures) or "_none_"),
            "validated": "earlier: these exact rows passed this suite" if outcome.reused else "now",
        },
    )


def checked(table: Table, rows: pl.DataFrame, output_name: str = "result") -> Iterator[Any]:
    """The asset's output followed by its expectation check: ``yield from checked(TABLE, rows)``."""
    yield Output(rows, output_name=output_name)
    yield check_result(table, rows)


def quarantine_rate_result(asset: str, quarantined: int, total: int, warn_above: float = 0.2) -> AssetCheckResult:
    """Share of the partition's inputs that could not be read; a warning above ``warn_above``."""
    rate = quarantined / total if total else 0.0
    return AssetCheckResult(
        asset_key=asset,
        check_name=QUARANTINE_CHECK,
        passed=rate <= warn_above,
        severity=AssetCheckSeverity.WARN,
        metadata={"quarantined": quarantined, "inputs": total, "rate": MetadataValue.float(round(rate, 4))},
    )


DURATION_CHECK = "within_video_duration"


def within_duration_result(
    asset: str, rows: pl.DataFrame, media: pl.DataFrame, start: str, end: str, tolerance_s: float = 0.5
) -> AssetCheckResult:
    """Times must lie inside their video: [0, duration] (a tolerance for frame and VAD rounding)."""
    joined = rows.join(media.select("video_id", "duration_s"), on="video_id", how="left")
    outside = joined.filter(
        (pl.col(start) < 0) | (pl.col(end) < pl.col(start)) | (pl.col(end) > pl.col("duration_s") + tolerance_s)
    )
    return AssetCheckResult(
        asset_key=asset,
        check_name=DURATION_CHECK,
        passed=outside.height == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"rows": rows.height, "outside": outside.height},
    )


def duration_check_spec(asset: str) -> AssetCheckSpec:
    """Not blocking: the times are a model's output (Whisper may place a segment end past the audio), so an
    overshoot is reported, but it must not stop the partition's mentions the way a broken key would."""
    return AssetCheckSpec(
        DURATION_CHECK, asset=asset, description="Every time lies within its video's decoded duration."
    )


AGREEMENT_CHECK = "platform_transcript_agreement"


def agreement_check_spec(asset: str) -> AssetCheckSpec:
    """Not blocking: two models disagreeing is a thing to listen to, not a reason to stop the partition."""
    return AssetCheckSpec(
        AGREEMENT_CHECK,
        asset=asset,
        description=(
            "Where TikTok transcribed a video (voice_to_text), our transcript agrees with it: 1 - word error rate "
            "of ours against TikTok's is at least 0.5 for every video we heard."
        ),
    )


def agreement_result(asset: str, agreement: pl.DataFrame, floor: float) -> AssetCheckResult:
    """Passes when every compared video agrees at least ``floor``; the worst five are listed either way."""
    worst = agreement.sort("agreement").select(
        "video_id",
        pl.col("agreement").round(2),
        pl.col("platform_text").alias("TikTok's"),
        pl.col("our_text").alias("ours"),
    )
    disagreeing = agreement.filter(pl.col("agreement") < floor)
    return AssetCheckResult(
        asset_key=asset,
        check_name=AGREEMENT_CHECK,
        passed=disagreeing.height == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "videos_compared": agreement.height,
            "disagreeing": disagreeing.height,
            "mean_agreement": MetadataValue.float(
                float(agreement.select(pl.col("agreement").mean()).item()) if agreement.height else 1.0
            ),
            "least_agreeing": MetadataValue.md(markdown_preview(worst, rows=5)),
        },
    )
