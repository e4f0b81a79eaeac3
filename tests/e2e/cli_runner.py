"""Running the installed ``spokes`` console script as a person would, for the e2e tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SCRIPT = shutil.which("spokes", path=os.path.dirname(sys.executable))
needs_script = pytest.mark.skipif(
    SCRIPT is None, reason="the spokes console script is not installed"
)


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'spokes.db'}"


@dataclass
class Spokes:
    """Runs the console script in ``directory`` against ``url`` (with ``env`` added)."""

    directory: Path
    url: str
    env: dict[str, str] | None = None

    def __call__(
        self, *args: str, lang: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        assert SCRIPT is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        env["SPOKES_DATABASE_URL"] = self.url
        env.update(self.env or {})
        argv = [SCRIPT, *(["--lang", lang] if lang else []), *args]
        return subprocess.run(
            argv,
            cwd=self.directory,
            env=env,
            text=True,
            input=stdin,
            capture_output=True,
            timeout=60,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start a command without waiting for it (its output is kept for ``communicate``)."""
        assert SCRIPT is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
        env["SPOKES_DATABASE_URL"] = self.url
        env.update(self.env or {})
        return subprocess.Popen(
            [SCRIPT, *args],
            cwd=self.directory,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def json(self, *args: str) -> Any:
        """Run a command that must succeed and print JSON; return the parsed JSON."""
        result = self(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """A refusal: the exit code, one line on stderr, no traceback; returns that line."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
