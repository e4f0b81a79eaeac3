"""A long list of spokespeople, as an agency might send it, every row valid and different.

The fault tests import it to have an import that lasts a while: long enough to be killed in
the middle, or to run while the bot is used.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tests.roster_files import csv_bytes

FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLES = ("Văn", "Thị", "Minh", "Quốc", "Thanh", "Hữu", "Ngọc", "Đức", "Thu", "Hoài")
GIVENS = (
    "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng", "Hương",
    "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Phong", "Phúc", "Quang", "Quý",
    "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Tiến", "Trang", "Trung", "Tú", "Tuấn", "Uyên", "Vân",
    "Việt", "Vinh", "Xuân", "Yến",
)  # fmt: skip
# Agency cells as lists write them, and the agency each one means.
AGENCIES = (("UBND tỉnh Lào Cai", "Tỉnh Lào Cai"), ("Thành phố Hà Nội", "Thành phố Hà Nội"))
HEADER = ("STT", "Họ tên", "Chức danh", "Đơn vị", "ĐT di động", "E-mail")


@dataclass(frozen=True)
class Row:
    full_name: str
    agency: str  # the agency's official name
    agency_cell: str
    position: str
    mobile: str  # as stored: E.164
    mobile_cell: str
    email: str


def people(count: int) -> list[Row]:
    """``count`` different people (at most 4,000)."""
    names = itertools.product(FAMILIES, MIDDLES, GIVENS)
    rows = []
    for number, (family, middle, given) in zip(range(count), names, strict=False):
        agency_cell, agency = AGENCIES[number % len(AGENCIES)]
        rows.append(
            Row(
                full_name=f"{family} {middle} {given}",
                agency=agency,
                agency_cell=agency_cell,
                position=f"Chuyên viên phòng {number % 7 + 1}",
                mobile=f"+8491200{number:04d}",
                mobile_cell=f"0912.00{number // 100:02d}.{number % 100:02d}",
                email=f"nguoi{number}@coquan.gov.vn",
            )
        )
    assert len(rows) == count
    return rows


def list_csv(rows: list[Row]) -> bytes:
    cells = [
        (n, r.full_name, r.position, r.agency_cell, r.mobile_cell, r.email)
        for n, r in enumerate(rows, start=1)
    ]
    return csv_bytes([HEADER, *cells])
