"""The project's agency data files agree with the Press Department's reference lists."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from registry.catalog import edition_rows, mergers

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _reference(name: str) -> list[list[str]]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not present beside the project")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def test_2024_list_counts() -> None:
    kinds = Counter(row.kind.value for row in edition_rows("2024"))
    assert kinds == {
        "ministry": 18,
        "ministerial_agency": 4,
        "government_agency": 8,
        "city": 5,
        "province": 58,
    }


def test_2025_list_counts() -> None:
    kinds = Counter(row.kind.value for row in edition_rows("2025"))
    assert kinds["ministry"] == 14
    assert kinds["ministerial_agency"] == 3
    assert kinds["government_agency"] == 5
    assert kinds["city"] + kinds["province"] == 34


@pytest.mark.parametrize("edition", ["2024", "2025"])
def test_names_match_the_reference_in_order(edition: str) -> None:
    reference = [(kind, name) for kind, name in _reference(f"agencies-{edition}.tsv")]
    ours = [(row.kind.value, row.name) for row in edition_rows(edition)]
    assert ours == reference


@pytest.mark.parametrize("edition", ["2024", "2025"])
def test_codes_are_unique_and_names_nfc(edition: str) -> None:
    rows = edition_rows(edition)
    assert len({row.code for row in rows}) == len(rows)
    assert all(unicodedata.is_normalized("NFC", row.name) for row in rows)


def test_codes_are_stable_across_editions() -> None:
    before = {row.name: row.code for row in edition_rows("2024")}
    after = {row.name: row.code for row in edition_rows("2025")}
    for name in before.keys() & after.keys():
        assert before[name] == after[name], name


def test_merger_map_matches_the_reference() -> None:
    names = {row.code: row.name for row in edition_rows("2024") + edition_rows("2025")}
    ours = [
        (names[m.code], names[m.successor_code], m.effective.isoformat()) for m in mergers("2025")
    ]
    assert ours == [tuple(row) for row in _reference("reorg-2025.tsv")]
    current = {row.code for row in edition_rows("2025")}
    retired = {row.code for row in edition_rows("2024")} - current
    assert {m.code for m in mergers("2025")} == retired
