"""One hashtag x day of five videos, collected and decoded for real: what the media reliability tests share.

A folder export is written under the test's tmp folder; ``videos`` and ``decoded_media`` are
materialized for the partition on the session's Dagster instance and warehouse, with their own
media store folder, so the tests read ``raw.videos``, ``raw.media`` and ``raw.quarantine`` as a
BI tool would and can look at every file the store holds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from listening_pipeline_tests.test_media_decode import write_clip

DAY = dt.date(2025, 5, 6)
NOON = int(dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC).timestamp())
FIRST_ID = 7_400_000_000_000_000_000


def video_id(n: int) -> str:
    return str(FIRST_ID + n)


def good_clips(folder: Path, count: int = 4) -> list[Path]:
    """Small, valid H.264 + AAC clips, each a little different."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_clip(folder / f"good-{n}.mp4", seconds=1.0, size=(96, 160), fps=10, captions=[(f"clip {n}", 0, 1)])
        for n in range(count)
    ]


def write_export(root: Path, hashtag: str, media: Sequence[Path | str]) -> list[str]:
    """A folder export with one video per media file (a str is written as the reference as is); the ids."""
    (root / "media").mkdir(parents=True, exist_ok=True)
    lines, ids = [], []
    for n, item in enumerate(media):
        if isinstance(item, Path):
            target = root / "media" / item.name
            if item.resolve() != target.resolve():
                shutil.copyfile(item, target)
            reference = f"media/{item.name}"
        else:
            reference = item
        ids.append(video_id(n))
        record = {
            "id": FIRST_ID + n,
            "create_time": NOON + n,
            "username": f"creator_{n}",
            "region_code": "US",
            "video_description": f"video {n}",
            "hashtag_names": [hashtag],
            "view_count": 10,
            "like_count": 1,
            "comment_count": 0,
            "share_count": 0,
            "video_duration": 1.0,
            "media": reference,
        }
        lines.append(json.dumps(record))
    (root / "videos.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def materialize_media(
    instance: Any,
    warehouse_resource: Any,
    *,
    source_root: Path,
    media_root: Path,
    hashtag: str,
    decode_config: dict[str, Any] | None = None,
    only: str | None = None,
) -> Any:
    """Materialize ``videos`` and ``decoded_media`` (or ``only`` one of them) for the partition; the result."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    from listening_pipeline.partitions import hashtag_partitions

    instance.add_dynamic_partitions(hashtag_partitions.name, [hashtag])
    # Every DagsterInstance created in this process (the CLI's, another test's ephemeral one) makes its
    # state storage the current one and leaves it there; once that instance is collected, loading
    # definitions fails ("undefined DagsterInstance weakref"). Point it at the instance we run on.
    with set_defs_state_storage(instance.defs_state_storage):
        return _materialize(instance, warehouse_resource, source_root, media_root, hashtag, decode_config, only)


def _materialize(
    instance: Any,
    warehouse_resource: Any,
    source_root: Path,
    media_root: Path,
    hashtag: str,
    decode_config: dict[str, Any] | None,
    only: str | None,
) -> Any:
    from dagster import materialize

    from listening_pipeline.defs.collect.assets import videos
    from listening_pipeline.defs.media.assets import decoded_media
    from listening_pipeline.defs.resources import MediaStoreResource, SourceResource
    from listening_pipeline.partitions import partition_key
    from listening_pipeline.warehouse.io_manager import WarehouseIOManager

    return materialize(
        [videos, decoded_media],
        selection={"videos": [videos], "decoded_media": [decoded_media], None: None}[only],
        partition_key=str(partition_key(hashtag, DAY)),
        instance=instance,
        resources={
            "source": SourceResource(kind="folder", folder=str(source_root)),
            "media_store": MediaStoreResource(root=str(media_root)),
            "warehouse": warehouse_resource,
            "warehouse_io": WarehouseIOManager(warehouse=warehouse_resource),
        },
        run_config={} if only == "videos" else {"ops": {"decoded_media": {"config": decode_config or {}}}},
        raise_on_error=False,
    )


def rows(warehouse: Any, table: str, hashtag: str, columns: str = "*", where: str = "") -> list[dict]:
    sql = f"select {columns} from raw.{table} where hashtag = ? and day = ? {where}"
    return warehouse.query(sql, [hashtag, DAY], missing_ok=True).to_dicts()


def media_quarantine(warehouse: Any, hashtag: str) -> list[dict]:
    return rows(warehouse, "quarantine", hashtag, "item, reason", "and stage = 'media'")


def failure_messages(result: Any) -> str:
    return "\n".join(
        str(event.step_failure_data.error.to_string()) for event in result.all_events if event.is_step_failure
    )
