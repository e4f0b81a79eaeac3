"""Looking up the published directory from a chat (Telegram's inline mode: ``@bot tên``).

Channel-agnostic: :class:`Lookup` turns what someone typed into public contact cards (only what
:mod:`registry.published` publishes: verified people, public fields, a mobile by consent), in
the asker's language; the channel shapes them into its own results. Answers are kept for a
short time (``CACHE_SECONDS``) per query and language, as people type a name letter by letter
and Telegram asks at each one; a retirement is then shown at most that late. With the
published directory off there are no cards at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.settings import BotSettings
from bot.texts import language_of, t
from registry import published
from registry.agency_names import name_in
from registry.errors import ValidationError
from registry.published import PublicPerson
from registry.uow import Database
from registry.validation import format_phone

CACHE_SECONDS = 30.0
MAX_CARDS = 20  # Telegram shows up to 50 inline results; 20 fill a phone's screen
_MAX_CACHED = 2_000


@dataclass(frozen=True)
class Card:
    """One person's public card: a title and a line to choose it by, and the text shared."""

    key: str  # the person's id, as text (Telegram's result id)
    title: str
    description: str
    text: str
    office_phone: str | None  # E.164, for a result of type contact
    full_name: str


@dataclass
class Lookup:
    database: Database
    settings: BotSettings
    clock: Callable[[], float] = time.monotonic
    _cache: dict[tuple[str, str], tuple[float, list[Card]]] = field(default_factory=dict)

    async def cards(self, query: str, language: str | None) -> list[Card]:
        if not self.settings.public_directory:
            return []
        lang = language_of(language)
        try:
            key = published.query_key(query)
        except ValidationError:
            return []
        if not key:
            return []
        now = self.clock()
        cached = self._cache.get((key, lang))
        if cached is not None and cached[0] > now:
            return cached[1]
        people = await published.search(self.database.uow(), query, limit=MAX_CARDS)
        found = [card(person, lang, self.settings.public_url) for person in people]
        if len(self._cache) >= _MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[(key, lang)] = (now + CACHE_SECONDS, found)
        return found


def card(person: PublicPerson, language: str, public_url: str | None = None) -> Card:
    """The card of one published person in ``language``."""
    agency = name_in(language, person.agency_code, person.agency_name)
    role = t(language, f"role.{person.role}")
    word = t(language, "phone.extension")
    lines = [person.full_name, f"{role} · {person.position}" if person.position else role, agency]
    if person.office_phone:
        office = format_phone(person.office_phone, person.office_ext, extension_word=word)
        lines.append(f"{t(language, 'web.directory.office_phone')}: {office}")
    if person.mobile:
        lines.append(f"{t(language, 'web.directory.mobile')}: {format_phone(person.mobile)}")
    if person.email:
        lines.append(f"{t(language, 'web.directory.email')}: {person.email}")
    if public_url:
        suffix = "?lang=en" if language == "en" else ""
        lines.append(f"{public_url.rstrip('/')}/directory/person/{person.id}{suffix}")
    description = " · ".join(part for part in (person.position or role, agency) if part)
    return Card(
        key=str(person.id),
        title=person.full_name,
        description=description,
        text="\n".join(lines),
        office_phone=person.office_phone,
        full_name=person.full_name,
    )
