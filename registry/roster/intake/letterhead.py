"""The agency a list's letterhead names: "UBND TỈNH LÀO CAI" above a table without an agency
column.

A province or a ministry sends its own list as an official document: the agency is written once,
in the letterhead, and no row repeats it. Each cell above the header is looked up in the catalog
the way any agency a person writes is (:func:`registry.catalog.locate_agency`: abbreviations,
former names leading to today's agency); a cell that says only "ỦY BAN NHÂN DÂN" is read with the
cell under it ("TỈNH LÀO CAI"), as the letterhead is printed. Only a whole name counts: a part
of one ("VĂN PHÒNG", the province's own office, is a part of "Văn phòng Chính phủ") does not.
The letterhead counts only when
everything in it that names an agency names the same one: the national motto, the title and a
department under the agency name none, while two different agencies leave the question open (the
person is asked).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from registry.agency_names import is_admin_only, known, names_of, query_keys
from registry.catalog import Resolved, locate_agency
from registry.errors import RegistryError
from registry.models import Agency

# Longer cells are sentences (the title, a reference to a letter), not an agency's name.
_MAX_NAME = 120


def candidates(letterhead: Sequence[Sequence[str]]) -> Iterator[str]:
    """The texts of the letterhead that may name an agency, top to bottom."""
    seen: set[str] = set()
    for index, cells in enumerate(letterhead):
        for column, cell in enumerate(cells):
            text = cell.strip()
            if not text or len(text) > _MAX_NAME:
                continue
            if is_admin_only(text) and index + 1 < len(letterhead):
                below = letterhead[index + 1]
                if column < len(below) and below[column].strip():
                    text = f"{text} {below[column].strip()}"
            if text not in seen:
                seen.add(text)
                yield text


async def letterhead_agency(
    session: AsyncSession, letterhead: Sequence[Sequence[str]], *, on: date | None = None
) -> Agency | None:
    """Today's agency the letterhead names, when everything in it names one and the same."""
    found: dict[int, Agency] = {}
    for text in candidates(letterhead):
        try:
            resolved = await locate_agency(session, text, on=on)
        except RegistryError:
            continue  # names no agency, or several
        if _whole_name(text, resolved):
            found[resolved.current.id] = resolved.current
    return next(iter(found.values())) if len(found) == 1 else None


def _whole_name(text: str, resolved: Resolved) -> bool:
    """Whether the text is a whole name of the agency found (its name, short name, an
    abbreviation, a former name), not a part of one: "VĂN PHÒNG" under the province's name is
    its own office, not the Government Office."""
    wanted = query_keys(text)
    agency = resolved.agency
    if wanted & names_of(agency.code, agency.name, agency.short_name).exact:
        return True
    listed = known().get(resolved.former_code or "")
    return listed is not None and bool(
        wanted & names_of(listed.code, listed.name, listed.short_name).exact
    )
