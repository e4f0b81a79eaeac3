"""The csv and vCard roster writers write, byte for byte, what they wrote before they were made
fast: the straightforward writers of before are kept here as the reference, and both are fed
the same rows (risky values, spaces, commas, semicolons, backslashes and newlines, names long
enough to fold, foreign numbers, extensions, empty fields, times either side of midnight in
Vietnam), in both languages and both layouts, in batches of several sizes."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.roster import roster_labels
from registry.models import AgencyKind, Role, Status
from registry.roster.cells import neutralised
from registry.roster.export.columns import DATE_COLUMNS, Layout, layout_columns
from registry.roster.export.csv_roster import CsvRoster
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportRow, ExportScope
from registry.roster.export.summary import ExportSummary, Tally
from registry.roster.export.vcard import VcardRoster, card, name_parts
from registry.validation import format_international, format_phone

ON = date(2026, 11, 29)

# --- the writers as they were ---------------------------------------------------------------


def reference_texts(labels: RosterLabels, row: ExportRow) -> dict[str, str | None]:
    office = format_phone(row.office_phone)
    if office and row.office_ext:
        office = labels.phone_extension(office, row.office_ext)
    return {
        "agency": row.agency_name,
        "full_name": row.full_name,
        "position": row.position,
        "role": labels.roles.get(row.role, row.role),
        "mobile": format_phone(row.mobile) or None,
        "office_phone": office or None,
        "email": row.email,
        "status": labels.statuses.get(row.status, row.status),
    }


def reference_csv(labels: RosterLabels, rows: list[ExportRow], layout: Layout) -> bytes:
    target = io.BytesIO()
    columns = layout_columns(layout)
    person_columns = [c for c in columns if c not in ("stt", *DATE_COLUMNS)]
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, dialect="excel")
    writer.writerow([neutralised(labels.headers[c]) for c in columns])
    for number, row in enumerate(rows, 1):
        shown = reference_texts(labels, row)
        values = [shown[column] or "" for column in person_columns]
        if "updated_at" in columns:
            values.append(labels.local_date(row.updated_at).strftime("%d/%m/%Y"))
        if "confirmed_at" in columns:
            confirmed = row.confirmed_at
            values.append(labels.local_date(confirmed).strftime("%d/%m/%Y") if confirmed else "")
        writer.writerow([number, *(neutralised(value) for value in values)])
    text.flush()
    text.detach()
    return target.getvalue()


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = 75
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = 74
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join([parts[0], *(" " + part for part in parts[1:])]) + "\r\n"


def reference_card(row: ExportRow, labels: RosterLabels) -> str:
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
    lines.append(f"UID:urn:spokes:person:{row.person_id}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


# --- the rows -------------------------------------------------------------------------------

WORDS = ["Nguyễn", "Thị", "Thu", "Hà", "Trần", "Quốc", "Cường", "Lò", "Văn", "Đức", "Ánh", "𝔸"]
TRICKY = [
    "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "  =1+1", "\t=1", "\r=1", " ", "",
    "a,b", "a;b", "a\\b", "line\nbreak", "cr\rlf\r\n", "'quoted", '"double"', "Bộ, ngành; tỉnh",
]  # fmt: skip
AGENCIES = ["Bộ Tài chính", "Văn phòng Chính phủ", "=cmd", "Ủy ban nhân dân tỉnh Lào Cai, Sa Pa"]
MOBILES = ["+84912345678", "+84987654321", "+84321234567", "+84869999999", "+447946095800"]
OFFICES = ["+842422202828", "+842838221234", "+842033825555", "+12025550123", "+84"]


def _text(rng: random.Random, words: int) -> str:
    if rng.random() < 0.15:
        return rng.choice(TRICKY)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _name(rng: random.Random) -> str:
    name = _text(rng, rng.choice([1, 2, 3, 4, 30]))
    return name if name.split() else "A"  # a stored name is never blank


def rows(seed: int, count: int) -> list[ExportRow]:
    rng = random.Random(seed)
    base = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # 23:00 in Vietnam: the day turns soon
    made: list[ExportRow] = []
    for person_id in range(1, count + 1):
        agency = rng.randrange(len(AGENCIES))
        ext = rng.choice([None, None, "101", "12345"])
        made.append(
            ExportRow(
                person_id=person_id,
                agency_id=agency,
                agency_name=AGENCIES[agency],
                agency_kind=rng.choice(list(AgencyKind)),
                successor_name=rng.choice([None, "Bộ Nội vụ"]),
                full_name=_name(rng),
                position=rng.choice([None, "", _text(rng, rng.randrange(1, 25))]),
                role=rng.choice([*(r.value for r in Role), "unknown_role"]),
                mobile=rng.choice([None, "", *MOBILES]),
                office_phone=rng.choice([None, "", *OFFICES]),
                office_ext=ext,
                email=rng.choice([None, "", "a.b@mof.gov.vn", "=x@y.vn", "x,y@z.vn"]),
                status=rng.choice([*(s.value for s in Status), "odd"]),
                updated_at=base + timedelta(minutes=rng.randrange(-600, 600)),
                confirmed_at=rng.choice([None, base + timedelta(minutes=rng.randrange(120))]),
            )
        )
    return made


def _batches(items: list[ExportRow], size: int) -> list[list[ExportRow]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _summary(items: list[ExportRow]) -> ExportSummary:
    tally = Tally()
    tally.add(items)
    return ExportSummary(ExportScope(), {}, [], tally)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize("size", [1, 7, 2000])
def test_the_csv_is_what_it_was(language: str, layout: Layout, size: int) -> None:
    labels = roster_labels(language, on=ON)
    items = rows(size * 31 + len(language), 600)
    target = io.BytesIO()
    writer = CsvRoster(labels, target, layout)
    for batch in _batches(items, size):
        writer.add(batch)
    writer.finish(_summary(items), target)
    assert target.getvalue() == reference_csv(labels, items, layout)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", [1, 7, 2000])
def test_the_vcards_are_what_they_were(language: str, size: int) -> None:
    labels = roster_labels(language, on=ON)
    items = rows(size * 17 + len(language), 600)
    target = io.BytesIO()
    writer = VcardRoster(labels, target)
    for batch in _batches(items, size):
        writer.add(batch)
    writer.finish(_summary(items), target)
    expected = "".join(reference_card(row, labels) for row in items).encode("utf-8")
    assert target.getvalue() == expected
    # One card alone (the published directory's) is the same text too.
    assert [card(row, labels) for row in items[:50]] == [
        reference_card(row, labels) for row in items[:50]
    ]


def test_an_empty_roster_is_its_header_alone() -> None:
    labels = roster_labels("vi", on=ON)
    target = io.BytesIO()
    writer = CsvRoster(labels, target)
    writer.finish(_summary([]), target)
    assert target.getvalue() == reference_csv(labels, [], Layout.working)
