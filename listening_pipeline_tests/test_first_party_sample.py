"""The sample first-party numbers (the dbt seed first_party_daily_sample) are the corpus's own complaints
come back as returns three days later, and the committed seed is exactly what the generator makes."""

import datetime as dt

import polars as pl

from listening_pipeline.lib.sample_data.first_party import (
    PLANTED_LAG_DAYS,
    RETURNS_PER_COMPLAINT,
    SEED_PATH,
    TRAILING_DAYS,
    default_truth,
    negative_mentions,
    seed_csv,
)


def test_the_committed_seed_is_what_the_generator_makes_from_the_corpus_plan():
    truth = default_truth()
    assert SEED_PATH.read_text(encoding="utf-8") == seed_csv(truth), (
        "run `python -m listening_pipeline.lib.sample_data --write-first-party`"
    )


def test_returns_carry_the_planted_wave_three_days_later_and_orders_do_not():
    truth = default_truth()
    seed = pl.read_csv(SEED_PATH, try_parse_dates=True)
    [wave] = truth["planted_alerts"]
    brand, wave_day = wave["brand"], dt.date.fromisoformat(wave["day"])
    complaints = negative_mentions(truth)[(brand, wave["day"])]
    assert complaints >= 20  # the wave: four negative videos with 6-8 complaint comments each

    def value(metric: str, day: dt.date) -> int:
        rows = seed.filter(pl.col("brand") == brand, pl.col("metric") == metric, pl.col("day") == day)
        return int(rows["value"].item())

    echo = wave_day + dt.timedelta(days=PLANTED_LAG_DAYS)
    # Baseline plus noise of 0..2 every day: the echo is the wave's complaints, RETURNS_PER_COMPLAINT each.
    returns = seed.filter(pl.col("brand") == brand, pl.col("metric") == "returns")["value"]
    assert value("returns", echo) - returns.min() >= RETURNS_PER_COMPLAINT * complaints - 2
    assert value("returns", echo) == returns.max()
    orders = seed.filter(pl.col("brand") == brand, pl.col("metric") == "orders")["value"]
    assert orders.max() - orders.min() <= 50  # baseline +- 25: no wave

    # Every brand of the corpus, both metrics, every day from the first to TRAILING_DAYS past the last.
    days = sorted({v["day"] for v in truth["videos"]})
    span = (dt.date.fromisoformat(days[-1]) - dt.date.fromisoformat(days[0])).days + TRAILING_DAYS + 1
    brands = {row["brand"] for row in truth["mention_counts"]}
    assert set(seed["brand"]) == brands and set(seed["region"]) == {"ALL"}
    assert seed.group_by("brand", "metric").len()["len"].to_list() == [span] * (2 * len(brands))
