"""Names and extensions as people read them, on every channel: a name typed in capitals is
kept in the usual case and the person is told; an office extension reads "máy lẻ" in the
Vietnamese chat and "ext." in the English one."""

from __future__ import annotations

from tests.builders import stored
from tests.e2e.scenarios.script import ASK, card, member, register, summary, vi
from tests.e2e.scenarios.stage import Stage


async def test_a_name_in_capitals_is_kept_in_the_usual_case_with_a_notice(stage: Stage) -> None:
    an = await member(stage, 770)
    await register(an, until="full_name")
    told = await an.say("NGUYỄN VĂN AN")
    assert told.texts == [
        vi("notice.name.recased", name="Nguyễn Văn An"),
        ASK["position"],
    ]
    checked = await register(an, after="full_name", until="summary")
    assert checked == summary()  # "Họ và tên: Nguyễn Văn An"
    await an.say("xác nhận")
    assert (await stored(stage.db, 1)).full_name == "Nguyễn Văn An"
    assert (await an.say("/me")).texts[0] == card()


async def test_a_name_typed_as_usual_gets_no_notice(stage: Stage) -> None:
    an = await member(stage, 771)
    await register(an, until="full_name")
    assert (await an.say("Lê Thị McLean")).texts == [ASK["position"]]


async def test_an_extension_reads_in_the_language_of_the_chat(stage: Stage) -> None:
    an = await member(stage, 772)
    await register(an, until="office_phone")
    checked = await register(
        an, after="mobile", until="summary", office_phone="(024) 3822 1234 ext 12"
    )
    assert checked == summary(office_phone="024 3822 1234 máy lẻ 12")
    await an.say("xác nhận")
    assert card(office_phone="024 3822 1234 máy lẻ 12") == (await an.say("/me")).texts[0]
    await an.say("/lang")
    await an.say("English")
    assert "Office phone: 024 3822 1234 ext. 12" in (await an.say("/me")).texts[0]
