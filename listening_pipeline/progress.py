"""Progress of long CLI work (backfills, the demo, re-matching, model loading): n/N, elapsed time, ETA.

On a terminal it is a `rich` bar that redraws in place; anywhere else (CI logs, pipes, tests) it
is one plain line per finished step, so a log shows every step and its outcome.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any


def clock(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour up."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_line(done: int, total: int, started: float, label: str, ok: bool) -> str:
    """One line per finished step: n/N, its label and outcome, time elapsed and the estimate of what is left."""
    elapsed = time.monotonic() - started
    eta = elapsed / done * (total - done) if done else 0.0
    width = len(str(total))
    return (
        f"  [{done:>{width}}/{total}] {label}: {'ok' if ok else 'FAILED'}"
        f"  (elapsed {clock(elapsed)}, ETA {clock(eta) if done < total else '0:00'})"
    )


class StepProgress:
    """Counts finished steps out of ``total``; use as a context manager around the work.

    ``stream`` (default stdout) decides the form: a rich bar when it is a terminal, plain lines otherwise.
    ``title`` names the work on the bar; ``upcoming`` labels the step now running (shown on the bar).
    """

    def __init__(self, total: int, title: str, *, stream: IO[str] | None = None) -> None:
        self.total = total
        self.title = title
        self.stream = stream if stream is not None else sys.stdout
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    @property
    def interactive(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def __enter__(self) -> StepProgress:
        self.started = time.monotonic()
        if self.interactive:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[step]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=self.total, step="")
        return self

    def upcoming(self, label: str) -> None:
        """The step about to run, for the bar (plain output prints steps when they finish)."""
        if self._bar is not None:
            self._bar.update(self._task, step=label)

    def step(self, label: str, ok: bool = True) -> None:
        """One step finished: advance the bar, or print its line."""
        self.done += 1
        self.failed += 0 if ok else 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, step=label)
            if not ok:
                self._bar.console.print(f"[red]FAILED[/red] {label}")
        else:
            print(progress_line(self.done, self.total, self.started, label, ok), file=self.stream, flush=True)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.update(self._task, step=f"{self.failed} failed" if self.failed else "done")
            self._bar.stop()
