"""The Press Department's commands on every channel: /find with its pages, /agency (with a
choice when a name fits several), /missing, /stats, /person, /verify and /retire."""

from __future__ import annotations

from tests.builders import colleagues, listed, stored
from tests.e2e.scenarios.script import (
    card,
    registered_member,
    staff,
    vi,
)
from tests.e2e.scenarios.stage import Stage

PAGE_ONE = [
    "#1 Trần Văn An",
    "#2 Trần Văn Bình",
    "#3 Trần Văn Cường",
    "#4 Trần Văn Dũng",
    "#5 Trần Văn Giang",
    "#6 Trần Văn Hà",
    "#7 Trần Văn Khánh",
    "#8 Trần Văn Long",
    "#9 Trần Văn Minh",
    "#10 Trần Văn Nam",
    "Trang sau ▶",
]
MORE = ("Long", "Minh", "Nam", "Phúc", "Quân")  # five more "Trần Văn": twelve in all


async def test_find_pages_and_opens_a_person(stage: Stage) -> None:
    await colleagues(stage.db)
    for n, given in enumerate(MORE):
        await listed(stage.db, agency="Hà Nội", full_name=f"Trần Văn {given}",
                     role="press_contact", mobile=f"0988 222 {300 + n}")  # fmt: skip
    clerk = await staff(stage, 750)
    first = await clerk.say("/find tran van")
    lines = first.split("\n")
    assert lines[0] == "Kết quả cho “tran van” (1–10):"
    # Ten a page; the phone set apart from the agency's name.
    assert lines[1] == (
        "#1 Trần Văn An — Cán bộ đầu mối cung cấp thông tin, Thành phố Hà Nội · 0988 111 200"
    )
    assert len(lines) == 11 and "Phúc" not in first
    assert first.options == PAGE_ONE
    second = await clerk.pick("Trang sau")
    assert second.split("\n")[0] == "Kết quả cho “tran van” (11–12):"
    assert second.options == ["#11 Trần Văn Phúc", "#12 Trần Văn Quân", "◀ Trang trước"]
    back = await clerk.pick("Trang trước")
    assert back.split("\n")[0] == "Kết quả cho “tran van” (1–10):"
    opened = await clerk.pick("#2 Trần Văn Bình")
    assert opened.texts[0] == card(
        2,
        full_name="Trần Văn Bình",
        agency="Thành phố Hà Nội",
        position="—",
        role="Cán bộ đầu mối cung cấp thông tin",
        mobile="0988 111 201",
        email="—",
        status="Đã xác minh",
    )
    assert opened.texts[1].startswith("Các thay đổi gần đây:\n")
    # The page again below the card: the next person is one answer away.
    assert opened.texts[2].startswith("Kết quả cho “tran van” (1–10):")
    assert opened.options == PAGE_ONE
    assert (await clerk.pick("#3 Trần Văn Cường")).texts[0].startswith("#3 Trần Văn Cường\n")
    # A new query typed while a page is shown starts a new search.
    assert (await clerk.say("khanh")).options == ["#7 Trần Văn Khánh"]

    by_alias = await clerk.say("/tim TRẦN VĂN KHÁNH")
    assert by_alias.split("\n")[0] == "Kết quả cho “TRẦN VĂN KHÁNH” (1–1):"
    assert by_alias.options == ["#7 Trần Văn Khánh"]
    assert (await clerk.say("/find +84 988.111.203")).options == ["#4 Trần Văn Dũng"]
    assert await clerk.say("/find 0912 000 000") == "Không tìm thấy ai với “0912 000 000”."
    assert "“xxx”" in await clerk.say("/find 0913.xxx.xxx")
    assert await clerk.say("/find") == vi("bot.find.ask")
    assert (await clerk.say("khanh")).options == ["#7 Trần Văn Khánh"]


async def test_old_pages_and_forged_choices_change_nothing(stage: Stage) -> None:
    await listed(stage.db)
    await listed(stage.db, full_name="Lê Thị Hà", agency="Hà Nội", mobile="0988 000 333")
    clerk = await staff(stage, 751)
    old_page = await clerk.say("/find nguyen")
    await clerk.say("/find le thi")
    stale_retire = await clerk.say("/retire 1")
    await clerk.say("/stats")
    if clerk.can.buttons:
        assert await clerk.pick("#1 Nguyễn Văn An", on=old_page) == vi("bot.question_expired")
        assert await clerk.pick("Đồng ý", on=stale_retire) == vi("bot.question_expired")
        await clerk.say("/find le thi")
        assert await clerk.forge("p999") == "Không có người nào mang số #999."
    else:
        assert await clerk.say("1") == vi("bot.not_understood")  # /stats asks nothing
    assert (await stored(stage.db, 1)).status == "verified"

    if clerk.can.buttons:
        # A focal point forging the id of someone of another agency learns nothing about them.
        focal = await staff(stage, 752, "focal", agency="Lào Cai")
        await focal.say("/find nguyen")
        assert await focal.forge("p2") == "Bạn không có quyền thực hiện thao tác này."
    assert (await stored(stage.db, 2)).version == 1


async def test_agency_missing_and_stats(stage: Stage) -> None:
    await listed(stage.db, mobile="0988 000 111")
    clerk = await staff(stage, 753)
    listed_people = await clerk.say("/agency UBND tỉnh Lào Cai")
    assert listed_people == (
        "Tỉnh Lào Cai (1 người):\n#1 Nguyễn Văn An — Người phát ngôn, Tỉnh Lào Cai · 0988 000 111"
    )
    ambiguous = await clerk.say("/agency Quảng")
    assert ambiguous == "Có nhiều cơ quan khớp; chọn một:"
    assert {"Tỉnh Quảng Ninh", "Tỉnh Quảng Trị", "Tỉnh Quảng Ngãi"} <= set(ambiguous.options)
    assert await clerk.pick("Tỉnh Quảng Ninh") == "Tỉnh Quảng Ninh chưa có ai trong danh sách."
    # Asked without a name, then answered by typing one.
    assert await clerk.say("/agency") == vi("bot.agency.ask")
    assert (await clerk.say("Lào Cai")).startswith("Tỉnh Lào Cai (1 người):")

    missing = await clerk.say("/missing")
    lines = missing.split("\n")
    assert lines[0] == "55 cơ quan chưa cử người:"
    assert "Tỉnh (27):" in lines and "Bộ (14):" in lines
    assert "• Tỉnh Quảng Ninh" in lines and "• Tỉnh Lào Cai" not in lines

    stats = (await clerk.say("/stats")).split("\n")
    assert stats[0] == "Cơ quan đã cử người / tổng số:"
    assert "• Tỉnh: 1/28" in stats and "• Bộ: 0/14" in stats
    assert "• Tổng cộng: 1/56" in stats  # agencies in all
    assert "Người trong mạng lưới: 1" in stats
    assert "• Người phát ngôn: 1" in stats and "• Đã xác minh: 1" in stats

    # Staff update anyone's record, and may move it to another agency.
    begun = await clerk.say("/update 1")
    assert begun.texts[0] == card(
        position="—", mobile="0988 000 111", email="—", status="Đã xác minh"
    )
    assert begun.options[-1] == "Cơ quan"
    await clerk.pick("Cơ quan")
    assert await clerk.say("Hà Nội") == "Đổi Cơ quan thành “Hà Nội”?"
    assert (await clerk.pick("Đồng ý")).texts[0] == "Đã cập nhật Cơ quan."
    assert (await stored(stage.db, 1)).agency_code == "tp-ha-noi"


async def test_person_verify_and_retire_with_a_confirmation(stage: Stage) -> None:
    an = await registered_member(stage, 754)
    clerk = await staff(stage, 755)
    shown = await clerk.say("/person 1")
    assert shown.texts[0] == card()
    assert shown.texts[1].startswith("Các thay đổi gần đây:\n")
    # The whole registration, in words a person reads: names, not codes.
    history = shown.texts[1]
    assert "Cơ quan" in history and "Trạng thái" in history  # its first and last entries
    assert "Tỉnh Lào Cai" in history and "Người phát ngôn" in history
    assert "tinh-lao-cai" not in history and "spokesperson" not in history
    assert "+84" not in history

    assert await clerk.say("/verify #1") == "Đã xác minh #1 Nguyễn Văn An."
    assert (await stored(stage.db, 1)).status == "verified"

    asked = await clerk.say("/retire 1")
    assert asked == (
        "Cho #1 Nguyễn Văn An (Tỉnh Lào Cai) thôi tham gia mạng lưới? Lịch sử vẫn được lưu."
    )
    assert asked.options == ["Đồng ý", "Không"]
    assert await clerk.pick("Không") == vi("bot.cancelled")
    assert (await stored(stage.db, 1)).status == "verified"
    await clerk.say("/retire 1")
    assert await clerk.pick("Đồng ý") == "#1 Nguyễn Văn An đã thôi tham gia mạng lưới."
    assert (await stored(stage.db, 1)).status == "retired"
    assert await clerk.say("/retire 1") == "#1 đã thôi tham gia mạng lưới từ trước."
    # Retired, the record is no longer the member's chat: they may register again as new.
    assert await an.say("/me") == vi("bot.me.none")

    assert await clerk.say("/person abc") == (
        "“abc” không phải số bản ghi; hãy ghi số, ví dụ /person 12."
    )
    assert await clerk.say("/person 999") == "Không có người nào mang số #999."
    assert await clerk.say("/verify") == "Hãy ghi số bản ghi sau lệnh, ví dụ /person 12."
