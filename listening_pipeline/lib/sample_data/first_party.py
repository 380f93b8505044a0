"""The sample first-party series: daily returns and orders per brand, as a brand team would load them.

Why: the ``social_vs_first_party`` mart lines up social listening with a company's own numbers, and
its lagged correlation needs a series whose right answer is known. Returns here are planted from
the corpus's ground truth: each brand's negative mentions on day D come back as extra returns on
day D + :data:`PLANTED_LAG_DAYS`, over a steady baseline with a little deterministic noise; orders
are baseline and noise only (no link to the talk). The series is written as the dbt seed
``dbt/seeds/samples/first_party_daily_sample.csv`` (``python -m listening_pipeline.lib.sample_data
--write-first-party``), and a test checks the committed file is what this module makes.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import polars as pl

from listening_pipeline.settings import DBT_PROJECT_DIR

PLANTED_LAG_DAYS = 3
RETURNS_PER_COMPLAINT = 2  # extra returns per negative mention, PLANTED_LAG_DAYS later
TRAILING_DAYS = 14  # the series runs this far past the corpus's last day: every lag 0..14 has partners
REGION = "ALL"  # the sample's numbers are totals over every region
SEED_PATH = DBT_PROJECT_DIR / "seeds" / "samples" / "first_party_daily_sample.csv"
SCHEMA = {"day": pl.Date, "brand": pl.String, "region": pl.String, "metric": pl.String, "value": pl.Int64}


def negative_mentions(truth: dict[str, Any]) -> Counter[tuple[str, str]]:
    """Negative text mentions per (brand, ISO day) in ``ground_truth.json``: every spoken, shown, described
    or commented text written negative that names the brand. Hashtags and logos carry no sentiment."""
    counts: Counter[tuple[str, str]] = Counter()
    for video in truth["videos"]:
        units = [video["speech"]] if video["speech"] else []
        units += [*video["captions"], video["description"], *video["comments"]]
        for unit in units:
            if unit["sentiment"] == "negative":
                counts.update((brand, video["day"]) for brand in unit["brands"])
    return counts


def first_party_daily(truth: dict[str, Any]) -> pl.DataFrame:
    """Daily ``returns`` and ``orders`` per brand of the corpus, from its first day to
    :data:`TRAILING_DAYS` after its last, drawn from the corpus's seed."""
    negatives = negative_mentions(truth)
    brands = sorted({row["brand"] for row in truth["mention_counts"]})
    days = sorted({video["day"] for video in truth["videos"]})
    first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
    calendar = [first + dt.timedelta(days=n) for n in range((last - first).days + TRAILING_DAYS + 1)]
    rng = Random(truth["seed"] * 1_000_003 + 29)
    rows: list[dict[str, Any]] = []
    for brand in brands:
        returns_base, orders_base = rng.randint(8, 20), rng.randint(150, 400)
        for day in calendar:
            complaints = negatives[(brand, (day - dt.timedelta(days=PLANTED_LAG_DAYS)).isoformat())]
            returns = returns_base + RETURNS_PER_COMPLAINT * complaints + rng.randint(0, 2)
            orders = orders_base + rng.randint(-25, 25)
            rows.append({"day": day, "brand": brand, "region": REGION, "metric": "orders", "value": orders})
            rows.append({"day": day, "brand": brand, "region": REGION, "metric": "returns", "value": returns})
    return pl.DataFrame(rows, schema=SCHEMA).sort("brand", "metric", "day")


def default_truth() -> dict[str, Any]:
    """The ground truth of the default sample corpus (the defaults of ``generate_sample_corpus``, so the two
    cannot drift), planned without rendering any media."""
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.sample_data.corpus import generate_sample_corpus
    from listening_pipeline.lib.sample_data.ground_truth import build_ground_truth
    from listening_pipeline.lib.sample_data.plan import plan_corpus

    defaults = inspect.signature(generate_sample_corpus).parameters
    catalog = load_catalog()
    plan = plan_corpus(
        catalog,
        seed=defaults["seed"].default,
        start_day=defaults["start_day"].default,
        days=defaults["days"].default,
        history_days=defaults["history_days"].default,
    )
    return build_ground_truth(plan, catalog)


def seed_csv(truth: dict[str, Any]) -> str:
    """The seed file's text (ISO days, integer values, ``\\n`` line ends)."""
    return first_party_daily(truth).write_csv(date_format="%Y-%m-%d")


def write_first_party_seed(path: Path = SEED_PATH) -> Path:
    """Write the default corpus's series as the dbt seed and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_csv(default_truth()), encoding="utf-8")
    return path
