"""Each decode in a child process: a hostile file can neither crash nor hang the partition.

Why a process: a thread stuck in a codec cannot be stopped, and a codec that segfaults or
runs out of memory takes its process with it. :class:`DecodeWorker` keeps one child
(:func:`main`, in a fresh interpreter) for a partition's videos and sends it
one decode at a time over a socket pair. It waits at most ``timeout_s`` for the answer;
past that the child is killed (SIGKILL) and the next video starts a fresh one. A child
that dies is reported the same way, as a :class:`MediaError` for that video alone.

Only a path, the limits and a scratch folder go in; the child writes the audio (``.npy``)
and kept frames (JPEG, as the media store keeps them) there and answers with
:class:`DecodedFiles`, a few hundred bytes: pickling the decoded frames themselves cost
~5 MB and ~40 ms per sample video, and JPEG encoding runs in the child. The child runs as a plain
subprocess rather than through :mod:`multiprocessing`, so it also works where the caller
is itself a daemonic worker (Celery's prefork pool) and never re-imports ``__main__``.

If the parent dies mid-decode the child does not linger: it arms an alarm of ``timeout_s``
plus a grace period per decode, whose default action ends the process even inside C code.

Overhead: starting a child (an interpreter importing PyAV and numpy) costs ~0.3-0.5 s, so a
closed worker parks its healthy child for the next partition of the same process (at most
``_MAX_IDLE``; a run of many partitions in one process starts one child), plus a socket
round trip per video. On the sample corpus (29 videos, 9 partitions, 2 busy cores, median
of 5) decoding and writing the artifacts took 3.6 s in-process and 3.4 s isolated: no
measurable cost per video. ``isolated=False`` decodes in the calling process, to measure
the cost or to debug.
"""

from __future__ import annotations

import atexit
import io
import logging
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from listening_pipeline.lib.media.decode import DecodedVideo, DecodeLimits, MediaError, decode_video

__all__ = ["JPEG_QUALITY", "as_stored", "DecodeFn", "DecodeWorker", "DecodedFiles", "FrameFile", "write_decoded"]

log = logging.getLogger(__name__)

DecodeFn = Callable[..., DecodedVideo]
"""``decode(path, *, limits=...)``: :func:`decode_video` unless a test injects another (module-level) function."""

_CHILD = "import sys; from listening_pipeline.lib.media.worker import main; sys.exit(main(sys.argv[1:]))"

_GRACE_S = 5
"""How long after the parent's limit an orphaned child's own alarm ends it."""

JPEG_QUALITY = 92
"""Kept frames are stored as JPEGs of this quality."""


def as_stored(image: Image.Image) -> Image.Image:
    """The frame as the stages after decoding read it: through a JPEG of :data:`JPEG_QUALITY` (for evaluations
    and tests that must see what the OCR and logo stages see)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    with Image.open(buffer) as stored:
        return stored.convert("RGB")


@dataclass(frozen=True)
class FrameFile:
    """One kept frame, written as a JPEG (see :class:`KeptFrame`)."""

    file: Path
    t_s: float
    t_until_s: float
    dhash_hex: str


@dataclass
class DecodedFiles:
    """A decoded video as files in a scratch folder, with the facts of its MEDIA row."""

    duration_s: float
    width: int | None
    height: int | None
    audio_file: Path | None  # float32 mono at SAMPLE_RATE, .npy; None without an audio track
    frames: list[FrameFile]
    frames_sampled: int
    decoder: str
    decode_s: float

    @property
    def has_audio(self) -> bool:
        return self.audio_file is not None


def write_decoded(decoded: DecodedVideo, folder: Path) -> DecodedFiles:
    """Write the audio and kept frames of ``decoded`` into ``folder`` (names as the media store keeps them)."""
    audio_file = None
    if decoded.audio is not None:
        audio_file = folder / "audio.npy"
        np.save(audio_file, decoded.audio.astype(np.float32, copy=False))
    frames = []
    for number, frame in enumerate(decoded.frames):
        file = folder / f"frame-{number:04d}.jpg"
        frame.image.save(file, format="JPEG", quality=JPEG_QUALITY)
        frames.append(FrameFile(file, frame.t_s, frame.t_until_s, frame.dhash_hex))
    return DecodedFiles(
        duration_s=decoded.duration_s,
        width=decoded.width,
        height=decoded.height,
        audio_file=audio_file,
        frames=frames,
        frames_sampled=decoded.frames_sampled,
        decoder=decoded.decoder,
        decode_s=decoded.decode_s,
    )


class DecodeWorker:
    """Decodes one video at a time in a child process, killed when it runs past ``timeout_s``.

    Use as a context manager. With ``isolated=False`` decodes run in this process, without a
    time limit (for debugging and for measuring the isolation's cost).
    """

    def __init__(
        self, limits: DecodeLimits, *, timeout_s: float, isolated: bool = True, decode: DecodeFn | None = None
    ) -> None:
        if not timeout_s > 0:
            raise ValueError(f"the decode time limit must be positive, got {timeout_s!r}")
        self.limits = limits
        self.timeout_s = timeout_s
        self.isolated = isolated
        self.decode_fn: DecodeFn = decode or decode_video
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.starts = 0  # child processes used: 1 (started or reused), +1 after each kill or crash

    def __enter__(self) -> DecodeWorker:
        if self.isolated:
            self._start()  # the child imports PyAV while the caller fetches the first file
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def decode(self, path: str | Path, scratch: Path) -> DecodedFiles:
        """The decoded video written into ``scratch``, or :class:`MediaError` (unusable, over the time
        limit, decoder crashed). ``scratch`` may hold partial files after an error: the caller deletes it."""
        if not self.isolated:
            return write_decoded(self.decode_fn(path, limits=self.limits), scratch)
        conn = self._connection()
        try:
            conn.send(("decode", self.decode_fn, str(path), self.limits, self.timeout_s, str(scratch)))
            if not conn.poll(self.timeout_s):
                self._stop(kill=True)
                raise MediaError(f"decoding took longer than the {self.timeout_s:g} s limit and was stopped")
            kind, payload = conn.recv()
        except (EOFError, OSError) as exc:
            code = self._stop(kill=True)
            raise MediaError(f"the decoder process died ({_exit_reason(code)}; {type(exc).__name__})") from exc
        if kind == "ok":
            return payload
        if kind == "media_error":
            raise MediaError(payload)
        raise MediaError(f"decoder failed: {payload}")

    def close(self) -> None:
        if self._process is not None and self._conn is not None and _park(self._process, self._conn):
            self._process = self._conn = None
            return
        self._stop(kill=False)

    # -----------------------------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._conn is None or self._process is None or self._process.poll() is not None:
            self._stop(kill=True)
            self._start()
        assert self._conn is not None
        return self._conn

    def _start(self) -> None:
        parked = _lease()
        if parked is not None:
            self._process, self._conn = parked
            self._conn.send(("path", list(sys.path)))
            self.starts += 1
            return
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                # Not ``-m``: as __main__ the child would pickle its answers as __main__.DecodedFiles.
                [sys.executable, "-c", _CHILD, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        # The child imports what the parent can (tests inject decode functions from their own modules).
        self._conn.send(("path", list(sys.path)))
        self.starts += 1

    def _stop(self, *, kill: bool) -> int | None:
        """End the child (politely unless ``kill``); its exit code, or None if there was none."""
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            conn.close()  # a polite child sees EOF and exits
        if process is None:
            return None
        if kill:
            process.kill()
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


# Healthy idle children, kept for the next worker of this process (never shared across a fork).
_MAX_IDLE = 2
_idle: list[tuple[int, subprocess.Popen[bytes], Connection]] = []
_idle_lock = threading.Lock()


def _lease() -> tuple[subprocess.Popen[bytes], Connection] | None:
    with _idle_lock:
        while _idle:
            owner, process, conn = _idle.pop()
            if owner == os.getpid() and process.poll() is None:
                return process, conn
            if owner == os.getpid():
                conn.close()
    return None


def _park(process: subprocess.Popen[bytes], conn: Connection) -> bool:
    with _idle_lock:
        if len(_idle) >= _MAX_IDLE or process.poll() is not None:
            return False
        _idle.append((os.getpid(), process, conn))
        return True


@atexit.register
def _close_idle() -> None:
    with _idle_lock:
        parked, _idle[:] = list(_idle), []
    for owner, process, conn in parked:
        if owner != os.getpid():
            continue
        conn.close()  # the child sees EOF and exits
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


# ---------------------------------------------------------------------------------------------
# The child
# ---------------------------------------------------------------------------------------------


def _serve(conn: Connection) -> None:
    """Answer decode requests until the parent closes the connection."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "path":
            sys.path[:] = message[1]
            continue
        _, decode, path, limits, timeout_s, scratch = message
        signal.alarm(math.ceil(timeout_s) + _GRACE_S)  # an orphaned child ends itself
        try:
            answer: tuple[str, Any] = ("ok", write_decoded(decode(path, limits=limits), Path(scratch)))
        except MediaError as exc:
            answer = ("media_error", exc.reason)
        except Exception as exc:  # any failure of one video is that video's reason
            answer = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            signal.alarm(0)
        try:
            conn.send(answer)
        except (TypeError, AttributeError, pickle.PicklingError) as exc:  # pickled before anything is written
            conn.send(("error", f"the decoded result could not be sent back: {type(exc).__name__}: {exc}"))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    conn = Connection(int(argv[0]))
    try:
        _serve(conn)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
