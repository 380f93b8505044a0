"""`listening-pipeline ...`: the demo, sample data, tracked hashtags, backfills and metrics."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Sequence

from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag
from listening_pipeline.settings import Settings

DAGSTER_YAML = """\
# Written by listening-pipeline for the embedded default (SQLite storage under this folder).
telemetry:
  enabled: false
"""


def ensure_dagster_home(settings: Settings) -> Path:
    """Point DAGSTER_HOME at a folder with a dagster.yaml, creating both when missing."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _instance(settings: Settings):
    from dagster import DagsterInstance

    ensure_dagster_home(settings)
    return DagsterInstance.get()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_hashtags(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.partitions import hashtag_partitions

    if args.action == "sync":
        from listening_pipeline.catalog import CatalogError, load_catalog

        try:
            tags = list(load_catalog(args.catalog or settings.catalog_path).tracked_hashtags)
        except CatalogError as exc:
            return _fail(f"{exc}\nnothing was added")
    else:
        tags = []
        try:
            tags = [normalize_hashtag(raw) for raw in getattr(args, "hashtags", [])]
        except InvalidHashtag as exc:
            return _fail(f"{exc}; nothing was changed")
    instance = _instance(settings)
    known = instance.get_dynamic_partitions(hashtag_partitions.name)
    if args.action in ("add", "sync"):
        new = [t for t in dict.fromkeys(tags) if t not in known]
        if new:
            instance.add_dynamic_partitions(hashtag_partitions.name, new)
        print(f"added {len(new)} hashtag(s): {', '.join(new) or '-'}")
    elif args.action == "remove":
        for tag in tags:
            if tag in known:
                instance.delete_dynamic_partition(hashtag_partitions.name, tag)
        print(f"removed: {', '.join(t for t in tags if t in known) or '-'}")
    else:
        for tag in known:
            print(tag)
    return 0


def cmd_sample_data(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.sample_data import generate_sample_corpus

    out = Path(args.out or settings.source_folder)
    generate_sample_corpus(out, seed=args.seed)
    print(f"sample corpus written to {out}")
    return 0


def run_partitions(settings: Settings, partitions: Sequence[tuple[str, dt.date]], *, with_dbt: bool = True) -> bool:
    """Materialize hashtag x day partitions in this process, then dbt for their days; True if all succeeded."""
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import hashtag_partitions, partition_key

    instance = _instance(settings)
    known = set(instance.get_dynamic_partitions(hashtag_partitions.name))
    missing = sorted({h for h, _ in partitions} - known)
    if missing:
        instance.add_dynamic_partitions(hashtag_partitions.name, missing)
    ok = defs.resolve_job_def("catalog_job").execute_in_process(instance=instance, raise_on_error=False).success
    job = defs.resolve_job_def("hashtag_day_job")
    for hashtag, day in partitions:
        result = job.execute_in_process(instance=instance, partition_key=partition_key(hashtag, day), raise_on_error=False)
        print(f"  {day} #{hashtag}: {'ok' if result.success else 'FAILED'}")
        ok &= result.success
    if with_dbt:
        dbt_job = defs.resolve_job_def("dbt_day_job")
        for day in sorted({d for _, d in partitions}):
            result = dbt_job.execute_in_process(instance=instance, partition_key=day.isoformat(), raise_on_error=False)
            print(f"  dbt {day}: {'ok' if result.success else 'FAILED'}")
            ok &= result.success
    return ok


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.partitions import hashtag_partitions

    try:
        start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
        hashtags = [normalize_hashtag(h) for h in args.hashtag] if args.hashtag else None
    except (ValueError, InvalidHashtag) as exc:
        return _fail(str(exc))
    if end < start:
        return _fail(f"--end {end} is before --start {start}")
    instance = _instance(settings)
    tags = hashtags or instance.get_dynamic_partitions(hashtag_partitions.name)
    if not tags:
        return _fail("no hashtags: pass --hashtag or add some with `listening-pipeline hashtags add`")
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    partitions = [(tag, day) for day in days for tag in tags]
    print(f"backfilling {len(partitions)} hashtag-day partition(s)")
    return 0 if run_partitions(settings, partitions) else 1


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.sources.folder import partitions_in_folder

    folder = settings.source_folder
    if not (folder / "videos.jsonl").exists():
        print(f"generating the sample corpus in {folder} ...")
        cmd_sample_data(argparse.Namespace(out=str(folder), seed=7), settings)
    catalog = load_catalog(settings.catalog_path)
    partitions = partitions_in_folder(folder, catalog.tracked_hashtags)
    print(f"materializing {len(partitions)} hashtag-day partitions into {settings.duckdb_path} ...")
    ok = run_partitions(settings, partitions)
    print()
    print_metrics(settings)
    return 0 if ok else 1


def print_metrics(settings: Settings) -> None:
    import polars as pl

    from listening_pipeline.resources.warehouse import WarehouseResource

    warehouse = WarehouseResource(kind="duckdb", duckdb_path=str(settings.duckdb_path)).get()
    frame = warehouse.query("select * from marts.hashtag_daily_metrics order by day, hashtag", missing_ok=True)
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=200):
        print("marts.hashtag_daily_metrics")
        print(frame)


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    print_metrics(settings)
    return 0


def cmd_dbt_sources(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.settings import DBT_PROJECT_DIR
    from listening_pipeline.tables import dbt_sources_yaml

    path = DBT_PROJECT_DIR / "models" / "sources.yml"
    path.write_text(dbt_sources_yaml(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listening-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="sample data -> every asset -> dbt -> metrics, in the embedded warehouse")
    demo.set_defaults(func=cmd_demo)

    sample = sub.add_parser("sample-data", help="generate the deterministic sample corpus")
    sample.add_argument("--out", help="folder to write (default: the configured source folder)")
    sample.add_argument("--seed", type=int, default=7)
    sample.set_defaults(func=cmd_sample_data)

    tags = sub.add_parser("hashtags", help="manage tracked hashtags (the dynamic partition dimension)")
    tags_sub = tags.add_subparsers(dest="action", required=True)
    for action in ("add", "remove"):
        p = tags_sub.add_parser(action)
        p.add_argument("hashtags", nargs="+")
    tags_sub.add_parser("list")
    sync = tags_sub.add_parser("sync", help="add every hashtag the brand catalog tracks")
    sync.add_argument("--catalog")
    tags.set_defaults(func=cmd_hashtags)

    backfill = sub.add_parser("backfill", help="materialize a range of hashtag-days in this process")
    backfill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--hashtag", action="append", help="limit to these hashtags (repeatable)")
    backfill.set_defaults(func=cmd_backfill)

    metrics = sub.add_parser("metrics", help="print the metrics tables from the warehouse")
    metrics.set_defaults(func=cmd_metrics)

    dbt_sources = sub.add_parser("dbt-sources", help="regenerate dbt/models/sources.yml from the table declarations")
    dbt_sources.set_defaults(func=cmd_dbt_sources)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args, Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
