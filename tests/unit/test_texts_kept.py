"""The parsed catalogs kept between processes: the texts read back are the texts of the TOML as
it is now, and a kept file that is missing, broken or cannot be written changes nothing but
the time it takes."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

import pytest

from bot.texts import flat_catalog

TOML = '[greeting]\nhello = "Xin chào {name}"\n\n[error]\nphone = "Số điện thoại sai"\n'


@pytest.fixture(autouse=True)
def writing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine's tests may run with PYTHONDONTWRITEBYTECODE; these ask for the usual case.
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _without_toml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the TOML fails from here on: a catalog that loads came from the kept file."""
    monkeypatch.setitem(sys.modules, "tomllib", None)


def test_a_catalog_parsed_once_is_read_back_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = TOML.encode()
    first = flat_catalog("vi", data, tmp_path)
    assert first == {"greeting.hello": "Xin chào {name}", "error.phone": "Số điện thoại sai"}
    _without_toml_parser(monkeypatch)
    assert flat_catalog("vi", data, tmp_path) == first


def test_a_changed_catalog_is_parsed_again_and_the_old_copy_dropped(tmp_path: Path) -> None:
    flat_catalog("vi", TOML.encode(), tmp_path)
    changed = TOML.replace("Xin chào", "Chào").encode()
    assert flat_catalog("vi", changed, tmp_path)["greeting.hello"] == "Chào {name}"
    assert len(list(tmp_path.glob("vi.*.json"))) == 1


def test_each_language_keeps_its_own_copy(tmp_path: Path) -> None:
    flat_catalog("vi", TOML.encode(), tmp_path)
    flat_catalog("en", b'[greeting]\nhello = "Hello {name}"\n', tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert flat_catalog("vi", TOML.encode(), tmp_path)["greeting.hello"] == "Xin chào {name}"


@pytest.mark.parametrize(
    "broken", ["", "{not json", '["a", "list"]', '{"greeting.hello": 3}'], ids=repr
)
def test_a_broken_kept_copy_is_parsed_again_and_replaced(tmp_path: Path, broken: str) -> None:
    data = TOML.encode()
    flat_catalog("vi", data, tmp_path)
    (kept,) = tmp_path.glob("vi.*.json")
    kept.write_text(broken, encoding="utf-8")
    assert flat_catalog("vi", data, tmp_path)["error.phone"] == "Số điện thoại sai"
    assert kept.read_text(encoding="utf-8") != broken


def test_a_folder_that_cannot_be_written_only_means_parsing_each_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    assert flat_catalog("vi", TOML.encode(), blocked)["error.phone"] == "Số điện thoại sai"
    assert [path.name for path in tmp_path.iterdir()] == ["file-not-folder"]


def test_nothing_is_kept_when_python_is_told_not_to_write_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert flat_catalog("vi", TOML.encode(), tmp_path)["error.phone"] == "Số điện thoại sai"
    assert list(tmp_path.iterdir()) == []


def test_the_real_catalogs_read_back_equal_their_toml(tmp_path: Path) -> None:
    import tomllib

    for language in ("vi", "en"):
        data = files("bot.texts").joinpath(f"{language}.toml").read_bytes()
        parsed = flat_catalog(language, data, tmp_path)
        again = flat_catalog(language, data, tmp_path)
        assert again == parsed
        assert len(parsed) == _count(tomllib.loads(data.decode()))


def _count(table: dict[str, object]) -> int:
    return sum(_count(value) if isinstance(value, dict) else 1 for value in table.values())
