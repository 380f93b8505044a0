"""Work once: what identifies a stage's work on one item, so that work already done is reused.

A stage's output for an item (a video, or a text for sentiment) depends on three things: the
item's *content* (the media file's SHA-256 and how it was decoded; the text itself), the stage's
*version* (weights, library versions, the stage's code, settings such as the OCR detect side or the
speech prompt) and nothing else. :class:`Work` names a stage at a version; the warehouse keeps the
rows it produced per (stage, item, content, version) in its ledger
(:mod:`listening_pipeline.warehouse.ledger`), and :func:`split_work` tells a stage which items it
must still do. The version is computed without loading a model: a stage with nothing left to do
loads none.

The version folds in a digest of the stage's own source modules, so a code change re-does the
stage it touches (and only that stage) instead of relying on someone to bump a number.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

# The partition columns: rewritten for the partition being written, so they are never part of a ledger entry.
PARTITION_COLUMNS = ("hashtag", "day")
_EDGE_BYTES = 1 << 20  # weights files are fingerprinted by size + their first and last MiB


@dataclass(frozen=True)
class Work:
    """A stage at a version: ``described`` says in words what the version is made of (kept for people)."""

    stage: str
    described: str

    @property
    def version(self) -> str:
        return digest(self.described)


@dataclass(frozen=True)
class Planned:
    """What a stage does for a partition: items whose stored payload is reused, and the items left to do."""

    reused: dict[str, Any]
    todo: list[str]


def digest(*parts: object) -> str:
    """A short, stable digest of ``parts`` (joined by ``|``)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def split_work(items: Sequence[str], done: Mapping[str, Any]) -> Planned:
    """``items`` in order, split into the ones ``done`` holds a payload for and the ones left to do."""
    return Planned(reused={i: done[i] for i in items if i in done}, todo=[i for i in items if i not in done])


# The content of an item nobody can vouch for (a MEDIA row from before media_sha256 existed): done, never kept.
UNKNOWN = ""


def video_content(media_sha256: str | None, decoder: str) -> str:
    """The content key of a decoded video: the source file's hash, how it was decoded, and the decoding code."""
    return digest(media_sha256, decoder, code_digest(*DECODE_MODULES)) if media_sha256 else UNKNOWN


def video_contents(media: pl.DataFrame) -> dict[str, str]:
    """video id -> content key, for MEDIA rows (in their order)."""
    return {
        row["video_id"]: video_content(row["media_sha256"], row["decoder"])
        for row in media.select("video_id", "media_sha256", "decoder").iter_rows(named=True)
    }


def text_content(text: str) -> str:
    return digest("text", text)


# The modules whose code decides what a decode produces (the media stage's version includes them).
DECODE_MODULES = (
    "listening_pipeline.lib.media.decode",
    "listening_pipeline.lib.media.frames",
    "listening_pipeline.lib.media.audio",
)


@cache
def code_digest(*modules: str) -> str:
    """Digest of the source of ``modules`` (found, not imported): an edit re-does the stages that name them."""
    h = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"no source for module {name} to fingerprint")
        h.update(name.encode())
        h.update(Path(spec.origin).read_bytes())
    return h.hexdigest()[:16]


def library_versions(*distributions: str) -> str:
    """``name=version`` of each installed distribution ("absent" when not installed), without importing it."""
    out = []
    for name in distributions:
        try:
            out.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name}=absent")
    return " ".join(out)


def weights_fingerprint(path: str | Path) -> str:
    """Content fingerprint of a weights file or folder: per file its name, size and first and last MiB.

    The same weights on two machines get the same fingerprint (no paths or times in it), so workers
    share each other's work; retrained weights differ in their bytes and so in the fingerprint.
    """
    root = Path(path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for file in files:
        stat = file.stat()
        h.update(_file_fingerprint(str(file), stat.st_size, stat.st_mtime_ns).encode())
        h.update(str(file.relative_to(root) if file != root else file.name).encode())
    return h.hexdigest()[:16]


@cache
def _file_fingerprint(file: str, size: int, mtime_ns: int) -> str:
    """Cached per (path, size, mtime): fingerprinting happens once per process, not once per partition."""
    h = hashlib.sha256(str(size).encode())
    with open(file, "rb") as handle:
        h.update(handle.read(_EDGE_BYTES))
        if size > 2 * _EDGE_BYTES:
            handle.seek(size - _EDGE_BYTES)
            h.update(handle.read(_EDGE_BYTES))
    return h.hexdigest()


def work(stage: str, *, modules: Iterable[str], libraries: Iterable[str] = (), **settings: object) -> Work:
    """The :class:`Work` of ``stage``: its code, its libraries' versions and every setting that changes its output."""
    parts = [f"code={code_digest(*modules)}", library_versions(*libraries)]
    parts += [f"{key}={value}" for key, value in sorted(settings.items())]
    return Work(stage, " ".join(p for p in parts if p))


def payload_of(rows: pl.DataFrame) -> list[dict[str, Any]]:
    """One item's rows as stored in the ledger: plain values, without the partition columns."""
    return rows.drop([c for c in PARTITION_COLUMNS if c in rows.columns]).to_dicts()


def encode(payload: Any) -> str:
    """JSON text of a payload; Python floats round-trip exactly, so reused rows equal computed ones."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=_plain)


def decode(text: str) -> Any:
    return json.loads(text)


def _plain(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    raise TypeError(f"cannot store {type(value).__name__} in the ledger")


def with_partition(rows: Iterable[Mapping[str, Any]], *, hashtag: str, day: Any) -> list[dict[str, Any]]:
    """Stored rows as rows of the partition being written."""
    return [{**row, "hashtag": hashtag, "day": day} for row in rows]
