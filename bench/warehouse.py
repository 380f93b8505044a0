"""Warehouse side of issue 14: a one-day incremental dbt build against a full refresh of a year.

Loads a year of synthetic but realistically shaped raw rows (50 brands in competitor groups of 5,
100 tracked hashtags, videos with skewed reach and creators, co-hashtags, comments, quarantined
items, brand mentions from every origin with sentiment, the odd video under two hashtags, brand
spikes with negative waves, creators' profiles, each video's counts observed twice, campaigns on
brand and co-occurring hashtags) into a fresh DuckDB file through the project's own warehouse writer,
then times dbt as the ``dbt_models`` asset runs it (:func:`window_build`) for a new day (written per
hashtag partition first, as the daily run does; every repeat is another new day, with a new window
as in production), against the same build of every day with ``--full-refresh``. Medians of several
repeats; the ratio full / incremental is the figure, in wall seconds and in the seconds dbt reports
for its nodes (models and tests, without the per-command cost of starting dbt and parsing). Finally
every mart the incremental days left is compared with that of a full refresh: they must be equal.

    .venv/bin/python -m bench.warehouse [--videos-per-day 20] [--repeats 3] [--days 365]

Writes ``bench/results/warehouse-<timestamp>-<commit>.json``. Not a test: a benchmark.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.dbt_build import window_build
from listening_pipeline.warehouse.tables import (
    ALL_TABLES,
    BRAND_MENTIONS,
    BRANDS,
    CAMPAIGNS,
    COMMENTS,
    CREATORS,
    QUARANTINE,
    VIDEO_STATS_SNAPSHOTS,
    VIDEOS,
    Table,
)

RESULTS_DIR = Path(__file__).parent / "results"
SLOWEST_NODES = 8  # per build, in the JSON: where a day's build spends its time
ORIGINS = np.array(["speech", "caption", "logo", "description", "hashtag", "comment"])
ORIGIN_P = np.array([0.2, 0.12, 0.1, 0.18, 0.15, 0.25])
LABELS = np.array(["positive", "neutral", "negative"])


@dataclass(frozen=True)
class Volume:
    """How much history the benchmark loads (the defaults: issue 14's year of 50 brands, 100 hashtags)."""

    brands: int = 50
    hashtags: int = 100
    days: int = 365
    videos_per_day: float = 20.0  # mean videos per tracked hashtag and day
    mentions_per_video: float = 2.0  # mean brand mentions per video
    comments_per_video: float = 3.0
    start: dt.date = dt.date(2025, 1, 1)
    seed: int = 14


class History:
    """Synthetic raw rows, one day at a time: the same day always gives the same rows."""

    def __init__(self, volume: Volume) -> None:
        self.volume = volume
        rng = np.random.default_rng(volume.seed)
        self.brands = [f"brand_{b:02d}" for b in range(volume.brands)]
        # The first hashtags belong to a brand each (its own), the rest are the category's.
        self.tags = [f"tag_{h:03d}" for h in range(volume.hashtags)]
        self.popularity = rng.zipf(1.6, volume.brands).clip(1, 50).astype(float)
        self.popularity /= self.popularity.sum()
        self.co_tags = np.array([f"co_{c:03d}" for c in range(300)])
        co_weight = 1.0 / np.arange(1, 301) ** 0.9
        self.co_p = co_weight / co_weight.sum()

    def catalog(self) -> pl.DataFrame:
        own = {b: [self.tags[b]] if b < self.volume.hashtags else [] for b in range(self.volume.brands)}
        return _typed(
            BRANDS,
            pl.DataFrame(
                [
                    {
                        "brand": name,
                        "competitor_group": f"group_{b // 5:02d}",
                        "aliases": [name.replace("_", " ")],
                        "hashtags": own[b],
                    }
                    for b, name in enumerate(self.brands)
                ]
            ),
        )

    def campaigns(self) -> pl.DataFrame:
        """Twenty campaigns of two to eight weeks over the year: half on a brand's own hashtag, half on a
        co-occurring one (carried by videos of every tracked hashtag)."""
        rng = np.random.default_rng([self.volume.seed, 7])
        rows = []
        for number in range(20):
            brand = number % min(self.volume.brands, self.volume.hashtags)
            start = self.volume.start + dt.timedelta(days=int(rng.integers(0, self.volume.days)))
            rows.append(
                {
                    "campaign": f"campaign_{number:02d}",
                    "brand": self.brands[brand],
                    "hashtag": self.tags[brand] if number % 2 else str(self.co_tags[number * 7]),
                    "start_day": start,
                    "end_day": start + dt.timedelta(days=int(rng.integers(14, 57))),
                    "target_metric": "videos",
                    "target_value": 500,
                }
            )
        return _typed(CAMPAIGNS, pl.DataFrame(rows))

    def day(self, index: int) -> dict[str, pl.DataFrame]:
        """The raw rows of day ``index`` (0 = start) for every tracked hashtag."""
        vol = self.volume
        rng = np.random.default_rng([vol.seed, index])
        day = vol.start + dt.timedelta(days=index)
        weekly = 1.0 + 0.25 * np.sin(2 * np.pi * index / 7)
        per_tag = rng.poisson(vol.videos_per_day * weekly, vol.hashtags)
        tag_of = np.repeat(np.arange(vol.hashtags), per_tag)
        n = tag_of.size
        serial = 7_000_000_000_000_000_000 + index * 1_000_000 + np.arange(n)
        video_ids = serial.astype(str)
        views = np.exp(rng.normal(7.0, 1.8, n)).astype(np.int64)
        creators = np.char.add("creator_", (rng.zipf(1.3, n) % 50_000).astype(str))
        # A brand spike: some brands are suddenly loud (and sour) on some days.
        boost = np.where(rng.random(vol.brands) < 1 / 45, 5.0, 1.0)
        sour = np.where(boost > 1, 0.55, 0.12)

        videos = pl.DataFrame(
            {
                "hashtag": np.array(self.tags)[tag_of],
                "video_id": video_ids,
                "creator": creators,
                "view_count": views,
                "like_count": views // rng.integers(8, 40, n),
                "comment_count": rng.poisson(vol.comments_per_video, n),
                "share_count": views // rng.integers(50, 400, n),
                "duration_s": rng.uniform(8, 60, n).round(1),
            }
        ).with_columns(
            day=pl.lit(day),
            source=pl.lit("research_api"),
            created_at=pl.lit(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)),
            description=pl.lit("a synthetic video #tag"),
            region=pl.lit("US"),
            voice_to_text=pl.lit(None, pl.String),
            media_uri=pl.lit(None, pl.String),
            media_error=pl.lit("metadata only"),
        )
        co_count = rng.integers(1, 5, n)
        co_tags = pl.DataFrame(
            {"video_id": np.repeat(video_ids, co_count), "tag": rng.choice(self.co_tags, co_count.sum(), p=self.co_p)}
        )
        tags = co_tags.group_by("video_id").agg(pl.col("tag").unique(maintain_order=True))
        videos = videos.join(tags, on="video_id", how="left").with_columns(
            hashtags=pl.concat_list(pl.col("hashtag"), pl.col("tag").fill_null([]))
        )

        # Mentions: the hashtag's own brand half of the time, otherwise by popularity and today's spikes.
        per_video = rng.poisson(vol.mentions_per_video, n)
        video_of = np.repeat(np.arange(n), per_video)
        m = video_of.size
        weights = self.popularity * boost
        brand = rng.choice(vol.brands, m, p=weights / weights.sum())
        own_tag = tag_of[video_of]
        own = (rng.random(m) < 0.5) & (own_tag < vol.brands)
        brand = np.where(own, own_tag, brand)
        origin = rng.choice(ORIGINS, m, p=ORIGIN_P)
        negative = rng.random(m) < sour[brand]
        label = np.where(negative, "negative", rng.choice(LABELS[:2], m, p=[0.55, 0.45]))
        is_logo = origin == "logo"
        mentions = (
            pl.DataFrame(
                {
                    "hashtag": np.array(self.tags)[own_tag],
                    "video_id": video_ids[video_of],
                    "mention_id": np.char.add(np.char.add(video_ids[video_of], ":"), np.arange(m).astype(str)),
                    "brand": np.array(self.brands)[brand],
                    "origin": origin,
                    "t_s": rng.uniform(0, 30, m).round(2),
                    "confidence": np.where(is_logo, rng.uniform(0.3, 1, m).round(3), 1.0),
                    "label": label,
                }
            )
            .with_columns(
                day=pl.lit(day),
                unit_id=pl.when(pl.col("origin") != "logo").then(pl.col("video_id") + ":" + pl.col("origin") + ":0"),
                matched_text=pl.when(pl.col("origin") != "logo").then(pl.col("brand")),
                match_confidence=pl.when(pl.col("origin") != "logo").then(pl.lit(1.0)),
                match_rule=pl.when(pl.col("origin") != "logo").then(pl.lit("exact")),
                sentiment_label=pl.when(pl.col("origin") != "logo").then(pl.col("label")),
            )
            .with_columns(
                sentiment_polarity=pl.col("sentiment_label").replace_strict(
                    {"positive": 0.7, "neutral": 0.0, "negative": -0.7}, default=None, return_dtype=pl.Float64
                ),
            )
        )

        # About 3 % of videos are also found under a second tracked hashtag: same id, same mention ids.
        twice = rng.random(n) < 0.03
        second = pl.DataFrame(
            {"video_id": video_ids[twice], "other": np.array(self.tags)[(tag_of[twice] + 1) % vol.hashtags]}
        )
        videos = pl.concat(
            [videos, videos.join(second, on="video_id").with_columns(hashtag=pl.col("other"))], how="diagonal"
        )
        mentions = pl.concat(
            [mentions, mentions.join(second, on="video_id").with_columns(hashtag=pl.col("other"))], how="diagonal"
        )

        c = rng.poisson(vol.comments_per_video, n)
        commented = np.repeat(np.arange(n), c)
        comments = pl.DataFrame(
            {
                "hashtag": np.array(self.tags)[tag_of[commented]],
                "video_id": video_ids[commented],
                "comment_id": np.char.add(f"c{index}_", np.arange(c.sum()).astype(str)),
                "like_count": rng.poisson(4, c.sum()),
                "reply_count": rng.poisson(0.5, c.sum()),
            }
        ).with_columns(
            day=pl.lit(day),
            parent_comment_id=pl.col("video_id"),
            text=pl.lit("love it"),
            created_at=pl.lit(dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC)),
        )
        broken = rng.random(n) < 0.005
        quarantine = pl.DataFrame(
            {"hashtag": np.array(self.tags)[tag_of[broken]], "item": video_ids[broken]}
        ).with_columns(
            day=pl.lit(day), stage=pl.lit("media"), reason=pl.lit("could not decode"), raw=pl.lit(None, pl.String)
        )
        # Each video observed by the day's collection and again by the next day's (the schedule re-collects).
        first = videos.unique("video_id").select("video_id", "view_count", "like_count", "comment_count", "share_count")
        collected = dt.datetime.combine(day, dt.time(23), tzinfo=dt.UTC)
        snapshots = pl.concat(
            [
                first.with_columns(collected_at=pl.lit(collected)),
                first.with_columns(
                    collected_at=pl.lit(collected + dt.timedelta(days=1)),
                    view_count=(pl.col("view_count") * 1.3).cast(pl.Int64),
                ),
            ]
        )
        # Each creator's profile as read that day, once per hashtag partition it posted under.
        profiles = (
            videos.select("hashtag", "creator")
            .unique()
            .with_columns(
                day=pl.lit(day),
                display_name=pl.col("creator"),
                is_verified=pl.col("creator").str.ends_with("7"),
                follower_count=(pl.col("creator").str.slice(8).cast(pl.Int64) * 37 + index) % 2_000_000,
                fetched_at=pl.lit(collected),
            )
        )
        return {
            VIDEOS.name: _typed(VIDEOS, videos),
            BRAND_MENTIONS.name: _typed(BRAND_MENTIONS, mentions),
            COMMENTS.name: _typed(COMMENTS, comments),
            QUARANTINE.name: _typed(QUARANTINE, quarantine),
            CREATORS.name: _typed(CREATORS, profiles),
            VIDEO_STATS_SNAPSHOTS.name: _typed(VIDEO_STATS_SNAPSHOTS, snapshots),
        }


def _typed(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as the table declares it; columns the benchmark does not model (added to the
    declaration later, say) are null, as in a warehouse an older version wrote."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in table.schema.items() if name not in frame.columns]
    return table.frame(frame.with_columns(missing))


def load(store: DuckDBWarehouse, history: History, days: range) -> dict[str, int]:
    """Every raw table created (dbt reads them all); ``days`` of history written, one bulk write per table."""
    store.ensure_tables(ALL_TABLES.values())
    store.replace_table(BRANDS, history.catalog())
    store.replace_table(CAMPAIGNS, history.campaigns())
    frames: dict[str, list[pl.DataFrame]] = {}
    for index in days:
        for name, frame in history.day(index).items():
            frames.setdefault(name, []).append(frame)
    rows = {}
    for name, parts in frames.items():
        rows[name] = store.replace_table(ALL_TABLES[name], pl.concat(parts))
    return rows


def write_day(store: DuckDBWarehouse, history: History, index: int) -> dt.date:
    """A new day as the daily run leaves it: each table written per hashtag partition."""
    day = history.volume.start + dt.timedelta(days=index)
    for name, frame in history.day(index).items():
        if not ALL_TABLES[name].partitioned:
            store.upsert_rows(ALL_TABLES[name], frame)  # the snapshots: one row per video and observation
            continue
        for hashtag in history.tags:
            store.replace_partition(
                ALL_TABLES[name], frame.filter(pl.col("hashtag") == hashtag), hashtag=hashtag, day=day
            )
    return day


class Dbt:
    """dbt as the ``dbt_models`` asset runs it: the environment's own executable, a subprocess on one warehouse."""

    def __init__(self, warehouse_path: Path, workdir: Path, project_dir: Path = DBT_PROJECT_DIR) -> None:
        self.workdir = workdir
        self.project_dir = project_dir
        self.env = {
            **os.environ,
            "LISTENING_PIPELINE_DBT_TARGET": "duckdb",
            "LISTENING_PIPELINE_DUCKDB_PATH": str(warehouse_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def timed(self, *args: str, env: dict[str, str] | None = None) -> Timing:
        """How long the dbt command took; a failed build stops the benchmark."""
        command = [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target-path",
            str(self.workdir / "target"),
            "--log-path",
            str(self.workdir / "logs"),
        ]
        started = time.perf_counter()
        result = subprocess.run(command, env={**self.env, **(env or {})}, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}")
        run_results = json.loads((self.workdir / "target" / "run_results.json").read_text(encoding="utf-8"))
        results = run_results["results"]
        models_s = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
        tests = [r for r in results if r["unique_id"].startswith("test.")]
        slowest = sorted(results, key=lambda r: -r["execution_time"])[:SLOWEST_NODES]
        return Timing(
            seconds,
            run_results["elapsed_time"],
            models_s,
            sum(r["execution_time"] for r in tests),
            len(tests),
            {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 2) for r in slowest},
        )

    def build_window(self, first: dt.date, end: dt.date) -> Timing:
        """The asset's command for a partition window (min_date inclusive, max_date exclusive)."""
        command = window_build(first, end)
        return self.timed(*command.args, env=command.env)

    def full_refresh(self) -> Timing:
        """Every day rebuilt from the raw tables: the daily build's command over all days, fully refreshed."""
        return self.timed(*window_build(dt.date.min, dt.date.max).args, "--full-refresh")


@dataclass(frozen=True)
class Timing:
    """A dbt command's wall seconds (process start to exit) and the seconds dbt reports for running its
    nodes: the difference is the per-command cost (Python start, imports, parse, artifacts)."""

    wall_s: float
    nodes_s: float
    models_s: float  # of nodes_s, the models' own (the rest is the data tests)
    tests_s: float  # of nodes_s, the data tests' own
    tests: int
    slowest: dict[str, float]  # the nodes that took longest, with their seconds


DAY_BY_DAY_SCHEMA = "marts_built_day_by_day"  # the marts as the one-day builds left them, for the comparison


def mart_names(store: DuckDBWarehouse) -> list[str]:
    """Every table dbt built in the marts schema (the project's marts, whatever their number)."""
    tables = store.query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
    )
    return tables["table_name"].to_list()


def keep_marts(store: DuckDBWarehouse) -> dict[str, int]:
    """A copy of every mart in the warehouse itself (a year of marts does not fit beside dbt in memory);
    their row counts."""
    rows = {}
    marts = mart_names(store)
    with store.connect() as con:
        con.execute(f"create schema if not exists {DAY_BY_DAY_SCHEMA}")
        for mart in marts:
            con.execute(f"create or replace table {DAY_BY_DAY_SCHEMA}.{mart} as select * from marts.{mart}")
            rows[mart] = con.execute(f"select count(*) from {DAY_BY_DAY_SCHEMA}.{mart}").fetchone()[0]
    return rows


def mart_differences(store: DuckDBWarehouse, marts: list[str]) -> list[str]:
    """The marts whose rows differ between the kept copies and the marts now (as multisets, doubles rounded
    to 9 places: sums may differ in the last bits between plans)."""
    differ = []
    with store.connect() as con:
        for mart in marts:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
            if not columns:
                differ.append(mart)
                continue
            select = ", ".join(
                f'round("{name}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{name}"' for name, kind in columns
            )
            left = f"select {select} from {DAY_BY_DAY_SCHEMA}.{mart}"
            right = f"select {select} from marts.{mart}"
            (extra,) = con.execute(
                f"select (select count(*) from ({left} except all {right}))"
                f" + (select count(*) from ({right} except all {left}))"
            ).fetchone()
            if extra:
                differ.append(mart)
    return differ


def machine() -> dict[str, Any]:
    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return {
        "host": platform.node(),
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--", "dbt", "bench/warehouse.py") else "")


def run(volume: Volume, repeats: int, workdir: Path, project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """Load the history, time full refreshes and one-day builds, check they agree; the figures as a dict."""
    store = DuckDBWarehouse(workdir / "warehouse.duckdb")
    dbt = Dbt(store.path, workdir, project_dir)
    history = History(volume)
    started = time.perf_counter()
    rows = load(store, history, range(volume.days))
    load_s = time.perf_counter() - started
    print(f"loaded {volume.days} days in {load_s:.0f} s: {rows}", flush=True)

    full: list[Timing] = []
    for n in range(repeats):
        full.append(dbt.full_refresh())
        timing = full[-1]
        print(f"full refresh {n + 1}/{repeats}: {timing.wall_s:.1f} s ({timing.nodes_s:.1f} s in nodes)", flush=True)
    incremental: list[Timing] = []
    for n in range(repeats):
        day = write_day(store, history, volume.days + n)
        incremental.append(dbt.build_window(day, day + dt.timedelta(days=1)))
        print(
            f"one-day build of {day} {n + 1}/{repeats}: {incremental[-1].wall_s:.1f} s "
            f"({incremental[-1].nodes_s:.1f} s in nodes)",
            flush=True,
        )
    mart_rows = keep_marts(store)
    check = dbt.full_refresh()
    differences = mart_differences(store, sorted(mart_rows))
    full_s = statistics.median(t.wall_s for t in full)
    incremental_s = statistics.median(t.wall_s for t in incremental)
    full_nodes_s = statistics.median(t.nodes_s for t in full)
    incremental_nodes_s = statistics.median(t.nodes_s for t in incremental)
    return {
        "benchmark": "warehouse: one-day incremental dbt build vs full refresh",
        "command": "dbt build of one new day (window in the environment, unit tests left out, as the dbt_models "
        "asset runs it) vs the same build of every day with --full-refresh",
        "commit": commit(),
        "dbt_project": str(project_dir),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "warehouse": "duckdb",
        "volume": {**asdict(volume), "start": volume.start.isoformat()},
        "raw_rows": rows,
        "mart_rows": mart_rows,
        "load_s": round(load_s, 1),
        "full_refresh_s": [round(t.wall_s, 2) for t in [*full, check]],
        "one_day_s": [round(t.wall_s, 2) for t in incremental],
        "full_refresh_median_s": round(full_s, 2),
        "one_day_median_s": round(incremental_s, 2),
        "ratio": round(full_s / incremental_s, 1),
        "target_ratio": 20,
        # What dbt itself reports for running the models and tests; the rest of each wall time is the
        # per-command cost (process start, imports, parse, artifacts), the same for a day and a year.
        "full_refresh_nodes_median_s": round(full_nodes_s, 2),
        "one_day_nodes_median_s": round(incremental_nodes_s, 2),
        "nodes_ratio": round(full_nodes_s / incremental_nodes_s, 1),
        "models_ratio": round(
            statistics.median(t.models_s for t in full) / statistics.median(t.models_s for t in incremental), 1
        ),
        "per_command_s": round(statistics.median(t.wall_s - t.nodes_s for t in [*full, *incremental]), 2),
        "one_day_tests": incremental[-1].tests,
        "one_day_tests_s": round(statistics.median(t.tests_s for t in incremental), 2),
        "one_day_slowest_nodes_s": incremental[-1].slowest,
        "full_refresh_slowest_nodes_s": full[-1].slowest,
        "marts_equal_after_full_refresh": not differences,
        "marts_that_differ": differences,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the figures, write the JSON; returns the figures (``make bench`` may call it)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=Volume.days, help="days of history before the new days")
    parser.add_argument("--videos-per-day", type=float, default=Volume.videos_per_day, help="per tracked hashtag")
    parser.add_argument("--brands", type=int, default=Volume.brands)
    parser.add_argument("--hashtags", type=int, default=Volume.hashtags)
    parser.add_argument("--repeats", type=int, default=3, help="timed builds of each kind (medians reported)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    parser.add_argument(
        "--dbt-project", type=Path, default=DBT_PROJECT_DIR, help="another copy of dbt/ (e.g. an older commit's)"
    )
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it (warehouse, dbt target, logs)")
    args = parser.parse_args(argv)
    volume = Volume(brands=args.brands, hashtags=args.hashtags, days=args.days, videos_per_day=args.videos_per_day)
    if args.keep:
        args.keep.mkdir(parents=True)  # never a warehouse left from another run
        figures = run(volume, args.repeats, args.keep, args.dbt_project)
    else:
        with tempfile.TemporaryDirectory(prefix="lp-bench-warehouse-") as work:
            figures = run(volume, args.repeats, Path(work), args.dbt_project)
    print(
        f"full refresh of {volume.days} days: {figures['full_refresh_median_s']:.1f} s, one new day: "
        f"{figures['one_day_median_s']:.1f} s (medians of {args.repeats}), ratio {figures['ratio']:.1f}x "
        f"(target 20x); in dbt's nodes {figures['full_refresh_nodes_median_s']:.1f} s against "
        f"{figures['one_day_nodes_median_s']:.1f} s, ratio {figures['nodes_ratio']:.1f}x (models alone "
        f"{figures['models_ratio']:.1f}x, the day's {figures['one_day_tests']} data tests "
        f"{figures['one_day_tests_s']:.1f} s); each command's own cost {figures['per_command_s']:.1f} s; "
        f"marts equal after a full refresh: {figures['marts_equal_after_full_refresh']}"
    )
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"warehouse-{stamp}-{figures['commit']}.json"
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    slowest = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures["one_day_slowest_nodes_s"].items())
    print(f"slowest nodes of the last one-day build: {slowest}")
    print(f"wrote {path}")
    return figures


if __name__ == "__main__":
    main()
