"""The roster as vCard 3.0 (RFC 2426), one card per person, for phone contact apps.

Lines end with CRLF and are folded at 75 octets (a continuation starts with one space, and a
UTF-8 character is never cut); text values escape backslash, comma, semicolon and newlines.
Numbers are written in international form ("+84 912 345 678") so that they dial from abroad
too; an office extension follows a comma, which phones dial as a pause.
"""

from __future__ import annotations

from typing import BinaryIO

from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportRow
from registry.roster.export.summary import ExportSummary
from registry.validation import format_international

LINE_OCTETS = 75
CRLF = "\r\n"


def escape(text: str) -> str:
    """A vCard text value: ``\\`` ``,`` ``;`` and newlines escaped (RFC 2426 §4)."""
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
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_OCTETS:
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


def card(row: ExportRow, labels: RosterLabels) -> str:
    family, given, middle = name_parts(row.full_name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{escape(family)};{escape(given)};{escape(middle)};;",
        f"FN:{escape(row.full_name)}",
        f"ORG:{escape(row.agency_name)}",
    ]
    if row.position:
        lines.append(f"TITLE:{escape(row.position)}")
    if row.mobile:
        lines.append(f"TEL;TYPE=CELL:{format_international(row.mobile)}")
    if row.office_phone:
        office = format_international(row.office_phone)
        if row.office_ext:
            office = f"{office},{row.office_ext}"
        lines.append(f"TEL;TYPE=WORK:{office}")
    if row.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{escape(row.email)}")
    lines.append(f"NOTE:{escape(labels.roles.get(row.role, row.role))}")
    # A stable id: importing a newer roster updates the contacts instead of doubling them.
    lines.append(f"UID:urn:spokes:person:{row.person_id}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


class VcardRoster:
    def __init__(self, labels: RosterLabels, target: BinaryIO) -> None:
        self.labels = labels
        self.target = target

    def add(self, rows: list[ExportRow]) -> None:
        self.target.write("".join(card(row, self.labels) for row in rows).encode("utf-8"))

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None:
        target.flush()
