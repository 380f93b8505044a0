"""How warehouse writers wait and fail: the DuckDB lock backoff (asset writes, reads and dbt alike),
the warehouse's own errors, and a rollback that never hides the error that caused it."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
Log = Callable[[str], None]


class WarehouseMissingError(FileNotFoundError):
    """A read of a DuckDB warehouse file that does not exist (reads never create it)."""


class WarehouseUnavailableError(ConnectionError):
    """The PostgreSQL warehouse could not be reached within the connect timeout."""


class WarehouseLockTimeoutError(TimeoutError):
    """The DuckDB file stayed locked by another process for longer than the lock timeout."""


def duckdb_lock_holder(error: BaseException | str) -> str | None:
    """Who holds the file, when ``error`` is DuckDB's "Could not set lock on file"; None for any other error."""
    text = str(error)
    if "could not set lock on file" not in text.lower():
        return None
    found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    return f"{found.group(1)} (PID {found.group(2)})" if found else "another process"


class LockWait:
    """Exponential backoff with jitter while another process holds a DuckDB file, up to a deadline.

    Every DuckDB connection this project opens waits through one of these, and so does the dbt
    asset around ``dbt build``: asset writes, reads and dbt take turns on the one-writer file.
    """

    def __init__(
        self,
        path: str | Path,
        timeout_s: float,
        *,
        log: Log | None = None,
        first_delay_s: float = 0.05,
        max_delay_s: float = 2.0,
        log_every_s: float = 30.0,
    ) -> None:
        self.path = str(path)
        self.timeout_s = timeout_s
        self.started = time.monotonic()
        self.delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.log = log or logger.warning
        self.log_every_s = log_every_s
        self._next_log = self.started
        self.waits = 0

    def retry(self, error: BaseException | str) -> bool:
        """Sleep and return True when ``error`` is a lock error and time is left; False for any other error.

        Past the deadline a lock error raises :class:`WarehouseLockTimeoutError` naming the holder.
        """
        holder = duckdb_lock_holder(error)
        if holder is None:
            return False
        now = time.monotonic()
        waited = now - self.started
        if waited >= self.timeout_s:
            raise WarehouseLockTimeoutError(
                f"the DuckDB warehouse {self.path} stayed locked by {holder} for {waited:.0f}s "
                f"(lock timeout {self.timeout_s:g}s, LISTENING_PIPELINE_DUCKDB_LOCK_TIMEOUT_S)"
            ) from (error if isinstance(error, BaseException) else None)
        if now >= self._next_log:
            self.log(
                f"waiting for the DuckDB lock held by {holder} on {self.path} "
                f"({waited:.0f}s so far, lock timeout {self.timeout_s:g}s)"
            )
            self._next_log = now + self.log_every_s
        sleep = self.delay_s * (0.5 + random.random())
        time.sleep(max(0.0, min(sleep, self.timeout_s - waited)))
        self.delay_s = min(self.delay_s * 2, self.max_delay_s)
        self.waits += 1
        return True


def rollback_keeping_cause(rollback: Callable[[], Any], error: BaseException) -> None:
    """Roll back after ``error``; a rollback that fails too (a dead connection) is logged and noted on
    ``error``, which the caller then raises: the cause is never replaced by the rollback's failure."""
    try:
        rollback()
    except Exception as failure:
        logger.warning("rollback after %s failed too: %r", type(error).__name__, failure)
        error.add_note(f"(the rollback that followed also failed: {failure!r})")


# Failures a later attempt can cure: the DuckDB lock, a PostgreSQL server restarting or unreachable.
_TRANSIENT = re.compile(
    r"could not set lock on file|could not connect to server|connection refused|connection timed out"
    r"|timeout expired|server closed the connection|terminating connection|the database system is"
    r"|connection to server .* failed|ssl syscall error",
    re.IGNORECASE,
)


def is_transient(error: BaseException | str) -> bool:
    """Whether ``error`` (or its message) reads as a failure a later attempt can cure."""
    return bool(_TRANSIENT.search(str(error)))


T = TypeVar("T")


def retry_while_locked(
    attempt: Callable[[], tuple[T, BaseException | None]], wait: LockWait | None
) -> tuple[T, BaseException | None]:
    """Repeat ``attempt`` (which returns its result and its error, None on success) while its error is
    DuckDB's lock error and ``wait`` allows, for a process such as ``dbt build`` that fails at once on
    a locked file instead of waiting. ``wait`` None (PostgreSQL): one attempt."""
    while True:
        result, error = attempt()
        if error is None or wait is None or not wait.retry(error):
            return result, error
