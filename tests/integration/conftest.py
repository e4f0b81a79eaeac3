"""Fixtures shared by the database tests: the 2025 catalog and one actor of every role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from registry import accounts, catalog
from registry.actors import Actor
from registry.uow import Database

SYSTEM = Actor.system("test")


@pytest.fixture
async def loaded(db: Database) -> Database:
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    return db


@dataclass(frozen=True)
class Cast:
    system: Actor
    admin: Actor
    staff: Actor
    focal: Actor  # focal point of Tỉnh Lào Cai
    other_focal: Actor  # focal point of Thành phố Hà Nội
    member: Actor
    other_member: Actor


async def actor(db: Database, identity: str) -> Actor:
    channel, external_id = identity.split(":")
    return await accounts.ensure_account(db.uow(), channel, external_id)


@pytest.fixture
async def cast(loaded: Database) -> Cast:
    db = loaded
    await accounts.grant(db.uow(), SYSTEM, "telegram:1", "admin")
    await accounts.grant(db.uow(), SYSTEM, "telegram:2", "staff")
    await accounts.grant(db.uow(), SYSTEM, "telegram:3", "focal", agency="Lào Cai")
    await accounts.grant(db.uow(), SYSTEM, "telegram:4", "focal", agency="Hà Nội")
    return Cast(
        system=SYSTEM,
        admin=await actor(db, "telegram:1"),
        staff=await actor(db, "telegram:2"),
        focal=await actor(db, "telegram:3"),
        other_focal=await actor(db, "telegram:4"),
        member=await actor(db, "telegram:5"),
        other_member=await actor(db, "console:6"),
    )
