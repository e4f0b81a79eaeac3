"""Someone their agency already imported claims the record from their chat, on every channel:
the claim waits for staff (or the agency's focal point), who confirm it with /claims; then /me
shows the record. Garbage at each question of /claims gets a clear message."""

from __future__ import annotations

from tests.builders import listed, person_of
from tests.e2e.scenarios.script import REFUSAL, member, register, staff, vi
from tests.e2e.scenarios.stage import Stage

OPTION = "Nguyễn Văn An (Tỉnh Lào Cai)"


async def test_an_imported_person_claims_the_record_and_staff_confirm_it(stage: Stage) -> None:
    await listed(stage.db, source="import")
    clerk = await staff(stage, 801)
    an = await member(stage, 800)
    # The mobile is typed (no contact button on this channel, or not pressed).
    filed = await register(an, mobile="0912 345 678", email="an@laocai.gov.vn")
    # Where chats share one screen (the terminal), the deciders' message follows it.
    assert (
        vi("bot.claims.filed", name="Nguyễn Văn An", person_id=1, claim_id=1, agency="Tỉnh Lào Cai")
        in filed
    )
    assert await person_of(stage.db, an.identity) is None  # waiting for a decision
    assert await an.say("/claims") == REFUSAL

    listing = await clerk.say("/claims")
    assert vi("bot.claims.pick", count=1) in listing
    assert listing.options == [f"#1 {OPTION} ← {an.identity}"]
    again = await clerk.say("không biết")
    assert vi("bot.choose_option") in again
    shown = await clerk.pick(f"#1 {OPTION} ← {an.identity}")
    assert an.identity in shown
    assert "#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai" in shown
    assert shown.options == ["Xác nhận", "Từ chối"]
    assert vi("bot.choose_option") in (await clerk.say("ok"))
    done = await clerk.pick("Xác nhận")
    assert (
        vi("bot.claims.confirmed", claim_id=1, chat=an.identity, person_id=1, name="Nguyễn Văn An")
        in done
    )
    assert await person_of(stage.db, an.identity) == 1

    me = await an.say("/me")
    assert "#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai" in me
    assert vi("bot.claims.none") in (await clerk.say("/claims"))
    assert vi("error.claim.bad_id", text="abc") in (await clerk.say("/claims abc"))


async def test_a_focal_point_refuses_a_claim_and_the_record_stays_unclaimed(stage: Stage) -> None:
    await listed(stage.db, source="import")
    focal = await staff(stage, 803, "focal", agency="Lào Cai")
    an = await member(stage, 802)
    await register(an, mobile="0912 345 678")
    await focal.say("/claims")
    await focal.pick(f"#1 {OPTION} ← {an.identity}")
    refused = await focal.pick("Từ chối")
    assert vi("bot.claims.refused", claim_id=1, person_id=1) in refused
    assert await person_of(stage.db, an.identity) is None
