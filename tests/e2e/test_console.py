"""The terminal chat end to end: ``spokes chat`` fed a script on standard input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli_runner import Spokes, needs_script, ok, sqlite_url

pytestmark = needs_script

REGISTER = "\n".join(
    [
        "/start",
        "1",  # I agree
        "/register",
        "UBND tỉnh Lào Cai",
        "1",  # Tỉnh Lào Cai
        "Nguyễn Văn An",
        "Chánh Văn phòng UBND tỉnh",
        "2",  # spokesperson
        "0169.123.4567",
        "1",  # skip the office phone
        "an.nv@laocai.gov.vn",
        "1",  # confirm
    ]
)


@pytest.fixture
def spokes(tmp_path: Path) -> Spokes:
    runner = Spokes(tmp_path, sqlite_url(tmp_path))
    ok(runner("agencies", "load", "--edition", "2025"))
    return runner


def test_a_newcomer_registers_then_finds_themselves_as_staff(spokes: Spokes) -> None:
    chat = ok(spokes("chat", "--user", "7", "--name", "An", stdin=REGISTER + "\n/me\n"))
    out = chat.stdout
    assert "Thông báo về xử lý dữ liệu cá nhân" in out
    assert "1. Tôi đồng ý\n2. Không đồng ý\nTrả lời 1 hoặc 2" in out
    assert "số cũ 01691234567 đã được chuyển sang số mới 0391 234 567" in out
    assert "Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai)" in out
    assert "Trạng thái: Chờ xác minh" in out
    # Staff commands are refused until an admin grants the role.
    refused = ok(spokes("chat", "--user", "7", stdin="/find nguyen van an\n"))
    assert "Bạn không có quyền thực hiện thao tác này." in refused.stdout
    ok(spokes("accounts", "grant", "console:7", "admin"))
    found = ok(spokes("chat", "--user", "7", stdin="/find nguyen van an\n/stats\n"))
    assert "#1 Nguyễn Văn An — Người phát ngôn, Tỉnh Lào Cai 0391 234 567" in found.stdout
    assert "Tỉnh: 1/28" in found.stdout


def test_numbers_out_of_range_and_garbage_are_answered(spokes: Spokes) -> None:
    script = "/start\n7\n🙂\n" + "x" * 5000 + "\n1\n/register\n/cancel\n"
    out = ok(spokes("chat", "--user", "8", stdin=script)).stdout
    assert out.count("Hãy chọn một trong các lựa chọn") >= 2
    assert "Cảm ơn bạn" in out
    assert "Đã hủy" in out


def test_english_and_a_bad_user_id(spokes: Spokes) -> None:
    out = ok(spokes("chat", "--user", "9", stdin="/lang en\n/start\n")).stdout
    assert "Switched to English" in out and "Answer 1 or 2" in out
    bad = spokes("chat", "--user", "../../etc", stdin="/start\n")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_files_in_the_terminal_chat(spokes: Spokes, tmp_path: Path) -> None:
    ok(spokes("accounts", "grant", "console:7", "staff"))
    (tmp_path / "danh-sach.csv").write_text(
        "STT,Cơ quan,Họ và tên,Chức vụ,SĐT,Email\n"
        "1,UBND tỉnh Lào Cai,Nguyễn Văn An,Chánh Văn phòng,0169.123.4567,an@laocai.gov.vn\n",
        encoding="utf-8-sig",
    )
    script = "/start\n1\n/file danh-sach.csv\n1\n/export xlsx\n/file khong-co.xlsx\n"
    out = ok(spokes("chat", "--user", "7", stdin=script)).stdout
    assert "Thêm mới 1" in out and "Đã ghi vào danh sách" in out
    assert "(Đã lưu tệp:" in out and (tmp_path / "bao-cao-danh-sach.xlsx").exists()
    exported = [p for p in tmp_path.glob("*.xlsx") if p.name.startswith("danh-sach-")]
    assert len(exported) == 1 and exported[0].read_bytes()[:2] == b"PK"
    assert "Không đọc được tệp trong “/file khong-co.xlsx”" in out
