"""Where an agency's list ends and which agency its letterhead names, read without a database:
the closing block of a letter is recognised, a person's row never is."""

from __future__ import annotations

import pytest

from registry.roster.intake.checks import is_example_row
from registry.roster.intake.closing import has_contact, is_closing
from registry.roster.intake.letterhead import candidates
from registry.roster.intake.reader import read_list
from tests.roster_files import csv_bytes, province_csv, province_xlsx


@pytest.mark.parametrize(
    "cells",
    [
        ["Nơi nhận:", "", "", "KT. CHỦ TỊCH"],
        ["", "", "", "Lào Cai, ngày 05 tháng 8 năm 2025"],
        ["", "", "", "Hà Nội, ngày    tháng    năm 2025"],
        ["Người lập biểu"],
        ["", "", "PHÓ CHỦ TỊCH"],
        ["TM. ỦY BAN NHÂN DÂN"],
    ],
)
def test_the_closing_block_of_a_letter_ends_the_table(cells: list[str]) -> None:
    assert is_closing(cells, {"mobile": cells[-1]})


@pytest.mark.parametrize(
    ("cells", "values"),
    [
        # A person whose position is a signer's title, with a number or a row number.
        (["Lê Văn Tịch", "Chủ tịch", "0912 345 678"], {"mobile": "0912 345 678"}),
        (["1", "Lê Văn Tịch", "Chủ tịch"], {"stt": "1"}),
        (["Nguyễn Văn An", "Chánh Văn phòng", "an@laocai.gov.vn"], {"email": "an@laocai.gov.vn"}),
        # Too many cells filled to be a line of the closing block.
        (["Lê Văn Tịch", "Chủ tịch", "Tỉnh Lào Cai", "ghi chú"], {}),
    ],
)
def test_a_persons_row_never_ends_the_table(cells: list[str], values: dict[str, str]) -> None:
    assert not is_closing(cells, values)


def test_a_date_under_a_phone_column_is_no_phone_number() -> None:
    assert not has_contact({"mobile": "Lào Cai, ngày 05 tháng 08 năm 2025"})
    assert has_contact({"office_phone": "(024) 3825.2931"})


def test_the_reader_keeps_the_letterhead_and_stops_at_the_signature() -> None:
    for data in (province_xlsx(), province_csv()):
        table = read_list(data)
        assert [row.get("full_name") for row in table.rows] == [
            "Hoàng Văn Sơn",
            "Lò Thị Mai",
            "Giàng A Páo",
            "Vàng Thị Dua",
        ]
        assert table.ended_at is not None
        assert "UBND TỈNH LÀO CAI" in candidates(table.letterhead)


def test_a_list_without_a_closing_block_reads_to_its_last_row() -> None:
    table = read_list(csv_bytes([("Họ và tên", "Điện thoại"), ("Nguyễn Văn An", "0912 345 678")]))
    assert table.ended_at is None and len(table.rows) == 1


def test_a_two_line_letterhead_is_read_as_one_name() -> None:
    table = read_list(province_xlsx(("ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI")))
    assert "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in list(candidates(table.letterhead))


def test_a_long_cell_is_judged_by_its_beginning() -> None:
    # A letter pasted into one cell: what decides is how it starts, not what its page holds.
    recipients = "Nơi nhận: " + "- Sở Văn hóa, Thể thao và Du lịch; " * 400
    assert is_closing([recipients], {})
    letter = "Kính gửi Cục Báo chí. " * 400 + "Lào Cai, ngày 05 tháng 8 năm 2025"
    assert not is_closing([letter], {})


def test_an_example_row_with_a_long_note_is_still_the_example() -> None:
    table = read_list(
        csv_bytes(
            [
                ("STT", "Họ và tên", "Điện thoại"),
                ("Ví dụ: " + "ghi rõ họ tên, chức vụ " * 500, "Nguyễn Văn Mẫu", "0912 345 678"),
                ("1", "Nguyễn Văn An", "0912 345 679"),
            ]
        )
    )
    example, person = table.rows
    assert is_example_row(example, table.columns)
    assert not is_example_row(person, table.columns)
