"""A throw-away PostgreSQL cluster of its own, for a test that stops and restarts the server.

The test suite's PostgreSQL is shared, so a test that restarts PostgreSQL makes one: ``initdb``
in a temporary directory, a free port, trust authentication on 127.0.0.1 and a socket in its
own directory, run as the ``postgres`` system user (the tests run as root, and PostgreSQL
refuses to). It is skipped, with the reason, when the server programs are not installed, and
fails instead when SPOKES_TEST_REQUIRE_POSTGRES is set: CI must not skip it silently.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.servers import free_port

USER = "postgres"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _unavailable() -> str | None:
    """Why no cluster can be made here, or None."""
    if _binaries() is None:
        return "PostgreSQL server programs (initdb, pg_ctl) are not installed"
    if shutil.which("runuser") is None:
        return "runuser is not installed"
    if os.geteuid() != 0:
        return "a cluster of its own needs root (to run PostgreSQL as the postgres user)"
    try:
        import pwd

        pwd.getpwnam(USER)
    except KeyError:
        return "there is no postgres system user"
    return None


def require() -> None:
    """Skip the test if no cluster can be made (fail if PostgreSQL is required)."""
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("SPOKES_TEST_REQUIRE_POSTGRES"):
        pytest.fail(f"SPOKES_TEST_REQUIRE_POSTGRES is set but {reason}")
    pytest.skip(reason)


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        binaries = _binaries()
        assert binaries is not None
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [str(binaries / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args]
        if args[0] in ("start", "restart"):
            command += ["-o", options, "-l", str(self.directory / "postgres.log")]
        _as_postgres(command)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """A fast shutdown: sessions are cut, transactions in progress rolled back."""
        self._pg_ctl("stop", "-m", "fast")


def _as_postgres(command: list[str]) -> None:
    result = subprocess.run(
        ["runuser", "-u", USER, "--", *command], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{command[0]}: {result.stdout}{result.stderr}"


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    """A new cluster, started; stopped and deleted at exit."""
    require()
    binaries = _binaries()
    assert binaries is not None
    directory = Path(tempfile.mkdtemp(prefix="spokes-pg-"))
    shutil.chown(directory, USER, USER)
    made = Cluster(directory, free_port())
    try:
        _as_postgres(
            [
                str(binaries / "initdb"),
                "-D",
                str(made.data),
                "-U",
                USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        made.start()
        yield made
    finally:
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            made.stop()
        shutil.rmtree(directory, ignore_errors=True)
