"""``spokes broadcast`` refusing garbage in one line and storing nothing, and ``spokes tick`` on
an empty outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url

pytestmark = needs_script


@pytest.fixture
def spokes(tmp_path: Path) -> Spokes:
    spokes = Spokes(tmp_path, sqlite_url(tmp_path))
    ok(spokes("missing"))  # a database with its schema and the catalog, said once here
    return spokes


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["everybody", "--text", "x"], "is not a group to write to"),
        (["kind", "--text", "x"], "Say which kind of agency"),
        (["kind", "--kind", "planet", "--text", "x"], "planet"),
        (["agency", "--agency", "nope", "--text", "x"], "No agency has the code “nope”"),
        (["everyone", "--text", "   "], "The message is empty"),
        (["everyone", "--text", "x" * 1501], "The message has 1501 characters"),
        (["everyone", "--text", "Họp lúc 9:00"], "Nobody in this group can be written to yet"),
    ],
)
def test_garbage_is_refused_in_one_line_and_nothing_is_stored(
    spokes: Spokes, args: list[str], says: str
) -> None:
    line = refused(spokes("broadcast", "send", *args, "--yes", lang="en"))
    assert says in line
    assert ok(spokes("broadcast", "status", lang="en")).stdout.strip() == "No broadcast yet."


def test_a_tick_with_nothing_due_says_so_and_exits_0(spokes: Spokes) -> None:
    first = ok(spokes("tick", lang="en"))
    assert "0 sent" in first.stdout and "0 waiting" in first.stdout
    assert ok(spokes("tick", lang="en")).stdout == first.stdout
