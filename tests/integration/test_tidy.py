"""The chat leftovers, each forgotten past its retention and kept before it, on both databases;
``spokes tidy`` runs the same once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.pipeline.tidy import Retention, tidy
from bot.state import held_files, inbox, shared_files
from bot.state.conversations import DialogState, save_state
from bot.state.models import ChatUpdate, Conversation, HeldFile, SharedFile
from bot.state.shared_files import Owner
from registry.models import utcnow
from registry.uow import Database

OWNER = Owner("zalo", "u-1", "u-1", "vi")


async def count(db: Database, model: type) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def age(db: Database, model: type, column: str, by: timedelta, **where: str) -> None:
    """Set ``column`` of the matching rows to ``by`` before now."""
    table = model.__table__  # type: ignore[attr-defined]
    condition = [table.c[name] == value for name, value in where.items()]
    async with db.uow() as uow:
        await uow.session.execute(update(table).where(*condition).values({column: utcnow() - by}))
        await uow.commit()


async def test_each_leftover_goes_after_its_retention_and_not_before(db: Database) -> None:
    # Two of each: one old enough to go, one that stays.
    for number in (1, 2):
        await inbox.store(db.uow(), "zalo", f"d{number}", f"c{number}", "u", {"text": "x"})
        await held_files.hold(db.uow(), "zalo", f"c{number}", "list.xlsx", b"rows")
        await save_state(db.uow(), "zalo", f"c{number}", DialogState(flow="register"))
    old = await shared_files.share(db.uow(), OWNER, shared_files.DOWNLOAD, timedelta(minutes=30))
    await shared_files.share(db.uow(), OWNER, shared_files.UPLOAD, timedelta(minutes=30))
    async with db.uow() as uow:
        await uow.session.execute(
            update(ChatUpdate).values(handled_at=utcnow(), payload=None)
        )  # both handled
        await uow.commit()
    await age(db, ChatUpdate, "handled_at", timedelta(days=8), delivery="d1")
    await age(db, HeldFile, "held_at", timedelta(hours=25), chat_id="c1")
    await age(db, SharedFile, "expires_at", timedelta(hours=2), id=old.id)
    await age(db, Conversation, "updated_at", timedelta(days=31), chat_id="c1")
    # A handled update never waits; one still waiting is kept however old.
    await inbox.store(db.uow(), "zalo", "d3", "c3", "u", {"text": "x"})
    await age(db, ChatUpdate, "received_at", timedelta(days=30), delivery="d3")

    tidied = await tidy(db, Retention())

    assert (tidied.updates, tidied.held_files, tidied.shared_files, tidied.conversations) == (
        1,
        1,
        1,
        1,
    )
    async with db.uow().reading() as uow:
        assert set(await uow.session.scalars(select(ChatUpdate.delivery))) == {"d2", "d3"}
        assert set(await uow.session.scalars(select(HeldFile.chat_id))) == {"c2"}
        assert set(await uow.session.scalars(select(Conversation.chat_id))) == {"c2"}
        assert old.id not in set(await uow.session.scalars(select(SharedFile.id)))
    assert await count(db, SharedFile) == 1
    # Run again: nothing more to do.
    assert (await tidy(db, Retention())).total == 0


async def test_a_list_forgotten_cannot_be_confirmed_any_more(db: Database) -> None:
    token = await held_files.hold(db.uow(), "telegram", "7", "list.xlsx", b"rows")
    await age(db, HeldFile, "held_at", timedelta(hours=2), chat_id="7")
    assert await held_files.prune(db.uow(), timedelta(hours=1)) == 1
    assert await held_files.take(db.uow(), "telegram", "7", token) is None
