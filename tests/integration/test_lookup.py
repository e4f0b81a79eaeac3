"""The chat lookup of the published directory: public cards, briefly cached, none when off."""

from __future__ import annotations

from bot.lookup import CACHE_SECONDS, Lookup
from bot.settings import BotSettings
from registry import people
from registry.uow import Database
from tests.builders import SYSTEM, listed, with_catalog


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def settings(**changes: object) -> BotSettings:
    return BotSettings(_env_file=None, **changes)  # type: ignore[arg-type]


async def test_cards_are_cached_briefly_then_follow_a_retirement(db: Database) -> None:
    await with_catalog(db)
    an = await listed(db, email="an@laocai.gov.vn")
    clock = Clock()
    lookup = Lookup(db, settings(public_directory=True, public_url="https://bot.example.vn"), clock)
    [card] = await lookup.cards("nguyen van", "vi")
    assert card.title == "Nguyễn Văn An" and card.key == str(an.id)
    assert card.text.endswith(f"https://bot.example.vn/directory/person/{an.id}")
    assert "0912" not in card.text  # no consent given
    await people.retire_person(db.uow(), SYSTEM, an.id)
    assert len(await lookup.cards("nguyen van", "vi")) == 1  # the cached answer, for a moment
    clock.now += CACHE_SECONDS + 1
    assert await lookup.cards("nguyen van", "vi") == []


async def test_no_cards_while_the_directory_is_off(db: Database) -> None:
    await with_catalog(db)
    await listed(db)
    assert await Lookup(db, settings()).cards("nguyen", "vi") == []
