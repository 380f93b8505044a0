"""How many hashtag-days per hour one worker sustains: whole enrichment vs collection alone.

Runs the sample corpus's partitions in this process through ``collect_job`` (the baseline:
reading the source and storing media, no models) and then ``hashtag_day_job`` (decode,
speech, captions, logos, sentiment, mentions), and prints seconds per partition and the
ratio to the baseline measured in the same run. The first enriched partition pays for
loading the models; the rest are warm, as in a long backfill. Not a test: a benchmark.

    .venv/bin/python bench/partition_throughput.py [--partitions 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partitions", type=int, default=3, help="media partitions to enrich (max 9)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lp-bench-"))
    os.environ["LISTENING_PIPELINE_DATA_DIR"] = str(work / "var")
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    (work / "dagster_home").mkdir(parents=True)

    from dagster import DagsterInstance

    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.definitions import defs
    from listening_pipeline.lib.sample_data import generate_sample_corpus
    from listening_pipeline.lib.sources.folder import partitions_in_folder
    from listening_pipeline.partitions import HASHTAG_DIMENSION, partition_key
    from listening_pipeline.settings import Settings

    settings = Settings.from_env()
    generate_sample_corpus(settings.source_folder, history_days=0)
    partitions = partitions_in_folder(settings.source_folder, load_catalog().tracked_hashtags)[: args.partitions]
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(HASHTAG_DIMENSION, sorted({h for h, _ in partitions}))
        for job in ("catalog_job", "models_job"):
            defs().resolve_job_def(job).execute_in_process(instance=instance, run_config=quiet)

        def timed(job_name: str, key: str) -> float:
            started = time.perf_counter()
            assert (
                defs()
                .resolve_job_def(job_name)
                .execute_in_process(instance=instance, partition_key=key, run_config=quiet)
                .success
            )
            return time.perf_counter() - started

        keys = [partition_key(h, d) for h, d in partitions]
        collect = [timed("collect_job", k) for k in keys]
        enrich = [timed("hashtag_day_job", k) for k in keys]
    videos = sum(1 for line in (settings.source_folder / "videos.jsonl").read_text().splitlines() if line.strip())
    base = statistics.median(collect)
    warm = statistics.median(enrich[1:]) if len(enrich) > 1 else enrich[0]
    print(
        f"partitions: {len(keys)} of the sample corpus (~{videos / 9:.1f} videos each, 6-8 s clips), "
        f"cores: {os.cpu_count()}"
    )
    print(f"collect only (baseline): median {base:.1f} s per partition")
    print(f"collect + enrich, first (models load): {enrich[0]:.1f} s  = x{enrich[0] / base:.1f} the baseline")
    print(f"collect + enrich, warm: median {warm:.1f} s  = x{warm / base:.1f} the baseline")
    print(f"hashtag-days per hour per worker, warm: {3600 / warm:.0f} (collect only: {3600 / base:.0f})")
    print(f"100 hashtags x 365 days = 36500 partitions: {36500 * warm / 3600:.0f} worker-hours at this size")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
