"""Every way people write an agency, and the closest names when what they wrote is no name.

People write "Bộ TT&TT", "UBND tỉnh Yên Bái", "MOF", "People's Committee of Lào Cai" or "Lao
Kai": official names, short names, abbreviations, English names, names of agencies merged away
in 2025, and typos. The database only holds the editions that were loaded, so the names of both
official lists, their English names and the common abbreviations are read here from
``registry/data/`` (pure: no database), and :mod:`registry.catalog` matches them against the
agencies it has. Every comparison is on folded keys (accents, case and ``đ`` folded like the
people search), without spaces, so "Lao Cai", "lào cai" and "LàoCai" are one key.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

from registry.validation import fold

# Words around a province's or a city's name, in Vietnamese and English, folded:
# "UBND tỉnh Lào Cai", "TP. Huế", "People's Committee of Lào Cai Province", "Hanoi City".
ADMIN_PREFIXES = (
    "uy ban nhan dan",
    "ubnd",
    "thanh pho",
    "tinh",
    "tp",
    "people s committee of",
    "peoples committee of",
    "the",
)
ADMIN_SUFFIXES = (
    "provincial people s committee",
    "provincial peoples committee",
    "municipal people s committee",
    "city people s committee",
    "people s committee",
    "peoples committee",
    "province",
    "provincial",
    "city",
)
# A query made only of these words names a People's Committee without saying which one.
_ADMIN_ONLY = {
    "ubnd",
    "uy ban nhan dan",
    "uy ban",
    "tinh",
    "thanh pho",
    "tp",
    "people s committee",
    "peoples committee",
    "province",
    "city",
}
# Keys this short are abbreviations: "MOF" and "MOH" are one letter apart and both real.
MIN_FUZZY_LENGTH = 4


@dataclass(frozen=True)
class KnownAgency:
    """An agency of an official list, with the other names it goes by."""

    code: str
    name: str
    short_name: str | None
    english: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Merger:
    successor_code: str
    effective: date


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = files("registry").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@cache
def known() -> dict[str, KnownAgency]:
    """Every agency of the 2024 and 2025 lists by code; a 2025 name wins over a 2024 one."""
    names = {row["code"]: row for row in _read_tsv("agency-names.tsv")}
    result: dict[str, KnownAgency] = {}
    for edition in ("2024", "2025"):
        for row in _read_tsv(f"agencies-{edition}.tsv"):
            extra = names.get(row["code"], {})
            aliases = tuple(a.strip() for a in (extra.get("aliases") or "").split(";"))
            result[row["code"]] = KnownAgency(
                code=row["code"],
                name=row["name"],
                short_name=row["short_name"] or None,
                english=extra.get("english") or row["name"],
                aliases=tuple(a for a in aliases if a),
            )
    return result


@cache
def mergers() -> dict[str, Merger]:
    """Where each agency merged away in 2025 went (the merger map), by code."""
    return {
        row["code"]: Merger(row["successor_code"], date.fromisoformat(row["effective"]))
        for row in _read_tsv("reorg-2025.tsv")
    }


def english_name(code: str) -> str | None:
    """The English name of an agency of the official lists (None for one added locally)."""
    agency = known().get(code)
    return agency.english if agency else None


def name_in(language: str, code: str, name: str) -> str:
    """An agency's name as a reader of ``language`` sees it: the English name of an agency of
    the official lists in English, its own name otherwise."""
    return (english_name(code) or name) if language == "en" else name


def _strip(key: str) -> str:
    """The name without the words around a province's name: "ubnd tinh lao cai" -> "lao cai"."""
    changed = True
    while changed and key:
        changed = False
        for prefix in ADMIN_PREFIXES:
            if key.startswith(prefix + " "):
                key, changed = key[len(prefix) + 1 :], True
        for suffix in ADMIN_SUFFIXES:
            if key.endswith(" " + suffix):
                key, changed = key[: -len(suffix) - 1], True
    return key


def _compact(key: str) -> str:
    return key.replace(" ", "")


def acronyms(name_key: str) -> set[str]:
    """ "bo thong tin va truyen thong" -> {"botttt", "tttt"}: how officials abbreviate."""
    words = [word for word in name_key.split() if word not in ("va", "and", "of", "s")]
    if len(words) < 2:
        return set()
    head, rest = words[0], words[1:]
    initials = "".join(word[0] for word in rest)
    result = {"".join(word[0] for word in words)}
    if head == "bo":
        result |= {"bo" + initials, initials}
    if rest[-2:] == ["viet", "nam"]:
        result.add("".join(word[0] for word in words[:-2]))
    return result


def query_keys(text: str) -> set[str]:
    """The keys a typed reference is looked up by: as written, and without "UBND tỉnh"."""
    key = fold(text)
    return {_compact(key), _compact(_strip(key))} - {""}


def query_words(text: str) -> set[str]:
    return set(_strip(fold(text)).split())


def is_admin_only(text: str) -> bool:
    """ "UBND", "Ủy ban nhân dân tỉnh", "People's Committee": which one is not said."""
    key = fold(text)
    return bool(key) and (key in _ADMIN_ONLY or _strip(key + " x") == "x")


@dataclass(frozen=True)
class Names:
    """The keys one agency is found by."""

    exact: frozenset[str]  # whole names, short names, abbreviations, English names
    fuzzy: frozenset[str]  # whole names only (no acronyms): what a typo is measured against
    words: frozenset[str]  # every word of its names, for "Quảng" -> the Quảng provinces


@functools.cache  # every agency resolved again for each loosely written name an import meets
def names_of(code: str, name: str, short_name: str | None) -> Names:
    """The keys of an agency: its own names, plus the English name and the other names the
    official lists give its code."""
    extra = known().get(code)
    written = [name, short_name or ""]
    if extra is not None:
        written += [extra.english, *extra.aliases]
        if extra.short_name:
            written.append(extra.short_name)
    exact: set[str] = set()
    fuzzy: set[str] = set()
    words: set[str] = set()
    for text in filter(None, written):
        key = fold(text)
        whole = {_compact(key), _compact(_strip(key))} - {""}
        exact |= whole
        fuzzy |= {k for k in whole if len(k) >= MIN_FUZZY_LENGTH}
        words |= set(key.split())
    for text in (name, extra.english if extra else ""):
        exact |= acronyms(fold(text))
    return Names(frozenset(exact), frozenset(fuzzy), frozenset(words))


def allowed_typos(length: int) -> int:
    """How many letters a key of this length may be off and still be offered: one or two
    letters for a name, none for an abbreviation."""
    if length < MIN_FUZZY_LENGTH:
        return 0
    if length <= 5:
        return 1
    return 2 if length <= 14 else 3


def distance(text: str, names: Names) -> int | None:
    """Letters between what was typed and the nearest of ``names`` (None: too far to offer)."""
    # Imported here: only a name that is not found exactly needs it, and every command that
    # reads the catalog would otherwise pay for loading it.
    from rapidfuzz.distance import Levenshtein

    best: int | None = None
    for query in query_keys(text):
        if len(query) < MIN_FUZZY_LENGTH:
            continue
        for key in names.fuzzy:
            limit = allowed_typos(min(len(query), len(key)))
            found = Levenshtein.distance(query, key, score_cutoff=limit)
            if found <= limit and (best is None or found < best):
                best = found
    return best


def closest(text: str, candidates: Iterable[tuple[str, Names]], limit: int = 5) -> list[str]:
    """The codes whose names are a few letters from ``text``, nearest first."""
    scored = [
        (found, order, code)
        for order, (code, names) in enumerate(candidates)
        if (found := distance(text, names)) is not None
    ]
    scored.sort()
    result: list[str] = []
    for _, _, code in scored:
        if code not in result:
            result.append(code)
    return result[:limit]
