"""`listening-pipeline ...`: the demo, sample data, tracked hashtags, backfills, re-matching, metrics and exports.

Every command reads and writes the warehouse LISTENING_PIPELINE_WAREHOUSE names (duckdb or postgres).
Errors are one line on stderr with exit status 2; --debug adds the traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from listening_pipeline.commands.common import CliError, read_warehouse, warehouse_name
from listening_pipeline.commands.export import add_arguments as add_export_arguments
from listening_pipeline.hashtags import InvalidHashtag
from listening_pipeline.queries import normalize_query
from listening_pipeline.runs import add_hashtag_partitions, open_instance, run_partitions
from listening_pipeline.settings import Settings

__all__ = ["CliError", "build_parser", "main", "one_line", "read_warehouse", "warehouse_name"]

DEBUG_HINT = "--debug shows the traceback"


def one_line(message: object) -> str:
    """``message`` on one line: its non-empty lines joined by '; '."""
    return "; ".join(line.strip() for line in str(message).splitlines() if line.strip())


def _fail(message: str) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return 2


def cmd_hashtags(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.partitions import hashtag_partitions

    if args.action == "sync":
        from listening_pipeline.catalog import CatalogError, load_catalog

        try:
            tags = list(load_catalog(args.catalog or settings.catalog_path).tracked_queries)
        except CatalogError as exc:
            return _fail(f"{exc}; nothing was added")
    else:
        tags = []
        try:
            tags = [normalize_query(raw) for raw in getattr(args, "hashtags", [])]
        except InvalidHashtag as exc:
            return _fail(f"{exc}; nothing was changed")
    instance = open_instance(settings)
    known = instance.get_dynamic_partitions(hashtag_partitions.name)
    if args.action in ("add", "sync"):
        new = add_hashtag_partitions(instance, tags)
        print(f"added {len(new)} tracked query(ies): {', '.join(new) or '-'}")
    elif args.action == "remove":
        unknown = [t for t in tags if t not in known]
        if unknown:
            return _fail(
                f"not tracked: {', '.join(unknown)}; nothing was changed (see `listening-pipeline hashtags list`)"
            )
        for tag in tags:
            if tag in known:
                instance.delete_dynamic_partition(hashtag_partitions.name, tag)
        print(f"removed: {', '.join(t for t in tags if t in known) or '-'}")
    else:
        for tag in known:
            print(tag)
    return 0


def cmd_sample_data(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.lib.sample_data import generate_sample_corpus

    out = Path(args.out or settings.source_folder)
    generate_sample_corpus(out, seed=args.seed)
    print(f"sample corpus written to {out}")
    return 0


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.partitions import hashtag_partitions

    try:
        start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
        hashtags = [normalize_query(h) for h in args.hashtag] if args.hashtag else None
    except (ValueError, InvalidHashtag) as exc:
        return _fail(str(exc))
    if end < start:
        return _fail(f"--end {end} is before --start {start}")
    instance = open_instance(settings)
    tags = hashtags or instance.get_dynamic_partitions(hashtag_partitions.name)
    if not tags:
        return _fail("no hashtags: pass --hashtag or add some with `listening-pipeline hashtags add`")
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    partitions = [(tag, day) for day in days for tag in tags]
    print(f"backfilling {len(partitions)} hashtag-day partition(s) into {warehouse_name(settings)}", flush=True)
    return 0 if run_partitions(settings, partitions, collect_only=args.collect_only) else 1


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.sources.folder import partitions_in_folder

    folder = settings.source_folder
    if not (folder / "videos.jsonl").exists():
        print(f"generating the sample corpus in {folder} ...")
        cmd_sample_data(argparse.Namespace(out=str(folder), seed=7), settings)
    catalog = load_catalog(settings.catalog_path)
    partitions = partitions_in_folder(folder, catalog.tracked_queries)
    print(f"materializing {len(partitions)} hashtag-day partitions into {warehouse_name(settings)} ...", flush=True)
    ok = run_partitions(settings, partitions, title="demo")
    print()
    print_metrics(settings)
    print()
    cmd_report(argparse.Namespace(out=None), settings)
    return 0 if ok else 1


def _day(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{flag} must be a day written YYYY-MM-DD, not {value!r}") from None


def cmd_rematch(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.commands import rematch as rm

    since = _day(args.since, "--since")
    until = _day(args.until, "--until") if args.until else dt.datetime.now(dt.UTC).date()
    if until < since:
        raise CliError(f"--until {until} is before --since {since}")
    try:
        hashtags = [normalize_query(h) for h in args.hashtag or []]
    except InvalidHashtag as exc:
        raise CliError(str(exc)) from None
    store = read_warehouse(settings)
    partitions = rm.stored_partitions(store, since, until, hashtags)
    if not partitions:
        print(f"no stored partitions from {since} to {until} in {warehouse_name(settings)}: nothing to re-match")
        return 0
    before = rm.stored_mentions(store, since, until, hashtags)
    print(f"re-matching {len(partitions)} stored hashtag-day partition(s) from {since} to {until}", flush=True)
    ok = run_partitions(settings, partitions, assets=rm.REMATCHED_ASSETS, title="rematch")
    print("mentions per brand (before -> after):")
    print("\n".join(rm.changes_report(rm.mention_changes(before, rm.stored_mentions(store, since, until, hashtags)))))
    return 0 if ok else 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.commands import export

    return export.run(args, settings, read_warehouse(settings))


def print_metrics(settings: Settings) -> None:
    import polars as pl

    from listening_pipeline.lib.reports import metrics_tables

    tables = metrics_tables(read_warehouse(settings))
    with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        print("brand metrics per day (marts.brand_daily_metrics, summed over tracked hashtags)")
        print(tables["brands"])
        print("\nhashtag metrics per day (marts.hashtag_daily_metrics)")
        print(tables["hashtags"])
        print("\nalerts (marts.brand_alerts): days a brand's mentions or negative share jumped")
        print(tables["alerts"] if tables["alerts"].height else "no alerts")
    from listening_pipeline.lib.insights import summary_lines

    print("\nbeyond mentions (one line per mart; docs/bi.md has their queries)")
    for line in summary_lines(read_warehouse(settings)):
        print(f"  {line}")


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    print_metrics(settings)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.commands import report as rp
    from listening_pipeline.lib.media.store import MediaStore

    store, media = read_warehouse(settings), MediaStore(settings.media_root)
    out = Path(getattr(args, "out", None) or settings.data_dir / "reports")
    brand, day = getattr(args, "brand", None), getattr(args, "day", None)
    if day and not brand:
        raise CliError("--day needs --brand: the evidence report is one brand's day")
    if not brand:
        print("\n".join(rp.report_and_alert_pages(store, media, out)))
        return 0
    line = rp.brand_day_page(store, media, brand, _day(day, "--day") if day else None, out)
    if line is None:
        raise CliError(f"no day with mentions of {brand!r} in {warehouse_name(settings)}: give --day")
    print(line)
    return 0


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.commands.analyze import analyze

    return analyze(args, settings)


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.lib import weights

    if args.action == "pull":
        kinds = [args.kind] if args.kind else ["whisper", "sentiment"]
        for kind in kinds:
            path = weights.pull(kind, args.repo)
            print(f"{kind}: {path}")
        return 0
    if args.action == "prepare":
        from listening_pipeline.lib.captions import TextReader

        reader = TextReader(gpu=False, precision="int8")
        print(f"text detector  {reader.name}  {reader.detector_file}")
        return 0
    for name, resolve in [
        ("whisper", lambda: weights.resolve_whisper_model(settings.whisper_model)),
        ("easyocr", lambda: weights.resolve_easyocr_models()),
        ("sentiment", lambda: weights.resolve_sentiment_model()),
        (
            "logo detector",
            lambda: weights.resolve_yolo_weights(settings.logo_weights, search_dirs=(settings.logo_dir,)),
        ),
    ]:
        try:
            found = resolve()
            print(
                f"{name:14} {found.name if found else 'lexicon fallback (no transformers model cached)'}"
                + (f"  [{found.origin}] {found.path}" if found else "")
            )
        except weights.ModelNotFound as exc:
            print(f"{name:14} not found: {exc}")
    device = weights.best_device()
    print(f"device         {device}")
    if device == "cpu":
        from listening_pipeline.lib.captions import detector_precision

        precision = detector_precision("auto", gpu=False)
        print(f"text detector  {precision} on this CPU (`models prepare` builds the int8 one ahead)")
    return 0


def cmd_dbt_sources(args: argparse.Namespace, settings: Settings) -> int:
    from listening_pipeline.settings import DBT_PROJECT_DIR
    from listening_pipeline.warehouse.ddl import dbt_sources_yaml

    path = DBT_PROJECT_DIR / "models" / "sources.yml"
    path.write_text(dbt_sources_yaml(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("listening_pipeline")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _command(sub: Any, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand whose help line (in the parent's list) and description (its own --help) are both set."""
    return sub.add_parser(name, help=help, description=description or help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listening-pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--debug", action="store_true", help="on an error, print the traceback too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    demo = _command(sub, "demo", "sample data -> every asset -> dbt -> metrics, in the configured warehouse")
    demo.set_defaults(func=cmd_demo)

    sample = _command(sub, "sample-data", "generate the deterministic sample corpus (a folder export)")
    sample.add_argument("--out", help="folder to write (default: the configured source folder)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    sample.set_defaults(func=cmd_sample_data)

    tags = _command(
        sub,
        "hashtags",
        "manage tracked queries: hashtags, keywords and creators (the dynamic partition dimension)",
        "Manage the tracked queries, each a partition like a hashtag: a hashtag (coffeetime or #coffeetime), a "
        "keyword searched in descriptions (keyword:'oat milk', key keyword:oat_milk) or a creator's account "
        "(@brand.hopper, key creator:brand.hopper).",
    )
    tags_sub = tags.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
    for action, verb in (("add", "start tracking"), ("remove", "stop tracking")):
        p = _command(tags_sub, action, f"{verb} hashtags, keywords or creators")
        p.add_argument(
            "hashtags", nargs="+", help="hashtags with or without '#', keyword:WORDS, creator:HANDLE or @HANDLE"
        )
    _command(tags_sub, "list", "print the tracked queries (partition keys)")
    sync = _command(tags_sub, "sync", "add every hashtag, keyword and creator the brand catalog tracks")
    sync.add_argument("--catalog", help="brands.yaml (default: the configured or bundled catalog)")
    tags.set_defaults(func=cmd_hashtags)

    backfill = _command(
        sub,
        "backfill",
        "materialize a range of hashtag-days in this process",
        "Materialize every tracked (or given) hashtag on every day from --start to --end in this process,"
        " then dbt over those days; one progress line per partition with n/N, elapsed time and ETA.",
    )
    backfill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day, YYYY-MM-DD (inclusive)")
    backfill.add_argument(
        "--hashtag", action="append", help="limit to these hashtags or queries, e.g. @handle (repeatable)"
    )
    backfill.add_argument("--collect-only", action="store_true", help="videos and comments only, no enrichment")
    backfill.set_defaults(func=cmd_backfill)

    rematch = _command(
        sub,
        "rematch",
        "find brand mentions again in the stored text after a catalog edit (no model reruns)",
        "Re-run brand_mentions for every stored hashtag-day from --since to --until with the current catalog"
        " (aliases added or removed apply to the past), reading the stored text, captions and logo hits:"
        " no speech recognition, OCR or detection runs. Then dbt rebuilds the marts of those days."
        " Prints how many mentions each brand gained or lost.",
    )
    rematch.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
    rematch.add_argument("--until", help="last day, YYYY-MM-DD (inclusive; default: today, UTC)")
    rematch.add_argument(
        "--hashtag", action="append", help="limit to these hashtags or queries, e.g. @handle (repeatable)"
    )
    rematch.set_defaults(func=cmd_rematch)

    export = _command(sub, "export", "write marts to CSV, Parquet or Excel files, from the configured warehouse")
    add_export_arguments(export)
    export.set_defaults(func=cmd_export)

    metrics = _command(sub, "metrics", "print the metrics tables from the warehouse")
    metrics.set_defaults(func=cmd_metrics)

    report = _command(
        sub,
        "report",
        "write the brand report (Markdown + PNG chart) and each alert's evidence page, or one brand's evidence page",
        "Without --brand: the brand report of the last 14 days built, and an HTML evidence page for each alert in"
        " them. With --brand (and --day, default: the brand's latest day): that brand's evidence page for the day:"
        " its metrics, its alert if any, and every mention as a contact sheet (frames with the logo or caption"
        " boxed, quotes with their time in the video, sentiment colours, links), images inlined.",
    )
    report.add_argument("--brand", help="the catalog brand of the evidence page")
    report.add_argument("--day", help="its day, YYYY-MM-DD (default: the brand's latest day with mentions)")
    report.add_argument("--out", help="folder to write (default: <data dir>/reports)")
    report.set_defaults(func=cmd_report)

    analyze = _command(sub, "analyze", "run the whole enrichment on one video file and print what it finds")
    analyze.add_argument("video", help="a video file")
    analyze.add_argument("--catalog", help="brands.yaml (default: the configured or bundled catalog)")
    analyze.add_argument("--json", action="store_true", help="print JSON instead of tables")
    analyze.add_argument("--description", help="the video's description, matched and scored like the rest")
    analyze.add_argument("--whisper-model", help="faster-whisper model directory")
    analyze.add_argument("--sentiment-model", help="transformers model directory or cached id, or 'lexicon'")
    analyze.add_argument("--logo-weights", help="YOLO weights file")
    analyze.set_defaults(func=cmd_analyze)

    model_cmd = _command(sub, "models", "show which model weights are used; pull downloads them (the only download)")
    model_sub = model_cmd.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
    _command(model_sub, "list", "show which weights each stage would use, and the device")
    pull = _command(model_sub, "pull", "download production models into the Hugging Face cache")
    pull.add_argument(
        "kind", nargs="?", choices=["whisper", "sentiment", "yolo"], help="which model (default: whisper and sentiment)"
    )
    pull.add_argument("--repo", help="Hugging Face repository id (default: the production model of that kind)")
    _command(
        model_sub,
        "prepare",
        "build the networks derived from installed weights (the int8 text detector) into the model cache; no download",
    )
    model_cmd.set_defaults(func=cmd_models)

    dbt_sources = _command(sub, "dbt-sources", "regenerate dbt/models/sources.yml from the table declarations")
    dbt_sources.set_defaults(func=cmd_dbt_sources)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an error is one line on stderr and exit status 2 (``--debug``: with its traceback)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, Settings.from_env())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        message = one_line(exc) or type(exc).__name__
        if not isinstance(exc, CliError | ValueError | OSError | ConnectionError | TimeoutError | LookupError):
            message = f"{type(exc).__name__}: {message}"
        hint = "" if args.debug or isinstance(exc, CliError) else f" ({DEBUG_HINT})"
        print(f"error: {message}{hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
