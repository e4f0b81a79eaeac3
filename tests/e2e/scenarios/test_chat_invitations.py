"""Invitations on every channel: staff make one with /invite and get its QR code; the code,
read back from the image as a phone camera would, opens the bot with the agency chosen; a
focal-point invitation makes the person the agency's focal point once they accept; revoked,
used, expired and changed invitations are refused in the person's language, and nothing
changes."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import zxingcpp
from PIL import Image

from registry import accounts, catalog, invitations
from registry.actors import Actor
from tests.builders import (
    INVITATION_KEY,
    SYSTEM,
    account,
    count_people,
    expired_invitation,
    invitation,
    invitation_uses,
    person_of,
    role_of,
    stored,
)
from tests.e2e.scenarios.driver import Answer, ChatDriver
from tests.e2e.scenarios.script import (
    ASK,
    CONSENT_OPTIONS,
    REFUSAL,
    en,
    member,
    register,
    staff,
    vi,
)
from tests.e2e.scenarios.stage import Stage

PURPOSES = ["Cử cán bộ đầu mối", "Người phát ngôn tự đăng ký"]


def scanned(png: bytes) -> str:
    """What a phone camera reads from the QR code: the text it holds."""
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(code.text)


def token_of(text: str) -> str:
    """The invitation token in what the code holds: a t.me deep link (Telegram opens the bot
    and sends /start TOKEN) or the /start line itself (typed on Zalo and in the terminal)."""
    if text.startswith("https://t.me/"):
        [token] = parse_qs(urlparse(text).query)["start"]
        return token
    assert text.startswith("/start ")
    return text.removeprefix("/start ")


async def made_by_staff(stage: Stage, clerk: ChatDriver, purpose: str) -> tuple[Answer, str]:
    """/invite for Lào Cai, as staff type it; the answer and the token its QR code holds."""
    assert await clerk.say("/invite") == vi("bot.invite.ask_agency")
    picks = await clerk.say("lao cai")
    assert picks == vi("bot.invite.pick_agency") and picks.options == ["Tỉnh Lào Cai"]
    asked = await clerk.pick("Tỉnh Lào Cai")
    assert asked == vi("bot.invite.ask_purpose", agency="Tỉnh Lào Cai")
    assert asked.options == PURPOSES
    made = await clerk.pick(purpose)
    [qr] = made.documents
    assert qr.name.endswith(".png") and qr.content.startswith(b"\x89PNG")
    text = scanned(qr.content)
    if stage.channel == "telegram":  # the bot's name as Telegram gave it (getMe)
        assert text.startswith("https://t.me/spokes_test_bot?start=")
        assert text in made.texts[0]
    return made, token_of(text)


async def test_an_invitation_scanned_from_its_qr_code_registers_for_its_agency(
    stage: Stage,
) -> None:
    clerk = await staff(stage, 900)
    made, token = await made_by_staff(stage, clerk, "Người phát ngôn tự đăng ký")
    assert made.texts[0].startswith("Đã tạo lời mời số 1 cho Tỉnh Lào Cai")
    assert f"/start {token}" in made.texts[0]

    an = stage.meet(901)
    opened = await an.say(f"/start {token}")
    assert opened.texts == [vi("bot.start.welcome"), vi("bot.consent.notice")]
    assert opened.options == CONSENT_OPTIONS
    # Once the notice is accepted, registration begins with the agency chosen.
    accepted = await an.pick("Tôi đồng ý")
    assert accepted.texts == [
        vi("bot.consent_resume.accepted"),
        vi("bot.invite.for_agency", agency="Tỉnh Lào Cai"),
        ASK["full_name"],
    ]
    done = await register(an, after="agency", mobile="0912 345 678")
    assert done.texts[-1].startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai)")
    person_id = await person_of(stage.db, an.identity)
    assert person_id is not None
    assert (await stored(stage.db, person_id)).agency_name == "Tỉnh Lào Cai"
    assert await invitation_uses(stage.db, token) == 1

    # A colleague uses the same letter; someone who already consented goes straight on.
    ba = await member(stage, 902, "Bình Lê")
    straight = await ba.say(f"/start {token}")
    assert straight.texts == [
        vi("bot.start.welcome"),
        vi("bot.invite.for_agency", agency="Tỉnh Lào Cai"),
        ASK["full_name"],
    ]
    # The agency of an invitation is not one of the answers to change.
    await register(
        ba, after="agency", until="summary", full_name="Lê Thị Bình", mobile="0913 000 111"
    )
    fields = await ba.pick("Sửa một mục")
    assert fields.options[0] == "Họ và tên" and "Cơ quan" not in fields.options


async def test_a_focal_invitation_makes_the_person_the_agencys_focal_point(stage: Stage) -> None:
    clerk = await staff(stage, 910)
    _, token = await made_by_staff(stage, clerk, "Cử cán bộ đầu mối")
    chi = stage.meet(911, "Chi Lê")
    await chi.say(f"/start {token}")
    offered = await chi.pick("Tôi đồng ý")
    assert offered.texts[-1] == vi("bot.invite.focal_offer", agency="Tỉnh Lào Cai")
    assert offered.options == [vi("bot.invite.accept"), "Không"]
    assert await role_of(stage.db, chi.identity) == "member"  # not before the person accepts
    accepted = await chi.pick(vi("bot.invite.accept"))
    assert accepted.texts == [
        vi("bot.invite.focal_done", agency="Tỉnh Lào Cai"),
        vi("bot.register.for_agency", agency="Tỉnh Lào Cai"),
        ASK["full_name"],
    ]
    assert await role_of(stage.db, chi.identity) == "focal"
    stored_account = await account(stage.db, chi.identity)
    lao_cai = await catalog.find_agency(stage.db.uow(), "Lào Cai")
    assert stored_account is not None and stored_account.agency_id == lao_cai.id
    # The focal point's commands are theirs now.
    assert "/claims" in await chi.say("/help")

    # The code works once: a second person is refused, and stays a member.
    dung = stage.meet(912, "Dũng Võ")
    again = await dung.say(f"/start {token}")
    assert again.texts[0] == vi("error.invitation.used")
    assert await role_of(stage.db, dung.identity) == "member"


async def test_declining_a_focal_invitation_leaves_it_unused(stage: Stage) -> None:
    token = await invitation(stage.db, purpose="focal")
    chi = await member(stage, 913, "Chi Lê")
    offered = await chi.say(f"/start {token}")
    assert offered.texts[-1] == vi("bot.invite.focal_offer", agency="Tỉnh Lào Cai")
    assert await chi.pick("Không") == vi("bot.cancelled")
    assert await role_of(stage.db, chi.identity) == "member"
    assert await invitation_uses(stage.db, token) == 0
    # Nothing of it is left behind: /register asks for the agency as usual.
    assert await chi.say("/register") == ASK["agency"]


async def test_revoked_used_expired_and_changed_invitations_are_refused(stage: Stage) -> None:
    revoked = await invitation(stage.db)
    await invitations.revoke(
        stage.db.uow(), SYSTEM, invitations.verify(INVITATION_KEY, revoked).invitation_id
    )
    used = await invitation(stage.db, purpose="focal")
    await invitations.accept_focal(stage.db.uow(), await _member_actor(stage), INVITATION_KEY, used)
    expired = await expired_invitation(stage.db)
    good = await invitation(stage.db, "Bộ Tài chính")
    changed = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    swapped = good[:10] + good[11:] + good[10]  # the same letters, out of order
    cases = {
        revoked: "error.invitation.revoked",
        used: "error.invitation.used",
        expired: "error.invitation.expired",
        changed: "error.invitation.tampered",
        swapped: "error.invitation.tampered",
        good[:-1]: "error.invitation.tampered",  # copied one letter short
    }
    an = stage.meet(920)
    for number, (token, key) in enumerate(cases.items()):
        person = stage.meet(921 + number)
        refused = await person.say(f"/start {token}")
        assert refused.texts[0].startswith(vi(key).split("{")[0]), (key, refused.texts)
        assert refused.texts[1:] == [vi("bot.start.welcome"), vi("bot.consent.notice")]
        # Accepting the notice then starts nothing: no agency was kept.
        assert await person.pick("Tôi đồng ý") == vi("bot.consent.accepted")
        assert await role_of(stage.db, person.identity) == "member"
    # In English too, and in the person's language.
    await an.say("/lang en")
    refused = await an.say(f"/start {revoked}")
    assert refused.texts[0] == en("error.invitation.revoked")
    assert await count_people(stage.db) == 0
    assert await invitation_uses(stage.db, revoked) == 0
    # A good one still works after all that.
    assert vi("bot.invite.for_agency", agency="Bộ Tài chính") in await (
        await member(stage, 930)
    ).say(f"/start {good}")


async def test_only_staff_make_invitations(stage: Stage) -> None:
    an = await member(stage, 940)
    assert await an.say("/invite") == REFUSAL
    focal = await staff(stage, 941, "focal", agency="Lào Cai")
    assert await focal.say("/moi lao cai") == REFUSAL
    clerk = await staff(stage, 942)
    # Garbage at each question: asked again, nothing made.
    await clerk.say("/invite")
    assert (await clerk.say("x" * 300)).texts[-1] == vi("bot.invite.ask_agency")
    assert (await clerk.say("zzzzqqq")).texts[-1] == vi("bot.invite.ask_agency")
    await clerk.say("lao cai")
    await clerk.pick("Tỉnh Lào Cai")
    again = await clerk.say("có lẽ")
    assert again.texts == [
        vi("bot.choose_option"),
        vi("bot.invite.ask_purpose", agency="Tỉnh Lào Cai"),
    ]
    assert await clerk.say("/cancel") == vi("bot.cancelled")
    assert await invitations.list_invitations(stage.db.uow(), SYSTEM) == []


async def _member_actor(stage: Stage) -> Actor:
    return await accounts.ensure_account(stage.db.uow(), "console", "someone-else")
