"""The Dagster webserver (the UI) of this project as a child process, and its GraphQL API.

The UI is how people see the pipeline, so the tests and the screenshot script start the real
``dagster-webserver`` on ``workspace.yaml`` (what ``make dev`` serves) and ask it what a browser would
show, instead of trusting the definitions in-process. No Dagster imports: plain processes and HTTP.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = REPO / "workspace.yaml"
STARTUP_TIMEOUT_S = 120.0  # about 15 s on 2 idle CPU cores; the code location loads the dbt manifest too
STOP_GRACE_S = 15.0

LOCATION_STATUSES = """
query { locationStatusesOrError { __typename ... on WorkspaceLocationStatusEntries { entries { name loadStatus } } } }
"""
LOCATION_ERRORS = """
query { workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


class WebserverError(RuntimeError):
    """The webserver did not start, its code location did not load, or a query failed."""


@dataclass(frozen=True)
class Webserver:
    """A running webserver: its base URL and the file its stdout and stderr go to."""

    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout_s: float = 60.0) -> Any:
        """POST a query to /graphql; its ``data``, or an error naming the GraphQL errors."""
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": dict(variables or {})}, timeout=timeout_s
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise WebserverError(f"GraphQL errors: {body['errors']}")
        return body["data"]


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it; a tiny race before the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loaded(server: Webserver) -> bool:
    """True once every code location has loaded; raises at once when one failed to load."""
    try:
        data = server.graphql(LOCATION_STATUSES, timeout_s=10)
    except (requests.ConnectionError, requests.Timeout, requests.HTTPError):
        return False  # not listening yet, or still starting
    entries = data["locationStatusesOrError"].get("entries") or []
    if not entries or any(e["loadStatus"] != "LOADED" for e in entries):
        return False
    for entry in server.graphql(LOCATION_ERRORS)["workspaceOrError"]["locationEntries"]:
        if (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError":
            raise WebserverError(
                f"code location {entry['name']} failed to load: {entry['locationOrLoadError']['message']}"
            )
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the webserver and its code server: the whole process group, SIGTERM then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    # The group may outlive its leader (the code server): make sure nothing of it is left.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@contextlib.contextmanager
def running_webserver(
    env: Mapping[str, str] | None = None,
    *,
    workspace: Path = WORKSPACE,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
) -> Iterator[Webserver]:
    """``dagster-webserver -w workspace.yaml`` on a free loopback port, yielded once its code location has
    loaded, stopped (process group) on exit. ``env`` is the whole environment (DAGSTER_HOME and the
    LISTENING_PIPELINE_* variables choose the instance and the data); default: this process's."""
    port = free_port()
    binary = Path(sys.executable).parent / "dagster-webserver"
    with tempfile.TemporaryDirectory(prefix="lp-webserver-") as tmp:
        log_path = Path(tmp) / "webserver.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(binary), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
                cwd=workspace.parent,
                env=dict(os.environ if env is None else env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stopping it reaches the code server too
            )
        server = Webserver(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
        try:
            deadline = time.monotonic() + startup_timeout_s
            while not _loaded(server):
                if process.poll() is not None:
                    raise WebserverError(
                        f"dagster-webserver exited with code {process.returncode} before it served "
                        f"{workspace.name}; its output ends with:\n{server.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise WebserverError(
                        f"dagster-webserver did not load {workspace.name} within {startup_timeout_s:.0f} s "
                        f"on {server.url}; its output ends with:\n{server.log_tail()}"
                    )
                time.sleep(0.5)
            yield server
        finally:
            _stop(process)
