"""A real, throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary folder.

initdb refuses to run as root, so as root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from psycopg2.extensions import parse_dsn


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL server binary {name!r} not found: install the 'postgresql' package")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    run_as: list[str]

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    @classmethod
    @contextlib.contextmanager
    def start(cls, root: Path) -> Iterator[PostgresServer]:
        root.mkdir(parents=True, exist_ok=True)
        run_as: list[str] = []
        if os.geteuid() == 0:
            run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        server = cls(data_dir=root / "data", port=free_port(), run_as=run_as)
        subprocess.run(
            [*run_as, _pg_bin("initdb"), "-D", str(server.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *run_as,
                _pg_bin("pg_ctl"),
                "-D",
                str(server.data_dir),
                "-l",
                str(root / "server.log"),
                "-w",
                "-o",
                f"-p {server.port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        try:
            yield server
        finally:
            subprocess.run(
                [*run_as, _pg_bin("pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "stop"],
                capture_output=True,
            )

    def stop(self) -> None:
        """Stop the server at once, as a crash would (the fault tests); :meth:`resume` restarts it."""
        subprocess.run(
            [*self.run_as, _pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
            check=True,
            capture_output=True,
        )

    def resume(self) -> None:
        """Start the stopped server again, on the same port with the same options as :meth:`start`."""
        root = self.data_dir.parent
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        pg_ctl = [*self.run_as, _pg_bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(root / "server.log")]
        subprocess.run([*pg_ctl, "-w", "-o", options, "start"], check=True, capture_output=True)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        import psycopg2

        name = f"t_{uuid.uuid4().hex[:12]}"
        con = psycopg2.connect(self.admin_dsn)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            yield f"host=127.0.0.1 port={self.port} user=postgres dbname={name}"
            with con.cursor() as cur:
                cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            con.close()


def instance_env(dsn: str) -> dict[str, str]:
    """The Dagster instance on the database ``dsn``: what docker/dagster.local.yaml reads (README,
    "One machine, no Docker")."""
    pg = parse_dsn(dsn)
    return {
        "DAGSTER_PG_HOST": pg["host"],
        "DAGSTER_PG_PORT": pg["port"],
        "DAGSTER_PG_USER": pg["user"],
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": pg["dbname"],
    }


def warehouse_env(dsn: str) -> dict[str, str]:
    """The warehouse on the database ``dsn`` (settings.py's LISTENING_PIPELINE_PG_* variables)."""
    pg = parse_dsn(dsn)
    return {
        "LISTENING_PIPELINE_WAREHOUSE": "postgres",
        "LISTENING_PIPELINE_PG_HOST": pg["host"],
        "LISTENING_PIPELINE_PG_PORT": pg["port"],
        "LISTENING_PIPELINE_PG_USER": pg["user"],
        "LISTENING_PIPELINE_PG_DATABASE": pg["dbname"],
        "LISTENING_PIPELINE_PG_PASSWORD": "",
    }
