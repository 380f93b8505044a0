"""``python -m listening_pipeline.lib.sample_data OUT_DIR``, ``--write-logos`` or ``--write-first-party``."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from listening_pipeline.catalog import load_catalog
from listening_pipeline.lib import sample_data
from listening_pipeline.lib.sample_data.corpus import generate_sample_corpus
from listening_pipeline.lib.sample_data.drawing import write_bundled_logos
from listening_pipeline.lib.sample_data.first_party import write_first_party_seed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m listening_pipeline.lib.sample_data OUT_DIR``, ``--write-logos`` or ``--write-first-party``."""
    parser = argparse.ArgumentParser(
        prog="python -m listening_pipeline.lib.sample_data", description=(sample_data.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("out_dir", nargs="?", type=Path, help="folder to write the corpus to")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start-day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--history-days", type=int, default=14, help="metadata-only days before --start-day")
    parser.add_argument("--catalog", type=Path, default=None, help="brands.yaml (default: the bundled one)")
    parser.add_argument("--write-logos", action="store_true", help="redraw the bundled catalog's logo files")
    parser.add_argument(
        "--write-first-party", action="store_true", help="rewrite the dbt seed of sample first-party numbers"
    )
    args = parser.parse_args(argv)
    if args.write_logos:
        for path in write_bundled_logos():
            print(path)
    if args.write_first_party:
        print(write_first_party_seed())
    if args.out_dir is not None:
        catalog = load_catalog(args.catalog) if args.catalog else None
        out = generate_sample_corpus(
            args.out_dir,
            seed=args.seed,
            start_day=args.start_day,
            days=args.days,
            history_days=args.history_days,
            catalog=catalog,
        )
        print(out)
    elif not (args.write_logos or args.write_first_party):
        parser.error("give OUT_DIR, --write-logos or --write-first-party")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
