"""The Zalo driver of the scenarios: a person of ``zalo_bot.py`` on the fake Zalo Bot API.

Zalo has no buttons, no contact button and no files. The person types the number of an option
(``pick``), types their phone number (``share_contact`` with one's own number; someone else's
contact cannot be sent), and gets files as download links, which the driver opens once and
hands to the scenario as the files received. The person waits for exactly the answer to each
message (``ZaloProcessed``), so the answer is complete on return.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

import httpx

from tests.e2e.scenarios.driver import Abilities, Answer, Latest, NotOnThisChannel, Received
from tests.e2e.scenarios.numbered import LINK, links_of, options_of
from tests.e2e.zalo_bot import Answer as Sent
from tests.e2e.zalo_bot import ZaloPerson

ZALO = Abilities(
    buttons=False, contact_button=False, files=False, stickers=True, blank_lines=True, groups=True
)


@dataclass
class ZaloChat:
    person: ZaloPerson
    channel: str = "zalo"
    can: Abilities = ZALO
    latest: Latest = field(default_factory=Latest)

    @property
    def external_id(self) -> str:
        return self.person.id

    @property
    def identity(self) -> str:
        return self.person.identity

    async def _answer(self, sent: Sent) -> Answer:
        texts: list[str] = []
        options: list[str] = []
        links: list[str] = []
        for message in sent.texts:
            text, given = links_of(message)
            text, offered = options_of(text)
            texts.append(text)
            links += given
            options = offered or options
        documents = [await _download(link) for link in links if "/files/" in link]
        return self.latest.seen(Answer(texts, options=options, documents=documents, links=links))

    async def say(self, text: str) -> Answer:
        return await self._answer(await self.person.say(text))

    async def pick(self, label: str, *, on: Answer | None = None) -> Answer:
        if on is not None:
            raise NotOnThisChannel("Zalo has no buttons: a typed number answers the last question")
        return await self.say(self.latest.number(label))

    async def forge(self, key: str, *, on: Answer | None = None) -> Answer:
        raise NotOnThisChannel("Zalo has no buttons, so no button data to forge")

    async def share_contact(self, phone: str, *, own: bool = True) -> Answer:
        if not own:
            raise NotOnThisChannel("Zalo has no contact sharing: only one's own number is typed")
        return await self.say(phone)

    async def send_file(self, name: str, content: bytes) -> Answer:
        raise NotOnThisChannel("Zalo bots receive no files (/import gives an upload page)")

    async def send_sticker(self) -> Answer:
        return await self._answer(await self.person.send_sticker())


async def _download(url: str) -> Received:
    """Open a download link the bot gave (once: the link works only once)."""
    assert LINK.fullmatch(url), url
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    disposition = response.headers["content-disposition"]
    name = urllib.parse.unquote(disposition.split("filename*=UTF-8''", 1)[1])
    return Received(name, response.content)
