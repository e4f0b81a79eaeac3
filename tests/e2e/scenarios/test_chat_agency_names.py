"""Naming an agency in chat on every channel: a name of before the 2025 mergers leads to today's
agency with a notice, a typo gets "did you mean" choices, "UBND" alone asks which province, and
the English interface shows the agencies' English names."""

from __future__ import annotations

from tests.e2e.scenarios.script import ASK, en, member, vi
from tests.e2e.scenarios.stage import Stage


async def test_a_province_merged_in_2025_leads_to_its_successor_with_a_notice(
    stage: Stage,
) -> None:
    an = await member(stage, 730)
    assert await an.say("/register") == ASK["agency"]
    picks = await an.say("UBND tỉnh Yên Bái")
    assert picks.texts == [
        "Tỉnh Yên Bái đã hợp nhất vào Tỉnh Lào Cai từ ngày 01/07/2025.",
        vi("bot.register.pick_agency", count=1),
    ]
    assert picks.options == ["Tỉnh Lào Cai"]
    assert await an.pick("Tỉnh Lào Cai") == ASK["full_name"]


async def test_the_readme_abbreviation_of_a_merged_ministry(stage: Stage) -> None:
    an = await member(stage, 731)
    await an.say("/register")
    picks = await an.say("Bộ TT&TT")
    assert picks.texts[0] == (
        "Bộ Thông tin và Truyền thông đã hợp nhất vào Bộ Khoa học và Công nghệ từ ngày 01/03/2025."
    )
    assert picks.options == ["Bộ Khoa học và Công nghệ"]


async def test_a_typo_offers_the_closest_names_and_one_is_picked(stage: Stage) -> None:
    an = await member(stage, 732)
    await an.say("/register")
    offered = await an.say("Lao Kai")
    assert offered == vi("bot.agency_name.did_you_mean", query="Lao Kai")
    assert "Tỉnh Lào Cai" in offered.options
    assert await an.pick("Tỉnh Lào Cai") == ASK["full_name"]


async def test_a_name_too_far_from_any_agency_is_not_found(stage: Stage) -> None:
    an = await member(stage, 733)
    await an.say("/register")
    nothing = await an.say("Xyzzyq")
    assert nothing.texts == [
        vi("bot.register.agency_not_found", query="Xyzzyq"),
        vi("bot.register.ask_agency"),
    ]


async def test_ubnd_alone_asks_which_province(stage: Stage) -> None:
    an = await member(stage, 734)
    await an.say("/register")
    assert await an.say("UBND") == vi("bot.agency_name.which_province")
    picks = await an.say("Lào Cai")
    assert picks.options == ["Tỉnh Lào Cai"]


async def test_english_names_in_the_english_interface(stage: Stage) -> None:
    an = await member(stage, 735)
    assert await an.say("/lang en") == "Switched to English."
    await an.say("/register")
    picks = await an.say("MOF")
    assert picks == en("bot.register.pick_agency", count=1)
    assert picks.options == ["Ministry of Finance"]
    assert await an.say("/cancel") == en("bot.cancelled")
    await an.say("/register")
    offered = await an.say("Peoples Committee of Lao Kai")
    assert offered == en("bot.agency_name.did_you_mean", query="Peoples Committee of Lao Kai")
    assert "Lào Cai Province" in offered.options
    assert await an.pick("Lào Cai Province") == en("bot.register.ask_full_name")
