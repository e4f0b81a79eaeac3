"""Messy answers on every channel: what is unambiguous is read and the person told what was
changed; the rest gets its own reason and the question again."""

from __future__ import annotations

from tests.builders import stored
from tests.e2e.scenarios.script import ASK, member, register, summary, vi
from tests.e2e.scenarios.stage import Stage


async def test_a_number_in_parts_and_an_email_ending_a_sentence(stage: Stage) -> None:
    an = await member(stage, 780)
    await register(an, until="mobile")
    joined = await an.say("0912/345/678")
    assert joined.texts[0] == vi(
        "notice.phone.slash.joined",
        field="Điện thoại di động",
        old="0912/345/678",
        new="0912 345 678",
    )
    assert joined.texts[-1] == ASK["office_phone"]
    await an.say("bỏ qua")
    checked = await an.say("An.NV@LaoCai.gov.vn.")
    assert checked.texts == [
        vi("notice.email.trailing_dot", email="an.nv@laocai.gov.vn"),
        summary(),
    ]
    await an.say("xác nhận")
    record = await stored(stage.db, 1)
    assert (record.mobile, record.email) == ("+84912345678", "an.nv@laocai.gov.vn")


async def test_unclear_slashes_and_a_short_landline_get_their_own_reason(stage: Stage) -> None:
    an = await member(stage, 781)
    await register(an, until="office_phone")
    unclear = await an.say("0243 888 999/101")
    reason = vi("error.phone.slash.unclear", number="0243 888 999/101")
    assert unclear.texts[0] == f"Điện thoại cố định: {reason}"
    assert unclear.texts[-1] == ASK["office_phone"]
    short = await an.say("0243 888 999")
    assert short.texts[0].startswith("Điện thoại cố định: Số điện thoại quá ngắn")
    assert short.texts[-1] == ASK["office_phone"]
