"""The people, accounts and lists the tests start from, and how they look into the registry.

One spokesperson (Nguyễn Văn An, of Tỉnh Lào Cai) stands for "someone already listed" unless a
test says otherwise; ``listed(db, full_name=...)`` changes only what it names. Accounts get
their roles the way an admin gives them (``grant``), and a member who registered themselves is
made as the bot makes them (an account, its consent, then the record in its name). Everything
goes through the registry's use cases, so the tests start from states the program can reach.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from registry import accounts, catalog, invitations, people
from registry.actors import Actor
from registry.models import Account, Invitation, Person, utcnow
from registry.uow import Database
from registry.views import PersonView
from tests.roster_files import csv_bytes

SYSTEM = Actor.system("test")

# Nguyễn Văn An, spokesperson of Tỉnh Lào Cai: the person a test means unless it says otherwise.
AN: dict[str, Any] = {
    "agency": "Lào Cai",
    "full_name": "Nguyễn Văn An",
    "role": "spokesperson",
    "mobile": "0912 345 678",
}
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh")


async def with_catalog(db: Database) -> Database:
    """The 2025 catalog of agencies (ministries, the 34 provinces and cities...)."""
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    return db


async def listed(db: Database, **fields: Any) -> PersonView:
    """Someone already on the list (put there by staff or an import): :data:`AN`, changed by
    ``fields``."""
    result = await people.register_person(db.uow(), SYSTEM, **{**AN, **fields})
    return result.person


async def colleagues(
    db: Database, family: str = "Trần Văn", *, agency: str = "Hà Nội", role: str = "press_contact"
) -> list[PersonView]:
    """Seven people of one agency whose names differ only in the given name, listed in order
    (for searches that need more than one page)."""
    return [
        await listed(
            db,
            agency=agency,
            full_name=f"{family} {given}",
            role=role,
            mobile=f"0988 111 {200 + n}",
        )
        for n, given in enumerate(GIVEN_NAMES)
    ]


async def grant(db: Database, identity: str, role: str, agency: str | None = None) -> None:
    """Give ``identity`` ("telegram:7") a role, as an admin would (the account is made)."""
    await accounts.grant(db.uow(), SYSTEM, identity, role, agency=agency)


async def registered(db: Database, identity: str, **fields: Any) -> int:
    """A member who accepted the notice and registered themselves in the chat (their record is
    pending, in their name); the record's id."""
    channel, _, external_id = identity.partition(":")
    await accounts.open_profile(db.uow(), channel, external_id)
    await accounts.record_consent(db.uow(), channel, external_id, display_name=None)
    actor = (await accounts.open_profile(db.uow(), channel, external_id)).actor
    result = await people.register_person(db.uow(), actor, **{**AN, "source": "chat", **fields})
    return result.person.id


async def stored(db: Database, person_id: int) -> PersonView:
    return await people.show_person(db.uow(), SYSTEM, person_id)


async def count(db: Database, model: type) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def count_people(db: Database) -> int:
    return await count(db, Person)


@dataclass(frozen=True)
class StoredAccount:
    role: str
    agency_id: int | None
    person_id: int | None
    consented_at: datetime | None
    display_name: str | None


async def account(db: Database, identity: str) -> StoredAccount | None:
    """The stored account of ``identity`` as it is (not through a link), or None."""
    channel, _, external_id = identity.partition(":")
    async with db.uow() as uow:
        row = await uow.session.scalar(
            select(Account).where(Account.channel == channel, Account.external_id == external_id)
        )
        if row is None:
            return None
        return StoredAccount(
            row.role.value, row.agency_id, row.person_id, row.consented_at, row.display_name
        )


async def role_of(db: Database, identity: str) -> str:
    """The role stored on the account of ``identity``, which must exist."""
    stored_account = await account(db, identity)
    assert stored_account is not None, f"no account {identity}"
    return stored_account.role


async def person_of(db: Database, identity: str) -> int | None:
    """The record the account of ``identity`` is (through a link too), if any."""
    channel, _, external_id = identity.partition(":")
    return (await accounts.open_profile(db.uow(), channel, external_id)).actor.person_id


# A list as agencies send it: two good rows (one with an old 11-digit mobile) and an unknown
# agency.
LIST_ROWS = (
    ("STT", "Cơ quan", "Họ và tên", "Chức vụ", "Vai trò", "SĐT", "Email"),
    (1, "UBND tỉnh Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "Người phát ngôn",
     "0169.123.4567", "an@laocai.gov.vn"),
    (2, "TP. Hồ Chí Minh", "Trần Thị Bình", "Phó Chánh Văn phòng", "Người phát ngôn",
     "0912 345 678", "binh@tphcm.gov.vn"),
    (3, "Atlantis", "Lê Văn Cường", "Chuyên viên", "Người phát ngôn", "0988 111 222",
     "cuong@x.gov.vn"),
)  # fmt: skip


def csv_list() -> bytes:
    return csv_bytes(LIST_ROWS)


# The key invitations are signed with in the tests (the bot's settings get the same).
INVITATION_SECRET = "invitation-key-of-the-tests-0123456789abcdef"
INVITATION_KEY = INVITATION_SECRET.encode()


async def invitation(
    db: Database, agency: str = "Lào Cai", purpose: str = "spokespeople", **options: Any
) -> str:
    """An invitation for ``agency`` as staff make it; its token."""
    [issued] = await invitations.create_invitations(
        db.uow(), SYSTEM, INVITATION_KEY, purpose=purpose, agency=agency, **options
    )
    return issued.token


async def expired_invitation(db: Database, agency: str = "Lào Cai") -> str:
    """An invitation whose time has passed: made for a day, then a day and a second went by
    (its row and its token say the same expiry, as they would have)."""
    token = await invitation(db, agency)
    signed = invitations.verify(INVITATION_KEY, token)
    past = utcnow().replace(microsecond=0) - timedelta(days=1)
    async with db.uow() as uow:
        row = await uow.session.get(Invitation, signed.invitation_id)
        assert row is not None
        row.expires_at = past
        await uow.commit()
    return invitations.sign(INVITATION_KEY, replace(signed, expires_at=past))


async def invitation_uses(db: Database, token: str) -> int:
    signed = invitations.verify(INVITATION_KEY, token, now=datetime(2000, 1, 1, tzinfo=UTC))
    async with db.uow() as uow:
        row = await uow.session.get(Invitation, signed.invitation_id)
        assert row is not None
        return row.uses


async def actor_of(db: Database, identity: str) -> Actor:
    """The actor ``identity`` ("telegram:7") acts as, with its role and record."""
    channel, _, external_id = identity.partition(":")
    return (await accounts.open_profile(db.uow(), channel, external_id)).actor
