"""Who may do what, on every channel: each staff and admin command tried by a member, a focal
point, staff and an admin; a focal point kept to its agency; an admin's /grant and /revoke."""

from __future__ import annotations

from tests.builders import account, listed, stored
from tests.e2e.scenarios.script import (
    CONFIRM,
    REFUSAL,
    member,
    staff,
    vi,
)
from tests.e2e.scenarios.stage import Stage

# command: the roles allowed (the focal point answers for Tỉnh Lào Cai, where #1 works);
# {nine} is someone else who has talked to the bot. /update 1 and /retire 1 open the record as
# /person 1 does (the same check), and are tried by a focal point of another agency below.
STAFF_COMMANDS: dict[str, set[str]] = {
    "/find nguyen": {"focal", "staff", "admin"},
    "/agency Lào Cai": {"focal", "staff", "admin"},
    "/agency Hà Nội": {"staff", "admin"},
    "/missing": {"staff", "admin"},
    "/stats": {"staff", "admin"},
    "/person 1": {"focal", "staff", "admin"},
    "/verify 1": {"focal", "staff", "admin"},
    "/export xlsx": {"focal", "staff", "admin"},
    "/import": {"focal", "staff", "admin"},
    "/grant {nine} staff": {"admin"},
    "/revoke {nine}": {"admin"},
}
ROLES = ["member", "focal", "staff", "admin"]


async def test_each_staff_and_admin_command_by_every_role(stage: Stage) -> None:
    await listed(stage.db)
    before = await stored(stage.db, 1)
    nine = stage.meet(9, "Dũng Lê")
    await nine.say("/start")  # someone who has talked to the bot
    for number, role in enumerate(ROLES, 760):
        someone = (
            await member(stage, number)
            if role == "member"
            else await staff(stage, number, role, agency="Lào Cai" if role == "focal" else None)
        )
        for command, allowed in STAFF_COMMANDS.items():
            typed = command.format(nine=nine.external_id if "grant" in command else nine.identity)
            reply = await someone.say(typed)
            if role in allowed:
                assert REFUSAL not in reply, (role, typed, reply.texts)
            else:
                assert reply == REFUSAL, (role, typed, reply.texts)
                assert reply.documents == [] and reply.links == []
        helped = await someone.say("/help")
        assert ("Dành cho cán bộ:" in helped) == (role != "member"), role
        assert (vi("bot.help.staff") in helped) == (role != "member"), role
        assert ("Dành cho quản trị:" in helped) == (role == "admin"), role
        nine_now = await account(stage.db, nine.identity)
        assert nine_now is not None and nine_now.role == "member"  # granted then revoked, or not
        if role == "member":
            after = await stored(stage.db, 1)
            assert (after.status, after.version) == (before.status, before.version)


async def test_a_focal_point_works_within_its_agency(stage: Stage) -> None:
    await listed(stage.db, full_name="Lê Thị Hà", agency="Hà Nội", mobile="0988 000 333")
    focal = await staff(stage, 761, "focal", agency="Lào Cai")
    assert "Đăng ký người của Tỉnh Lào Cai" in await focal.say("/register")
    await focal.say("Giàng A Páo")
    await focal.say("Chuyên viên")
    await focal.pick("Cán bộ đầu mối")
    await focal.say("0912 345 678")
    await focal.pick("Bỏ qua")
    await focal.say("pao@laocai.gov.vn")
    assert "Đã đăng ký #2" in await focal.pick(CONFIRM)
    assert (await stored(stage.db, 2)).status == "verified"
    assert (await focal.say("/find Giàng")).options == ["#2 Giàng A Páo"]
    assert "Không tìm thấy" in await focal.say("/find Lê Thị Hà")  # another agency
    assert await focal.say("/person 1") == REFUSAL
    assert await focal.say("/update 1") == REFUSAL
    assert await focal.say("/retire 1") == REFUSAL
    assert await focal.say("/missing") == REFUSAL
    # Its own agency's person: the fields offered do not include moving them elsewhere.
    assert "Cơ quan" not in (await focal.say("/update 2")).options
    assert (await stored(stage.db, 1)).version == 1


async def test_an_admin_grants_and_revokes_roles(stage: Stage) -> None:
    admin = await staff(stage, 762, "admin")
    newcomer = stage.meet(763, "Cường Lê")
    await newcomer.say("/start")  # has talked to the bot
    bare = newcomer.external_id
    unknown = f"{stage.channel}:404"
    assert await admin.say(f"/grant {unknown} staff") == f"Chưa có tài khoản {unknown}."
    assert (
        await admin.say(f"/grant {bare} staff") == f"{newcomer.identity}: quyền cán bộ Cục Báo chí "
    )
    granted = await account(stage.db, newcomer.identity)
    assert granted is not None and granted.role == "staff"
    assert await newcomer.say("/find nguyen") == "Không tìm thấy ai với “nguyen”."
    assert "Dành cho cán bộ:" in await newcomer.say("/help")

    assert await admin.say(f"/revoke {newcomer.identity}") == (
        f"{newcomer.identity}: đã thu hồi quyền, trở lại thành viên."
    )
    revoked = await account(stage.db, newcomer.identity)
    assert revoked is not None and revoked.role == "member"
    assert await newcomer.say("/stats") == REFUSAL

    assert await admin.say(f"/grant {bare} focal Lào Cai") == (
        f"{newcomer.identity}: quyền đầu mối cơ quan tinh-lao-cai"
    )
    focal = await account(stage.db, newcomer.identity)
    assert focal is not None and focal.role == "focal" and focal.agency_id is not None
    assert await newcomer.say("/agency Hà Nội") == REFUSAL  # not their agency
    assert "tp-hue" in await admin.say(f"/grant {bare} focal Huế")
    assert await admin.say(f"/grant {bare} focal") == vi("error.account.focal_needs_agency")
    assert await admin.say(f"/grant {bare}") == vi("bot.grant.usage")
    assert await admin.say("/grant") == vi("bot.grant.usage")
    assert await admin.say("/revoke") == vi("bot.revoke.usage")
    assert (await admin.say(f"/grant {bare} king")).startswith("Quyền “king” không có.")
    assert await admin.say("/grant nobody staff") == f"Chưa có tài khoản {stage.channel}:nobody."
    assert "“n@body!”" in await admin.say("/grant n@body! staff")
    assert "“fax:1”" in await admin.say("/grant fax:1 staff")
