"""The sample corpus's metadata-only history (two quiet coffee weeks, then the planted Mokka Mia
complaint wave on 2026-10-31, whose first video is filmed) in a folder of its own: export, DuckDB
warehouse, Dagster instance.

Running its days takes about a minute, so the session runs them once (``history_template`` in
conftest) and each test that changes the history works on a copy of the folder (``copied_history``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from listening_pipeline.partitions import HASHTAG_DIMENSION, partition_key

MARTS = (
    "brand_daily_metrics",
    "share_of_voice",
    "brand_alerts",
    "hashtag_trends",
    "creator_leaderboard",
    "hashtag_daily_metrics",
    "audience_reaction",
)


class History:
    """A private copy of the history days: export folder, warehouse, instance and definitions."""

    def __init__(
        self, root: Path, sample_corpus: Path, monkeypatch: pytest.MonkeyPatch, instance: DagsterInstance
    ) -> None:
        """``root`` holds export/ and var/ (warehouse); a new one gets the sample's export and the catalog."""
        truth = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))
        history = truth["history"]
        self.hashtag = history["hashtag"]
        first = dt.date.fromisoformat(history["start_day"])
        self.days = [first + dt.timedelta(days=n) for n in range(history["days"])]
        self.export = root / "export"
        new = not self.export.exists()
        if new:
            self.export.mkdir()
            for name in ("videos.jsonl", "comments.jsonl", "creators.jsonl"):
                shutil.copyfile(sample_corpus / name, self.export / name)
            (self.export / "media").mkdir()
            for video_id in history.get("filmed", []):  # the wave's filmed complaint
                shutil.copyfile(sample_corpus / "media" / f"{video_id}.mp4", self.export / "media" / f"{video_id}.mp4")
        monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(root / "var"))
        monkeypatch.setenv("LISTENING_PIPELINE_SOURCE_FOLDER", str(self.export))
        from listening_pipeline.definitions import defs
        from listening_pipeline.settings import Settings
        from listening_pipeline.warehouse import DuckDBWarehouse

        self.defs = defs()
        self.warehouse = DuckDBWarehouse(Settings.from_env().duckdb_path)
        self.instance = instance
        if new:
            self.instance.add_dynamic_partitions(HASHTAG_DIMENSION, [self.hashtag])
            assert self.defs.resolve_job_def("catalog_job").execute_in_process(instance=self.instance).success

    def run(self, job: str, day: dt.date, run_config: dict | None = None) -> bool:
        result = self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance,
            partition_key=partition_key(self.hashtag, day),
            run_config=run_config or {},
            raise_on_error=False,
        )
        return result.success

    def dbt(self, first: dt.date, last: dt.date, **kwargs: Any) -> None:
        """dbt over first..last; ``asset_selection`` builds only those models."""
        from listening_pipeline.runs import run_dbt_days

        assert run_dbt_days(self.instance, first, last, **kwargs).success

    def marts(self) -> dict[str, pl.DataFrame]:
        # Floats rounded to 9 places: DuckDB sums in parallel, so the last bits of an average may
        # differ between two builds of the same rows.
        marts = {mart: self.warehouse.query(f"select * from marts.{mart}") for mart in MARTS}
        rounded = {mart: frame.with_columns(pl.col(pl.Float32, pl.Float64).round(9)) for mart, frame in marts.items()}
        return {mart: frame.sort(frame.columns) for mart, frame in rounded.items()}

    def records(self, day: dt.date) -> list[dict]:
        return [r for r in self._all() if record_day(r) == day and self.hashtag in r.get("hashtag_names", [])]

    def rewrite(self, keep) -> None:
        """Rewrite the export's videos.jsonl through ``keep(record) -> record | None``."""
        lines = []
        for line in (self.export / "videos.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                lines.append(line)  # the planted malformed line stays malformed
                continue
            kept = keep(record)
            if kept is not None:
                lines.append(json.dumps(kept, ensure_ascii=False))
        (self.export / "videos.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _all(self) -> list[dict]:
        out = []
        for line in (self.export / "videos.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out


def record_day(record: dict) -> dt.date:
    return dt.datetime.fromtimestamp(int(record["create_time"]), dt.UTC).date()


def build_history(root: Path, sample_corpus: Path) -> Path:
    """Every history day run by ``hashtag_day_job`` and built by dbt, in ``root``."""
    (root / "dagster_home").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as monkeypatch, DagsterInstance.local_temp(str(root / "dagster_home")) as inst:
        built = History(root, sample_corpus, monkeypatch, inst)
        for day in built.days:
            assert built.run("hashtag_day_job", day)
        built.dbt(built.days[0], built.days[-1])
    return root


@contextlib.contextmanager
def copied_history(
    template: Path, root: Path, sample_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[History]:
    """A private copy of the built history: export, warehouse and the instance's runs and materializations."""
    shutil.copytree(template, root)
    # Entered, so the instance's definitions state is the current one only while the copy is in use.
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(root / "dagster_home"))) as instance:
        yield History(root, sample_corpus, monkeypatch, instance)
