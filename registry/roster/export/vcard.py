"""The roster as vCard 3.0 (RFC 2426), one card per person, for phone contact apps.

Lines end with CRLF and are folded at 75 octets (a continuation starts with one space, and a
UTF-8 character is never cut); text values escape backslash, comma, semicolon and newlines.
Numbers are written in international form ("+84 912 345 678") so that they dial from abroad
too; an office extension follows a comma, which phones dial as a pause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from registry.roster.export.labels import RosterLabels
from registry.roster.export.phones import PhoneTexts
from registry.roster.export.selection import ExportRow, PersonValues, values_of
from registry.roster.export.summary import ExportSummary

LINE_OCTETS = 75
CRLF = "\r\n"
_SPECIAL = re.compile(r"[\\,;\r\n]")


def escape(text: str) -> str:
    """A vCard text value: ``\\`` ``,`` ``;`` and newlines escaped (RFC 2426 §4)."""
    if _SPECIAL.search(text) is None:
        return text
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """One content line, folded so that no physical line is longer than 75 octets."""
    # A character takes at most 4 octets, an ASCII one 1: most lines fit without being measured.
    size = len(line)
    if (
        size * 4 <= LINE_OCTETS
        or (size <= LINE_OCTETS and line.isascii())
        or len(line.encode("utf-8")) <= LINE_OCTETS
    ):
        return line + CRLF
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = LINE_OCTETS - 1  # the leading space of a continuation counts
        current.append(char)
        size += octets
    parts.append("".join(current))
    return CRLF.join([parts[0], *(" " + part for part in parts[1:])]) + CRLF


def name_parts(full_name: str) -> tuple[str, str, str]:
    """(family, given, middle) of a Vietnamese name: "Nguyễn Thị Thu Hà" ->
    ("Nguyễn", "Hà", "Thị Thu"). Contact apps then sort and show it the usual way."""
    words = full_name.split()
    if len(words) == 1:
        return "", words[0], ""
    return words[0], words[-1], " ".join(words[1:-1])


class Cards:
    """The cards of one file: what repeats from card to card (the agency's ORG line, the role's
    NOTE line) is escaped and folded once, and numbers reuse their layouts (``PhoneTexts``)."""

    def __init__(self, labels: RosterLabels) -> None:
        self.roles = labels.roles
        self._orgs: dict[str, str] = {}
        self._notes: dict[str, str] = {}
        self._phones = PhoneTexts()

    def __call__(self, values: PersonValues) -> str:
        """The card of one person's values, in ExportRow's order (see ``values_of``)."""
        (
            person_id, _, agency, _, _, name, position, role_key, mobile, office, extension,
            email, *_,
        ) = values  # fmt: skip
        family, given, middle = name_parts(name)
        shown = escape(name)
        if shown is not name:  # the parts have something to escape too
            family, given, middle = escape(family), escape(given), escape(middle)
        org = self._orgs.get(agency)
        if org is None:
            org = self._orgs[agency] = fold(f"ORG:{escape(agency)}")
        note = self._notes.get(role_key)
        if note is None:
            role = self.roles.get(role_key, role_key)
            note = self._notes[role_key] = fold(f"NOTE:{escape(role)}")
        title = fold(f"TITLE:{escape(position)}") if position else ""
        cell = fold(f"TEL;TYPE=CELL:{self._phones.international(mobile)}") if mobile else ""
        work = ""
        if office:
            office = self._phones.international(office)
            if extension:
                office = f"{office},{extension}"
            work = fold(f"TEL;TYPE=WORK:{office}")
        mail = fold(f"EMAIL;TYPE=INTERNET:{escape(email)}") if email else ""
        # A stable id: importing a newer roster updates the contacts instead of doubling them.
        uid = fold(f"UID:urn:spokes:person:{person_id}")
        return (
            f"BEGIN:VCARD\r\nVERSION:3.0\r\n{fold(f'N:{family};{given};{middle};;')}"
            f"{fold(f'FN:{shown}')}{org}{title}{cell}{work}{mail}{note}{uid}END:VCARD\r\n"
        )


def card(row: ExportRow, labels: RosterLabels) -> str:
    """One person's card (the published directory's single card)."""
    return Cards(labels)(values_of(row))


class VcardRoster:
    def __init__(self, labels: RosterLabels, target: BinaryIO) -> None:
        self.labels = labels
        self.target = target
        self._card = Cards(labels)

    def add(self, rows: list[ExportRow]) -> None:
        self.add_values([values_of(row) for row in rows])

    def add_values(self, rows: Sequence[PersonValues]) -> None:
        """Rows of values in ExportRow's order (``selection.stream_values``)."""
        self.target.write("".join(map(self._card, rows)).encode("utf-8"))

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None:
        target.flush()
