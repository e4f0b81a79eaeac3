"""/link across two channels, with the channel under test on one side: the person's other
account talks to the same bot (the same database) on another channel, through the engine.

The codes and the rules of merging two accounts are the registry's (tests/integration/
test_linking.py); the real Telegram and Zalo servers side by side are in
tests/e2e/test_link_channels.py.
"""

from __future__ import annotations

import re

from bot.texts import t
from registry.models import LinkCode
from tests.builders import count, grant, person_of, registered, role_of
from tests.e2e.scenarios.script import consent, en, registered_member, staff, vi
from tests.e2e.scenarios.stage import Stage

CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b")
OTHER = {"console": "telegram", "telegram": "zalo", "zalo": "telegram"}


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group(1)


def named(channel: str, language: str = "vi") -> str:
    return t(language, f"bot.link.channel.{channel}")


async def test_a_code_given_here_joins_the_persons_account_on_another_channel(
    stage: Stage,
) -> None:
    clerk = await staff(stage, 780)
    given = await clerk.say("/link")
    code = code_in(given)
    assert f"/link {code}" in given
    assert "10 phút" in given and "Telegram hoặc Zalo" in given
    other = stage.beside(781, OTHER[stage.channel])
    asked = await other.say(f"/link {code}")
    # Whose code it is, before anything changes: a code passed on by someone else is caught.
    assert asked.startswith(f"Mã này do tài khoản {named(stage.channel)} “Bình Lê” tạo.")
    assert "Chỉ đồng ý nếu cả hai tài khoản đều là của bạn." in asked
    assert asked.options == ["Liên kết", "Không"]
    assert await role_of(stage.db, other.identity) == "member"
    done = await other.pick("Liên kết")
    assert (
        f"Tài khoản {named(other.channel)} này và tài khoản {named(stage.channel)} đã là một "
        "người; vai trò: cán bộ Cục Báo chí." in done
    )
    assert "/register" in done  # no record yet
    # Staff commands now work from the other account too, and the code was for one use.
    assert "Cơ quan đã cử người" in await other.say("/stats")
    assert (await other.say(f"/link {code}")).startswith("Mã liên kết không đúng hoặc đã hết hạn.")


async def test_a_code_from_another_channel_is_redeemed_here_in_english(stage: Stage) -> None:
    other = stage.beside(782, OTHER[stage.channel])
    await grant(stage.db, other.identity, "focal", agency="Lào Cai")
    await other.consent()
    await other.say("/lang en")
    given = await other.say("/lienket")
    code = code_in(given)
    assert "Within 10 minutes" in given and f"/link {code}" in given
    here = stage.meet(783)
    await here.say("/lang en")
    asked = await here.say(f"/link {code.lower()}")
    assert asked.startswith(f"This code was made by the {named(other.channel, 'en')} account")
    done = await here.pick("Link")
    assert (
        f"This {named(stage.channel, 'en')} account and the {named(other.channel, 'en')} "
        "account are now one person; role: agency focal point (Tỉnh Lào Cai)." in done
    )
    # The focal point's rights hold here now.
    assert await here.say("/agency Lào Cai") == t(
        "en", "bot.agency.empty", agency="Lào Cai Province"
    )
    assert t("en", "bot.help_role.staff") in await here.say("/help")


async def test_a_registered_member_sees_their_record_from_the_other_account(
    stage: Stage,
) -> None:
    an = await registered_member(stage, 784)
    code = code_in(await an.say("/link"))
    other = stage.beside(785, OTHER[stage.channel])
    # Never accepted the notice on the other account: the one accepted here counts.
    await other.say(f"/link {code}")
    done = await other.pick("Liên kết")
    assert "vai trò: thành viên" in done and "#1" in done
    me = await other.say("/me")
    assert "#1 Nguyễn Văn An" in me and "Chờ xác minh" in me
    assert "cần đồng ý" not in me
    assert "đã đăng ký rồi" in await other.say("/register")
    assert await person_of(stage.db, other.identity) == 1


async def test_garbage_codes_get_the_clear_error_and_link_nothing(stage: Stage) -> None:
    await stage.beside(787, OTHER[stage.channel]).say("/start")
    an = stage.meet(788)
    for garbage in ["xyz", "A" * 500, "🙂🙂🙂", "ABCD-EFG0", "-", "<b>ABCD</b>"]:
        answer = await an.say(f"/link {garbage}")
        assert answer.startswith("Mã liên kết không đúng hoặc đã hết hạn."), garbage
        assert "ABCD-EFGH" in answer and "10 phút" in answer
        if len(garbage) > 3:
            assert garbage not in answer  # what was typed is not echoed back
    await an.say("/lang en")
    english = await an.say("/link xyz")
    assert english.startswith("This link code is wrong or has expired.")
    assert await person_of(stage.db, an.identity) is None
    # A code of one's own is given only after the personal-data notice.
    asked = await an.say("/link")
    assert asked.texts == [en("bot.consent.required"), en("bot.consent.notice")]
    assert CODE.search(asked) is None and await count(stage.db, LinkCode) == 0
    await an.pick("I agree")
    assert CODE.search(await an.say("/link"))
    assert await count(stage.db, LinkCode) == 1


async def test_own_code_and_two_records_are_told_apart(stage: Stage) -> None:
    here = stage.meet(789)
    other = stage.beside(790, OTHER[stage.channel])
    await registered(stage.db, here.identity)
    await registered(stage.db, other.identity, full_name="Trần Thị Bình", mobile="0988 111 222")
    code = code_in(await here.say("/link"))
    assert "chính tài khoản này" in await here.say(f"/link {code}")
    await other.say(f"/link {code}")
    refused = await other.pick("Liên kết")
    assert "hai bản ghi khác nhau (#1 và #2)" in refused and "chưa có gì thay đổi" in refused


async def test_declining_links_nothing_and_keeps_the_code(stage: Stage) -> None:
    admin = stage.meet(791)
    await grant(stage.db, admin.identity, "admin")
    await consent(admin)
    code = code_in(await admin.say("/link"))
    stranger = stage.beside(792, OTHER[stage.channel])
    await stranger.say(f"/link {code}")
    assert await stranger.pick("Không") == vi("bot.cancelled")
    assert await role_of(stage.db, stranger.identity) == "member"
    assert await count(stage.db, LinkCode) == 1
    # And the other way round: a code from the other channel, declined here.
    other_admin = stage.beside(793, OTHER[stage.channel])
    await grant(stage.db, other_admin.identity, "admin")
    await other_admin.consent()
    code = code_in(await other_admin.say("/link"))
    someone = stage.meet(794)
    await someone.say(f"/link {code}")
    assert await someone.pick("Không") == vi("bot.cancelled")
    assert await role_of(stage.db, someone.identity) == "member"
    assert await count(stage.db, LinkCode) == 2
