"""A throw-away PostgreSQL server for the store tests (skipped when the binaries are absent).

The server runs from a temporary folder, listens on 127.0.0.1 on a free port, trusts
local connections, and is stopped (``-m immediate``) and removed at the end. initdb
refuses to run as root, so under root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def why_unavailable() -> str | None:
    """Why no server can be started here, or None when one can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if not (_bin("initdb") and _bin("pg_ctl")):
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb"
    return None


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its admin URL (``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb and pg_ctl
    root = Path(tempfile.mkdtemp(prefix="formcheck-pg-"))
    user: str | None = None
    if os.geteuid() == 0:
        user = "postgres"
        shutil.chown(root, user=user)
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run(list(args), check=True, user=user, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120, cwd=root)

    try:
        run(initdb, "-D", str(data), "--auth=trust", "-U", "postgres", "--no-sync",
            "--no-instructions", "-E", "UTF8")
        run(pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off", "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server; yield its URL; drop it afterwards."""
    import psycopg

    base, _ = admin_url.rsplit("/", 1)
    name = f"fc_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
