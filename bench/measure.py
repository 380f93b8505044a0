"""Running one side of the comparison in its own process: wall seconds and that process's peak RSS, and the
machine and code the figures belong to.

Why a process per side: each side's peak memory is then its own (``wait4`` gives the child's ``ru_maxrss``),
and each pays its own imports and model loads, as a worker or a script would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Nothing downloads or phones home at run time (the Makefile exports the same).
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYANNOTE_METRICS_ENABLED": "false",
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "0",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}
VERSIONED = (
    "dagster",
    "torch",
    "easyocr",
    "ultralytics",
    "whisperx",
    "faster-whisper",
    "ctranslate2",
    "transformers",
    "av",
    "polars",
    "duckdb",
)


class WorkerFailed(RuntimeError):
    """A side of the benchmark exited non-zero; the message holds the end of its output."""


@dataclass(frozen=True)
class Measured:
    result: dict[str, Any]  # what the worker wrote
    wall_s: float
    peak_rss_mb: float


def run_worker(
    module: str, args: list[str], env: dict[str, str] | None = None, timeout_s: float = 6 * 3600
) -> Measured:
    """``python -m <module> <args> --out FILE`` in a child process; its JSON, wall time and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="lp-bench-worker-") as tmp:
        out = Path(tmp) / "result.json"
        log = Path(tmp) / "log.txt"
        started = time.perf_counter()
        with log.open("w") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", module, *args, "--out", str(out)],
                cwd=REPO,
                env={**os.environ, **OFFLINE_ENV, **(env or {})},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            deadline = started + timeout_s
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    child.kill()
                time.sleep(0.2)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0 or not out.is_file():
            tail = log.read_text(errors="replace")[-3000:]
            raise WorkerFailed(f"{module} exited {child.returncode}:\n{tail}")
        return Measured(json.loads(out.read_text()), wall, usage.ru_maxrss / 1024)


def git_state() -> dict[str, Any]:
    """The commit measured and whether the working tree differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": git("rev-parse", "HEAD"), "short": git("rev-parse", "--short", "HEAD"), "dirty": dirty}


def machine() -> dict[str, Any]:
    """Where it ran: host, CPU, cores this process may use, memory, GPU if torch sees one."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_gb, 1),
        "gpu": _gpu(),
    }


def _gpu() -> str | None:
    try:
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:
        return None


def versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def now_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
