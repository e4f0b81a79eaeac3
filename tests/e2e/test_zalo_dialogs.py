"""How a dialog looks on Zalo: options as numbered lines with how to answer, texts cut below
2000 characters, files as download links that open once, /import as an upload page, a polite
text-only answer to pictures and other events, and a send retried when Zalo asks to wait.

What the dialogs ask, say and decide is in the scenario suite (``tests/e2e/scenarios``), which
runs on Zalo as on every channel (its driver reads the numbered lines and opens the links).
These tests look at the messages as Zalo carries them, in polling mode (the webhook delivers the
same updates; ``test_zalo_webhook.py`` covers it).
"""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest

from bot.channels.split import text_size
from bot.texts import t
from registry.uow import Database
from tests.builders import GIVEN_NAMES, grant, listed
from tests.e2e.conftest import MeetOnZalo
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.zalo_bot import RunningZalo

pytestmark = pytest.mark.parametrize("zalo_mode", ["polling"], indirect=True)

CONSENT = "1. Tôi đồng ý\n2. Không đồng ý\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)"
ROLES = (
    "1. Người đứng đầu\n2. Người phát ngôn\n3. Người được giao nhiệm vụ phát ngôn\n"
    "4. Cán bộ đầu mối cung cấp thông tin\nTrả lời 1, 2, 3 hoặc 4 (hoặc gõ “hủy” để dừng)"
)
FORMATS = (
    "1. Excel (.xlsx) để in\n"
    "2. Bản phát tại hội nghị (.xlsx, không có trạng thái, ngày cập nhật)\n"
    "3. CSV (.csv)\n4. Danh bạ điện thoại (.vcf)\n"
    "Trả lời 1, 2, 3 hoặc 4 (hoặc gõ “hủy” để dừng)"
)


async def _fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url)


async def test_options_are_numbered_lines_saying_how_to_answer(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    an = meet_on_zalo("u-901")
    started = await an.say("/start")
    assert started.texts == [
        t("vi", "bot.start.welcome"),
        f"{t('vi', 'bot.consent.notice')}\n{CONSENT}",
    ]
    await an.say("1")
    await an.say("/register")
    assert (await an.say("lao cai")).endswith("1. Tỉnh Lào Cai\nTrả lời 1 (hoặc gõ “hủy” để dừng)")
    await an.say("1")
    await an.say("Nguyễn Văn An")
    assert (
        await an.say("Chánh Văn phòng UBND tỉnh") == f"{t('vi', 'bot.register.ask_role')}\n{ROLES}"
    )
    # More than five options: the range, not every number.
    for n, given in enumerate(GIVEN_NAMES):
        await listed(database, full_name=f"Trần Văn {given}", mobile=f"0988 111 {200 + n}")
    await grant(database, an.identity, "staff")
    found = await an.say("/tim tran van")
    assert found.endswith(
        "1. #1 Trần Văn An\n2. #2 Trần Văn Bình\n3. #3 Trần Văn Cường\n4. #4 Trần Văn Dũng\n"
        "5. #5 Trần Văn Giang\n6. #6 Trần Văn Hà\n7. #7 Trần Văn Khánh\n"
        "Trả lời bằng một số từ 1 đến 7 (hoặc gõ “hủy” để dừng)"
    )
    await an.say("/lang en")
    assert await an.say("/lang") == (
        "Chọn ngôn ngữ / Choose a language:\n1. Tiếng Việt\n2. English\n"
        "Answer 1 or 2 (or type “cancel” to stop)"
    )


async def test_what_is_not_text_gets_a_polite_text_only_answer(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo
) -> None:
    an = meet_on_zalo("u-902")
    assert await an.send_image() == t("vi", "bot.unsupported_zalo")
    assert await an.send_sticker() == t("vi", "bot.unsupported_zalo")
    await an.say("/start")
    waiting = await an.send_unsupported()  # a voice message, a file: events with no text
    assert waiting.texts == [t("vi", "bot.unsupported_zalo"), t("vi", "bot.still_waiting")]
    assert "chữ" in waiting.texts[0] and "/import" in waiting.texts[0]
    await an.say("/lang en")
    assert await an.send_image() == t("en", "bot.unsupported_zalo")


async def test_long_answers_are_cut_below_2000_characters(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database, zalo: FakeZalo
) -> None:
    middle_names = ("Văn", "Thị", "Đức", "Minh", "Hữu")
    names = [f"Nguyễn {middle} {given}" for middle in middle_names for given in GIVEN_NAMES][:30]
    for number, name in enumerate(names):
        await listed(
            database,
            full_name=name,
            position="Phó Chánh Văn phòng Ủy ban nhân dân tỉnh, phụ trách công tác báo chí",
            role="press_contact",
            mobile=f"0912 000 {number:03d}",
        )
    clerk = meet_on_zalo("u-903")
    await grant(database, clerk.identity, "staff")
    listed_people = await clerk.say("/agency Lào Cai")
    assert len(listed_people.texts) >= 2
    assert all(0 < text_size(text) <= 2000 for text in listed_people.texts)
    assert all(name in listed_people for name in names)  # cut between lines, nothing lost
    assert all(len(m.text) <= 2000 for m in zalo.messages(clerk.id))


async def test_a_file_is_a_download_link_that_opens_once(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    await listed(database)
    clerk = meet_on_zalo("u-904")
    await grant(database, clerk.identity, "staff")
    assert (await clerk.say("/export")).endswith(FORMATS)
    sent = await clerk.say("1")
    assert sent.startswith(t("vi", "bot.export.done", people=1, missing=55))
    assert "chỉ mở được một lần" in sent
    [url] = re.findall(r"https?://\S+/files/\S+", sent)
    assert url.startswith(zalo_bot.base_url)
    first = await _fetch(url)
    assert first.status_code == 200
    assert "danh-sach-nguoi-phat-ngon" in first.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(first.content)).worksheets[0]
    assert "Nguyễn Văn An" in [str(c.value) for row in sheet.iter_rows() for c in row]
    again = await _fetch(url)
    assert again.status_code == 410 and "Nguyễn Văn An" not in again.text
    _file_id, _expiry, mac = url.rsplit("/", 1)[1].split(".")
    assert (await _fetch(url.replace(mac, mac[::-1]))).status_code == 403


async def test_import_gives_a_link_to_the_upload_page(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    focal = meet_on_zalo("u-905")
    await grant(database, focal.identity, "focal", agency="Lào Cai")
    answer = await focal.say("/nhap")
    assert answer.startswith(t("vi", "bot.import.send_file", max=10))
    [url] = re.findall(r"https?://\S+/upload/\S+", answer)
    page = await _fetch(url)
    assert page.status_code == 200 and 'type="file"' in page.text


async def test_a_sending_error_is_retried_and_the_person_still_gets_the_answer(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, zalo: FakeZalo
) -> None:
    an = meet_on_zalo("u-906")
    zalo.fail_next("sendMessage", 429, description="Quota exceeded", retry_after=0.05)
    started = await an.say("/start")
    assert started.texts[-1].endswith(CONSENT)
    assert len(zalo.calls_of("sendMessage")) >= 3  # two messages, one of them sent twice
