"""The upload page, in a real headless browser on a phone-sized screen.

A focal point on Zalo asks for /import, opens the link in Chromium (the system's own, driven by
Playwright; nothing is downloaded), picks a real .xlsx list, reads the dry run, confirms, and the
people are in the registry; the Zalo chat is told, with the report link.

Needs ``/usr/bin/chromium`` (Debian's package, installed by ``.ci/run``). Without it the test is
skipped, unless ``SPOKES_TEST_REQUIRE_BROWSER`` is set, as in CI.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.texts import t
from registry import accounts
from registry.uow import Database
from tests.e2e.conftest import SYSTEM, MeetOnZalo, count_people
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.zalo_bot import ZaloProcessed, zalo_running
from tests.roster_files import province_xlsx, xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST = xlsx(
    [
        ("DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ",),
        (),
        ("STT", "Họ và tên", "Chức vụ", "Cơ quan", "Điện thoại di động", "Email"),
        (1, "Nguyễn Văn An", "Chánh Văn phòng", "UBND tỉnh Lào Cai", "0912.345.678", "an@laocai.gov.vn"),
        (2, "Trần Thị Bình", "Phó Chánh Văn phòng", "Lào Cai", "0987 654 321", "binh@laocai.gov.vn"),
        (3, "Lê Văn Cường", "Chuyên viên", "Lào Cai", "số này sai", ""),
    ]
)  # fmt: skip


async def test_a_focal_point_uploads_a_list_from_a_phone_and_confirms(
    browser: object,
    zalo: FakeZalo,
    database: Database,
    zalo_processed: ZaloProcessed,
    meet_on_zalo: MeetOnZalo,
    tmp_path: Path,
) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    async with zalo_running("webhook", zalo, database):
        focal = meet_on_zalo("u-901")
        await accounts.grant(database.uow(), SYSTEM, focal.identity, "focal", agency="Lào Cai")
        answer = await focal.say("/import")
        [url] = re.findall(r"https?://\S+/upload/\S+", answer)

        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        page = await context.new_page()
        await page.goto(url)
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload.title"))
        assert await page.get_attribute("html", "lang") == "vi"
        # Made for a phone: nothing wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Checking without a file: the browser itself asks for one (the field is required).
        await page.get_by_role("button", name=t("vi", "web.upload.check")).click()
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload.title"))

        await page.set_input_files(
            "#file",
            files=[{"name": "danh-sach-lao-cai.xlsx", "mimeType": XLSX_TYPE, "buffer": LIST}],
        )
        await page.get_by_role("button", name=t("vi", "web.upload.check")).click()
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload.check_title"))
        summary = await page.locator("main").inner_text()
        assert "danh-sach-lao-cai.xlsx" in summary
        assert t("vi", "bot.import.confirm") in summary
        # Who would be added, by row; each problem with its rows, its count labelled.
        assert "Sẽ thêm vào danh sách (2)" in summary
        assert "Nguyễn Văn An (dòng 4)" in summary and "Trần Thị Bình (dòng 5)" in summary
        assert "1 dòng lỗi: dòng 6" in summary
        assert await count_people(database) == 0  # the dry run wrote nothing
        await page.screenshot(path=str(tmp_path / "dry-run.png"), full_page=True)

        confirm_url = await page.locator("form").first.get_attribute("action")
        await page.get_by_role("button", name=t("vi", "bot.import.apply")).click()
        # The import is queued: the page says so, the server writes it beside the chats.
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload_job.title"))
        await expect(page.locator("main")).to_contain_text(
            t("vi", "web.upload_job.queued", file="danh-sach-lao-cai.xlsx", run=1)
        )

        # The chat is told what happened when it is done, with the row-by-row report.
        summary_text, report_text = await focal.user.replies(2)
        assert "danh-sach-lao-cai.xlsx" in summary_text and "Lần nhập số 1." in summary_text
        assert "/files/" in report_text
        assert await count_people(database) == 2  # the row with a broken phone was not taken

        # The link is used up: opening it again, or confirming again, changes nothing.
        await page.goto(url)
        await expect(page.locator("h1")).to_have_text(t("vi", "web.refused_title"))
        again = await page.request.post(f"{url.split('/upload/')[0]}{confirm_url}")
        assert again.status == 410
        assert await count_people(database) == 2
        await context.close()


async def test_staff_are_asked_on_the_page_whose_list_names_no_agency(
    browser: object,
    zalo: FakeZalo,
    database: Database,
    zalo_processed: ZaloProcessed,
    meet_on_zalo: MeetOnZalo,
) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    async with zalo_running("webhook", zalo, database):
        clerk = meet_on_zalo("u-902")
        await accounts.grant(database.uow(), SYSTEM, clerk.identity, "staff")
        answer = await clerk.say("/import")
        [url] = re.findall(r"https?://\S+/upload/\S+", answer)
        context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        page = await context.new_page()
        await page.goto(url)
        await page.set_input_files(
            "#file",
            files=[
                {
                    "name": "ds.xlsx",
                    "mimeType": XLSX_TYPE,
                    "buffer": province_xlsx(("ỦY BAN NHÂN DÂN",)),
                }
            ],
        )
        await page.get_by_role("button", name=t("vi", "web.upload.check")).click()
        # The letterhead names no single agency: the page asks, as the chat would, no option.
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload_agency.title"))
        asked = await page.locator("main").inner_text()
        assert t("vi", "bot.import_agency.ask", file="ds.xlsx") in asked and "--" not in asked
        # Forged answers: a list the page never showed, an agency that does not exist.
        action = f"{url.split('/upload/')[0]}/upload/{url.split('/upload/')[1]}/agency"
        forged = await page.request.post(action, form={"held": "forged", "agency": "tinh-lao-cai"})
        assert forged.status == 410
        held = await page.locator("input[name=held]").first.get_attribute("value")
        assert held
        unknown = await page.request.post(action, form={"held": held, "agency": "khong-co-dau"})
        assert unknown.status == 400 and "khong-co-dau" in await unknown.text()
        assert await count_people(database) == 0
        search = t("vi", "web.upload_agency.search")
        await page.fill("#query", "qqqq zzzz")
        await page.get_by_role("button", name=search).click()
        await expect(page.locator(".error")).to_have_text(
            t("vi", "bot.import_agency.not_found", query="qqqq zzzz")
        )
        await page.fill("#query", "lao cai")
        await page.get_by_role("button", name=search).click()
        await page.get_by_role("button", name="Tỉnh Lào Cai").click()
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload.check_title"))
        summary = await page.locator("main").inner_text()
        assert "Cơ quan của cả danh sách: Tỉnh Lào Cai." in summary
        assert "Hoàng Văn Sơn (dòng 7)" in summary and "Bảng kết thúc ở dòng 12" in summary
        assert await count_people(database) == 0
        await page.get_by_role("button", name=t("vi", "bot.import.apply")).click()
        await expect(page.locator("h1")).to_have_text(t("vi", "web.upload_job.title"))
        summary_text, _ = await clerk.user.replies(2)
        assert "Tỉnh Lào Cai" in summary_text and "Đã thêm 3 người" in summary_text
        assert await count_people(database) == 3
        await context.close()
