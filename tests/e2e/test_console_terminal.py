"""``spokes chat`` at a real terminal: Ctrl-C at the prompt ends the chat at once.

The chat is started on a pseudo-terminal that is its controlling terminal, as a shell would
start it, and Ctrl-C is typed there (the terminal turns it into SIGINT for the chat). Before,
the chat stopped only when Enter was pressed after it: the line being read held it open.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from pathlib import Path

from tests.e2e.cli_runner import SCRIPT, needs_script, sqlite_url

pytestmark = needs_script


def _read_until(master: int, wanted: bytes, seconds: float) -> bytes:
    """What the terminal showed, until ``wanted`` appears or ``seconds`` pass."""
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the chat ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _on_terminal(slave: int) -> None:
    """In the chat's process: a session of its own with the pseudo-terminal as its terminal."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)


def _chat_on_terminal(tmp_path: Path, sqlite_template: Path) -> tuple[subprocess.Popen[bytes], int]:
    database = tmp_path / "spokes.db"
    database.write_bytes(sqlite_template.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env["SPOKES_DATABASE_URL"] = sqlite_url(tmp_path)
    master, slave = os.openpty()
    assert SCRIPT is not None
    process = subprocess.Popen(
        [SCRIPT, "chat", "--user", "7"],
        cwd=tmp_path,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=lambda: _on_terminal(slave),
        close_fds=True,
    )
    os.close(slave)
    return process, master


def test_ctrl_c_at_the_prompt_ends_the_chat_without_enter(
    tmp_path: Path, sqlite_template: Path
) -> None:
    process, master = _chat_on_terminal(tmp_path, sqlite_template)
    try:
        os.write(master, b"/start\r")
        shown = _read_until(master, "Xin chào".encode(), 60)
        assert b"> " in shown, shown.decode(errors="replace")
        shown += _read_until(master, b"\n> ", 10)
        os.write(master, b"\x03")  # Ctrl-C, and no Enter after it
        process.wait(timeout=15)
        after = _read_until(master, b"\x00", 1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert process.returncode == 130
    assert b"Traceback" not in after and b"Fatal Python error" not in after, after
